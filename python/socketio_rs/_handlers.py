"""Calling and registering user handlers: python-socketio's way, and Node-style listeners."""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any, Callable, TypeVar

from . import _eager

F = TypeVar("F", bound=Callable[..., Any])
Table = dict[Any, list[Callable[..., Any]]]


def on(table: Table, key: Any, handler: Callable[..., Any] | None, owner: Any) -> Any:
    """``owner.on(key)`` as a decorator (returns the function) or
    ``owner.on(key, handler)`` (returns ``owner``, for chaining)."""

    def register(fn: F) -> F:
        table.setdefault(key, []).append(fn)
        return fn

    if handler is None:
        return register
    register(handler)
    return owner


def off(table: Table, key: Any, handler: Callable[..., Any] | None) -> None:
    """Remove one handler of ``key``, or all of them."""
    if handler is None:
        table.pop(key, None)
        return
    handlers = table.get(key, [])
    if handler in handlers:
        handlers.remove(handler)
    if not handlers:
        table.pop(key, None)


async def call_handler(handler: Callable[..., Any], event: str, args: tuple[Any, ...]) -> Any:
    """``handler(*args)``, awaited if it returns an awaitable.

    A ``disconnect`` handler that raises ``TypeError`` is called again without
    the trailing reason (the legacy one-argument signature), and a cancelled
    handler counts as returning ``None``: both as python-socketio does.
    """
    try:
        try:
            ret = handler(*args)
            if inspect.isawaitable(ret):
                ret = await ret
        except TypeError:
            if event != "disconnect":
                raise
            ret = handler(*args[:-1])
            if inspect.isawaitable(ret):
                ret = await ret
    except asyncio.CancelledError:
        ret = None
    return ret


def start_listener(logger: logging.Logger, fn: Callable[..., Any], *args: Any) -> None:
    """Call a Node-style listener that nothing waits for; an async one starts
    eagerly and runs on as a task if it suspends. Errors are logged."""
    try:
        ret = fn(*args)
    except Exception:
        logger.exception("listener error")
        return
    if inspect.iscoroutine(ret):
        _eager.start(ret, _ignore, lambda exc: logger.error("listener error", exc_info=exc))


def _ignore(result: Any) -> None:
    pass
