"""``Client``: one Engine.IO connection, with its decoder and its sockets, one
per namespace (the reference server's ``Client``)."""

from __future__ import annotations

import functools
from typing import Any, Callable, Protocol

from ..codec import Packet
from ..namespaces import Socket


class ClientHost(Protocol):
    """The server's side of a connection (the connect flow meets it)."""

    def send(self, eio_sid: str, pkt: Packet) -> None: ...

    def transport(self, eio_sid: str) -> str: ...

    def writable(self, eio_sid: str) -> bool: ...

    async def disconnect_socket(self, socket: Socket, close: bool) -> None: ...


class Client:
    """One Engine.IO connection and the sockets it opened."""

    __slots__ = ("_host", "closing", "deadline", "decoder", "eio_sid", "joining", "send", "sockets")

    def __init__(self, eio_sid: str, decoder: Any, host: ClientHost) -> None:
        self.eio_sid = eio_sid
        self.decoder = decoder
        self._host = host
        #: ``send(pkt)``: queue one packet for the client, now.
        self.send: Callable[[Packet], None] = functools.partial(host.send, eio_sid)
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
