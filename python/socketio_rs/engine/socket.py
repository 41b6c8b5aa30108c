"""``EngineSocket``: one Engine.IO session, python-engineio's ``AsyncSocket``
corrected where it differs from the Engine.IO v4 specification, with its
heartbeat on loop timers, polling during an upgrade as the reference server
does it, and its own WebSocket transport.

The WebSocket transport replaces python-engineio's ``_websocket_handler``,
which reads each frame through a new task wrapped in ``asyncio.wait_for`` and
writes each message from a writer task fed by a queue. Here:

- the reader awaits the WebSocket directly; a session whose client has gone
  quiet is closed by the heartbeat (``_ping``), and closing the session ends
  the WebSocket and with it the read. Only when the server does not monitor
  clients does each read carry python-engineio's timeout;
- a message (``4...`` or a binary frame) goes straight to the ``message``
  handler; every other packet takes python-engineio's ``receive``;
- on :class:`~socketio_rs.wsserver.WebSocketProtocol` (``socketio_rs.serve``)
  there is no writer task at all: once upgraded, packets are written to the
  socket as they are sent (:attr:`EngineSocket.direct`), and a broadcast
  writes one framed message to every recipient (``EngineServer.broadcast``);
- on any other WebSocket (an ASGI server's), a :class:`WebSocketWriter` hands
  each packet to the WebSocket's send as it is sent, and makes a task only
  for a send that has to wait (:attr:`EngineSocket.ws_writer`).

Either way an idle WebSocket session holds no writer task and no queue: the
session's :class:`OutgoingQueue` exists while a polling session waits for its
GETs, and is let go once the session writes to a WebSocket.

The handshake, the packets and the close are python-engineio's: the probe
(``2probe``/``3probe``, then ``5``), a ``message`` event per MESSAGE packet,
the session closed with "transport close" when the WebSocket ends, and
"packet is too large" past ``max_http_buffer_size``. Polling goes on until
the UPGRADE packet (:meth:`EngineSocket.handle_get_request`); the packets
still queued then go out first on the WebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import json.encoder
import logging
import time
from typing import Any, Callable, Protocol

from engineio import async_socket
from engineio import exceptions as eio_exceptions
from engineio import json as engineio_json
from engineio import packet as eio_packet

from .. import _core
from .._eager import start_listener
from ..wsserver import WebSocketProtocol, direct_writer
from .direct import DirectReader, Lane, Nowait
from .observer import EngineObserver
from .outgoing import OutgoingQueue
from .websocket import ws_frames, ws_payload
from .writer import QUEUE_HIGH_WATER, Send, WebSocketWriter, message_sender

_NOOP = eio_packet.NOOP
#: ``asyncio.timeout`` (3.11+): a deadline without the task ``wait_for`` starts before 3.12.
_TIMEOUT: Any = getattr(asyncio, "timeout", None)
#: Once the probe is answered, how often a pending polling GET with nothing to send gets a NOOP
#: (seconds): the reference server's check interval. The client pauses polling after the probe,
#: and sends its UPGRADE packet once the pending GET returns.
_UPGRADE_CHECK_INTERVAL = 0.1
_ws_frame = _core.ws_frame
#: A JSON string literal, as ``json.dumps`` writes it (``ensure_ascii``).
_json_string: Callable[[str], str] = json.encoder.encode_basestring_ascii


class EngineHost(Protocol):
    """The Engine.IO server, as its sessions use it (``EngineServer`` meets it)."""

    logger: Any
    reason: Any
    handlers: dict[str, Any]
    ping_interval: float
    ping_timeout: float
    max_http_buffer_size: int
    max_write_buffer_size: int
    monitors_clients: bool
    observer: EngineObserver | None
    outboxes: dict[str, _core.WsOutbox]

    def _bad_request(self, message: str | None = None) -> Any: ...

    def message_steps(self) -> tuple[Nowait, Lane | None] | None: ...


class EngineSocket(async_socket.AsyncSocket):
    """One Engine.IO session, with the specification's heartbeat and close handling."""

    # Attributes python-engineio sets without annotations, typed for mypy.
    server: EngineHost
    sid: str
    connected: bool
    upgraded: bool
    closing: bool
    closed: bool
    last_ping: float | None

    #: The Engine.IO protocol revision, chosen at the handshake (``EngineSocketV3`` is 3).
    protocol = 4

    #: Set while the session is upgraded on a WebSocketProtocol: sends one message now
    #: (``direct(message, compress)``).
    direct: Callable[[str | bytes, bool], bool] | None = None
    #: Likewise, for messages already framed (a broadcast frames once for everyone).
    direct_frames: Callable[[bytes], bool] | None = None
    #: Set once the session is upgraded on another WebSocket (an ASGI server's): writes its
    #: packets as they are sent.
    ws_writer: WebSocketWriter | None = None
    #: Whether a broadcast frames its packets for this session with
    #: :meth:`broadcast_frames` rather than with the frames shared by plain v4 sessions:
    #: an Engine.IO v3 session, or one whose WebSocket negotiated ``permessage-deflate``.
    own_framing = False
    #: The compressor of a direct WebSocket that negotiated ``permessage-deflate``.
    _deflater: Any = None
    _protocol: WebSocketProtocol | None = None
    #: The packets waiting for a polling GET, or for the switch to a WebSocket (see ``queue``).
    _queue: OutgoingQueue | None = None

    # Polling state, set on the instance only when a session polls or upgrades: a
    # WebSocket-only connection carries none of it.
    #: The task of the polling GET waiting for packets, while one does.
    _waiting_get: asyncio.Task[Any] | None = None
    #: Whether that GET is being released (answered without packets).
    _get_released = False
    #: The check timer that runs from the probe's answer until the upgrade settles.
    _upgrade_check: asyncio.TimerHandle | None = None

    def __init__(self, server: EngineHost, sid: str) -> None:
        # python-engineio's BaseSocket.__init__, field for field, without the asyncio.Queue it
        # makes for the session: this session's queue is an OutgoingQueue, made when first
        # needed (the ``queue`` property).
        self.server = server
        self.sid = sid
        self.last_ping = time.time()
        self.connected = False
        self._upgrading = False
        self.upgraded = False
        self.closing = False
        self.closed = False
        self.session: dict[str, Any] = {}
        self._loop = asyncio.get_running_loop()
        self._ping_timer: asyncio.TimerHandle | None = None
        # On the instance, though it is the class's default: a broadcast reads it once per
        # recipient, and Python 3.11 only speeds up the reading of instance attributes.
        self.own_framing = type(self).own_framing

    @property
    def queue(self) -> OutgoingQueue:
        """The packets waiting for a polling GET, or for the switch to a WebSocket, counted
        against the write limit. Created when first needed, and let go once the session
        writes to a WebSocket (``_release_queue``): an ``asyncio.Queue`` holds four deques,
        a few kilobytes that an idle WebSocket session never uses."""
        queue = self._queue
        if queue is None:
            queue = self._queue = OutgoingQueue(self.server.max_write_buffer_size, self._overflowed)
        return queue

    def _hand_over_queue(self) -> tuple[list[eio_packet.Packet], bool]:
        """What the queue holds for the WebSocket that writes from now on, and whether the
        session's stop signal was among it; the queue is then let go if it can be."""
        queued: list[eio_packet.Packet] = []
        stopped = self.take_queued(queued)
        self._release_queue()
        return queued, stopped

    def _release_queue(self) -> None:
        """Let go of the session's queue once nothing is in it or waits on it (the session
        writes to a WebSocket from now on)."""
        queue = self._queue
        if queue is not None and queue.idle:
            self._queue = None

    # The WebSocket transport flips ``upgrading`` where the upgrade starts and where it ends;
    # a property lets its end release the pending polling GET.
    @property
    def upgrading(self) -> bool:
        """Whether a WebSocket upgrade of this polling session is in progress."""
        return self._upgrading

    @upgrading.setter
    def upgrading(self, value: bool) -> None:
        if value or not self._upgrading:
            self._upgrading = value
            return
        self._upgrading = False
        check = self._upgrade_check
        if check is not None:
            check.cancel()
            self._upgrade_check = None
        if self.upgraded:
            # The polling transport is gone: a GET still pending gets its answer now.
            self._release_get()
            observer = self.server.observer
            if observer is not None:
                observer.upgraded(self.sid)

    def probe_answered(self) -> None:
        """The probe got its answer: the client now pauses polling, which waits for the
        pending GET, then sends the UPGRADE packet."""
        self._upgrade_check = self._loop.call_later(_UPGRADE_CHECK_INTERVAL, self._check_upgrade)

    def _check_upgrade(self) -> None:
        if not self._upgrading:
            self._upgrade_check = None
            return
        self._release_get()
        self._upgrade_check = self._loop.call_later(_UPGRADE_CHECK_INTERVAL, self._check_upgrade)

    def _release_get(self) -> None:
        """End the wait of the pending polling GET, if any; it is answered without packets.

        The GET's task is waiting on the queue (nothing else is awaited while ``_waiting_get``
        is set), where a cancellation takes no packet: one already queued stays for the next
        reader. ``_poll_for_get`` turns the cancellation into the answer.
        """
        task = self._waiting_get
        if task is not None and not self._get_released:
            self._get_released = True
            task.cancel()

    async def poll(self) -> list[Any]:
        """Wait for packets to send, then take every queued one.

        python-engineio's version wraps each wait in ``asyncio.wait_for``,
        which on Python 3.11 and older starts a task per wait; a writer waits
        once per message it sends, so this is on every outgoing message's
        path. A packet already queued is taken without waiting at all.
        """
        queue = self.queue
        if queue.qsize():
            first = queue.get_nowait()
            queue.task_done()
        else:
            # Outside an ``except`` block: a waiting poll would hold the exception, its
            # traceback and frames for as long as it waits.
            first = await self._wait_for_packet()
        if first is None:
            return []
        packets = [first]
        if self.take_queued(packets):
            queue.put_nowait(None)  # the writer's stop signal stays for the next poll
        return packets

    def take_queued(self, packets: list[Any]) -> bool:
        """Move the queued packets to ``packets``, up to the stop signal (``None``), which is
        taken too; ``True`` when it was there."""
        queue = self.queue
        while queue.qsize():
            pkt = queue.get_nowait()
            queue.task_done()
            if pkt is None:
                return True
            packets.append(pkt)
        return False

    async def _wait_for_packet(self) -> Any:
        timeout = self.server.ping_interval + self.server.ping_timeout
        try:
            if _TIMEOUT is not None:
                async with _TIMEOUT(timeout):
                    pkt = await self.queue.get()
            else:
                pkt = await asyncio.wait_for(self.queue.get(), timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            raise eio_exceptions.QueueEmpty() from None
        self.queue.task_done()
        return pkt

    def schedule_ping(self) -> None:
        """Start the next heartbeat cycle, after the handshake or a PONG."""
        # ``last_ping`` is set while a PING awaits its PONG (and at creation), so an unsolicited
        # PONG starts no extra cycle. Timers, not a task per session (python-engineio's): a
        # sleeping task holds a coroutine and a task object for every idle connection.
        if self.last_ping:
            self.last_ping = None
            observer = self.server.observer
            if observer is not None:  # where python-engineio's ping task starts (python-socketio)
                start_listener(self.server.logger, observer.pinging, self.sid)
            self._ping_timer = self._loop.call_later(self.server.ping_interval, self._ping)

    def _ping(self) -> None:
        self._ping_timer = None
        if self.closing or self.closed:
            return
        self.last_ping = sent = time.time()
        self.send_nowait(eio_packet.Packet(eio_packet.PING))
        if self.server.monitors_clients:
            # The specification closes the session when the PONG is not back within the ping
            # timeout; python-engineio only notices on its monitoring round or on the next send.
            self._ping_timer = self._loop.call_later(
                self.server.ping_timeout, self._pong_overdue, sent
            )

    def _pong_overdue(self, sent: float) -> None:
        self._ping_timer = None
        if self.last_ping == sent and not (self.closing or self.closed):
            reason = self.server.reason.PING_TIMEOUT
            start_listener(self.server.logger, self.close, False, False, reason)

    def send_open(self, handshake: dict[str, Any]) -> None:
        """Queue the OPEN packet of this new session. python-engineio's awaited ``send``
        would first check the ping timeout, which a session just made cannot have passed;
        its log line stays."""
        self.queue.put_nowait(eio_packet.Packet(eio_packet.OPEN, _open_json(handshake)))
        self.server.logger.info("%s: Sending packet %s data %s", self.sid, "OPEN", handshake)

    def send_nowait(self, pkt: eio_packet.Packet, compress: bool = True) -> None:
        """Send one packet without awaiting: written now on a direct WebSocket, else queued.
        ``compress=False``: not compressed, on a WebSocket that negotiated
        ``permessage-deflate`` (elsewhere, a hint without effect)."""
        direct = self.direct
        if direct is not None:
            direct(ws_payload(pkt), compress)
            return
        writer = self.ws_writer
        if writer is not None:
            writer.write(pkt)
        else:
            self.queue.put_nowait(pkt)

    def ws_message(self, pkt: eio_packet.Packet) -> str | bytes:
        """The WebSocket message of one packet (a broadcast frames them with this)."""
        return ws_payload(pkt)

    def broadcast_frames(
        self, pkts: list[eio_packet.Packet], compress: bool, shared: dict[Any, bytes]
    ) -> bytes:
        """A broadcast's packets framed for this session (:attr:`own_framing`), compressed
        when its WebSocket negotiated ``permessage-deflate`` and ``compress`` is true.
        v4 sessions share the frames through ``shared``: the compressor keeps no context
        between messages, so its output is the same for every recipient."""
        deflater = self._deflater if compress else None
        frame = _ws_frame if deflater is None else deflater.frame
        if self.protocol != 4:
            return ws_frames(pkts, self.ws_message, frame)
        framed = shared.get(deflater)
        if framed is None:
            framed = shared[deflater] = ws_frames(pkts, ws_payload, frame)
        return framed

    @property
    def writable(self) -> bool:
        """Whether a packet sent now leaves at once, rather than waiting in a buffer: on a
        direct WebSocket, its transport is under its high-water mark; on polling, a GET is
        waiting; on another WebSocket, less than the same high-water mark is queued before
        it. ``volatile`` emits are dropped for a session that is not (the reference server's
        ``transport.writable``)."""
        if self.closing or self.closed:
            return False
        protocol = self._protocol
        if protocol is not None:
            return protocol.writable
        writer = self.ws_writer
        if writer is not None:
            return writer.writable
        if self.upgraded:
            queue = self._queue
            return queue is None or queue.size < QUEUE_HIGH_WATER
        return self._waiting_get is not None and not self._get_released

    def _overflowed(self) -> None:
        """The queue went over the write limit: close the session, and stop a writer that is
        waiting for a peer who does not read."""
        self.server.logger.warning(
            "%s: more than %d bytes waiting for a client that does not take them: closing (%s)",
            self.sid,
            self.server.max_write_buffer_size,
            self.server.reason.BUFFER_FULL,
        )
        if self.ws_writer is not None:
            self.ws_writer.cancel()
        start_listener(self.server.logger, self.close, False, False, self.server.reason.BUFFER_FULL)

    async def check_ping_timeout(self) -> bool:
        """Close the session if its PONG is overdue; ``False`` when it was closed."""
        if self.closing and not self.closed:
            # close() is queueing its CLOSE packet: python-engineio would drop that packet when
            # the close is itself a ping timeout, leaving a pending GET without an answer.
            return True
        result: bool = await super().check_ping_timeout()
        return result

    async def send(self, pkt: eio_packet.Packet) -> None:
        """Send one packet: written at once on a WebSocket, else queued."""
        direct = self.direct
        if direct is not None:
            if await self.check_ping_timeout():
                direct(ws_payload(pkt), True)
            return
        writer = self.ws_writer
        if writer is None:
            await super().send(pkt)
        elif await self.check_ping_timeout():
            writer.write(pkt)

    async def handle_get_request(self, environ: dict[str, Any]) -> Any:
        """Answer a polling GET, or take over a WebSocket upgrade request.

        A GET during an upgrade is served like any other: the packets queued meanwhile go out
        on it, in order, and what is still queued when the upgrade completes goes out on the
        WebSocket. python-engineio answers such a GET with a NOOP at once and keeps the packets
        for the WebSocket, which makes the client wait for the whole upgrade.
        """
        if _is_upgrade_request(environ):
            return await super().handle_get_request(environ)
        # A GET sent after the client had the probe's answer races its UPGRADE packet: once
        # upgraded, the polling transport is gone (conformance #15).
        after_probe = self._upgrade_check is not None
        packets = await self._poll_for_get()
        if packets is None:
            if self.upgraded and after_probe:
                return self.server._bad_request("Unexpected HTTP request")
            return [eio_packet.Packet(_NOOP)]
        return packets

    async def _poll_for_get(self) -> list[Any] | None:
        """The packets for a polling GET; ``None`` when the GET was released without any."""
        task = asyncio.current_task()
        self._waiting_get = task
        try:
            return await self.poll()
        except eio_exceptions.QueueEmpty:
            if self._get_released:
                uncancel = getattr(task, "uncancel", None)  # 3.11+: the cancellation is handled
                if uncancel is not None:
                    uncancel()
                return None
            if self.upgraded:
                return None  # a GET left over from the upgrade: the session goes on
            await self.close(wait=False, reason=self.server.reason.TRANSPORT_ERROR)
            raise
        finally:
            if self._get_released:
                self._get_released = False
            if self._waiting_get is task:
                self._waiting_get = None
            if self.upgraded:
                self._release_queue()  # a GET left over from the upgrade was the last user

    async def handle_post_request(self, environ: dict[str, Any]) -> None:
        """Take the packets of a polling POST."""
        await super().handle_post_request(environ)
        observer = self.server.observer
        if observer is not None:
            observer.received(int(environ.get("CONTENT_LENGTH", 0)))

    async def _websocket_handler(self, ws: Any) -> None:
        observer = self.server.observer
        if observer is not None:
            ws = _ObservedWebSocket(ws, observer)
        try:
            await self._serve_websocket(ws)
        finally:
            # python-engineio leaves ``upgrading`` set when the WebSocket ends before the probe,
            # which would answer every later poll with a NOOP at once.
            self.upgrading = False

    async def close(
        self, wait: bool = True, abort: bool = False, reason: str | None = None
    ) -> None:
        """Close the session, ending whichever transport is serving it.

        With ``wait``, waits for the queued packets (the CLOSE packet among them) to be taken,
        for at most one polling cycle: python-engineio waits without a limit, so a polling
        client that has gone away held ``disconnect()`` forever.
        """
        if self.closing or self.closed:
            return
        # No broadcast reaches a closing session (python-engineio's close sets ``closing``).
        self.server.outboxes.pop(self.sid, None)
        observer = self.server.observer
        if observer is not None:
            observer.eio_disconnected(self.sid)
        await super().close(wait=False, abort=abort, reason=reason)
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        writer = self.ws_writer
        if self._end_direct():
            pass  # the WebSocket is closed, which ends its reader
        elif writer is not None:
            writer.close()  # once what it holds went out; the WebSocket's end ends its reader
        elif abort and not self.upgraded:
            # No CLOSE packet was queued (the client closed): answer a pending GET with a NOOP,
            # as the reference server does (conformance #12).
            self.queue.put_nowait(eio_packet.Packet(_NOOP))
        queue = self._queue if writer is None else writer.queue
        if wait and queue is not None:
            cycle = self.server.ping_interval + self.server.ping_timeout
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(queue.join(), cycle)

    # -- the WebSocket transport -----------------------------------------

    async def _serve_websocket(self, ws: Any) -> None:
        """Serve the session over ``ws``, python-engineio's WebSocket wrapper."""
        protocol = direct_writer(ws) if self.server.observer is None else None
        reason = self.server.reason.TRANSPORT_CLOSE
        if self.connected:  # an upgrade from polling
            if not await self._probe(ws):
                return
        else:
            self.connected = True
            self.upgraded = True
        self.server.logger.info("%s: Upgrade to websocket successful", self.sid)
        if protocol is not None:
            self._go_direct(protocol)
            try:
                await self._read_direct(protocol)
            finally:
                self._leave_direct()
                protocol.close(1000)
            if protocol.overflowed:
                reason = self.server.reason.BUFFER_FULL
        else:
            writer = self._start_writer(ws)
            await self._read(ws.wait, self._read_timeout())
            await writer.end()
        await self.close(wait=False, abort=True, reason=reason)

    async def _probe(self, ws: Any) -> bool:
        """The upgrade handshake; ``False`` when the client did not complete it."""
        self.upgrading = True  # packets go out on polling until the upgrade completes
        try:
            data = await ws.wait()
        except OSError:
            self.upgrading = False
            return False
        if data != "2probe":
            self.server.logger.info("%s: Failed websocket upgrade, no PING packet", self.sid)
            self.upgrading = False
            return False
        await ws.send("3probe")
        self.probe_answered()
        try:
            data = await ws.wait()
        except OSError:
            self.upgrading = False
            return False
        if data != "5":
            self.upgraded = False
            self.server.logger.info(
                "%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead.",
                self.sid,
                data,
            )
            self.upgrading = False
            return False
        self.upgraded = True
        self.upgrading = False
        return True

    def _go_direct(self, protocol: WebSocketProtocol) -> None:
        """Write what is queued, then send every later packet as it comes."""
        queued, stopped = self._hand_over_queue()
        for pkt in queued:
            protocol.write_now(ws_payload(pkt))
        if stopped:  # the session closed meanwhile
            protocol.close(1000)
            return
        self._protocol = protocol
        protocol.limit_writes(self.server.max_write_buffer_size)
        if protocol.deflater is not None:
            self._deflater = protocol.deflater
            self.own_framing = True
        self.direct = protocol.write_now
        self.direct_frames = protocol.outbox.write
        if not self.own_framing:  # broadcasts and one-session writes go straight to it
            self.server.outboxes[self.sid] = protocol.outbox

    async def _read(self, read: Callable[[], Any], timeout: float | None) -> None:
        """Take the client's packets until the WebSocket ends or the session closes."""
        server = self.server
        limit = server.max_http_buffer_size
        on_message = server.handlers.get("message")
        verbose = server.logger.isEnabledFor(logging.INFO)
        while True:
            try:
                if timeout is None:
                    data = await read()
                else:
                    data = await asyncio.wait_for(read(), timeout)
            except (OSError, asyncio.TimeoutError):
                return
            if data is None:
                return
            if len(data) > limit:
                server.logger.info("%s: packet is too large", self.sid)
                return
            if not verbose and on_message is not None:
                if data.__class__ is bytes:
                    await self._message(on_message, data)
                    continue
                if data[:1] == "4":
                    await self._message(on_message, data[1:])
                    continue
            if not await self.receive_encoded(data):
                return

    async def _read_direct(self, protocol: WebSocketProtocol) -> None:
        """:meth:`_read` on a direct WebSocket: a :class:`DirectReader` takes each read's
        messages to the ``message`` handler's first step (``EngineServer.message_steps``),
        awaiting only what it leaves."""
        server = self.server
        steps = server.message_steps()
        if steps is None or self.protocol != 4 or server.logger.isEnabledFor(logging.INFO):
            await self._read(protocol.read_message, None)
            return
        await DirectReader(self, protocol, *steps).run()

    async def receive_encoded(self, data: str) -> bool:
        """Take one encoded Engine.IO packet that is not a MESSAGE; ``False`` once the
        session is closed."""
        try:
            await self.receive(eio_packet.Packet(encoded_packet=data))
        except eio_exceptions.UnknownPacketError:
            pass
        except eio_exceptions.SocketIsClosedError:
            self.server.logger.info("Receive error -- socket is closed")
            return False
        except Exception:
            # An unparsable packet: python-engineio logs it and goes on reading.
            self.server.logger.exception("Unknown receive error")
        return not self.closed

    async def _message(self, handler: Callable[..., Any], data: str | bytes) -> None:
        try:
            await handler(self.sid, data)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.server.logger.exception("message async handler error")

    def _start_writer(self, ws: Any) -> WebSocketWriter:
        """Write what is queued to ``ws``, then every later packet as it is sent."""
        writer = self.ws_writer = WebSocketWriter(
            self._ws_sender(ws),
            ws.close,
            ws_payload,
            self.server.max_write_buffer_size,
            self._overflowed,
        )
        queued, stopped = self._hand_over_queue()
        for pkt in queued:
            writer.write(pkt)
        if stopped:  # the session closed meanwhile
            writer.close()
        return writer

    def _ws_sender(self, ws: Any) -> Send:
        """What sends one WebSocket message on ``ws`` (an Engine.IO v4 message)."""
        return message_sender(ws)

    def _read_timeout(self) -> float | None:
        """python-engineio's per-read timeout, kept only when no heartbeat closes quiet sessions."""
        if self.server.monitors_clients:
            return None
        return float(self.server.ping_interval + self.server.ping_timeout)

    def _leave_direct(self) -> None:
        """Stop writing to the direct WebSocket (the session is closing, or it ended)."""
        self.direct = self.direct_frames = None
        self.server.outboxes.pop(self.sid, None)

    def _end_direct(self) -> bool:
        """Close the WebSocket of a direct session; ``False`` if it is not one."""
        protocol = self._protocol
        if protocol is None:
            return False
        self._leave_direct()
        self._protocol = None
        protocol.close(1000)
        return True


class _ObservedWebSocket:
    """A python-engineio WebSocket whose messages are counted for the observer."""

    def __init__(self, ws: Any, observer: EngineObserver) -> None:
        self._ws = ws
        self._observer = observer

    async def wait(self) -> Any:
        data = await self._ws.wait()
        self._observer.received(len(data or ""))
        return data

    async def send(self, data: Any) -> None:
        self._observer.sent(len(data))
        await self._ws.send(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)


def _open_json(handshake: dict[str, Any]) -> str:
    """The OPEN packet's payload as python-engineio's ``Packet.encode`` writes it
    (``Packet.json.dumps`` with compact separators), formatted directly when it holds the
    usual types and the JSON module is python-engineio's: a ``json.dumps`` call with
    separators builds an encoder, and cost as much as the rest of the session's creation."""
    sid, upgrades = handshake["sid"], handshake["upgrades"]
    interval, timeout = handshake["pingInterval"], handshake["pingTimeout"]
    max_payload = handshake["maxPayload"]
    if (
        eio_packet.Packet.json is not engineio_json
        or len(handshake) != 5
        or sid.__class__ is not str
        or upgrades.__class__ is not list
        or any(value.__class__ is not str for value in upgrades)
        or any(value.__class__ is not int for value in (interval, timeout, max_payload))
    ):
        text: str = eio_packet.Packet.json.dumps(handshake, separators=(",", ":"))
        return text
    offered = ",".join(map(_json_string, upgrades))
    return (
        f'{{"sid":{_json_string(sid)},"upgrades":[{offered}],"pingInterval":{interval},'
        f'"pingTimeout":{timeout},"maxPayload":{max_payload}}}'
    )


def _is_upgrade_request(environ: dict[str, Any]) -> bool:
    return str(environ.get("HTTP_UPGRADE", "")).lower() == "websocket"
