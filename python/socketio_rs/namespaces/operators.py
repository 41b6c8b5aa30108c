"""Broadcast operators: ``nsp.to(room).except_(other).timeout(5)`` and friends.

Each modifier returns a new operator (S15); the operator is applied when one
of its actions (``emit``, ``emit_with_ack``, ``fetch_sockets``, ...) runs. A
socket in several target rooms is reached once. The operator hands the client
manager one frozen :class:`~socketio_rs.managers.Targets` value.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .. import exceptions
from .._rules import check_reserved, room_set
from ..managers import AsyncManager, Targets


class Reached(Protocol):
    """A socket, as a broadcast reaches it."""

    @property
    def id(self) -> str: ...

    def _notify_outgoing(self, event: str, args: tuple[Any, ...]) -> None: ...

    def _send_with_ack(
        self, event: str, args: tuple[Any, ...], compress: bool = True
    ) -> asyncio.Future[Any]: ...

    def _drop_ack(self, future: asyncio.Future[Any]) -> None: ...

    async def join(self, rooms: Any) -> None: ...

    async def leave(self, room: Any) -> None: ...

    async def disconnect(self, close: bool = False) -> None: ...


class Scope(Protocol):
    """A namespace, as a broadcast reaches it."""

    @property
    def name(self) -> str: ...

    @property
    def manager(self) -> AsyncManager: ...

    @property
    def sockets(self) -> Mapping[str, Reached]: ...

    def _namespaces(self) -> Sequence[Scope]:
        """The namespaces a broadcast from here reaches (a parent's children)."""

    def _outgoing_sockets(self) -> Iterable[Reached]:
        """The sockets that have ``on_any_outgoing`` listeners."""


@dataclass(frozen=True)
class BroadcastOperator:
    """Who a broadcast reaches: a namespace (a parent namespace reaches all its
    children), optionally narrowed to rooms and minus excluded rooms.

    Without rooms every socket of the namespace is a target.
    """

    nsp: Scope
    rooms: frozenset[Hashable] = field(default_factory=frozenset)
    except_rooms: frozenset[Hashable] = field(default_factory=frozenset)
    ack_timeout: float | None = None
    #: Only this process's sockets (with a Redis manager, the others are left alone).
    local_only: bool = False
    #: Dropped for the clients whose transport is not ready to write (:attr:`volatile`).
    is_volatile: bool = False
    #: ``False``: sent uncompressed (:meth:`compress`).
    compressed: bool = True

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

    @property
    def volatile(self) -> BroadcastOperator:
        """The same targets, but a client whose transport is not ready to write (a slow
        reader, a polling client between two requests) does not get the emit, rather than
        having it buffered: for data that is stale by the time it would arrive."""
        return replace(self, is_volatile=True)

    def compress(self, compress: bool) -> BroadcastOperator:
        """The same targets; ``False`` sends the emit uncompressed on the ``serve()``
        WebSockets that negotiated ``permessage-deflate`` (Node's ``compress``; elsewhere a
        hint without effect, docs/limits.md)."""
        return replace(self, compressed=bool(compress))

    @property
    def targets(self) -> Targets:
        """What the client manager is handed."""
        return Targets(
            self.rooms, self.except_rooms, self.local_only, self.is_volatile, self.compressed
        )

    # -- actions ----------------------------------------------------------

    async def emit(self, event: str, *args: Any) -> None:
        """Send ``event`` with ``args`` to every target; encoded once per namespace."""
        check_reserved(event)
        targets = self.targets
        for ns in self.nsp._namespaces():
            manager = ns.manager
            watching = list(ns._outgoing_sockets())
            if watching:
                reached = manager.local_sids(ns.name, targets)
                for socket in watching:
                    if socket.id in reached:
                        socket._notify_outgoing(event, args)
            await manager.broadcast(event, args, ns.name, targets)

    async def send(self, *args: Any) -> None:
        """``emit("message", *args)``."""
        await self.emit("message", *args)

    async def emit_with_ack(self, event: str, *args: Any) -> list[Any]:
        """Emit and collect one ack result per client that answers.

        With a Redis manager the clients of every process are asked (unless
        :attr:`local`). With :meth:`timeout`, raises
        :class:`~socketio_rs.exceptions.TimeoutError` carrying ``.responses``
        (the acks that did arrive) when some are missing; without, waits for
        every target (a client that disconnects no longer counts; another
        process must answer within the manager's ``request_timeout``).
        """
        check_reserved(event)
        sent = [
            (socket, socket._send_with_ack(event, args, self.compressed))
            for socket in self.local_sockets()
        ]
        remote = []
        if not self.local_only:
            targets = self.targets
            for ns in self.nsp._namespaces():
                acks = await ns.manager.request_acks(ns.name, targets, event, args)
                if acks is not None:
                    remote.append(acks)
        if not sent and not remote:
            return []
        futures = [future for _, future in sent]
        waited = futures + [acks.done for acks in remote]
        _, pending = await asyncio.wait(waited, timeout=self.ack_timeout)
        responses = [
            future.result()
            for future in futures
            if future.done() and not future.cancelled() and future.exception() is None
        ]
        for acks in remote:
            responses.extend(acks.responses)
            if acks.done.done() and acks.done.exception() is not None:
                pending.add(acks.done)  # a process that never answered
        if pending:
            for socket, future in sent:
                if future in pending:
                    socket._drop_ack(future)
            for acks in remote:
                acks.give_up(waiting_for_acks=True)
            error = exceptions.TimeoutError("operation has timed out")
            error.responses = responses
            raise error
        return responses

    async def fetch_sockets(self) -> list[Any]:
        """The connected targets: this process's as :class:`Socket` objects,
        then (with a Redis manager, unless :attr:`local`) the other processes'
        as :class:`~socketio_rs.managers.RemoteSocket` snapshots."""
        found: list[Any] = list(self.local_sockets())
        if not self.local_only:
            targets = self.targets
            for ns in self.nsp._namespaces():
                found.extend(await ns.manager.fetch_remote_sockets(ns.name, targets))
        return found

    def local_sockets(self) -> list[Any]:
        """The connected targets on this process, as :class:`Socket` objects."""
        found: list[Reached] = []
        targets = self.targets
        for ns in self.nsp._namespaces():
            sockets = ns.sockets
            reached = ns.manager.local_sids(ns.name, targets)
            found.extend(sockets[sid] for sid in reached if sid in sockets)
        return found

    async def sockets_join(self, rooms: Any) -> None:
        """Make every target join ``rooms`` (on every process)."""
        for socket in self.local_sockets():
            await socket.join(rooms)
        await self._publish("join", list(room_set(rooms)))

    async def sockets_leave(self, rooms: Any) -> None:
        """Make every target leave ``rooms`` (on every process)."""
        for socket in self.local_sockets():
            for room in room_set(rooms):
                await socket.leave(room)
        await self._publish("leave", list(room_set(rooms)))

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every target, on every process (``close=True`` closes
        their connections)."""
        for socket in self.local_sockets():
            await socket.disconnect(close)
        await self._publish("disconnect", close)

    async def _publish(self, op: str, arg: Any) -> None:
        if self.local_only:
            return
        targets = self.targets
        for ns in self.nsp._namespaces():
            await ns.manager.publish_sockets_op(ns.name, targets, op, arg)
