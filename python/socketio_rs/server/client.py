"""``Client``: one Engine.IO connection, with its decoder and its sockets, one
per namespace (the reference server's ``Client``)."""

from __future__ import annotations

import functools
import urllib.parse
from typing import Any, Callable, Protocol

from ..codec import Packet, PacketType
from ..namespaces import Socket

_CONNECT = PacketType.CONNECT


def _js_truthy(value: Any) -> bool:
    """JavaScript's truthiness of a JSON value: objects and arrays are true even empty."""
    if value is None or value is False or value == "":
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value == value and value != 0  # NaN and 0 are false
    return True


class ClientHost(Protocol):
    """The server's side of a connection (the connect flow meets it)."""

    def send(self, eio_sid: str, pkt: Packet, compress: bool = True) -> None: ...

    def send_packet(
        self,
        eio_sid: str,
        packet_type: int,
        namespace: str,
        data: Any,
        ack_id: int | None = None,
        compress: bool = True,
    ) -> None: ...

    def transport(self, eio_sid: str) -> str: ...

    def writable(self, eio_sid: str) -> bool: ...

    async def disconnect_socket(self, socket: Socket, close: bool) -> None: ...


class Client:
    """One Engine.IO connection and the sockets it opened."""

    __slots__ = (
        "_host",
        "closing",
        "deadline",
        "decoder",
        "eio_sid",
        "joining",
        "protocol",
        "send",
        "send_packet",
        "sockets",
    )

    def __init__(self, eio_sid: str, decoder: Any, host: ClientHost, protocol: int = 5) -> None:
        self.eio_sid = eio_sid
        #: The Socket.IO protocol revision: 5, or 4 for an Engine.IO v3 client (2.x).
        self.protocol = protocol
        self.decoder = decoder
        self._host = host
        #: ``send(pkt, compress=True)``: queue one packet for the client, now.
        self.send: Callable[..., None] = functools.partial(host.send, eio_sid)
        #: ``send_packet(type, namespace, data, ack_id=None, compress=True)``: ``send`` of
        #: that packet, framed in one step where the connection allows it.
        self.send_packet: Callable[..., None] = functools.partial(host.send_packet, eio_sid)
        #: namespace -> socket (joining or connected).
        self.sockets: dict[str, Socket] = {}
        #: The namespaces whose CONNECT is being resolved.
        self.joining: set[str] = set()
        #: The reason, once the connection's close was decided (:meth:`close_with`).
        self.closing: str | None = None
        #: Loop time by which it must have joined a namespace (N23).
        self.deadline = 0.0

    def __repr__(self) -> str:
        return f"<Client {self.eio_sid} {sorted(self.sockets)}>"

    # The reference server's differences for protocol v4 (socket.io-client 2.x).

    def socket_id(self, name: str) -> str | None:
        """The id a socket in namespace ``name`` gets: a protocol v4 client computes it
        itself (the Engine.IO sid, after ``<nsp>#`` outside ``/``); ``None`` lets the
        manager generate one."""
        if self.protocol == 5:
            return None
        return self.eio_sid if name == "/" else f"{name}#{self.eio_sid}"

    def connect_packet(self, name: str, data: dict[str, Any]) -> Packet:
        """The CONNECT reply: it carries ``data`` (the sid) in v5, nothing in v4."""
        if self.protocol == 5:
            return Packet(_CONNECT, name, data)
        return Packet(_CONNECT, name)

    def refusal(self, payload: dict[str, Any]) -> Any:
        """The data of a CONNECT_ERROR refusing a socket: ``{"message", "data"}`` in v5; in
        v4 the error's data, or its message when the data is falsy (``err.data ||
        err.message``), which the 2.x client hands to its ``error`` listeners."""
        if self.protocol == 5:
            return payload
        data = payload.get("data")
        return data if _js_truthy(data) else payload.get("message")

    def close_with(self, reason: str) -> bool:
        """Decide that the connection closes, for ``reason``; False when a close
        was already decided (the first reason stands)."""
        if self.closing is not None:
            return False
        self.closing = reason
        return True

    @property
    def transport(self) -> str:
        """``"polling"`` or ``"websocket"``."""
        return self._host.transport(self.eio_sid)

    @property
    def writable(self) -> bool:
        """Whether a packet sent now leaves at once."""
        return self._host.writable(self.eio_sid)

    async def disconnect_socket(self, socket: Socket, close: bool) -> None:
        """``socket.disconnect(close)``."""
        await self._host.disconnect_socket(socket, close)

    def _remove(self, socket: Socket) -> None:
        """The socket left, or never joined."""
        name = socket.nsp.name
        if self.sockets.get(name) is socket:
            del self.sockets[name]


class QueryDecoder:
    """The decoder of a protocol v4 client: a namespace may carry a query
    (``/admin?token=abc``, from ``io("/admin?token=abc")``), which the reference
    server takes as the CONNECT's auth payload; the packet goes to the namespace
    without it."""

    __slots__ = ("_decoder",)

    def __init__(self, decoder: Any) -> None:
        self._decoder = decoder

    def add(self, frame: str | bytes) -> list[Packet]:
        """The packets ``frame`` completed, with their namespaces' queries taken off."""
        packets: list[Packet] = self._decoder.add(frame)
        if not any("?" in pkt.nsp for pkt in packets):
            return packets
        return [_without_query(pkt) for pkt in packets]

    def reset(self) -> None:
        """Drop a partial binary packet."""
        self._decoder.reset()

    @property
    def pending(self) -> bool:
        """Whether a binary packet is waiting for attachments."""
        return bool(self._decoder.pending)


def _without_query(pkt: Packet) -> Packet:
    name, mark, query = pkt.nsp.partition("?")
    if not mark:
        return pkt
    data = pkt.data
    if pkt.type == _CONNECT:
        data = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    return Packet(pkt.type, name or "/", data, pkt.id)
