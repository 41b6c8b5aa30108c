"""An Engine.IO session's WebSocket transport: the upgrade handshake, the
reader and the writer, in place of python-engineio's ``_websocket_handler``.

python-engineio reads each frame through a new task wrapped in
``asyncio.wait_for`` and writes each message from a writer task fed by a
queue. Here:

- the reader awaits the WebSocket directly; a session whose client has gone
  quiet is closed by the heartbeat (``EngineSocket._ping``), and closing
  the session ends the WebSocket and with it the read. Only when the server
  does not monitor clients does each read carry python-engineio's timeout;
- a message (``4...`` or a binary frame) goes straight to the ``message``
  handler; every other packet takes python-engineio's ``receive``;
- on :class:`~socketio_rs._websocket.WebSocketProtocol` (``socketio_rs.serve``)
  there is no writer task at all: once upgraded, packets are written to the
  socket as they are sent (:meth:`WebSocketTransport.direct`), and a
  broadcast writes one framed message to every recipient
  (``EngineServer.broadcast``). Elsewhere python-engineio's writer design stays.

:func:`websocket_environ` builds a WebSocket request's environ, key for key
python-engineio's ASGI one, without the request-body class python-engineio
defines for every request.

The handshake, the packets and the close are python-engineio's: the probe
(``2probe``/``3probe``, then ``5``), a ``message`` event per MESSAGE packet,
the session closed with "transport close" when the WebSocket ends, and
"packet is too large" past ``max_http_buffer_size``. Polling goes on until
the UPGRADE packet (``EngineSocket.handle_get_request``); the packets still
queued then go out first on the WebSocket.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any, Callable

from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet

from . import _core
from ._websocket import WebSocketProtocol, direct_writer

_MESSAGE = eio_packet.MESSAGE
_ws_frame = _core.ws_frame


def ws_payload(pkt: eio_packet.Packet) -> str | bytes:
    """The WebSocket message of one Engine.IO packet (python-engineio's ``encode()``)."""
    if pkt.packet_type == _MESSAGE:
        data = pkt.data
        if data.__class__ is str:
            return "4" + data
        if data.__class__ is bytes:
            return data
    encoded: str | bytes = pkt.encode()
    return encoded


def ws_frames(pkts: list[eio_packet.Packet]) -> bytes:
    """Engine.IO packets framed as WebSocket messages, ready for ``write_frames``."""
    if len(pkts) == 1:
        payload = ws_payload(pkts[0])
        return _ws_frame(1 if payload.__class__ is str else 2, payload)
    parts = []
    for pkt in pkts:
        payload = ws_payload(pkt)
        parts.append(_ws_frame(1 if payload.__class__ is str else 2, payload))
    return b"".join(parts)


class WebSocketTransport:
    """The WebSocket side of ``EngineSocket`` (a mixin over python-engineio's ``AsyncSocket``)."""

    # From python-engineio's AsyncSocket / EngineSocket.
    server: Any
    sid: str
    queue: asyncio.Queue[Any]
    connected: bool
    upgraded: bool
    upgrading: bool
    closing: bool
    closed: bool
    close: Callable[..., Any]
    poll: Callable[..., Any]
    take_queued: Callable[[list[Any]], bool]
    receive: Callable[..., Any]
    probe_answered: Callable[[], None]

    #: Set while the session is upgraded on a WebSocketProtocol: sends one message now.
    direct: Callable[[str | bytes], bool] | None = None
    #: Likewise, for messages already framed (a broadcast frames once for everyone).
    direct_frames: Callable[[bytes], bool] | None = None
    _protocol: WebSocketProtocol | None = None
    _ws_ended = False

    async def _websocket_handler(self, ws: Any) -> None:
        """Serve the session over ``ws``, python-engineio's WebSocket wrapper."""
        protocol = direct_writer(ws) if self.server.observer is None else None
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
                await self._read(protocol.read_message, None)
            finally:
                self.direct = self.direct_frames = None
                protocol.close(1000)
        else:
            self._ws_ended = False
            writer = asyncio.ensure_future(self._write(ws))
            await self._read(ws.wait, self._read_timeout())
            self._ws_ended = True  # the writer drops what it holds instead of writing to nothing
            await self.queue.put(None)  # ends the writer
            await writer
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

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
        queued: list[eio_packet.Packet] = []
        stopped = self.take_queued(queued)
        for pkt in queued:
            protocol.write_now(ws_payload(pkt))
        if stopped:  # the session closed meanwhile
            protocol.close(1000)
            return
        self._protocol = protocol
        self.direct = protocol.write_now
        self.direct_frames = protocol.write_frames

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
            try:
                await self.receive(eio_packet.Packet(encoded_packet=data))
            except eio_exceptions.UnknownPacketError:
                pass
            except eio_exceptions.SocketIsClosedError:
                server.logger.info("Receive error -- socket is closed")
                return
            except Exception:
                # An unparsable packet: python-engineio logs it and goes on reading.
                server.logger.exception("Unknown receive error")
            if self.closed:
                return

    async def _message(self, handler: Callable[..., Any], data: str | bytes) -> None:
        try:
            await handler(self.sid, data)
        except asyncio.CancelledError:
            raise
        except Exception:
            self.server.logger.exception("message async handler error")

    async def _write(self, ws: Any) -> None:
        """python-engineio's writer task, for WebSockets that only have an async send."""
        while True:
            try:
                packets = await self.poll()
            except eio_exceptions.QueueEmpty:
                break
            if not packets:
                break
            try:
                for pkt in packets:
                    if self._ws_ended:
                        break
                    await ws.send(ws_payload(pkt))
            except Exception:
                break
        await ws.close()

    def _read_timeout(self) -> float | None:
        """python-engineio's per-read timeout, kept only when no heartbeat closes quiet sessions."""
        if self.server.monitors_clients:
            return None
        return float(self.server.ping_interval + self.server.ping_timeout)

    def _end_direct(self) -> bool:
        """Close the WebSocket of a direct session; ``False`` if it is not one."""
        protocol = self._protocol
        if protocol is None:
            return False
        self.direct = self.direct_frames = None
        self._protocol = None
        protocol.close(1000)
        return True


class _NoBody:
    """The request body of a WebSocket upgrade: empty."""

    async def read(self, length: int | None = None) -> bytes:
        return b""


_NO_BODY = _NoBody()


async def websocket_environ(scope: dict[str, Any], receive: Any, send: Any) -> dict[str, Any]:
    """The environ python-engineio's ASGI driver builds for a WebSocket request, key for key.

    Its ``translate_request`` defines a request-body class on every call; a WebSocket has no
    body, and the class (kept alive by the session's environ) cost each WebSocket connection
    about 2.5 KB and its creation, with the cyclic garbage it leaves, about 5% of a connect.
    """
    event = await receive()
    if event["type"] != "websocket.connect":
        return {}
    path = scope["path"]
    query_string = ""
    raw_uri = path
    if scope.get("query_string"):
        try:
            query_string = scope["query_string"].decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raw_uri += "?" + query_string
    environ: dict[str, Any] = {
        "wsgi.input": _NO_BODY,
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.async": True,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "SERVER_SOFTWARE": "asgi",
        "REQUEST_METHOD": scope.get("method", "GET"),
        "PATH_INFO": path,
        "QUERY_STRING": query_string,
        "RAW_URI": raw_uri,
        "SCRIPT_NAME": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "0",
        "SERVER_NAME": "asgi",
        "SERVER_PORT": "0",
        "asgi.receive": receive,
        "asgi.send": send,
        "asgi.scope": scope,
    }
    for raw_name, raw_value in scope["headers"]:
        try:
            name = raw_name.upper().decode("utf-8")
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            continue  # as python-engineio: a header that does not decode is skipped
        if name == "CONTENT-TYPE":
            environ["CONTENT_TYPE"] = value
        elif name == "CONTENT-LENGTH":
            environ["CONTENT_LENGTH"] = value
        else:
            key = "HTTP_" + name.replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    environ["wsgi.url_scheme"] = environ.get("HTTP_X_FORWARDED_PROTO", "http")
    return environ
