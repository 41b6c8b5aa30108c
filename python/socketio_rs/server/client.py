"""``Client``: one Engine.IO connection, with its decoder and its sockets, one
per namespace (the reference server's ``Client``)."""

from __future__ import annotations

from typing import Any, Protocol

from ..codec import Packet
from ..namespaces import Socket


class ClientHost(Protocol):
    """The server's side of a connection (the connect flow meets it)."""

    def send(self, eio_sid: str, pkt: Packet) -> None: ...

    def transport(self, eio_sid: str) -> str: ...

    async def disconnect_socket(self, socket: Socket, close: bool) -> None: ...


class Client:
    """One Engine.IO connection and the sockets it opened."""

    __slots__ = ("_closing", "_host", "deadline", "decoder", "eio_sid", "joining", "sockets")

    def __init__(self, eio_sid: str, decoder: Any, host: ClientHost) -> None:
        self.eio_sid = eio_sid
        self.decoder = decoder
        self._host = host
        #: namespace -> socket (joining or connected).
        self.sockets: dict[str, Socket] = {}
        #: The namespaces whose CONNECT is being resolved.
        self.joining: set[str] = set()
        self._closing: str | None = None
        #: Loop time by which it must have joined a namespace (N23).
        self.deadline = 0.0

    def __repr__(self) -> str:
        return f"<Client {self.eio_sid} {sorted(self.sockets)}>"

    @property
    def closing(self) -> str | None:
        """The reason, once the connection's close was decided."""
        return self._closing

    def close_with(self, reason: str) -> bool:
        """Decide that the connection closes, for ``reason``; False when a close
        was already decided (the first reason stands)."""
        if self._closing is not None:
            return False
        self._closing = reason
        return True

    @property
    def transport(self) -> str:
        """``"polling"`` or ``"websocket"``."""
        return self._host.transport(self.eio_sid)

    def send(self, pkt: Packet) -> None:
        """Queue one packet for the client, now."""
        self._host.send(self.eio_sid, pkt)

    async def disconnect_socket(self, socket: Socket, close: bool) -> None:
        """``socket.disconnect(close)``."""
        await self._host.disconnect_socket(socket, close)

    def _remove(self, socket: Socket) -> None:
        """The socket left, or never joined."""
        name = socket.nsp.name
        if self.sockets.get(name) is socket:
            del self.sockets[name]
