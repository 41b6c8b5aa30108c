"""Transport glue: python-engineio's asyncio server, corrected where it differs
from the Engine.IO v4 specification, plus the fast paths the Socket.IO layer
uses.

Owned by the engine work; the Socket.IO server only relies on the public
python-engineio API and on :meth:`EngineServer.enqueue`. When set,
:attr:`EngineServer.observer` (the Admin UI, ``admin.py``) is told about sessions,
HTTP and WebSocket traffic, heartbeats and upgrades.

The corrections (the numbers are checks of the public Socket.IO v5 protocol
test-suite, reference section 6.3, which python-engineio alone fails):

- the OPEN packet advertises the ping interval in exact milliseconds
  (python-engineio truncates it to whole seconds first, so 300 ms became 0;
  #1, #5), and offers no upgrade when the websocket transport is disabled;
- a missing or unknown ``transport``, a WebSocket request for another
  transport, and any method other than GET, POST or OPTIONS get HTTP 400
  (python-engineio defaults the transport to polling and answers 405 to
  other methods; #3, #4, #7);
- a session whose PONG is overdue is closed when the ping timeout expires,
  not whenever the monitoring task next passes by, and a pending GET gets
  the CLOSE packet (#9, #11);
- a CLOSE packet received over polling answers the pending GET with a NOOP,
  as the reference server does, instead of leaving it hanging until the poll
  times out (#12); a closed WebSocket session closes its WebSocket at once;
- during a WebSocket upgrade, polling goes on as the reference server does
  it: a GET gets the packets queued meanwhile as they come (python-engineio
  answers it with a NOOP and holds them for the WebSocket); once the probe
  is answered, a GET with nothing to send is answered with a NOOP every
  100 ms, the reference server's check interval, so that the client can
  pause polling and send its UPGRADE packet; a GET still pending when the
  upgrade completes gets a NOOP, or a 400 when it came after the probe was
  answered (it races the UPGRADE packet, #15); a second WebSocket for a
  session that has one, or is probing one, is accepted and closed at once,
  as the reference server does (#16); a probe WebSocket that ends early no
  longer leaves the session "upgrading" for good;
- ``disconnect()`` of a polling session waits at most one polling cycle for
  the client to fetch the CLOSE packet, not for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
import urllib.parse
from collections.abc import Iterable
from typing import Any, Protocol

import engineio
from engineio import async_socket
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet

from ._eager import start_listener
from ._engine_ws import WebSocketTransport, websocket_environ, ws_frames, ws_payload

_NOOP = eio_packet.NOOP
#: ``asyncio.timeout`` (3.11+): a deadline without the task ``wait_for`` starts before 3.12.
_TIMEOUT: Any = getattr(asyncio, "timeout", None)
#: Once the probe is answered, how often a pending polling GET with nothing to send gets a NOOP
#: (seconds): the reference server's check interval. The client pauses polling after the probe,
#: and sends its UPGRADE packet once the pending GET returns.
_UPGRADE_CHECK_INTERVAL = 0.1
#: The refusal answered by accepting the WebSocket and closing it at once.
_SECOND_WEBSOCKET = "Session already has a WebSocket"


class EngineObserver(Protocol):
    """What :attr:`EngineServer.observer` is told (the Admin UI's statistics, ``admin.py``)."""

    def eio_connected(self, eio_sid: str) -> None: ...
    def eio_disconnected(self, eio_sid: str) -> None: ...
    def received(self, nbytes: int) -> None: ...
    def sent(self, nbytes: int) -> None: ...
    async def pinging(self, eio_sid: str) -> None: ...
    def upgraded(self, eio_sid: str) -> None: ...


def _already_translated(environ: dict[str, Any]) -> dict[str, Any]:
    """Request translator for ``AsyncServer.handle_request``: the environ is already built."""
    return environ


class EngineSocket(WebSocketTransport, async_socket.AsyncSocket):
    """One Engine.IO session, with the specification's heartbeat and close handling."""

    # Attributes python-engineio sets without annotations, typed for mypy.
    server: EngineServer
    last_ping: float | None

    # Polling state, set on the instance only when a session polls or upgrades: a
    # WebSocket-only connection carries none of it.
    #: The task of the polling GET waiting for packets, while one does.
    _waiting_get: asyncio.Task[Any] | None = None
    #: Whether that GET is being released (answered without packets).
    _get_released = False
    #: The check timer that runs from the probe's answer until the upgrade settles.
    _upgrade_check: asyncio.TimerHandle | None = None

    def __init__(self, server: EngineServer, sid: str) -> None:
        self._upgrading = False
        super().__init__(server, sid)
        self._loop = asyncio.get_running_loop()
        self._ping_timer: asyncio.TimerHandle | None = None

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
        try:
            first = queue.get_nowait()
        except asyncio.QueueEmpty:
            first = await self._wait_for_packet()
        else:
            queue.task_done()
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
        while True:
            try:
                pkt = queue.get_nowait()
            except asyncio.QueueEmpty:
                return False
            queue.task_done()
            if pkt is None:
                return True
            packets.append(pkt)

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

    def send_nowait(self, pkt: eio_packet.Packet) -> None:
        """Send one packet without awaiting: written now on a direct WebSocket, else queued."""
        direct = self.direct
        if direct is None:
            self.queue.put_nowait(pkt)
        else:
            direct(ws_payload(pkt))

    async def check_ping_timeout(self) -> bool:
        """Close the session if its PONG is overdue; ``False`` when it was closed."""
        if self.closing and not self.closed:
            # close() is queueing its CLOSE packet: python-engineio would drop that packet when
            # the close is itself a ping timeout, leaving a pending GET without an answer.
            return True
        result: bool = await super().check_ping_timeout()
        return result

    async def send(self, pkt: eio_packet.Packet) -> None:
        """Send one packet: written at once on a direct WebSocket, else queued."""
        direct = self.direct
        if direct is None:
            await super().send(pkt)
        elif await self.check_ping_timeout():
            direct(ws_payload(pkt))

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
            await super()._websocket_handler(ws)
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
        observer = self.server.observer
        if observer is not None:
            observer.eio_disconnected(self.sid)
        await super().close(wait=False, abort=abort, reason=reason)
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        if self._end_direct():
            pass  # the WebSocket is closed, which ends its reader
        elif self.upgraded:
            # Ends python-engineio's WebSocket writer, which then closes the WebSocket; without
            # it the WebSocket stays open until the writer's poll times out.
            self.queue.put_nowait(None)
        elif abort:
            # No CLOSE packet was queued (the client closed): answer a pending GET with a NOOP,
            # as the reference server does (conformance #12).
            self.queue.put_nowait(eio_packet.Packet(_NOOP))
        if wait:
            cycle = self.server.ping_interval + self.server.ping_timeout
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.queue.join(), cycle)


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


def _is_upgrade_request(environ: dict[str, Any]) -> bool:
    return str(environ.get("HTTP_UPGRADE", "")).lower() == "websocket"


async def _close_websocket(ws: Any) -> None:
    await ws.close()


class EngineServer(engineio.AsyncServer):
    """python-engineio's ``AsyncServer`` with spec corrections and fast paths.

    Takes every ``engineio.AsyncServer`` option. With ``monitor_clients=False`` a session whose
    PONG is overdue is only closed when something is next sent to it, as in python-engineio.
    """

    # Attributes python-engineio sets without annotations, typed for mypy.
    start_service_task: bool
    _async: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Whether overdue PONGs close the session on time (python-engineio's monitor_clients).
        self.monitors_clients = bool(self.start_service_task)
        #: Told about sessions and traffic when set (the Admin UI); one check per hook point.
        self.observer: EngineObserver | None = None
        # handle_request() translates the request itself, to check it against the
        # specification before python-engineio sees it; the base class then receives the
        # finished environ. A per-instance copy: the driver's table is shared by every server.
        self._translate_request = self._async["translate_request"]
        self._async = {**self._async, "translate_request": _already_translated}

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        """Handle an HTTP or WebSocket request; the arguments are the web framework's."""
        if self.async_mode == "asgi" and args and args[0].get("type") == "websocket":
            environ = await websocket_environ(*args)
        else:
            environ = self._translate_request(*args, **kwargs)
            if inspect.isawaitable(environ):
                environ = await environ
        if environ:  # the ASGI driver returns {} for a request that ended before it began
            error = await self._check_request(environ)
            if error == _SECOND_WEBSOCKET:
                return await self._accept_and_close(environ)
            if error is not None:
                self._log_error_once(error, "spec-" + error)
                return await self._make_response(self._bad_request(error), environ)
        return await super().handle_request(environ)

    async def _check_request(self, environ: dict[str, Any]) -> str | None:
        """Why to refuse a request that python-engineio would wrongly accept, or ``None``."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS":
            return None  # a CORS preflight carries no Engine.IO request; python-engineio answers
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        transport = query.get("transport", [None])[0]
        if transport not in self.transports:
            return "Invalid transport"
        if method not in ("GET", "POST"):
            return "Invalid request method"
        upgrade = _is_upgrade_request(environ)
        if upgrade and transport != "websocket":
            # python-engineio would answer a polling handshake to a WebSocket request and leave
            # the session it opened to time out.
            return "Invalid transport"
        sid = query.get("sid", [None])[0]
        socket = self.sockets.get(sid) if sid is not None else None
        if socket is None or socket.closing or socket.closed:
            return None  # python-engineio refuses unknown and closed sessions itself
        if not await socket.check_ping_timeout():
            return None  # just closed, so refused as closed (conformance #9)
        if upgrade and (socket.upgrading or socket.upgraded):
            # A second WebSocket for the session (conformance #16). python-engineio would
            # answer 400 once upgraded (the reference server accepts, then closes) and start a
            # second upgrade, waiting forever for its probe, while upgrading.
            return _SECOND_WEBSOCKET
        return None

    async def _accept_and_close(self, environ: dict[str, Any]) -> Any:
        """Complete a WebSocket handshake only to close the WebSocket at once."""
        websocket_class = self._async["websocket"]
        if websocket_class is None:
            return await self._make_response(self._bad_request(), environ)
        self.logger.info("Closing a WebSocket for a session that already has one")
        return await websocket_class(_close_websocket, self)(environ)

    async def _handle_connect(
        self, environ: dict[str, Any], transport: str, jsonp_index: int | None = None
    ) -> Any:
        """Open a session: python-engineio's handshake with our socket class and OPEN values."""
        if self.start_service_task:
            # The monitoring task also drops closed sessions from ``sockets``.
            self.start_service_task = False
            self.service_task_handle = self.start_background_task(self._service_task)
        sid: str = self.generate_id()
        socket = EngineSocket(self, sid)
        self.sockets[sid] = socket
        await socket.send(eio_packet.Packet(eio_packet.OPEN, self._handshake(sid, transport)))
        if self.observer is not None:
            self.observer.eio_connected(sid)
        accepted = await self._connect_event(sid, environ)
        if accepted is not None and accepted is not True:
            self.sockets.pop(sid, None)
            self.logger.warning("Application rejected connection")
            return self._unauthorized(accepted or None)
        socket.schedule_ping()
        if transport == "websocket":
            response = await socket.handle_get_request(environ)
            if socket.closed:
                self.sockets.pop(sid, None)
            return response
        socket.connected = True
        try:
            packets = await socket.poll()
        except eio_exceptions.QueueEmpty:
            return self._bad_request()
        return self._ok(packets, headers=self._cookie_headers(sid), jsonp_index=jsonp_index)

    def _ok(
        self, packets: Any = None, headers: Any = None, jsonp_index: int | None = None
    ) -> dict[str, Any]:
        """A 200 response (a polling GET's packets, or a POST's ``OK``)."""
        response: dict[str, Any] = super()._ok(packets, headers=headers, jsonp_index=jsonp_index)
        if self.observer is not None:
            self.observer.sent(len(response["response"]))
        return response

    async def _connect_event(self, sid: str, environ: dict[str, Any]) -> Any:
        """The ``connect`` handler's verdict, as python-engineio's ``_trigger_event`` gives it
        (an exception rejects; a cancellation counts as no verdict), without the two closures
        it builds per call."""
        handler = self.handlers.get("connect")
        if handler is None:
            return None
        try:
            verdict = handler(sid, environ)
            if inspect.isawaitable(verdict):
                verdict = await verdict
        except asyncio.CancelledError:
            return None
        except Exception:
            self.logger.exception("connect handler error")
            return False
        return verdict

    def _handshake(self, sid: str, transport: str) -> dict[str, Any]:
        """The OPEN packet's payload."""
        interval = self.ping_interval + self.ping_interval_grace_period
        # python-engineio offers the upgrade even when the websocket transport is disabled.
        upgrades = self._upgrades(sid, transport) if "websocket" in self.transports else []
        return {
            "sid": sid,
            "upgrades": upgrades,
            # round(), not int(): 1.001 * 1000 is 1000.9999999999999.
            "pingInterval": round(interval * 1000),
            "pingTimeout": round(self.ping_timeout * 1000),
            "maxPayload": self.max_http_buffer_size,
        }

    def _cookie_headers(self, sid: str) -> list[tuple[str, str]] | None:
        """The ``Set-Cookie`` header for the ``cookie`` option, if set."""
        if not self.cookie:
            return None
        attributes = (
            self.cookie
            if isinstance(self.cookie, dict)
            else {"name": self.cookie, "path": "/", "SameSite": "Lax"}
        )
        return [("Set-Cookie", self._generate_sid_cookie(sid, attributes))]

    def enqueue(self, sid: str, pkt: eio_packet.Packet) -> bool:
        """Queue an already built Engine.IO packet for ``sid`` without awaiting.

        Returns ``False`` when the session is gone or closed. The outgoing
        queue is unbounded, so this never blocks; it lets a broadcast hand the
        same encoded packet to every recipient without a task per recipient.
        """
        socket: Any = self.sockets.get(sid)
        if socket is None or socket.closed or socket.closing:
            return False
        socket.send_nowait(pkt)
        return True

    def broadcast(self, sids: Iterable[str], pkts: list[eio_packet.Packet]) -> None:
        """Queue the same packets for every session in ``sids`` without awaiting.

        Sessions on a direct WebSocket (``socketio_rs.serve``) get the packets
        framed once for all of them, written to each socket in turn.
        """
        sockets = self.sockets
        framed: bytes | None = None
        for sid in sids:
            socket: Any = sockets.get(sid)
            if socket is None or socket.closed or socket.closing:
                continue
            write = socket.direct_frames
            if write is not None:
                if framed is None:
                    framed = ws_frames(pkts)
                write(framed)
            else:
                queue = socket.queue
                for pkt in pkts:
                    queue.put_nowait(pkt)
