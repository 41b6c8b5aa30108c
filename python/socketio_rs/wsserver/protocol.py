"""The WebSocket protocol of :func:`socketio_rs.serve`: uvicorn parses HTTP and
hands WebSocket upgrades to this class, which reads and writes RFC 6455
frames in Rust (``_core.WsReader``, ``_core.ws_frame``).

To the application it is an ordinary ASGI WebSocket (the ``websocket`` scope,
``receive``/``send``, the denial-response extension), so any ASGI app served
beside Socket.IO keeps working. For the Engine.IO layer (``socketio_rs.engine``) it
also offers a synchronous send, :meth:`WebSocketProtocol.write_now`, and a
plain message reader, :meth:`WebSocketProtocol.read_message`: a Socket.IO
broadcast then writes one already framed message to each recipient's socket,
with no task, queue or ``await`` per recipient.

``permessage-deflate`` (RFC 7692) is negotiated only when ``serve()`` turns it on
(:func:`protocol_for`; off by default, as in the reference server): see
``wsserver/deflate.py``. WebSocket-level pings are not sent: Engine.IO's
heartbeat keeps the connection alive and detects dead peers, as it does for
the reference server.
"""

from __future__ import annotations

import asyncio
import logging
import re
import urllib.parse
from collections import deque
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, Callable, cast

from .. import _core
from .configured import configured
from .deflate import DeflateOptions, negotiate

_OPEN, _CLOSING, _CLOSED = 1, 2, 3
#: Queued incoming messages above which reading from the socket pauses.
_READ_HIGH_WATER = 64
#: How long a close frame waits for the peer's reply before the TCP connection is aborted.
_CLOSE_TIMEOUT = 10.0
#: How long a closed transport may take to send what it still holds before it is aborted: a
#: peer that does not read would otherwise hold the connection and its buffer for ever.
_DRAIN_GRACE = 5.0
#: The close code and reason of a connection cut off over its write limit.
OVERFLOW_CODE, OVERFLOW_REASON = 1008, "write buffer full"
_ws_frame = _core.ws_frame
_TEXT, _BINARY, _CLOSE, _PING = 1, 2, 8, 9
#: A valid ``Sec-WebSocket-Key``: 16 bytes in base64 (RFC 6455 4.2.1), the only strings
#: ``len(base64.b64decode(key, validate=True)) == 16`` accepts.
_WS_KEY = re.compile(rb"[A-Za-z0-9+/]{22}==")

logger = logging.getLogger("uvicorn.error")


class _Disconnect:
    """The end of the incoming message stream, with the close code and reason."""

    __slots__ = ("code", "reason")

    def __init__(self, code: int, reason: str = "") -> None:
        self.code = code
        self.reason = reason


class WebSocketProtocol(asyncio.Protocol):
    """A uvicorn WebSocket protocol (``uvicorn.Config(ws=WebSocketProtocol)``)."""

    # Slots, not an instance dict: CPython shares an instance dict's keys, and specializes
    # attribute access on them, only up to 29 attributes. When this class reached 30, every
    # ``self.x`` on the write path took the generic lookup (with the write limit's counting,
    # a broadcast cost a third more instructions per delivery) and each connection held
    # 1.3 KB more. With slots it stays fast whatever it grows to (tests/test_object_layout.py).
    __slots__ = (
        "_accept_headers",
        "_accepted",
        "_close_timer",
        "_connect_pending",
        "_denial",
        "_drained",
        "_feed",
        "_incoming",
        "_key",
        "_outbox",
        "_read_paused",
        "_reader",
        "_sink",
        "_state",
        "_waiter",
        "_woken",
        "app",
        "app_state",
        "config",
        "connections",
        "default_headers",
        "deflater",
        "loop",
        "overflowed",
        "scope",
        "tasks",
        "transport",
    )

    #: The server's compressor when ``permessage-deflate`` is on (set on the subclass
    #: :func:`protocol_for` makes); ``None``: the extension is not negotiated.
    server_deflater: _core.WsDeflater | None = None

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        if not config.loaded:
            config.load()
        self.config = config
        self.app = config.loaded_app
        self.loop = _loop or asyncio.get_event_loop()
        self.app_state = app_state
        self.connections = server_state.connections
        self.tasks = server_state.tasks
        self.default_headers: list[tuple[bytes, bytes]] = server_state.default_headers
        self.transport: asyncio.Transport | None = None
        self.scope: dict[str, Any] = {}
        self._reader = _core.WsReader(config.ws_max_size)
        #: The compressor, once this connection has negotiated ``permessage-deflate``.
        self.deflater: _core.WsDeflater | None = None
        self._key = b""
        self._accepted = False
        self._state = 0  # 0 until the handshake is answered, then _OPEN, _CLOSING, _CLOSED
        self._connect_pending = True  # the ASGI "websocket.connect" event is still to be read
        self._incoming: deque[str | bytes | _Disconnect] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._read_paused = False
        #: Set while the transport's buffer is full (``pause_writing``); an ASGI send waits.
        self._drained: asyncio.Future[None] | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self._denial: tuple[int, list[tuple[bytes, bytes]], list[bytes]] | None = None
        #: Headers for the 101 answer beyond the app's (:meth:`add_accept_headers`).
        self._accept_headers: list[tuple[bytes, bytes]] = []
        #: What was written and not yet handed to the transport: a read's answers leave
        #: together when ``data_received`` returns, other writes at the end of the event-loop
        #: iteration; past the write limit (:meth:`limit_writes`) the connection is cut off.
        self._outbox = _core.WsOutbox(self.loop.call_soon, self._overflow)
        #: Whether the connection was cut off for going over its write limit.
        self.overflowed = False
        #: Takes the messages of a read at once while set (:meth:`arm`).
        self._sink: Callable[[list[str | bytes]], None] | None = None
        #: What the transport calls with each read (:attr:`data_received`).
        self._feed = _core.WsFeed(
            outbox=self._outbox,
            incoming=self._incoming,
            received=self._received,
            after_read=self._after_read,
        )
        self._woken = False  # read_batch is to return even with nothing queued

    # -- asyncio.Protocol -------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.connections.add(self)
        # uvloop's transports have the interface without being asyncio.Transport subclasses.
        self.transport = cast(asyncio.Transport, transport)
        self._outbox.attach(transport)

    @property
    def data_received(self) -> Callable[[bytes], None]:
        """What the transport calls with each read: ``_core.WsFeed``, the same object for the
        connection's life (uvloop keeps the callable it is given at ``set_protocol``). Armed
        (:meth:`arm`), a read is one Rust call to the sink; else :meth:`_received`."""
        return self._feed

    def _received(self, data: bytes) -> None:
        """A read while the feed is not armed: the opening handshake, or the messages
        queued for the reader (:meth:`read_batch`)."""
        if not self.scope:
            self._handle_request(data)
            return
        outbox = self._outbox
        outer = outbox.hold()  # what the messages of this read answer leaves in one write
        try:
            try:
                messages, controls = self._reader.read(data)
            except _core.WsError as exc:
                # What the client sent before breaking the protocol counts.
                self._after_read(list(exc.items), None, exc)
            else:
                self._after_read(messages, controls, None)
        finally:
            outbox.release(outer)

    def _after_read(
        self,
        messages: list[str | bytes],
        controls: list[tuple[int, str | bytes]] | None,
        failure: _core.WsError | None,
    ) -> None:
        """A read's messages, then its control frames or the protocol error that ended it
        (inside the read's hold of the outbox)."""
        if messages:
            # To the sink (:meth:`arm`) when the reader waits with nothing queued.
            sink = self._sink
            if sink is not None and not self._incoming and self._state == _OPEN:
                sink(messages)
            else:
                for payload in messages:
                    self._push(payload)
        if failure is not None:
            self._fail(failure.code, str(failure))
        elif controls is not None:
            self._control(controls)

    def _control(self, items: Sequence[tuple[int, str | bytes]]) -> None:
        """The control frames of a read, after its messages (``WsReader.read``)."""
        for opcode, payload in items:
            if opcode == _PING:
                self._outbox.push(_ws_frame(10, payload))
            elif opcode == _CLOSE:
                assert isinstance(payload, bytes)
                self._close_received(payload)
            # pongs (10) answer nothing: this server sends no pings of its own

    def connection_lost(self, exc: Exception | None) -> None:
        self.connections.discard(self)
        if self._close_timer is not None:
            self._close_timer.cancel()
            self._close_timer = None
        self._enter(_CLOSED)
        self._push(_Disconnect(1006 if self._accepted else 1005))
        self.resume_writing()  # a send waiting for the buffer to drain must not wait forever

    def eof_received(self) -> bool | None:
        return None  # close the transport

    def pause_writing(self) -> None:
        if self._drained is None:
            self._drained = self.loop.create_future()
            self._outbox.paused = True

    def resume_writing(self) -> None:
        drained = self._drained
        if drained is not None:
            self._outbox.paused = False
            self._drained = None
            if not drained.done():
                drained.set_result(None)

    def shutdown(self) -> None:
        """uvicorn's server shutdown: "service restart" (1012), or 500 before the handshake.

        The TCP connection closes at once, as with uvicorn's own WebSocket protocols, so
        that Ctrl-C does not wait for every client's close reply.
        """
        if self._state == _OPEN:
            self.close(1012)
            self._end_transport()
        elif self._state == 0 and self.scope:
            self._respond(500, [], b"")
        else:
            self._end_transport()

    # -- the handshake ----------------------------------------------------

    def _handle_request(self, data: bytes) -> None:
        """Parse the upgrade request uvicorn rebuilt from the headers it read (RFC 6455 4.2)."""
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        method, _, rest_line = lines[0].partition(b" ")
        target = rest_line.rpartition(b" ")[0]
        headers: list[tuple[bytes, bytes]] = []
        values: dict[bytes, bytes] = {}  # the last value of each header
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            field = (name.strip().lower(), value.strip())
            headers.append(field)
            values[field[0]] = field[1]
        raw_path, _, query = target.partition(b"?")
        transport = self.transport
        server = client = secure = None
        if transport is not None:
            server = transport.get_extra_info("sockname")
            client = transport.get_extra_info("peername")
            secure = transport.get_extra_info("sslcontext")
        root_path: str = self.config.root_path
        subprotocols = (
            [
                token.strip()
                for name, value in headers
                if name == b"sec-websocket-protocol"
                for token in value.decode("latin-1").split(",")
            ]
            if b"sec-websocket-protocol" in values
            else []
        )
        self.scope = {
            "type": "websocket",
            "asgi": {"version": self.config.asgi_version, "spec_version": "2.4"},
            "http_version": "1.1",
            "scheme": "wss" if secure else "ws",
            "server": tuple(server[:2]) if server else None,
            "client": tuple(client[:2]) if client else None,
            "root_path": root_path,
            "path": root_path + urllib.parse.unquote(raw_path.decode("latin-1")),
            "raw_path": root_path.encode("ascii") + raw_path,
            "query_string": query,
            "headers": headers,
            "subprotocols": subprotocols,
            "state": self.app_state.copy(),
            "extensions": {"websocket.http.response": {}, "socketio_rs.websocket": self},
        }
        problem = _check_upgrade(method, values)
        if problem is not None:
            status, reason = problem
            extra = [(b"sec-websocket-version", b"13")] if status == 426 else []
            self._respond(status, extra, reason.encode())
            return
        self._key = values[b"sec-websocket-key"]
        if self.server_deflater is not None:
            self._negotiate_deflate(headers)
        if rest:
            self.data_received(rest)
        task = self.loop.create_task(self._run_asgi())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def _negotiate_deflate(self, headers: list[tuple[bytes, bytes]]) -> None:
        """Accept the client's first acceptable ``permessage-deflate`` offer, if any: its
        reader inflates, its messages may be compressed, the 101 answer says so."""
        offers = [value for name, value in headers if name == b"sec-websocket-extensions"]
        agreement = negotiate(offers) if offers else None
        if agreement is None:
            return
        self._reader = _core.WsReader(
            self.config.ws_max_size,
            deflate=True,
            no_context_takeover=agreement.client_no_context_takeover,
        )
        self.deflater = self.server_deflater
        self._accept_headers.append((b"sec-websocket-extensions", agreement.response))

    async def _run_asgi(self) -> None:
        try:
            result = await self.app(self.scope, self.receive, self.send)
        except _ClientGone:
            pass
        except BaseException:
            logger.exception("Exception in ASGI application\n")
            if self._state == 0:
                self._respond(500, [], b"")
        else:
            if self._state == 0:
                logger.error("ASGI callable returned without completing handshake.")
                self._respond(500, [], b"")
            elif result is not None:
                logger.error("ASGI callable should return None, but returned '%s'.", result)
        if self._state == _OPEN:
            self.close(1000)
        elif self._close_timer is None:
            self._end_transport()

    def _accept(self, headers: list[tuple[bytes, bytes]], subprotocol: str | None) -> None:
        lines = [
            b"HTTP/1.1 101 Switching Protocols",
            b"Upgrade: websocket",
            b"Connection: Upgrade",
            b"Sec-WebSocket-Accept: " + _core.ws_accept(self._key).encode(),
        ]
        if subprotocol:
            lines.append(b"Sec-WebSocket-Protocol: " + subprotocol.encode("latin-1"))
        extra = self.default_headers + headers + self._accept_headers
        lines.extend(name + b": " + value for name, value in extra)
        self._enter(_OPEN)
        self._accepted = True
        # Sent with the first messages (Engine.IO's OPEN) in one segment.
        self._outbox.push(b"\r\n".join(lines) + b"\r\n\r\n")

    def _respond(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        """An HTTP response instead of the upgrade, then the end of the connection."""
        self._enter(_CLOSED)
        names = {name.lower() for name, _ in headers}
        fields = list(headers)
        if b"content-type" not in names:
            fields.append((b"content-type", b"text/plain; charset=utf-8"))
        if b"content-length" not in names:
            fields.append((b"content-length", str(len(body)).encode()))
        fields.append((b"connection", b"close"))
        try:
            phrase = HTTPStatus(status).phrase.encode()
        except ValueError:
            phrase = b""
        lines = [b"HTTP/1.1 %d %s" % (status, phrase)]
        lines.extend(name + b": " + value for name, value in self.default_headers + fields)
        self._write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        self._push(_Disconnect(1006))
        self._end_transport()
        logger.info('%s - "WebSocket %s" %d', _client(self.scope), self.scope.get("path"), status)

    # -- ASGI -------------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        """The ASGI ``receive`` callable."""
        if self._connect_pending:
            self._connect_pending = False
            return {"type": "websocket.connect"}
        item = await self.read_item()
        if isinstance(item, str):
            return {"type": "websocket.receive", "text": item}
        if isinstance(item, bytes):
            return {"type": "websocket.receive", "bytes": item}
        return {"type": "websocket.disconnect", "code": item.code, "reason": item.reason}

    async def send(self, message: dict[str, Any]) -> None:
        """The ASGI ``send`` callable."""
        kind = message["type"]
        if self._state == 0:
            if self._denial is not None:
                self._send_denial_body(message)
            elif kind == "websocket.accept":
                self._accept(list(message.get("headers") or []), message.get("subprotocol"))
                if logger.isEnabledFor(logging.INFO):  # its arguments are built only then
                    logger.info(
                        '%s - "WebSocket %s" [accepted]', _client(self.scope), self.scope["path"]
                    )
            elif kind == "websocket.close":
                self._respond(403, [], b"")
            elif kind == "websocket.http.response.start":
                status = int(message["status"])
                if not 100 <= status < 600:
                    raise RuntimeError(f"Invalid HTTP status code '{status}' in response.")
                self._denial = (status, list(message.get("headers") or []), [])
            else:
                raise RuntimeError(
                    "Expected ASGI message 'websocket.accept', 'websocket.close' or "
                    f"'websocket.http.response.start' but got '{kind}'."
                )
            return
        if self._state != _OPEN:
            if self._state == _CLOSED:
                raise _ClientGone()
            return  # closing: what is sent after a close frame is dropped, as the RFC asks
        if kind == "websocket.send":
            if self._drained is not None:
                await self._drained
            frame = _ws_frame if self.deflater is None else self.deflater.frame
            data = message.get("bytes")
            if data is not None:
                self._outbox.push(frame(_BINARY, data))
            elif message.get("text") is not None:
                self._outbox.push(frame(_TEXT, message["text"]))
        elif kind == "websocket.close":
            self.close(int(message.get("code") or 1000), message.get("reason") or "")
        else:
            raise RuntimeError(
                f"Expected ASGI message 'websocket.send' or 'websocket.close', but got '{kind}'."
            )

    def _send_denial_body(self, message: dict[str, Any]) -> None:
        assert self._denial is not None
        if message["type"] != "websocket.http.response.body":
            raise RuntimeError(
                f"Expected ASGI message 'websocket.http.response.body' but got '{message['type']}'."
            )
        status, headers, body = self._denial
        body.append(bytes(message.get("body", b"")))
        if not message.get("more_body", False):
            self._respond(status, headers, b"".join(body))

    # -- what the Engine.IO layer uses directly ---------------------------

    def add_accept_headers(self, headers: list[tuple[bytes, bytes]]) -> None:
        """Headers the 101 answer carries besides the ones of ``websocket.accept`` (the Engine.IO
        layer's header events, whose ASGI app sends a bare accept)."""
        self._accept_headers.extend(headers)

    @property
    def writable(self) -> bool:
        """Whether a message written now goes out without waiting behind others: open, and the
        transport not above its high-water mark (``pause_writing``)."""
        return self._state == _OPEN and self._drained is None

    def limit_writes(self, limit: int) -> None:
        """Cut the connection off once more than ``limit`` bytes wait for the peer."""
        self._outbox.limit = limit

    def write_now(self, data: str | bytes, compress: bool = True) -> bool:
        """Send one message (text for ``str``) without awaiting; ``False`` once closing.
        With ``permessage-deflate`` negotiated, the message is compressed when it reaches
        the threshold, unless ``compress`` is false."""
        if self._state != _OPEN:
            return False
        opcode = _TEXT if data.__class__ is str else _BINARY
        deflater = self.deflater
        if deflater is None or not compress:
            self._outbox.push(_ws_frame(opcode, data))
        else:
            self._outbox.push(deflater.frame(opcode, data))
        return True

    @property
    def outbox(self) -> _core.WsOutbox:
        """What was written and not yet sent: its ``write(frames)`` sends messages already
        framed with ``ws_frame`` without awaiting (``False`` once closing), from Python or,
        for a broadcast's recipients and the event lane's acks, from Rust."""
        return self._outbox

    def _overflow(self) -> None:
        """Over the write limit: drop what waits for the peer and abort the connection."""
        logger.warning(
            "WebSocket %s: more than %d bytes buffered for a client that does not read: "
            "closing with %d (%s)",
            _client(self.scope),
            self._outbox.limit,
            OVERFLOW_CODE,
            OVERFLOW_REASON,
        )
        self.overflowed = True
        self._enter(_CLOSING)
        self._outbox.clear()
        self._push(_Disconnect(OVERFLOW_CODE, OVERFLOW_REASON))
        if self.transport is not None:
            self.transport.abort()  # its buffer goes with it: the memory is freed now

    async def read_message(self) -> str | bytes | None:
        """The next message, or ``None`` once the WebSocket has closed."""
        item = await self.read_item()
        return None if isinstance(item, _Disconnect) else item

    def arm(self, sink: Callable[[list[str | bytes]], None]) -> None:
        """Hand the messages of each read to ``sink`` inside ``data_received`` while
        nothing is queued for :meth:`read_batch`, until :meth:`disarm`."""
        self._sink = sink
        self._feed.arm(sink, self._reader)

    def disarm(self) -> None:
        """Queue messages for :meth:`read_batch` again."""
        self._sink = None
        self._feed.disarm()

    def wake(self) -> None:
        """Make a waiting :meth:`read_batch` return, with nothing if nothing is queued."""
        self._woken = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def read_batch(self) -> list[str | bytes] | None:
        """Every message received and not yet read (waiting for one if there is none, and
        empty after :meth:`wake`), or ``None`` once the WebSocket has closed."""
        incoming = self._incoming
        while not incoming and not self._woken:
            waiter = self._waiter = self.loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        self._woken = False
        batch: list[str | bytes] = []
        while incoming:
            item = incoming[0]
            if isinstance(item, _Disconnect):
                break  # stays: every later read sees the end too
            batch.append(item)
            incoming.popleft()
        if self._read_paused:
            self._read_paused = False
            if self.transport is not None:
                self.transport.resume_reading()
        if not batch and incoming:
            return None  # the end
        return batch

    async def read_item(self) -> str | bytes | _Disconnect:
        incoming = self._incoming
        while not incoming:
            waiter = self._waiter = self.loop.create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        item = incoming[0]
        if isinstance(item, _Disconnect):
            return item  # stays: every later read sees the end too
        incoming.popleft()
        if self._read_paused and len(incoming) < _READ_HIGH_WATER // 2:
            self._read_paused = False
            if self.transport is not None:
                self.transport.resume_reading()
        return item

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (RFC 6455 7.1.2); the reader sees the end at once."""
        if self._state != _OPEN:
            return
        self._enter(_CLOSING)
        self._outbox.push(_core.ws_close_frame(code, reason))
        self._outbox.flush()
        self._push(_Disconnect(code, reason))
        if self.transport is not None:
            if self._read_paused:  # the peer's close frame must still be read
                self._read_paused = False
                self.transport.resume_reading()
            self._close_timer = self.loop.call_later(_CLOSE_TIMEOUT, self.transport.abort)

    # -- internals --------------------------------------------------------

    def _push(self, item: str | bytes | _Disconnect) -> None:
        incoming = self._incoming
        if incoming and isinstance(incoming[-1], _Disconnect):
            return  # nothing follows the end
        incoming.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
        if len(incoming) >= _READ_HIGH_WATER and not self._read_paused:
            self._read_paused = True
            if self.transport is not None:
                self.transport.pause_reading()

    def _enter(self, state: int) -> None:
        """Move to ``state``; the outbox takes messages while it is ``_OPEN``."""
        self._state = state
        self._outbox.open = state == _OPEN

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _close_received(self, payload: bytes) -> None:
        code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
        reason = payload[2:].decode("utf-8", "replace")
        if self._state == _OPEN:
            # Echo the code (RFC 6455 5.5.1), then close the TCP connection: the server
            # closes first (7.1.1).
            self._enter(_CLOSING)
            self._outbox.push(_core.ws_close_frame(code if code != 1005 else 1000, ""))
            self._outbox.flush()
        self._push(_Disconnect(code, reason))
        self._end_transport()

    def _fail(self, code: int, reason: str) -> None:
        """Fail the WebSocket connection (RFC 6455 7.1.7) after a protocol error."""
        logger.info("WebSocket %s: closing with %d: %s", _client(self.scope), code, reason)
        if self._state == _OPEN:
            self._outbox.push(_core.ws_close_frame(code, reason))
            self._outbox.flush()
        self._enter(_CLOSING)
        self._push(_Disconnect(code, reason))
        self._end_transport()

    def _end_transport(self) -> None:
        """Close the TCP connection once what is buffered is sent, or abort it after a grace
        period: ``transport.close()`` alone waits for a drain that a non-reading peer never
        lets happen."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        transport.close()
        if transport.get_write_buffer_size() and self._close_timer is None:
            self._close_timer = self.loop.call_later(_DRAIN_GRACE, transport.abort)


class _ClientGone(OSError):
    """An ASGI send after the connection closed (uvicorn's ``ClientDisconnected``)."""


def _check_upgrade(method: bytes, headers: dict[bytes, bytes]) -> tuple[int, str] | None:
    """The HTTP error for an invalid opening handshake (RFC 6455 4.2.1), or ``None``."""
    if method != b"GET":
        return 400, "WebSocket upgrade needs a GET request"
    if b"websocket" not in _tokens(headers.get(b"upgrade", b"")):
        return 400, "Missing or invalid Upgrade header"
    if b"upgrade" not in _tokens(headers.get(b"connection", b"")):
        return 400, "Missing or invalid Connection header"
    if headers.get(b"sec-websocket-version") != b"13":
        return 426, "Unsupported WebSocket version"
    if _WS_KEY.fullmatch(headers.get(b"sec-websocket-key", b"")) is None:
        return 400, "Missing or invalid Sec-WebSocket-Key header"
    return None


def _tokens(value: bytes) -> list[bytes]:
    return [token.strip().lower() for token in value.split(b",")]


def _client(scope: dict[str, Any]) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else ""


def protocol_for(deflate: DeflateOptions | None) -> type[WebSocketProtocol]:
    """The protocol class for ``serve(per_message_deflate=...)``: with settings, a subclass
    that negotiates ``permessage-deflate`` and compresses with one shared compressor."""
    if deflate is None:
        return WebSocketProtocol
    deflater = _core.WsDeflater(level=deflate.level, threshold=deflate.threshold)
    return configured(WebSocketProtocol, {"server_deflater": deflater}, protocol_for, deflate)


def direct_writer(ws: Any) -> WebSocketProtocol | None:
    """The protocol behind a python-engineio ASGI WebSocket wrapper when it is ours."""
    send: Callable[..., Any] | None = getattr(ws, "asgi_send", None)
    protocol = getattr(send, "__self__", None)
    return protocol if isinstance(protocol, WebSocketProtocol) else None
