"""Running middleware: namespace middleware ``fn(socket, next)`` and per-packet
socket middleware ``fn(packet, next)``.

A middleware is sync or async. With two parameters it continues by calling
``next()`` and stops the chain with ``next(err)``; an exception it raises is
``next(exc)``. With one parameter, returning continues and raising stops.
Middleware runs strictly one after the other, in registration order (M2).
An async middleware starts eagerly, so a chain that never waits costs no task.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Sequence
from typing import Any, Callable

from .. import _eager

#: The result of a chain stopped because the connection went away.
CLOSED: Any = object()

_arity_cache: dict[Any, int] = {}


def takes_next(fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` has the ``(arg, next)`` form rather than ``(arg)``."""
    key = getattr(fn, "__func__", fn)
    arity = _arity_cache.get(key)
    if arity is None:
        arity = _positional_arity(fn)
        if len(_arity_cache) < 10_000:
            _arity_cache[key] = arity
    return arity != 1


def _positional_arity(fn: Callable[..., Any]) -> int:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 2
    count = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return 2
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            count += 1
    return count


class Waiter:
    """Where a running chain waits for ``next``; :meth:`close` ends the wait
    when the connection goes away."""

    __slots__ = ("future",)

    def __init__(self) -> None:
        self.future: asyncio.Future[Any] | None = None

    def close(self) -> None:
        future = self.future
        if future is not None and not future.done():
            future.set_result(CLOSED)


async def run_one(fn: Callable[..., Any], arg: Any, waiter: Waiter | None = None) -> Any:
    """Run one middleware; ``None`` to continue, else the error (or ``CLOSED``)."""
    if not takes_next(fn):
        try:
            ret = fn(arg)
            if ret is not None and inspect.isawaitable(ret):
                await ret
        except Exception as exc:
            return exc
        return None
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def next_(err: Any = None) -> None:
        if not future.done():  # only the first call counts
            future.set_result(err)

    try:
        ret = fn(arg, next_)
    except Exception as exc:
        next_(exc)
    else:
        if ret is None:
            pass  # a plain function: no awaitable to look for
        elif inspect.iscoroutine(ret):
            _eager.start(ret, _eager.ignore, next_)
        elif inspect.isawaitable(ret):
            _eager.start(_eager.await_(ret), _eager.ignore, next_)
    if future.done():
        return future.result()
    if waiter is not None:
        waiter.future = future
    try:
        return await future
    finally:
        if waiter is not None:
            waiter.future = None


async def run_chain(fns: Sequence[Callable[..., Any]], arg: Any, waiter: Waiter | None) -> Any:
    """Run ``fns`` in order on ``arg``: ``None`` when all continued, else the
    first error, or ``CLOSED`` when ``waiter`` was closed."""
    for fn in fns:
        err = await run_one(fn, arg, waiter)
        if err is not None:
            return err
    return None


def connect_error_data(err: Any) -> dict[str, Any]:
    """The CONNECT_ERROR payload for a middleware error (M6).

    ``ConnectionRefusedError(message, data)`` gives python-socketio's payload;
    any other exception ``{"message": str(err)}`` plus ``"data"`` when it has
    a ``data`` attribute.
    """
    error_args = getattr(err, "error_args", None)
    if isinstance(error_args, dict) and "message" in error_args:
        return error_args
    payload: dict[str, Any] = {"message": str(err)}
    data = getattr(err, "data", _MISSING)
    if data is not _MISSING:
        payload["data"] = data
    return payload


_MISSING = object()
