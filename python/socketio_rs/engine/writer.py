"""``WebSocketWriter``: a session's writes to a WebSocket that only has an async send
(python-engineio's WebSocket wrapper: under uvicorn or another ASGI server, or aiohttp).

python-engineio writes such a WebSocket from a task per session fed by a queue: each
message wakes the task an event-loop iteration later, and every idle session holds that
task, its coroutines, its queue and a timeout timer. Here a message is handed to the send
at once and the send's first step runs inline: an ASGI server's send of a WebSocket
message finishes without waiting unless the server applies backpressure (uvicorn waits
only while its transport is paused). Only a send that does wait makes a task, which
finishes it, writes the messages that queued up behind it in order, and ends. The queue
(an :class:`OutgoingQueue`, bounded by the session's write limit as before) exists only
while messages wait in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Callable

from engineio import packet as eio_packet
from engineio.async_drivers import asgi as eio_asgi

from .._eager import first_step
from .outgoing import OutgoingQueue

#: Bytes queued behind a waiting send above which the session counts as not writable: the
#: high-water mark of asyncio's transports.
QUEUE_HIGH_WATER = 64 * 1024

Send = Callable[[Any], Awaitable[Any]]

_ASGIWebSocket = eio_asgi.WebSocket


def message_sender(ws: Any) -> Send:
    """The function that sends one WebSocket message (``str`` or ``bytes``) on ``ws``:
    for python-engineio's ASGI wrapper its ASGI ``send`` with the message built here (the
    wrapper's ``send`` is one more coroutine per message), else ``ws.send``."""
    if type(ws) is not _ASGIWebSocket:
        send: Send = ws.send
        return send
    asgi_send = ws.asgi_send

    def send_message(data: str | bytes) -> Awaitable[Any]:
        if data.__class__ is str:
            return asgi_send({"type": "websocket.send", "bytes": None, "text": data})  # type: ignore[no-any-return]
        return asgi_send({"type": "websocket.send", "bytes": data, "text": None})  # type: ignore[no-any-return]

    return send_message


class WebSocketWriter:
    """Writes one session's packets to its WebSocket, in order, as they are sent.

    ``send(message)`` and ``close()`` are the WebSocket's (their awaitables are started at
    once); ``message(pkt)`` makes a packet's WebSocket message; ``limit`` and ``overflowed``
    are the session's write limit and what to call when it is passed.
    """

    __slots__ = (
        "_close",
        "_closing",
        "_ended",
        "_limit",
        "_message",
        "_overflowed",
        "_queue",
        "_send",
        "_task",
        "_ws_closed",
    )

    def __init__(
        self,
        send: Send,
        close: Callable[[], Awaitable[Any]],
        message: Callable[[eio_packet.Packet], str | bytes],
        limit: int,
        overflowed: Callable[[], None],
    ) -> None:
        self._send = send
        self._close = close
        self._message = message
        self._limit = limit
        self._overflowed = overflowed
        #: The packets waiting behind a send in flight, while there are any.
        self._queue: OutgoingQueue | None = None
        #: The task finishing a send that waited (and what queued behind it), or the close.
        self._task: asyncio.Future[None] | None = None
        #: The session closed: what is queued still goes out, then the WebSocket closes.
        self._closing = False
        #: The WebSocket ended: nothing more is written.
        self._ended = False
        self._ws_closed = False

    @property
    def writable(self) -> bool:
        """Whether less than the high-water mark waits behind a send in flight."""
        queue = self._queue
        return queue is None or queue.size < QUEUE_HIGH_WATER

    @property
    def queue(self) -> OutgoingQueue | None:
        """The packets waiting behind a send in flight, if any (``join()`` waits for them)."""
        return self._queue

    def write(self, pkt: eio_packet.Packet, message: str | bytes | None = None) -> None:
        """Write ``pkt`` (whose message is ``message`` when the caller made it already, as a
        broadcast does once for all its recipients): now when nothing is in flight, else
        after what is."""
        if self._closing:
            return  # the session closed: python-engineio's writer stopped at its close too
        if self._task is not None:
            queue = self._queue
            if queue is None:
                queue = self._queue = OutgoingQueue(self._limit, self._overflowed)
            queue.put_nowait(pkt)
            return
        try:
            rest = first_step(self._send(self._message(pkt) if message is None else message))
        except Exception:
            # The WebSocket is gone (uvicorn raises ClientDisconnected): as python-engineio's
            # writer, stop writing and close it; the reader sees the end.
            self._closing = True
            self._close_now()
            return
        if rest is not None:
            self._task = asyncio.ensure_future(self._drain(rest))

    def close(self) -> None:
        """The session closed: the WebSocket closes once what is queued has gone out."""
        if self._closing:
            return
        self._closing = True
        if self._task is None:
            self._close_now()

    async def end(self) -> None:
        """The WebSocket ended under the reader: drop what is queued, let a send in flight
        finish and close the WebSocket (python-engineio's writer closes it as it ends)."""
        self._ended = self._closing = True
        queue = self._queue
        if queue is not None:
            while queue.qsize():
                queue.get_nowait()
                queue.task_done()
        task = self._task
        if task is not None:
            await asyncio.wait([task])  # cancelled when over the write limit: not an error here
        elif not self._ws_closed:
            self._ws_closed = True
            await self._close()

    def cancel(self) -> None:
        """Stop a send that waits for a peer who does not read (over the write limit); the
        WebSocket is closed after it."""
        if self._task is not None:
            self._task.cancel()

    def _close_now(self) -> None:
        """Close the WebSocket, now if its close does not wait, else from a task."""
        if self._ws_closed:
            return
        self._ws_closed = True
        rest = first_step(self._close())
        if rest is not None:
            self._task = asyncio.ensure_future(self._finish(rest))

    async def _finish(self, rest: Awaitable[Any]) -> None:
        try:
            await rest
        finally:
            self._task = None

    async def _drain(self, sending: Awaitable[Any]) -> None:
        """Finish the send that waited, then write what queued behind it, in order; end
        when nothing is left, closing the WebSocket when the session closed meanwhile."""
        try:
            await sending
            while True:
                queue = self._queue
                if self._ended:
                    break
                if queue is None or not queue.qsize():
                    if self._closing:
                        break
                    self._queue = None  # idle again: the next message is written at once
                    self._task = None
                    return
                pkt = queue.get_nowait()
                queue.task_done()
                await self._send(self._message(pkt))
        except Exception:
            pass  # the WebSocket is gone: stop writing, as python-engineio's writer does
        except asyncio.CancelledError:
            # Over the write limit, stuck behind a peer that does not read: what the ASGI
            # server buffered is its own, but the session lets go of the WebSocket now.
            pass
        self._closing = True
        try:
            if not self._ws_closed:
                self._ws_closed = True
                await self._close()
        finally:
            self._task = None
