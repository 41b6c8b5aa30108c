"""Run event handlers eagerly: a handler that finishes without waiting costs no
asyncio task; only one that actually suspends becomes a task.

python-socketio starts a task per incoming event (``async_handlers=True``),
which costs about three times the packet parsing. Running the handler's first
step inline keeps what users see (a slow handler blocks neither other clients
nor the same client's next events, because it becomes a task the moment it
waits) without paying for a task when it never waits.

On Python 3.12 and newer this is ``asyncio.Task(..., eager_start=True)``. On
older versions the first step is driven by hand and the rest continues in a
task; the difference users can observe there is that, until the handler first
suspends, ``asyncio.current_task()`` is the connection's task.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sys
from collections.abc import Awaitable, Coroutine, Generator
from types import CoroutineType
from typing import Any, Callable

#: What ``first_step`` gets from an awaitable that finished without suspending.
_FINISHED: Any = object()
#: Tasks of handlers that suspended, kept referenced until they finish.
_running: set[asyncio.Future[Any]] = set()

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


def start(coro: Coroutine[Any, Any, Any], done: Done, failed: Failed) -> None:
    """Run ``coro`` now; call ``done(result)`` or ``failed(exc)`` when it ends.

    A ``CancelledError`` counts as a ``None`` result, as in python-socketio.
    """
    try:
        result = step(coro)
    except Exception as exc:
        failed(exc)
        return
    if result.__class__ is Later:
        result.then(done, failed)
    else:
        done(result)


def step(awaitable: Awaitable[Any]) -> Any:
    """Run ``awaitable`` now until it finishes or first suspends: its result when it
    finishes (``None`` for a ``CancelledError``, as in python-socketio), else a
    :class:`Later` going on with it in a task. An exception of that first step
    propagates.

    :func:`start` is this with callbacks; a caller that needs the result can ask for
    them only when the awaitable suspends, so one that finishes costs no partial."""
    coro = awaitable if awaitable.__class__ is CoroutineType else await_(awaitable)
    if EAGER_TASKS:
        task = asyncio.Task(coro, loop=asyncio.get_running_loop(), eager_start=True)  # type: ignore[call-arg]
        if not task.done():
            return Later(task)
        return None if task.cancelled() else task.result()
    try:
        yielded = coro.send(None)
    except StopIteration as stop:
        return stop.value
    except asyncio.CancelledError:
        return None
    return resume(coro, yielded)


def resume(coro: Coroutine[Any, Any, Any], yielded: Any) -> Later:
    """The :class:`Later` of a coroutine whose first step (before eager tasks) yielded
    ``yielded``: a task goes on with it."""
    return Later(asyncio.ensure_future(_Resume(coro, yielded)))


class Later:
    """What :func:`step` returns for an awaitable that suspended: the task running the
    rest of it."""

    __slots__ = ("_task",)

    def __init__(self, task: asyncio.Future[Any]) -> None:
        self._task = task
        _running.add(task)  # referenced until it ends, whether or not ``then`` is called
        task.add_done_callback(_running.discard)

    def then(self, done: Done, failed: Failed) -> None:
        """Call ``done(result)`` or ``failed(exc)`` when it ends, as :func:`start` does."""
        self._task.add_done_callback(lambda t: _finish(t, done, failed))


def start_listener(logger: logging.Logger, fn: Callable[..., Any], *args: Any) -> None:
    """Call a Node-style listener that nothing waits for; an async one starts
    eagerly and runs on as a task if it suspends. Errors are logged."""
    try:
        ret = fn(*args)
    except Exception:
        logger.exception("listener error")
        return
    if inspect.iscoroutine(ret):
        start(ret, ignore, lambda exc: logger.error("listener error", exc_info=exc))


def ignore(result: Any) -> None:
    """A ``done`` callback for a result nobody needs."""


def first_step(awaitable: Awaitable[Any]) -> Awaitable[Any] | None:
    """Run ``awaitable`` now until it first suspends: ``None`` when it finished without
    suspending (its result is dropped), else an awaitable that goes on with it, for a task
    to await. An exception it raises in that first step propagates.

    ``next()`` with a default, rather than ``send(None)``: a coroutine that returns ``None``
    then ends without a ``StopIteration`` to create and catch (a third of the cost of a
    step that does not wait)."""
    if awaitable.__class__ is not CoroutineType:
        # An awaitable's ``__await__`` may give a plain iterator, without the ``send`` and
        # ``throw`` that resuming it needs (granian's ASGI send returns such a native
        # future): a coroutine awaiting it drives any awaitable.
        awaitable = await_(awaitable)
    steps = awaitable.__await__()
    yielded = next(steps, _FINISHED)
    if yielded is _FINISHED:
        return None
    return _Resume(steps, yielded)


async def await_(awaitable: Awaitable[Any]) -> Any:
    """A coroutine for an awaitable that is not one (``start`` takes coroutines)."""
    return await awaitable


def _finish(task: asyncio.Future[Any], done: Done, failed: Failed) -> None:
    if task.cancelled():
        done(None)
        return
    exc = task.exception()
    if exc is None:
        done(task.result())
    else:
        failed(exc)


class _Resume(Awaitable[Any]):
    """Continues a coroutine (or an awaitable's ``__await__`` iterator) that already ran
    its first step and yielded."""

    __slots__ = ("_coro", "_first")

    def __init__(
        self, coro: Coroutine[Any, Any, Any] | Generator[Any, Any, Any], first: Any
    ) -> None:
        self._coro = coro
        self._first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        coro, value = self._coro, self._first
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # forwarded into the handler, e.g. cancellation
                try:
                    value = coro.throw(exc)
                except StopIteration as stop:
                    return stop.value
            else:
                try:
                    value = coro.send(sent)
                except StopIteration as stop:
                    return stop.value


#: Whether tasks can start eagerly (3.12+): then :func:`step` makes one for every coroutine,
#: and a caller running a coroutine's first step itself must not (``_core.EventLane``).
EAGER_TASKS = sys.version_info >= (3, 12)
