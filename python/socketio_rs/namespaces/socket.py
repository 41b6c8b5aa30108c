"""``Socket``: the Node-style view of one client's connection to one namespace."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Hashable, Sequence
from typing import Any, Callable, Protocol

from .. import exceptions
from .._eager import start_listener
from .._rules import ack_value, check_reserved, manager_flags, room_set
from ..codec import Packet, PacketType
from ..managers import AsyncManager
from . import listeners
from .handshake import Handshake
from .middleware import CLOSED, Waiter, run_chain
from .operators import BroadcastOperator, Scope

logger = logging.getLogger("socketio_rs.socket")
_EVENT = PacketType.EVENT


class Connection(Protocol):
    """The Engine.IO connection a socket belongs to (the server's ``Client``)."""

    @property
    def eio_sid(self) -> str: ...

    @property
    def closing(self) -> str | None:
        """The reason, once the connection's close was decided."""

    @property
    def transport(self) -> str: ...

    @property
    def writable(self) -> bool:
        """Whether a packet sent now leaves at once (for volatile emits)."""

    def send(self, pkt: Packet, compress: bool = True) -> None:
        """Queue one packet for the client, now; ``compress=False``: uncompressed."""

    def send_packet(
        self,
        packet_type: int,
        namespace: str,
        data: Any,
        ack_id: int | None = None,
        compress: bool = True,
    ) -> None:
        """``send(Packet(packet_type, namespace, data, ack_id), compress)``, without the
        ``Packet`` where it can."""

    async def disconnect_socket(self, socket: Socket, close: bool) -> None:
        """``socket.disconnect(close)``: DISCONNECT, then the handlers."""


class Resolver(Protocol):
    """python-socketio's handlers, as an event's dispatch asks them (the server's table)."""

    #: What :meth:`resolve` returns when no handler applies.
    not_handled: Any

    def resolve(self, event: Any, namespace: str, args: tuple[Any, ...]) -> Any:
        """Call the handler of ``event``: its result, possibly a coroutine."""


class SocketNamespace(Scope, Protocol):
    """The namespace a socket is in, as the socket uses it."""

    @property
    def server(self) -> Any: ...

    @property
    def logger(self) -> logging.Logger: ...

    @property
    def parent(self) -> Any: ...

    @property
    def _handlers(self) -> dict[Any, list[Callable[..., Any]]]: ...

    def _listeners(self, event: Any) -> list[Callable[..., Any]]: ...

    def _middleware(self) -> Sequence[Callable[..., Any]]: ...

    def _watch_outgoing(self, socket: Socket) -> None: ...

    def _unwatch_outgoing(self, socket: Socket) -> None: ...


class Socket:
    """One client connected to one namespace (the reference server's ``Socket``).

    ``socket.id`` is the sid python-socketio handlers receive for the same
    connection. Attributes may be set freely (``socket.user = ...``), as in
    Node; ``socket.data`` is the dict meant for application data.
    """

    def __init__(
        self,
        nsp: SocketNamespace,
        sid: str,
        client: Connection,
        environ: dict[str, Any] | None,
        auth: Any,
        pid: str | None = None,
    ) -> None:
        #: The namespace sid (python-socketio's ``sid``).
        self.id = sid
        #: The private session id of connection state recovery (``None`` when it is off).
        self.pid = pid
        #: True when this socket took over the session of one whose connection
        #: dropped (connection state recovery): same id, rooms and ``data``.
        self.recovered = False
        #: The namespace: for a dynamic namespace, the child, e.g. ``/acme``.
        self.nsp = nsp
        #: The server (``nsp.server``).
        self.server = nsp.server
        #: The Engine.IO connection, shared by the client's sockets of every namespace.
        self.client = client
        #: The python-engineio environ of the first request; under ASGI it
        #: holds the scope as ``request["asgi.scope"]``.
        self.request = environ
        self._auth = auth
        self._created = time.time()
        self._handshake: Handshake | None = None
        self.data: dict[str, Any] = {}
        #: True from the CONNECT reply until the disconnection.
        self.connected = False
        self._manager: AsyncManager = self.server.manager
        #: True once its disconnection started (events from it are dropped);
        #: read-only: the socket sets it itself.
        self.closing = False
        #: ``id`` while the socket takes events (connected, not closing), else ``None``:
        #: the two flags and the id in one read for serve()'s event lane.
        self._live_id: str | None = None
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
        """``not connected``."""
        return not self.connected

    @property
    def rooms(self) -> set[Hashable]:
        """The rooms the socket is in, its own room (``socket.id``) included."""
        return set(self._manager.get_rooms(self.id, self.nsp.name))

    @property
    def transport(self) -> str:
        """``"polling"`` or ``"websocket"``."""
        return self.client.transport

    # -- emitting ---------------------------------------------------------

    async def emit(self, event: str, *args: Any, compress: bool = True) -> None:
        """Send ``event`` with ``args`` to this client (bytes anywhere are binary).
        ``compress=False`` (or :meth:`compress`): sent uncompressed on a ``serve()``
        WebSocket with ``permessage-deflate``; elsewhere a hint (docs/limits.md)."""
        check_reserved(event)
        if self.closing or self.client.closing:
            return
        self._notify_outgoing(event, args)
        if self._manager.recovery is not None:
            # Through the manager, to the socket's own room: the packet gets an
            # offset and is kept for replay, as any broadcast (the reference's way).
            await self._manager.emit(
                event,
                args,
                self.nsp.name,
                room=self.id,
                ignore_queue=True,
                **manager_flags(compress=compress),
            )
            return
        self.client.send_packet(_EVENT, self.nsp.name, [event, *args], None, compress)

    async def send(self, *args: Any) -> None:
        """``emit("message", *args)``."""
        await self.emit("message", *args)

    async def emit_with_ack(
        self, event: str, *args: Any, timeout: float | None = None, compress: bool = True
    ) -> Any:
        """Emit and wait for the client's ack: ``None`` for an ack without
        arguments, the argument for one, a tuple for several.

        Raises :class:`~socketio_rs.exceptions.TimeoutError` after ``timeout``
        seconds, :class:`~socketio_rs.exceptions.DisconnectedError` if the
        socket disconnects first. ``compress``: as for :meth:`emit`.
        """
        future = self._send_with_ack(event, args, compress)
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

    def compress(self, compress: bool) -> _CompressedSocket:
        """``await socket.compress(False).emit(...)``: Node's ``socket.compress``. ``False``
        sends the emit uncompressed on a ``serve()`` WebSocket that negotiated
        ``permessage-deflate``; elsewhere it is a hint without effect (docs/limits.md)."""
        return _CompressedSocket(self, bool(compress))

    @property
    def volatile(self) -> _VolatileSocket:
        """``await socket.volatile.emit(...)``: dropped, not buffered, when the client's
        transport is not ready to write (Node's ``socket.volatile``)."""
        return _VolatileSocket(self)

    def _send_with_ack(
        self, event: str, args: tuple[Any, ...], compress: bool = True
    ) -> asyncio.Future[Any]:
        check_reserved(event)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self.closing or self.client.closing:
            future.set_exception(exceptions.DisconnectedError("the socket is disconnected"))
            return future

        def on_ack(*ack_args: Any) -> None:
            if not future.done():
                future.set_result(ack_value(ack_args))

        ack_id = self._manager.generate_ack_id(self.id, on_ack)
        self._acks[ack_id] = future
        future.add_done_callback(lambda _: self._acks.pop(ack_id, None))
        self._notify_outgoing(event, args)
        self.client.send_packet(_EVENT, self.nsp.name, [event, *args], ack_id, compress)
        return future

    def _drop_ack(self, future: asyncio.Future[Any]) -> None:
        for ack_id, pending in list(self._acks.items()):
            if pending is future:
                self._manager.drop_ack(self.id, ack_id)
                del self._acks[ack_id]
        if not future.done():
            future.cancel()

    def _notify_outgoing(self, event: str, args: tuple[Any, ...]) -> None:
        for fn in list(self._any_outgoing):
            start_listener(logger, fn, event, *args)

    # -- rooms ------------------------------------------------------------

    async def join(self, rooms: Any) -> None:
        """Join a room or several (a list, tuple or set). No-op once disconnected."""
        if self.closing:
            return
        for room in room_set(rooms):
            await self._manager.enter_room(
                self.id, self.nsp.name, room, eio_sid=self.client.eio_sid
            )

    async def leave(self, room: Any) -> None:
        """Leave ``room``; leaving a room the socket is not in does nothing."""
        if self.closing:
            return
        await self._manager.leave_room(self.id, self.nsp.name, room)

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
        its return value is the ack (:data:`~socketio_rs.NO_ACK` leaves the
        event unanswered). ``"disconnecting"``/``"disconnect"`` handlers receive
        the reason; ``"error"`` handlers the error of a per-packet middleware.
        As a decorator, returns the function."""
        self.server.listeners_added()
        return listeners.on(self._handlers, event, handler, self)

    def off(self, event: str, handler: Callable[..., Any] | None = None) -> Socket:
        """Remove one handler of ``event``, or all of them."""
        listeners.off(self._handlers, event, handler)
        return self

    def use(self, fn: Callable[..., Any]) -> Socket:
        """Per-packet middleware ``fn(packet, next)`` for incoming events;
        ``packet`` is ``[event, *args]`` and may be changed in place;
        ``next(err)`` drops the event and calls the ``"error"`` handlers."""
        self.server.listeners_added()
        self._fns.append(fn)
        return self

    def on_any(self, fn: Callable[..., Any]) -> Socket:
        """``fn(event, *args)`` for every incoming event, before middleware."""
        self.server.listeners_added()
        self._any.append(fn)
        return self

    def prepend_any(self, fn: Callable[..., Any]) -> Socket:
        self.server.listeners_added()
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
        self.nsp._watch_outgoing(self)
        return self

    def prepend_any_outgoing(self, fn: Callable[..., Any]) -> Socket:
        self._any_outgoing.insert(0, fn)
        self.nsp._watch_outgoing(self)
        return self

    def off_any_outgoing(self, fn: Callable[..., Any] | None = None) -> Socket:
        _remove(self._any_outgoing, fn)
        if not self._any_outgoing:
            self.nsp._unwatch_outgoing(self)
        return self

    def listeners_any_outgoing(self) -> list[Callable[..., Any]]:
        return list(self._any_outgoing)

    # -- disconnecting ----------------------------------------------------

    async def disconnect(self, close: bool = False) -> None:
        """Disconnect from this namespace (the client gets DISCONNECT, reason
        ``"server namespace disconnect"``); with ``close=True`` disconnect
        every namespace of the client and close the connection."""
        await self.client.disconnect_socket(self, close)

    # -- the server's side: joining, events, closing ------------------------
    # Called by the server's connect flow and dispatcher (socket.io's
    # Socket._onconnect, dispatch and _onclose); the socket changes its own state.

    async def _run_connect_middleware(self, fns: Sequence[Callable[..., Any]]) -> Any:
        """The namespace middleware chain ``fns`` for this socket: ``None`` when
        all continued, else the first error, or ``CLOSED`` when the connection
        went away meanwhile."""
        error = await run_chain(fns, self, self._waiter)
        return CLOSED if self.closing else error

    def _recover(self, data: Any) -> None:
        """It takes over a dropped session (its id and pid were given at creation)."""
        self.data = data
        self.recovered = True

    def _onconnect(self) -> None:
        """The CONNECT reply was sent."""
        self.connected = True
        if not self.closing:
            self._live_id = self.id

    def _begin_close(self) -> bool:
        """Start the disconnection: events are dropped from now on and a
        running middleware chain stops. False when it had already started."""
        if self.closing:
            return False
        self.closing = True
        self._live_id = None
        self._waiter.close()
        return True

    def _onclose(self) -> None:
        """The socket left its rooms: acks still awaited fail."""
        self.connected = False
        self._live_id = None
        for future in list(self._acks.values()):
            if not future.done():
                future.set_exception(exceptions.DisconnectedError("the socket disconnected"))

    async def _emit_reserved(self, event: str, *args: Any) -> None:
        """Namespace-level handlers ``fn(socket, *args)``, then the socket's own
        ``fn(*args)``, each awaited in turn; errors are logged."""
        nsp = self.nsp
        inherited = nsp._listeners(event)
        own = self._handlers.get(event) if self._handlers else None
        if not inherited and not own:
            return
        calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = [
            (fn, (self, *args)) for fn in inherited
        ]
        if own:
            calls.extend((fn, args) for fn in own)
        log = nsp.logger
        for fn, call_args in calls:
            try:
                ret = fn(*call_args)
                if inspect.isawaitable(ret):
                    await ret
            except Exception:
                log.exception("%s handler error", event)

    def _intercepts(self, event: Any) -> bool:
        """Whether an event needs :meth:`_dispatch` (Node-style handlers,
        catch-alls or middleware), rather than python-socketio's handler alone.
        Asked once the server heard of such listeners (``listeners_added``, which
        every way of adding one here or on a namespace calls)."""
        if self._handlers or self._fns or self._any:
            return True
        nsp = self.nsp
        return bool((nsp._handlers or nsp.parent is not None) and nsp._listeners(event))

    async def _dispatch(self, data: list[Any], handlers: Resolver) -> Any:
        """An incoming event: ``on_any`` listeners (M14), the socket's middleware
        (M10-M13), then python-socketio's handler (``handlers.resolve``), the
        namespace's handlers and the socket's own. The first result that is not
        ``None`` is the ack; ``handlers.not_handled`` when nothing handled it."""
        not_handled = handlers.not_handled
        log = self.nsp.logger
        event, args = data[0], data[1:]
        for fn in list(self._any):
            start_listener(log, fn, event, *args)
        if self._fns:
            packet = list(data)
            error = await run_chain(list(self._fns), packet, None)
            if error is CLOSED or self.closing:
                return not_handled
            if error is not None:
                # M12: nothing goes to the client; the socket's "error" handlers get it.
                log.info("socket middleware refused an event: %s", error)
                await self._emit_reserved("error", error)
                return not_handled
            if not packet:
                return not_handled
            event, args = packet[0], packet[1:]
        found, ack = False, None
        calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        calls.extend((fn, (self, *args)) for fn in self.nsp._listeners(event))
        calls.extend((fn, tuple(args)) for fn in self._handlers.get(event, ()))
        try:
            result = handlers.resolve(event, self.nsp.name, (self.id, *args))
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            log.exception("event handler error")
            result = None
            found = True
        if result is not not_handled:
            found, ack = True, result
        for fn, call_args in calls:
            found = True
            try:
                result = fn(*call_args)
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                log.exception("event handler error")
                continue
            if ack is None:
                ack = result
        return ack if found else not_handled


class _TimedSocket:
    """``socket.timeout(seconds)``."""

    __slots__ = ("_seconds", "_socket")

    def __init__(self, socket: Socket, seconds: float) -> None:
        self._socket = socket
        self._seconds = seconds

    async def emit_with_ack(self, event: str, *args: Any) -> Any:
        """See :meth:`Socket.emit_with_ack`."""
        return await self._socket.emit_with_ack(event, *args, timeout=self._seconds)


class _CompressedSocket:
    """``socket.compress(flag)``."""

    __slots__ = ("_compress", "_socket")

    def __init__(self, socket: Socket, compress: bool) -> None:
        self._socket = socket
        self._compress = compress

    async def emit(self, event: str, *args: Any) -> None:
        """See :meth:`Socket.emit`."""
        await self._socket.emit(event, *args, compress=self._compress)

    async def send(self, *args: Any) -> None:
        """``emit("message", *args)``."""
        await self.emit("message", *args)

    async def emit_with_ack(self, event: str, *args: Any, timeout: float | None = None) -> Any:
        """See :meth:`Socket.emit_with_ack`."""
        return await self._socket.emit_with_ack(
            event, *args, timeout=timeout, compress=self._compress
        )


class _VolatileSocket:
    """``socket.volatile``."""

    __slots__ = ("_socket",)

    def __init__(self, socket: Socket) -> None:
        self._socket = socket

    async def emit(self, event: str, *args: Any) -> None:
        """See :meth:`Socket.emit`; nothing is sent when the transport is not ready."""
        if self._socket.client.writable:
            await self._socket.emit(event, *args)

    async def send(self, *args: Any) -> None:
        """``emit("message", *args)``."""
        await self.emit("message", *args)


def _remove(listeners: list[Callable[..., Any]], fn: Callable[..., Any] | None) -> None:
    if fn is None:
        listeners.clear()
    elif fn in listeners:
        listeners.remove(fn)
