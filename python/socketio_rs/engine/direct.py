"""Reading an Engine.IO session on a direct WebSocket (``socketio_rs.serve``).

The session's reader task does not wake for every read. While it waits and
nothing is queued, the WebSocket protocol hands the messages of each read to
:meth:`DirectReader.take_now` inside ``data_received``: each MESSAGE goes to
the server's synchronous first step (``EngineServer.message_steps``), so an
event whose handler does not wait costs no task switch, future or loop
iteration. The first message that has to wait (an ACK whose callback is
awaited, a DISCONNECT, a non-MESSAGE packet) is handed back to the reader task
with the rest of the read, and the protocol queues what follows for it until
the reader is idle again: the client's packets are always taken in order.

Before the first step, the Socket.IO layer's lane (``_core.EventLane``), when it
registered one, takes the read's leading plain events in one Rust call: it
decodes them, calls their handlers and writes their acks, and leaves the first
message it does not take, and the rest, to the first step.

While the first step runs, ``asyncio.current_task()`` is the reader task, as
when the reader takes the message itself: handler code that asks for the
current task (``asyncio.timeout``, libraries that detect the event loop) sees
the same task either way.
"""

from __future__ import annotations

import asyncio
import inspect
from asyncio import tasks as _tasks
from collections.abc import Awaitable
from typing import Any, Callable, Protocol

from .. import _core
from ..wsserver import WebSocketProtocol

Nowait = Callable[[str, "str | bytes"], "Awaitable[None] | None"]
Lane = _core.EventLane


class Session(Protocol):
    """The Engine.IO session, as its reader uses it (``EngineSocket`` meets it)."""

    sid: str
    server: Any
    closed: bool

    async def receive_encoded(self, data: str) -> bool: ...


#: What :meth:`DirectReader._step` returns when the session is to stop reading.
_STOP: Any = object()
_enter_task = getattr(_tasks, "_enter_task", None)
_leave_task = getattr(_tasks, "_leave_task", None)
#: Whether messages can be taken inside ``data_received`` with the reader task current.
TAKES_NOW = _enter_task is not None and _leave_task is not None


class DirectReader:
    """The reader of one session on a direct WebSocket."""

    def __init__(
        self,
        session: Session,
        protocol: WebSocketProtocol,
        nowait: Nowait,
        lane: Lane | None = None,
    ) -> None:
        self._session = session
        self._protocol = protocol
        self._nowait = nowait
        self._lane = lane
        self._sid = session.sid
        self._limit = session.server.max_http_buffer_size
        self._logger = session.server.logger
        self._task = asyncio.current_task()
        self._loop = asyncio.get_running_loop()
        #: What the protocol handed back: the step to await, then the read's other messages.
        self._backlog: tuple[Awaitable[Any], list[str | bytes]] | None = None
        self._stopped = False

    async def run(self) -> None:
        """Take the client's messages until the WebSocket ends or the session closes."""
        try:
            await self._run()
        finally:
            backlog, self._backlog = self._backlog, None
            if backlog is not None and inspect.iscoroutine(backlog[0]):
                backlog[0].close()  # the session ended before the reader took it

    async def _run(self) -> None:
        protocol = self._protocol
        takes_now = TAKES_NOW and self._task is not None
        sink: Callable[[list[str | bytes]], None] = self.take_now
        if takes_now and self._lane is not None:
            # take_now, with the lane first, in one Rust call.
            sink = self._lane.sink(
                sid=self._sid,
                session=self._session,
                limit=self._limit,
                task=self._task,
                rest=self.take_rest,
            )
        while True:
            if takes_now:
                protocol.arm(sink)
            batch = await protocol.read_batch()
            protocol.disarm()
            backlog = self._backlog  # read before anything in ``batch``
            if backlog is not None:
                self._backlog = None
                step, messages = backlog
                if not await self._finish(step) or not await self._take(messages):
                    return
            if self._stopped or batch is None or not await self._take(batch):
                return

    def take_now(self, messages: list[str | bytes]) -> None:
        """The messages of one read, taken inside ``data_received`` (the protocol calls
        it only while the reader waits with nothing queued)."""
        loop, task = self._loop, self._task
        _enter_task(loop, task)  # type: ignore[misc]
        try:
            self.take_rest(messages, 0)
        finally:
            _leave_task(loop, task)  # type: ignore[misc]

    def take_rest(self, messages: list[str | bytes], start: int) -> None:
        """:meth:`take_now`'s messages from ``start`` on, with the reader task current: the
        ones the lane (``_core.LaneSink``) left, when it stopped at one it does not take or
        because a message closed the session."""
        if start and self._session.closed:
            self._stop()
            return
        for index in range(start, len(messages)):
            step = self._step(messages[index])
            if step is None:
                continue
            if step is _STOP:
                self._stop()
                return
            # The reader task takes over from here, in order.
            self._protocol.disarm()
            self._backlog = (step, messages[index + 1 :])
            self._protocol.wake()
            return

    def _stop(self) -> None:
        """Stop reading (from :meth:`take_now`): the reader task ends."""
        self._protocol.disarm()
        self._stopped = True
        self._protocol.wake()

    async def _take(self, messages: list[str | bytes]) -> bool:
        """Take ``messages`` in the reader task; ``False`` once reading is to stop."""
        for data in messages:
            step = self._step(data)
            if step is _STOP:
                return False
            if step is not None and not await self._finish(step):
                return False
        return True

    def _step(self, data: str | bytes) -> Any:
        """Take one message as far as it goes without awaiting: ``None`` when done,
        ``_STOP``, or what is left to await."""
        if len(data) > self._limit:
            self._logger.info("%s: packet is too large", self._sid)
            return _STOP
        if isinstance(data, str):
            if data[:1] != "4":
                return self._session.receive_encoded(data)
            data = data[1:]
        try:
            step = self._nowait(self._sid, data)
        except Exception:
            self._logger.exception("message async handler error")
            step = None
        if step is None and self._session.closed:
            return _STOP
        return step

    async def _finish(self, step: Awaitable[Any]) -> bool:
        """Await what a message left; ``False`` once reading is to stop."""
        try:
            result = await step
        except asyncio.CancelledError:
            raise
        except Exception:
            self._logger.exception("message async handler error")
            result = None
        return result is not False and not self._session.closed
