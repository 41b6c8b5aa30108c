"""``RemoteSocket``: a socket held by another process of a cluster, as
``fetch_sockets()`` returns it (the reference server's ``RemoteSocket``, S16)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from .._rules import check_reserved, room_set
from .base import AsyncManager


class RemoteSocket:
    """A snapshot of another process's socket: ``id``, ``namespace``,
    ``handshake`` (its fields as attributes), ``rooms`` and ``data`` as they
    were when it was fetched; its methods act through the client manager."""

    def __init__(self, manager: AsyncManager, namespace: str, details: dict[str, Any]) -> None:
        self.manager = manager
        self.namespace = namespace
        self.id: str = details["id"]
        self.handshake = SimpleNamespace(**(details.get("handshake") or {}))
        self.rooms: set[Any] = set(details.get("rooms") or ())
        self.data: Any = details.get("data")

    def __repr__(self) -> str:
        return f"<RemoteSocket {self.id} {self.namespace}>"

    async def emit(self, event: str, *args: Any) -> None:
        """Send ``event`` to this client, through the process that holds it."""
        check_reserved(event)
        await self.manager.emit(event, args, self.namespace, room=self.id)

    async def join(self, rooms: Any) -> None:
        """Join a room or several."""
        for room in room_set(rooms):
            await self.manager.enter_room(self.id, self.namespace, room)

    async def leave(self, room: Any) -> None:
        """Leave ``room``."""
        await self.manager.leave_room(self.id, self.namespace, room)

    async def disconnect(self, close: bool = False) -> None:
        """Disconnect it from its namespace (python-socketio's remote
        disconnect message has no ``close``: its connection stays open)."""
        if self.manager.server is not None:
            await self.manager.server.disconnect(self.id, namespace=self.namespace)


def describe(socket: Any) -> dict[str, Any]:
    """What another process needs to build a :class:`RemoteSocket`."""
    return {
        "id": socket.id,
        "handshake": socket.handshake.as_dict(),
        "rooms": [room for room in socket.rooms if isinstance(room, (str, int, float))],
        "data": socket.data,
    }
