"""``Socket``: the Node-style view of one client's connection to one namespace."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any, Callable, Final

from . import _handlers, exceptions
from ._handlers import start_listener
from .codec import Packet, PacketType
from .handshake import Handshake
from .middleware import Waiter
from .operators import BroadcastOperator, ack_value, check_reserved, room_set

if TYPE_CHECKING:
    from ._connect import _Client
    from .namespace import Namespace
    from .server import AsyncServer

logger = logging.getLogger("socketio_rs.socket")


class _NoAck:
    """The type of :data:`NO_ACK`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "socketio_rs.NO_ACK"


#: Returned by an event handler, leaves the event unanswered: no ack is sent, and a client that
#: asked for one times out, as with a Node handler that never calls its callback. (``None``
#: sends an empty ack, python-socketio's rule.) Among several handlers of one event the first
#: result that is not ``None`` decides, so ``NO_ACK`` from that one means no ack.
NO_ACK: Final = _NoAck()


class Socket:
    """One client connected to one namespace (the reference server's ``Socket``).

    ``socket.id`` is the sid python-socketio handlers receive for the same
    connection. Attributes may be set freely (``socket.user = ...``), as in
    Node; ``socket.data`` is the dict meant for application data.
    """

    def __init__(
        self,
        server: AsyncServer,
        nsp: Namespace,
        sid: str,
        client: _Client,
        environ: dict[str, Any] | None,
        auth: Any,
    ) -> None:
        #: The namespace sid (python-socketio's ``sid``).
        self.id = sid
        #: The namespace: for a dynamic namespace, the child, e.g. ``/acme``.
        self.nsp = nsp
        self.server = server
        #: The python-engineio environ of the first request; under ASGI it
        #: holds the scope as ``request["asgi.scope"]``.
        self.request = environ
        self._auth = auth
        self._created = time.time()
        self._handshake: Handshake | None = None
        self.data: dict[str, Any] = {}
        #: True from the CONNECT reply until the disconnection.
        self.connected = False
        self._client = client
        self._eio_sid = client.eio_sid
        self._closing = False  # a disconnection started: events are dropped
        self._handlers: dict[Any, list[Callable[..., Any]]] = {}
        self._fns: list[Callable[..., Any]] = []
        self._any: list[Callable[..., Any]] = []
        self._any_outgoing: list[Callable[..., Any]] = []
        self._acks: dict[int, asyncio.Future[Any]] = {}
        self._waiter = Waiter()

    def __repr__(self) -> str:
        return f"<Socket {self.id} {self.nsp.name} connected={self.connected}>"

    # -- state ------------------------------------------------------------

    @property
    def handshake(self) -> Handshake:
        """What the connection's first request carried (built on first use)."""
        if self._handshake is None:
            self._handshake = Handshake(self.request, self._auth, self._created)
        return self._handshake

    @property
    def disconnected(self) -> bool:
        return not self.connected

    @property
    def rooms(self) -> set[Hashable]:
        """The rooms the socket is in, its own room (``socket.id``) included."""
        return set(self.server.manager.get_rooms(self.id, self.nsp.name))

    @property
    def transport(self) -> str:
        """``"polling"`` or ``"websocket"``."""
        transport: str = self.server.eio.transport(self._eio_sid)
        return transport

    # -- emitting ---------------------------------------------------------

    async def emit(self, event: str, *args: Any) -> None:
        """Send ``event`` with ``args`` to this client (bytes anywhere are binary)."""
        check_reserved(event)
        if self._closing or self._client.closing:
            return
        self._notify_outgoing(event, args)
        self.server._send(self._eio_sid, Packet(PacketType.EVENT, self.nsp.name, [event, *args]))

    async def send(self, *args: Any) -> None:
        """``emit("message", *args)``."""
        await self.emit("message", *args)

    async def emit_with_ack(self, event: str, *args: Any, timeout: float | None = None) -> Any:
        """Emit and wait for the client's ack: ``None`` for an ack without
        arguments, the argument for one, a tuple for several.

        Raises :class:`~socketio_rs.exceptions.TimeoutError` after ``timeout``
        seconds, :class:`~socketio_rs.exceptions.DisconnectedError` if the
        socket disconnects first.
        """
        future = self._send_with_ack(event, args)
        try:
            if timeout is None:
                return await future
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except asyncio.TimeoutError:
            self._drop_ack(future)
            raise exceptions.TimeoutError("operation has timed out") from None

    def timeout(self, seconds: float) -> _TimedSocket:
        """``await socket.timeout(5).emit_with_ack(...)``."""
        return _TimedSocket(self, seconds)

    def _send_with_ack(self, event: str, args: tuple[Any, ...]) -> asyncio.Future[Any]:
        check_reserved(event)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._closing or self._client.closing:
            future.set_exception(exceptions.DisconnectedError("the socket is disconnected"))
            return future

        def on_ack(*ack_args: Any) -> None:
            if not future.done():
                future.set_result(ack_value(ack_args))

        ack_id = self.server.manager._generate_ack_id(self.id, on_ack)
        self._acks[ack_id] = future
        future.add_done_callback(lambda _: self._acks.pop(ack_id, None))
        self._notify_outgoing(event, args)
        self.server._send(
            self._eio_sid, Packet(PacketType.EVENT, self.nsp.name, [event, *args], ack_id)
        )
        return future

    def _drop_ack(self, future: asyncio.Future[Any]) -> None:
        for ack_id, pending in list(self._acks.items()):
            if pending is future:
                self.server.manager.callbacks.get(self.id, {}).pop(ack_id, None)
                del self._acks[ack_id]
        if not future.done():
            future.cancel()

    def _notify_outgoing(self, event: str, args: tuple[Any, ...]) -> None:
        for fn in list(self._any_outgoing):
            start_listener(logger, fn, event, *args)

    # -- rooms ------------------------------------------------------------

    async def join(self, rooms: Any) -> None:
        """Join a room or several (a list, tuple or set). No-op once disconnected."""
        if self._closing:
            return
        for room in room_set(rooms):
            await self.server.manager.enter_room(
                self.id, self.nsp.name, room, eio_sid=self._eio_sid
            )

    async def leave(self, room: Any) -> None:
        """Leave ``room``; leaving a room the socket is not in does nothing."""
        if self._closing:
            return
        await self.server.manager.leave_room(self.id, self.nsp.name, room)

    # -- broadcasting (the sender excluded) -------------------------------

    def to(self, room: Any) -> BroadcastOperator:
        """Everyone in ``room`` but this socket."""
        return self.broadcast.to(room)

    in_ = to

    def except_(self, room: Any) -> BroadcastOperator:
        """Everyone in the namespace but this socket and the members of ``room``."""
        return self.broadcast.except_(room)

    @property
    def broadcast(self) -> BroadcastOperator:
        """Everyone in the namespace but this socket."""
        return BroadcastOperator(self.nsp, except_rooms=frozenset([self.id]))

    # -- listeners --------------------------------------------------------

    def on(self, event: str, handler: Callable[..., Any] | None = None) -> Any:
        """Handle ``event`` from this client: ``handler(*args)``, sync or async;
        its return value is the ack (:data:`NO_ACK` leaves the event
        unanswered). ``"disconnecting"``/``"disconnect"`` handlers receive the
        reason; ``"error"`` handlers the error of a per-packet middleware. As a
        decorator, returns the function."""
        return _handlers.on(self._handlers, event, handler, self)

    def off(self, event: str, handler: Callable[..., Any] | None = None) -> Socket:
        """Remove one handler of ``event``, or all of them."""
        _handlers.off(self._handlers, event, handler)
        return self

    def use(self, fn: Callable[..., Any]) -> Socket:
        """Per-packet middleware ``fn(packet, next)`` for incoming events;
        ``packet`` is ``[event, *args]`` and may be changed in place;
        ``next(err)`` drops the event and calls the ``"error"`` handlers."""
        self._fns.append(fn)
        return self

    def on_any(self, fn: Callable[..., Any]) -> Socket:
        """``fn(event, *args)`` for every incoming event, before middleware."""
        self._any.append(fn)
        return self

    def prepend_any(self, fn: Callable[..., Any]) -> Socket:
        self._any.insert(0, fn)
        return self

    def off_any(self, fn: Callable[..., Any] | None = None) -> Socket:
        """Remove one catch-all listener, or all of them."""
        _remove(self._any, fn)
        return self

    def listeners_any(self) -> list[Callable[..., Any]]:
        return list(self._any)

    def on_any_outgoing(self, fn: Callable[..., Any]) -> Socket:
        """``fn(event, *args)`` for every event sent to this client (emits and
        broadcasts; not acks)."""
        self._any_outgoing.append(fn)
        self.nsp._outgoing.add(self)
        return self

    def prepend_any_outgoing(self, fn: Callable[..., Any]) -> Socket:
        self._any_outgoing.insert(0, fn)
        self.nsp._outgoing.add(self)
        return self

    def off_any_outgoing(self, fn: Callable[..., Any] | None = None) -> Socket:
        _remove(self._any_outgoing, fn)
        if not self._any_outgoing:
            self.nsp._outgoing.discard(self)
        return self

    def listeners_any_outgoing(self) -> list[Callable[..., Any]]:
        return list(self._any_outgoing)

    # -- disconnecting ----------------------------------------------------

    async def disconnect(self, close: bool = False) -> None:
        """Disconnect from this namespace (the client gets DISCONNECT, reason
        ``"server namespace disconnect"``); with ``close=True`` disconnect
        every namespace of the client and close the connection."""
        await self.server._disconnect_socket(self, close)


class _TimedSocket:
    """``socket.timeout(seconds)``."""

    __slots__ = ("_seconds", "_socket")

    def __init__(self, socket: Socket, seconds: float) -> None:
        self._socket = socket
        self._seconds = seconds

    async def emit_with_ack(self, event: str, *args: Any) -> Any:
        """See :meth:`Socket.emit_with_ack`."""
        return await self._socket.emit_with_ack(event, *args, timeout=self._seconds)


def _remove(listeners: list[Callable[..., Any]], fn: Callable[..., Any] | None) -> None:
    if fn is None:
        listeners.clear()
    elif fn in listeners:
        listeners.remove(fn)
