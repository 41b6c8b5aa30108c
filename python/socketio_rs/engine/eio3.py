"""Engine.IO protocol 3, the protocol of socket.io-client 2.x, for servers created with
``allow_eio3=True`` (the reference server's ``allowEIO3``).

A session chooses its protocol once, at its handshake, from the ``EIO`` query
parameter: a v3 session is an :class:`EngineSocketV3`, and the v4 path carries
no check for it. What differs from v4 (the reference server's
``parser-v3`` and its ``Socket``/``Polling`` transports):

- polling payloads are length-prefixed (``<length>:<packet>``, the length in
  UTF-16 code units, as JavaScript counts a string) instead of separated by
  ``\\x1e``; a payload that holds binary is sent in XHR2 binary framing
  (``<0|1><decimal digits as bytes><255><packet>``, strings as UTF-8), or, when
  the client asked for ``b64=1``, as base64 ``b4...`` packets in a text payload;
- a binary WebSocket message starts with the packet-type byte (``\\x04``);
- the heartbeat is reversed: the client pings every ``pingInterval``, the
  server answers ``pong``, and a session whose client has not pinged for
  ``pingInterval + pingTimeout`` is closed. A PONG from the client is a
  protocol error ("invalid heartbeat direction").
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable, cast

from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet

from .._eager import start_listener
from ..wsserver import WebSocketProtocol
from .socket import EngineHost, EngineSocket
from .websocket import ws_payload

_MESSAGE = eio_packet.MESSAGE
_PING = eio_packet.PING
_PONG = eio_packet.PONG
_TEXT_TYPE = "text/plain; charset=UTF-8"
_BINARY_TYPE = "application/octet-stream"


class PayloadError(ValueError):
    """A polling body that is not a valid Engine.IO v3 payload."""


def _js_length(text: str) -> int:
    """The length JavaScript gives ``text``: UTF-16 code units."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def encode_text_packet(pkt: eio_packet.Packet) -> str:
    """One packet as text: binary data as a base64 ``b4`` packet."""
    data = pkt.data
    if isinstance(data, (bytes, bytearray)):
        return "b" + str(pkt.packet_type) + base64.b64encode(data).decode("ascii")
    encoded: str = pkt.encode()
    return encoded


def encode_payload(packets: list[eio_packet.Packet], binary: bool) -> tuple[bytes, str]:
    """The body of a polling response and its content type.

    ``binary`` is whether the client takes XHR2 binary framing (it did not ask
    for ``b64=1``); it is used only when a packet holds binary data.
    """
    if binary and any(isinstance(p.data, (bytes, bytearray)) for p in packets):
        parts = []
        for pkt in packets:
            data = pkt.data
            if isinstance(data, (bytes, bytearray)):
                body = bytes((pkt.packet_type,)) + bytes(data)
                kind = 1
            else:
                body = pkt.encode().encode("utf-8")
                kind = 0
            parts.append(bytes((kind, *(int(d) for d in str(len(body))), 255)) + body)
        return b"".join(parts), _BINARY_TYPE
    if not packets:
        return b"0:", _TEXT_TYPE
    text = "".join(f"{_js_length(t)}:{t}" for t in map(encode_text_packet, packets))
    return text.encode("utf-8"), _TEXT_TYPE


def _decode_packet(text: str) -> eio_packet.Packet:
    """One text packet: ``b<type><base64>`` or ``<type><data>``."""
    if text[:1] == "b":
        try:
            data = base64.b64decode(text[2:], validate=True)
        except (binascii.Error, ValueError):
            raise PayloadError("invalid base64 packet") from None
        return eio_packet.Packet(_MESSAGE, data)
    kind = text[:1]
    if not ("0" <= kind <= "6"):
        raise PayloadError("unknown packet type")
    return eio_packet.Packet(int(kind), text[1:] if len(text) > 1 else None)


def decode_text_payload(body: str) -> list[eio_packet.Packet]:
    """The packets of a length-prefixed text payload (lengths in UTF-16 code units)."""
    if not body:
        raise PayloadError("empty payload")
    if body.isascii():
        units: Any = body
        width = 1
    else:
        units = body.encode("utf-16-le", "surrogatepass")
        width = 2
    packets = []
    pos, end = 0, len(units) // width
    while pos < end:
        colon = _find_colon(units, pos, end, width)
        digits = _units_text(units, pos, colon, width)
        if not digits.isdigit() or len(digits) > 10:
            raise PayloadError("invalid length")
        length = int(digits)
        start, stop = colon + 1, colon + 1 + length
        if stop > end:
            raise PayloadError("length beyond the payload")
        if length:
            packets.append(_decode_packet(_units_text(units, start, stop, width)))
        pos = stop
    return packets


def _find_colon(units: Any, pos: int, end: int, width: int) -> int:
    if width == 1:
        colon: int = units.find(":", pos)
        if colon < 0:
            raise PayloadError("missing length separator")
        return colon
    for index in range(pos, end):
        if units[2 * index] == 0x3A and units[2 * index + 1] == 0:
            return index
    raise PayloadError("missing length separator")


def _units_text(units: Any, start: int, stop: int, width: int) -> str:
    if width == 1:
        text: str = units[start:stop]
        return text
    try:
        return bytes(units[2 * start : 2 * stop]).decode("utf-16-le")
    except UnicodeDecodeError:
        raise PayloadError("a length splits a character") from None


def decode_binary_payload(body: bytes) -> list[eio_packet.Packet]:
    """The packets of an XHR2 binary payload."""
    packets = []
    pos, end = 0, len(body)
    while pos < end:
        kind = body[pos]
        stop = body.find(255, pos + 1)
        if kind not in (0, 1) or stop < 0 or stop - pos - 1 > 10:
            raise PayloadError("invalid binary payload")
        digits = body[pos + 1 : stop]
        if not digits or any(d > 9 for d in digits):
            raise PayloadError("invalid binary payload length")
        length = int("".join(map(str, digits)))
        start = stop + 1
        if start + length > end or length == 0:
            raise PayloadError("invalid binary payload length")
        packet = body[start : start + length]
        if kind == 0:
            try:
                packets.append(_decode_packet(packet.decode("utf-8")))
            except UnicodeDecodeError:
                raise PayloadError("invalid UTF-8 in a text packet") from None
        elif packet[0] == _MESSAGE:
            packets.append(eio_packet.Packet(_MESSAGE, packet[1:]))
        else:
            raise PayloadError("binary data in a packet that is not a message")
        pos = start + length
    return packets


def _binary_message(payload: str | bytes) -> str | bytes:
    """Engine.IO v4's WebSocket message made v3's: binary data after its type byte."""
    if isinstance(payload, (bytes, bytearray)):
        return b"\x04" + payload
    return payload


def _base64_message(payload: str | bytes) -> str | bytes:
    """Likewise, for a ``b64=1`` client: binary data as a ``b4`` base64 text packet."""
    if isinstance(payload, (bytes, bytearray)):
        return "b4" + base64.b64encode(payload).decode("ascii")
    return payload


class _V3Writer:
    """A session's WebSocket writer (a ``WebSocketProtocol``, or python-engineio's WebSocket)
    that turns the v4 messages the session writes into v3's."""

    def __init__(self, writer: Any, message: Callable[[str | bytes], str | bytes]) -> None:
        self._writer = writer
        self._message = message

    def write_now(self, payload: str | bytes, compress: bool = True) -> bool:
        return bool(self._writer.write_now(self._message(payload), compress))

    async def send(self, payload: str | bytes) -> None:
        await self._writer.send(self._message(payload))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


def _incoming(data: Any) -> Any:
    """A v3 WebSocket message in the form the v4 reader takes: binary without its type
    byte, a base64 ``b4`` packet as bytes."""
    if data.__class__ is bytes:
        if data[:1] == b"\x04":
            return data[1:]
        return "" if not data else str(data[0])  # a non-message packet sent as binary
    if data.__class__ is str and data[:1] == "b":
        try:
            return base64.b64decode(data[2:], validate=True)
        except (binascii.Error, ValueError):
            return "invalid"  # an unknown packet: skipped as the v4 reader skips one
    return data


class EngineSocketV3(EngineSocket):
    """One Engine.IO v3 session: its payloads, its binary messages and its heartbeat."""

    protocol = 3
    own_framing = True

    def __init__(self, server: EngineHost, sid: str, b64: bool) -> None:
        super().__init__(server, sid)
        #: Whether binary goes out as base64 text (the client asked with ``b64=1``).
        self.b64 = b64
        #: v4's WebSocket message of a packet, made this session's.
        self._v3_message = _base64_message if b64 else _binary_message

    def ws_message(self, pkt: eio_packet.Packet) -> str | bytes:
        """The WebSocket message of one packet (a broadcast frames them with this)."""
        return self._v3_message(ws_payload(pkt))

    # -- the heartbeat: the client pings ------------------------------------

    def schedule_ping(self) -> None:
        """Start waiting for the client's next PING (after the handshake, or a PING)."""
        self.last_ping = None  # the server never waits for a PONG
        if self._ping_timer is not None:
            self._ping_timer.cancel()
        if self.server.monitors_clients:
            server = self.server
            self._ping_timer = self._loop.call_later(
                server.ping_interval + server.ping_timeout, self._ping_overdue
            )

    def _ping_overdue(self) -> None:
        self._ping_timer = None
        if not (self.closing or self.closed):
            reason = self.server.reason.PING_TIMEOUT
            start_listener(self.server.logger, self.close, False, False, reason)

    async def receive(self, pkt: eio_packet.Packet) -> None:
        """Take one packet from the client: PING gets PONG, PONG is a protocol error."""
        ptype = pkt.packet_type
        if ptype == _PING:
            self.schedule_ping()
            observer = self.server.observer
            if observer is not None:
                start_listener(self.server.logger, observer.pinging, self.sid)
            await self.send(eio_packet.Packet(_PONG))  # without data, as the reference server
        elif ptype == _PONG:
            self.server.logger.info("%s: invalid heartbeat direction", self.sid)
            await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR)
        else:
            await super().receive(pkt)

    # -- polling ----------------------------------------------------------------

    def polling_response(
        self, packets: list[Any], headers: list[tuple[str, str]] | None = None
    ) -> dict[str, Any]:
        """The 200 response carrying ``packets`` to a polling GET."""
        body, content_type = encode_payload(packets, not self.b64)
        observer = self.server.observer
        if observer is not None:
            observer.sent(len(body))
        return {
            "status": "200 OK",
            "headers": [*(headers or []), ("Content-Type", content_type)],
            "response": body,
        }

    async def handle_get_request(self, environ: dict[str, Any]) -> Any:
        """A polling GET's response in v3 framing, or the WebSocket upgrade."""
        response = await super().handle_get_request(environ)
        if isinstance(response, list):
            return self.polling_response(response)
        return response

    async def handle_post_request(self, environ: dict[str, Any]) -> None:
        """Take the packets of a polling POST, text or XHR2 binary."""
        length = int(environ.get("CONTENT_LENGTH", "0") or 0)
        server = self.server
        if length > server.max_http_buffer_size:
            raise eio_exceptions.ContentTooLongError()
        body = await environ["wsgi.input"].read(length)
        try:
            if environ.get("CONTENT_TYPE", "").startswith(_BINARY_TYPE):
                packets = decode_binary_payload(body)
            else:
                packets = decode_text_payload(body.decode("utf-8"))
        except (PayloadError, UnicodeDecodeError) as exc:
            # The reference server closes the session on a payload it cannot parse.
            server.logger.info("%s: invalid payload: %s", self.sid, exc)
            await self.close(wait=False, abort=True, reason=server.reason.TRANSPORT_ERROR)
            return
        observer = server.observer
        if observer is not None:
            observer.received(length)
        for pkt in packets:
            await self.receive(pkt)

    # -- WebSocket ------------------------------------------------------------

    # The v4 WebSocket transport, with the session's writer turning its messages into v3's:
    # nothing on the v4 path checks for v3.

    def _go_direct(self, protocol: Any) -> None:
        # The wrapper stands for the protocol: what the session calls, it forwards.
        super()._go_direct(cast(WebSocketProtocol, _V3Writer(protocol, self._v3_message)))

    def _ws_sender(self, ws: Any) -> Any:
        return _V3Writer(ws, self._v3_message).send

    async def _read(self, read: Callable[[], Any], timeout: float | None) -> None:
        async def read_v3() -> Any:
            data = await read()
            return None if data is None else _incoming(data)

        await super()._read(read_v3, timeout)
