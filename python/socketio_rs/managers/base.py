"""The in-memory client manager: who is connected to which namespace, rooms,
and ack callbacks.

It keeps python-socketio's ``AsyncManager`` names and shapes (``rooms``,
``callbacks``, ``get_participants``, ``pre_connect``, ``emit``, ...) so code and
managers written against them keep working, but it delivers a broadcast by
encoding once and queueing the same Engine.IO packet for every recipient,
without a task per recipient.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from .. import _eager, exceptions
from .._rules import event_args, manager_flags
from .recovery import Recovery, Restored, Session
from .room_events import RoomListeners

default_logger = logging.getLogger("socketio_rs")

#: The room of every connected client of a namespace (python-socketio's ``None`` room).
CONNECTED = None
#: The rooms of a namespace without clients (never changed).
_NO_ROOMS: dict[Hashable, dict[str, str]] = {}


@dataclass(frozen=True)
class Targets:
    """Who a Node-style broadcast reaches in one namespace: the members of
    ``rooms`` (every socket when there are none) minus the members of
    ``except_rooms``; ``local`` keeps it to this process; ``volatile`` skips
    the clients whose transport is not ready to write; ``compress=False`` sends
    uncompressed."""

    rooms: frozenset[Hashable] = frozenset()
    except_rooms: frozenset[Hashable] = frozenset()
    local: bool = False
    volatile: bool = False
    compress: bool = True


class ManagedServer(Protocol):
    """What a client manager uses of its server (``AsyncServer`` meets it)."""

    logger: logging.Logger
    #: The JSON module given to the server, or ``None`` for the built-in one.
    json: Any
    #: The python-engineio server: ``generate_id``, ``enqueue``, ``broadcast``.
    eio: Any

    def encode_event(self, namespace: str, payload: list[Any], ack_id: int | None) -> list[Any]: ...

    def send_event(
        self, eio_sid: str, namespace: str, payload: list[Any], compress: bool = True
    ) -> None: ...

    async def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None: ...

    async def apply_sockets_op(self, namespace: str, targets: Targets, op: str, arg: Any) -> None:
        """``sockets_join``/``sockets_leave``/``disconnect_sockets`` on this process's sockets."""

    def describe_sockets(self, namespace: str, targets: Targets) -> list[dict[str, Any]]:
        """This process's matching sockets, as another process rebuilds them."""

    async def server_side_event(
        self, namespace: str, event: str, args: list[Any]
    ) -> tuple[bool, Any]:
        """Run the ``on_server_side`` handlers of ``event`` in ``namespace``:
        ``(handled, the answer)``."""


class RemoteAcks:
    """The acks of other processes' clients for one broadcast: ``done``
    resolves once every process said how many clients it reached and all
    their acks arrived, or fails with ``TimeoutError`` when a process did not
    answer within the manager's ``request_timeout``."""

    def __init__(self, processes: int, on_ack: Callable[..., Any] | None = None) -> None:
        self.processes = processes
        #: Called with each ack as it arrives (python-socketio's emit callback).
        self.on_ack = on_ack
        self.reported = 0
        self.expected = 0
        self.responses: list[Any] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def count(self, clients: int) -> None:
        """One process reached ``clients`` clients."""
        self.reported += 1
        self.expected += clients
        self._check()

    def ack(self, value: Any) -> None:
        """One client's ack (its arguments as one value)."""
        self.responses.append(value)
        if self.on_ack is not None:
            _eager.start_listener(default_logger, self.on_ack, *(() if value is None else (value,)))
        self._check()

    def give_up(self, waiting_for_acks: bool = False) -> None:
        """Stop waiting: when a process did not report in time, or (with
        ``waiting_for_acks``) when the broadcast's own timeout passed."""
        if self.done.done() or (self.reported >= self.processes and not waiting_for_acks):
            return
        self.done.set_exception(
            exceptions.TimeoutError(
                f"{self.reported} of {self.processes} processes answered, "
                f"{len(self.responses)} of {self.expected} acks arrived"
            )
        )
        self.done.exception()  # whoever waited has its answer: nothing goes unretrieved

    def _check(self) -> None:
        if (
            not self.done.done()
            and self.reported >= self.processes
            and len(self.responses) >= self.expected
        ):
            self.done.set_result(None)


class Answers:
    """The answers of the other processes to one request (``fetch_sockets``,
    a server-side emit with an ack): one per process."""

    __slots__ = ("answers", "done", "expected")

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.answers: list[Any] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def add(self, answer: Any) -> None:
        """One process answered."""
        self.answers.append(answer)
        if len(self.answers) >= self.expected and not self.done.done():
            self.done.set_result(None)

    async def wait(self, timeout: float, what: str) -> list[Any]:
        """Every answer; :class:`~socketio_rs.exceptions.TimeoutError` carrying
        ``.responses`` (those that came) when some are missing after ``timeout``."""
        try:
            await asyncio.wait_for(asyncio.shield(self.done), timeout)
        except asyncio.TimeoutError:
            error = exceptions.TimeoutError(
                f"timeout reached while waiting for {what} responses "
                f"({len(self.answers)} of {self.expected})"
            )
            error.responses = list(self.answers)
            raise error from None
        return self.answers


class ManagerObserver(Protocol):
    """Told of room changes and deliveries (the Admin UI, in development mode)."""

    def room_joined(self, sid: str, namespace: str, room: Any) -> None: ...

    def room_left(self, sid: str, namespace: str, room: Any) -> None: ...

    def event_sent(self, namespace: str, sids: Any, payload: list[Any]) -> None: ...


class AsyncManager:
    """Manage the clients of one server process.

    ``rooms[namespace][room][sid] = eio_sid``; the room ``None`` holds every
    client connected to the namespace, and every client is also in a room
    named after its sid.
    """

    def __init__(self) -> None:
        self.logger: logging.Logger | None = None
        self.server: ManagedServer | None = None
        #: Told of room changes and deliveries while set (the Admin UI's hooks).
        self.observer: ManagerObserver | None = None
        #: Connection state recovery's sessions and packets, when it is on.
        self.recovery: Recovery | None = None
        self.rooms: dict[str, dict[Hashable, dict[str, str]]] = {}
        self.callbacks: dict[str, dict[int, Any]] = {}
        self.pending_connect: dict[str, set[str]] = {}
        self.pending_disconnect: dict[str, set[str]] = {}
        # eio_sid -> sid per namespace: the inverse of rooms[namespace][None].
        self._sids: dict[str, dict[str, str]] = {}
        # The rooms of each sid per namespace (insertion-ordered): the inverse of
        # rooms, so that leaving every room and listing them do not scan the
        # namespace's rooms.
        self._member_of: dict[str, dict[str, dict[Any, None]]] = {}
        #: The adapter's room event listeners (``Namespace.adapter``); empty costs one check.
        self.room_listeners = RoomListeners()

    def set_server(self, server: ManagedServer) -> None:
        """Attach the manager to its server."""
        self.server = server

    def initialize(self) -> None:
        """Invoked before the first connection; subclasses start their work here."""

    async def shutdown(self) -> None:
        """Release the manager's resources; ``AsyncServer.shutdown`` awaits it."""

    def get_namespaces(self) -> Iterable[str]:
        """The namespaces with connected clients."""
        return self.rooms.keys()

    def get_participants(self, namespace: str, room: Any) -> Iterator[tuple[str, str]]:
        """``(sid, eio_sid)`` of the local clients in ``room`` (a room or a list of rooms)."""
        yield from self.targets(namespace, room).items()

    def targets(self, namespace: str, room: Any) -> dict[str, str]:
        """A snapshot of the recipients ``sid -> eio_sid``, each once."""
        ns = self.rooms.get(namespace)
        if not ns:
            return {}
        if not isinstance(room, str) and hasattr(room, "__len__"):  # a list of rooms
            found: dict[str, str] = {}
            for r in room:
                members = ns.get(r)
                if members:
                    found.update(members)
            return found
        members = ns.get(room)
        return dict(members) if members else {}

    def local_sids(self, namespace: str, targets: Targets) -> dict[str, str]:
        """``sid -> eio_sid`` of this process's clients that ``targets`` reach."""
        found = self.targets(namespace, list(targets.rooms) if targets.rooms else None)
        if targets.except_rooms and found:
            for sid in self.targets(namespace, list(targets.except_rooms)):
                found.pop(sid, None)
        return found

    # -- connection state -------------------------------------------------

    async def pre_connect(self, eio_sid: str, namespace: str, sid: str | None = None) -> str | None:
        """Allocate a sid for ``eio_sid`` in ``namespace`` (or take ``sid``, a
        recovered session's); it is pending until :meth:`connect`. Returns
        ``None`` if that client is already there."""
        if eio_sid in self._sids.get(namespace, {}):
            return None
        if sid is None:
            assert self.server is not None
            sid = self.server.eio.generate_id()
        self._sids.setdefault(namespace, {})[eio_sid] = sid
        self.basic_enter_room(sid, namespace, CONNECTED, eio_sid=eio_sid)
        self.basic_enter_room(sid, namespace, sid, eio_sid=eio_sid)
        self.pending_connect.setdefault(namespace, set()).add(sid)
        return sid

    async def connect(self, sid: str, namespace: str) -> str | None:
        """Mark a pre-connected client as connected. Given an Engine.IO sid
        instead, pre-connect it first (python-socketio's behaviour)."""
        if not self.is_pre_connected(sid, namespace):
            pre = await self.pre_connect(sid, namespace)
            if pre is None:
                return None
            sid = pre
        _discard(self.pending_connect, namespace, sid)
        return sid

    def is_pre_connected(self, sid: str, namespace: str) -> bool:
        """Whether ``sid`` is connecting (its connect handler has not finished)."""
        return sid in self.pending_connect.get(namespace, ())

    def is_connected(self, sid: str, namespace: str) -> bool:
        """Whether ``sid`` is connected and neither connecting nor disconnecting."""
        if sid in self.pending_connect.get(namespace, ()) or sid in self.pending_disconnect.get(
            namespace, ()
        ):
            return False
        return sid in self.rooms.get(namespace, {}).get(CONNECTED, {})

    def sid_from_eio_sid(self, eio_sid: str, namespace: str) -> str | None:
        """The namespace sid of an Engine.IO session."""
        return self._sids.get(namespace, {}).get(eio_sid)

    def eio_sid_from_sid(self, sid: str, namespace: str) -> str | None:
        """The Engine.IO session of a namespace sid."""
        return self.rooms.get(namespace, {}).get(CONNECTED, {}).get(sid)

    def pre_disconnect(self, sid: str, namespace: str) -> str | None:
        """Mark ``sid`` as disconnecting; its data stays until :meth:`disconnect`."""
        self.pending_disconnect.setdefault(namespace, set()).add(sid)
        return self.eio_sid_from_sid(sid, namespace)

    def basic_disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """Remove ``sid`` from every room of ``namespace`` and drop its callbacks."""
        ns = self.rooms.get(namespace)
        if ns is None:
            return
        eio_sid = ns.get(CONNECTED, {}).get(sid)
        joined = self._member_of.get(namespace, {}).get(sid)
        for room in list(joined) if joined else ():
            self.basic_leave_room(sid, namespace, room)
        if eio_sid is not None:
            sids = self._sids.get(namespace)
            if sids is not None and sids.get(eio_sid) == sid:
                del sids[eio_sid]
                if not sids:
                    del self._sids[namespace]
        self.callbacks.pop(sid, None)
        _discard(self.pending_connect, namespace, sid)
        _discard(self.pending_disconnect, namespace, sid)

    # -- rooms ------------------------------------------------------------

    def is_sid_room(self, namespace: str, room: Any) -> bool:
        """Whether ``room`` is the own room of a connected client."""
        return room in self.rooms.get(namespace, {}).get(CONNECTED, {})

    def basic_enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        """Put ``sid`` in ``room``."""
        if eio_sid is None and namespace not in self.rooms:
            raise ValueError("sid is not connected to requested namespace")
        if sid != room and self.is_sid_room(namespace, room):
            raise ValueError("cannot enter a sid room")
        ns = self.rooms.setdefault(namespace, {})
        if eio_sid is None:
            eio_sid = ns[CONNECTED][sid]
        members = ns.get(room)
        if members is None:
            members = ns[room] = {}
            created = True
        else:
            created = False
        joining = sid not in members
        members[sid] = eio_sid
        room_events = self.room_listeners.by_namespace
        if room_events and room is not CONNECTED:
            listeners = room_events.get(namespace)
            if listeners is not None:
                if created:
                    RoomListeners.emit(self._get_logger(), listeners, "create-room", room)
                if joining:
                    RoomListeners.emit(self._get_logger(), listeners, "join-room", room, sid)
        member_of = self._member_of.get(namespace)
        if member_of is None:
            member_of = self._member_of[namespace] = {}
        joined = member_of.get(sid)
        if joined is None:
            member_of[sid] = {room: None}
        else:
            joined[room] = None
        if self.observer is not None:
            self.observer.room_joined(sid, namespace, room)

    def basic_leave_room(self, sid: str, namespace: str, room: Any) -> None:
        """Take ``sid`` out of ``room``; empty rooms and namespaces are dropped."""
        ns = self.rooms.get(namespace)
        if ns is None:
            return
        members = ns.get(room)
        if members is None or sid not in members:
            return
        if self.observer is not None:
            self.observer.room_left(sid, namespace, room)
        del members[sid]
        member_of = self._member_of[namespace]
        joined = member_of[sid]
        del joined[room]
        if not joined:
            del member_of[sid]
            if not member_of:
                del self._member_of[namespace]
        if not members:
            del ns[room]
            if not ns:
                del self.rooms[namespace]
        room_events = self.room_listeners.by_namespace
        if room_events and room is not CONNECTED:
            listeners = room_events.get(namespace)
            if listeners is not None:
                RoomListeners.emit(self._get_logger(), listeners, "leave-room", room, sid)
                if not members:
                    RoomListeners.emit(self._get_logger(), listeners, "delete-room", room)

    def basic_close_room(self, room: Any, namespace: str) -> None:
        """Take every client out of ``room``."""
        if self.is_sid_room(namespace, room):
            raise ValueError("cannot close a sid room")
        for sid in list(self.targets(namespace, room)):
            self.basic_leave_room(sid, namespace, room)

    def get_rooms(self, sid: str, namespace: str) -> list[Any]:
        """The rooms ``sid`` is in, its own room included."""
        joined = self._member_of.get(namespace, {}).get(sid, {})
        return [name for name in joined if name is not CONNECTED]

    # -- asynchronous API (python-socketio's AsyncManager) -----------------

    async def can_disconnect(self, sid: str, namespace: str) -> bool:
        """Whether this process can disconnect ``sid`` itself."""
        return self.is_connected(sid, namespace)

    async def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """Forget ``sid`` in ``namespace``."""
        self.basic_disconnect(sid, namespace, **kwargs)

    async def enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        """Put ``sid`` in ``room``."""
        self.basic_enter_room(sid, namespace, room, eio_sid=eio_sid)

    async def leave_room(self, sid: str, namespace: str, room: Any) -> None:
        """Take ``sid`` out of ``room``."""
        self.basic_leave_room(sid, namespace, room)

    async def close_room(self, room: Any, namespace: str) -> None:
        """Take every client out of ``room``."""
        self.basic_close_room(room, namespace)

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Callable[..., Any] | None = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Emit to one client, a room, a list of rooms or the whole namespace.

        Without a callback the packet is encoded once and the same Engine.IO
        packets are queued for every recipient; with one, each recipient gets
        its own ack id. ``except_rooms`` (a list, from the broadcast
        operators) also excludes the members of those rooms and the sockets
        still joining. With connection state recovery, an emit without a
        callback carries an offset and is kept for replay. ``compress=False``
        sends it uncompressed on the WebSockets that compress.
        """
        args = event_args(data)
        offset = None
        volatile = bool(kwargs.get("volatile", False))
        if self.recovery is not None and callback is None and not volatile:
            offset = self.recovery.new_offset()
            args = [*args, offset]
        self.emit_local(
            event,
            args,
            namespace,
            to or room,
            skip_sid,
            callback,
            except_rooms=kwargs.get("except_rooms"),
            offset=offset,
            volatile=volatile,
            compress=kwargs.get("compress", True),
        )

    async def broadcast(
        self, event: str, args: tuple[Any, ...], namespace: str, targets: Targets
    ) -> None:
        """A Node-style broadcast (``nsp.to(room).emit(...)``): through :meth:`emit`,
        so that a manager overriding it sees every emit."""
        await self.emit(
            event,
            args,
            namespace,
            room=list(targets.rooms) if targets.rooms else None,
            except_rooms=list(targets.except_rooms),
            ignore_queue=targets.local,
            volatile=targets.volatile,
            **manager_flags(compress=targets.compress),
        )

    # -- connection state recovery ------------------------------------------

    async def persist_session(self, session: Session) -> None:
        """Keep the session of a socket whose connection dropped (recovery is on)."""
        assert self.recovery is not None
        self.recovery.persist(session)

    async def restore_session(self, namespace: str, pid: str, offset: str) -> Restored | None:
        """Take over the kept session ``pid``, whose client saw the packets up to
        ``offset``; ``None`` when it cannot be (recovery is on)."""
        assert self.recovery is not None
        return self.recovery.restore(namespace, pid, offset)

    async def request_acks(
        self, namespace: str, targets: Targets, event: str, args: tuple[Any, ...]
    ) -> RemoteAcks | None:
        """Emit ``event`` with an ack to the matching clients of the other
        processes and gather their acks; a single process has none."""
        return None

    async def server_side_emit(
        self, namespace: str, event: str, args: tuple[Any, ...], timeout: float | None = None
    ) -> list[Any] | None:
        """Send ``event`` to the other server processes' ``on_server_side``
        handlers; with a ``timeout``, wait for one answer per process and return
        them. A single process has no other: ``[]``."""
        return [] if timeout is not None else None

    async def fetch_remote_sockets(self, namespace: str, targets: Targets) -> list[Any]:
        """The matching sockets of the other processes (``RemoteSocket``
        objects); a single process has none."""
        return []

    async def publish_sockets_op(self, namespace: str, targets: Targets, op: str, arg: Any) -> None:
        """Ask the other processes to apply a broadcast operator's ``op``
        (``"join"``, ``"leave"`` or ``"disconnect"``) to their sockets; a
        single process has none."""

    def emit_local(
        self,
        event: str,
        args: list[Any],
        namespace: str,
        room: Any,
        skip_sid: Any,
        callback: Callable[..., Any] | None,
        except_rooms: list[Any] | None = None,
        offset: str | None = None,
        volatile: bool = False,
        compress: bool = True,
    ) -> int:
        """Deliver to the local recipients now; returns how many there were.
        A packet with an ``offset`` (its last argument) is kept for recovery,
        whether or not anyone here receives it now. A volatile message skips
        the clients whose transport is not ready to write (and is never kept).
        ``compress=False``: sent uncompressed on the WebSockets that compress."""
        server = self.server
        assert server is not None
        payload = [event, *args]
        frames = None
        if offset is not None and self.recovery is not None:
            frames = server.encode_event(namespace, payload, None)
            self.recovery.record(offset, namespace, room, skip_sid, except_rooms, frames)
        elif (
            room.__class__ is str
            and callback is None
            and skip_sid is None
            and except_rooms is None
            and not volatile
        ):
            # ``to=sid`` (a room of one), the common reply to a sender: sent at once, without
            # the recipients' snapshot or packets shared to build.
            members = self.rooms.get(namespace, _NO_ROOMS).get(room)
            if members is not None and len(members) == 1:
                return self._send_to_one(namespace, members, payload, compress)
        targets = self.targets(namespace, room)
        if skip_sid is not None:
            for skipped in skip_sid if isinstance(skip_sid, list) else (skip_sid,):
                targets.pop(skipped, None)
        if except_rooms is not None and targets:
            # A Node-style broadcast: sockets still joining are not in the namespace yet (M5).
            for sid in self.targets(namespace, except_rooms):
                targets.pop(sid, None)
            for sid in self.pending_connect.get(namespace, ()):
                targets.pop(sid, None)
        if not targets:
            return 0
        if callback is None:
            if frames is None:
                if len(targets) == 1 and not volatile:  # one recipient: no packets shared to build
                    return self._send_to_one(namespace, targets, payload, compress)
                frames = server.encode_event(namespace, payload, None)
            if volatile or not compress:
                server.eio.broadcast(targets.values(), frames, volatile, compress)
            else:
                server.eio.broadcast(targets.values(), frames)
        else:
            for sid, eio_sid in targets.items():
                if volatile and not server.eio.writable(eio_sid):
                    continue
                ack_id = self.generate_ack_id(sid, callback)
                for frame in server.encode_event(namespace, payload, ack_id):
                    server.eio.enqueue(eio_sid, frame, compress)
        if self.observer is not None:
            self.observer.event_sent(namespace, targets, payload)
        return len(targets)

    def _send_to_one(
        self, namespace: str, target: dict[str, str], payload: list[Any], compress: bool
    ) -> int:
        """An EVENT without an ack to the one client of ``target`` (``sid -> eio_sid``)."""
        server = self.server
        assert server is not None
        # Taken out first: sending may disconnect the client, and change ``target``.
        ((sid, eio_sid),) = target.items()
        server.send_event(eio_sid, namespace, payload, compress)
        if self.observer is not None:
            self.observer.event_sent(namespace, {sid: eio_sid}, payload)
        return 1

    async def trigger_callback(self, sid: str, id: int, data: list[Any]) -> None:
        """Run the ack callback ``id`` of ``sid`` with the client's arguments."""
        callback = self.callbacks.get(sid, {}).pop(id, None)
        if callback is None:
            self._get_logger().warning("Unknown callback received, ignoring.")
            return
        ret = callback(*data)
        if inspect.isawaitable(ret):
            try:
                await ret
            except asyncio.CancelledError:
                pass

    def generate_ack_id(self, sid: str, callback: Callable[..., Any]) -> int:
        """A new ack id for ``sid``: per client, from 1 (python-socketio's numbering)."""
        entry = self.callbacks.get(sid)
        if entry is None:
            entry = self.callbacks[sid] = {0: itertools.count(1)}
        ack_id: int = next(entry[0])
        entry[ack_id] = callback
        return ack_id

    #: python-socketio's name, which its managers' subclasses call.
    _generate_ack_id = generate_ack_id

    def drop_ack(self, sid: str, ack_id: int) -> None:
        """Forget an ack callback nobody waits for any more."""
        callbacks = self.callbacks.get(sid)
        if callbacks is not None:
            callbacks.pop(ack_id, None)

    def _get_logger(self) -> logging.Logger:
        if self.logger:
            return self.logger
        if self.server is not None:
            return self.server.logger
        return default_logger


def _discard(table: dict[str, set[str]], namespace: str, sid: str) -> None:
    members = table.get(namespace)
    if members is not None:
        members.discard(sid)
        if not members:
            del table[namespace]
