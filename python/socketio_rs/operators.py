"""Broadcast operators: ``nsp.to(room).except_(other).timeout(5)`` and friends.

Each modifier returns a new operator (S15); the operator is applied when one
of its actions (``emit``, ``emit_with_ack``, ``fetch_sockets``, ...) runs. A
socket in several target rooms is reached once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from . import exceptions

if TYPE_CHECKING:
    from .namespace import Namespace
    from .socket import Socket

#: Event names an emit may not use (S8, S25): the client reserves them.
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)


def check_reserved(event: Any) -> None:
    """Raise ``ValueError('"<event>" is a reserved event name')`` (S8)."""
    if event in RESERVED_EVENTS:
        raise ValueError(f'"{event}" is a reserved event name')


def ack_value(args: tuple[Any, ...]) -> Any:
    """An ack's arguments as one result: ``None``, the value, or a tuple."""
    if not args:
        return None
    return args[0] if len(args) == 1 else args


def room_set(rooms: Any) -> frozenset[Hashable]:
    """One room, or a list, tuple or set of rooms, as a frozenset."""
    if isinstance(rooms, (list, tuple, set, frozenset)):
        return frozenset(rooms)
    return frozenset((rooms,))


@dataclass(frozen=True)
class BroadcastOperator:
    """Who a broadcast reaches: a namespace (a parent namespace reaches all its
    children), optionally narrowed to rooms and minus excluded rooms.

    Without rooms every socket of the namespace is a target.
    """

    nsp: Namespace
    rooms: frozenset[Hashable] = field(default_factory=frozenset)
    except_rooms: frozenset[Hashable] = field(default_factory=frozenset)
    ack_timeout: float | None = None
    #: Only this process's sockets (with a Redis manager, the others are left alone).
    local_only: bool = False

    def to(self, room: Any) -> BroadcastOperator:
        """Also target ``room`` (or several)."""
        return replace(self, rooms=self.rooms | room_set(room))

    in_ = to

    def except_(self, room: Any) -> BroadcastOperator:
        """Exclude the sockets in ``room`` (or several); a socket id is a room."""
        return replace(self, except_rooms=self.except_rooms | room_set(room))

    def timeout(self, seconds: float) -> BroadcastOperator:
        """How long :meth:`emit_with_ack` waits for the acks."""
        return replace(self, ack_timeout=seconds)

    @property
    def local(self) -> BroadcastOperator:
        """The same targets on this process only."""
        return replace(self, local_only=True)

    # -- actions ----------------------------------------------------------

    async def emit(self, event: str, *args: Any) -> None:
        """Send ``event`` with ``args`` to every target; encoded once per namespace."""
        check_reserved(event)
        manager = self.nsp.server.manager
        room = list(self.rooms) if self.rooms else None
        except_rooms = list(self.except_rooms)
        for ns in self.nsp._namespaces():
            if ns._outgoing:
                targets = self._local_targets(ns)
                for socket in list(ns._outgoing):
                    if socket.id in targets:
                        socket._notify_outgoing(event, args)
            await manager.emit(
                event,
                args,
                ns.name,
                room=room,
                except_rooms=except_rooms,
                ignore_queue=self.local_only,
            )

    async def send(self, *args: Any) -> None:
        """``emit("message", *args)``."""
        await self.emit("message", *args)

    async def emit_with_ack(self, event: str, *args: Any) -> list[Any]:
        """Emit and collect one ack result per client that answers.

        With :meth:`timeout`, raises :class:`~socketio_rs.exceptions.TimeoutError`
        carrying ``.responses`` (the acks that did arrive) when some are
        missing; without, waits for every target (a client that disconnects
        no longer counts).
        """
        sent: list[tuple[Socket, asyncio.Future[Any]]] = [
            (socket, socket._send_with_ack(event, args)) for socket in self._local_sockets()
        ]
        if not sent:
            return []
        futures = [future for _, future in sent]
        _, pending = await asyncio.wait(futures, timeout=self.ack_timeout)
        responses = [
            future.result()
            for future in futures
            if future.done() and not future.cancelled() and future.exception() is None
        ]
        if pending:
            for socket, future in sent:
                if future in pending:
                    socket._drop_ack(future)
            error = exceptions.TimeoutError("operation has timed out")
            error.responses = responses
            raise error
        return responses

    async def fetch_sockets(self) -> list[Any]:
        """The connected targets: this process's as :class:`Socket` objects,
        then (with a Redis manager, unless :attr:`local`) the other processes'
        as :class:`~socketio_rs.remote_socket.RemoteSocket` snapshots."""
        found: list[Any] = list(self._local_sockets())
        if not self.local_only:
            manager = self.nsp.server.manager
            for ns in self.nsp._namespaces():
                found.extend(
                    await manager.fetch_remote_sockets(
                        ns.name, list(self.rooms), list(self.except_rooms)
                    )
                )
        return found

    def _local_sockets(self) -> list[Socket]:
        found: list[Socket] = []
        for ns in self.nsp._namespaces():
            sockets = ns.sockets
            found.extend(sockets[sid] for sid in self._local_targets(ns) if sid in sockets)
        return found

    async def sockets_join(self, rooms: Any) -> None:
        """Make every target join ``rooms`` (on every process)."""
        for socket in self._local_sockets():
            await socket.join(rooms)
        await self._publish("join", list(room_set(rooms)))

    async def sockets_leave(self, rooms: Any) -> None:
        """Make every target leave ``rooms`` (on every process)."""
        for socket in self._local_sockets():
            for room in room_set(rooms):
                await socket.leave(room)
        await self._publish("leave", list(room_set(rooms)))

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every target, on every process (``close=True`` closes
        their connections)."""
        for socket in self._local_sockets():
            await socket.disconnect(close)
        await self._publish("disconnect", close)

    async def _publish(self, op: str, arg: Any) -> None:
        if self.local_only:
            return
        manager = self.nsp.server.manager
        for ns in self.nsp._namespaces():
            await manager.publish_sockets_op(
                ns.name, op, list(self.rooms), list(self.except_rooms), arg
            )

    # -- targets ----------------------------------------------------------

    def _local_targets(self, ns: Namespace) -> dict[str, str]:
        manager = ns.server.manager
        targets = manager._targets(ns.name, list(self.rooms) if self.rooms else None)
        for sid in self._excluded(ns):
            targets.pop(sid, None)
        return targets

    def _excluded(self, ns: Namespace) -> list[str]:
        manager = ns.server.manager
        return list(manager._targets(ns.name, list(self.except_rooms))) if self.except_rooms else []
