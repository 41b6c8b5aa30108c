"""``AsyncServer``: python-socketio's asyncio server API on python-engineio,
with the Rust codec doing every packet.

Incoming frames go through one Rust ``Decoder`` per Engine.IO connection.
Event handlers start eagerly (see ``_eager``): one that finishes without
waiting costs no task. Outgoing packets are encoded once and queued straight
onto the Engine.IO sockets. The incoming side lives in ``_dispatch``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import Awaitable
from typing import Any, Callable, ClassVar, TypeVar

from engineio import packet as eio_packet

from .. import _core, exceptions
from .._msgpack import MsgPackDecoder, MsgPackEncoder
from .._options import NOT_YET, SERVER_OPTIONS, check_options
from .._rules import ack_value, manager_flags
from ..admin import Auth, InstrumentedAsyncServer
from ..codec import Decoder, Packet, PacketType, encode
from ..engine import EngineServer
from ..managers import AsyncManager, Targets
from ..managers.recovery import Recovery
from ..managers.remote_socket import describe
from ..namespaces import BroadcastOperator, Namespace
from .async_namespace import AsyncNamespace
from .connect import ConnectFlow
from .dispatch import Dispatcher
from .handlers import HandlerTable
from .reasons import Reason
from .registry import NamespaceRegistry
from .session import SessionContext

_EVENT = PacketType.EVENT
_DISCONNECT = PacketType.DISCONNECT
_INFO = logging.INFO

default_logger = logging.getLogger("socketio_rs.server")

#: Every option name ``AsyncServer`` takes, its parameters with them, for the suggestions.
_KNOWN_OPTIONS = SERVER_OPTIONS | {
    "client_manager",
    "namespaces",
    "always_connect",
    "serializer",
    "allow_eio3",
}

F = TypeVar("F", bound=Callable[..., Any])


class AsyncServer:
    """A Socket.IO server for asyncio, with python-socketio's API.

    :param client_manager: the client manager; an in-memory
        :class:`~socketio_rs.AsyncManager` by default.
    :param logger: ``True`` for INFO logging, ``False`` for errors only, or a logger.
    :param json: a module with ``dumps``/``loads`` used for packet payloads
        instead of the Rust JSON code (for this server only).
    :param async_handlers: when true (the default) a handler that waits does
        not hold up the client's next events.
    :param namespaces: the accepted namespaces (a list, or ``"*"`` for all);
        namespaces with handlers are always accepted. Default ``["/"]``.
    :param always_connect: send the CONNECT reply before the connect handler
        runs (a rejection then arrives as a DISCONNECT).
    :param serializer: ``"default"`` (the Socket.IO text format) or ``"msgpack"``
        (the socket.io-msgpack-parser format; needs the ``msgpack`` package).
    :param allow_eio3: also serve socket.io-client 2.x (Engine.IO v3 and Socket.IO
        protocol v4), chosen per connection at its handshake, as the reference
        server's ``allowEIO3`` (off by default: such a client is refused with
        HTTP 400 ``{"code":5,"message":"Unsupported protocol version"}``).
    :param connect_timeout: seconds an Engine.IO connection may stay without
        joining a namespace before it is closed (45; ``None`` for never).
    :param cleanup_empty_child_namespaces: remove a dynamic namespace's child
        when its last socket leaves, or when the connection that created it is refused
        (it is re-created on the next connection). On by default, unlike Node: a client
        could otherwise create children without end (docs/limits.md).
    :param max_write_buffer_size: bytes that may wait for one client before its
        connection is closed with ``reason.BUFFER_FULL`` (16 MiB; ``None`` for no limit;
        docs/limits.md).
    :param allow_request: ``fn(environ)``, sync or async, asked before each handshake:
        a false result refuses it (HTTP 403, ``connection_error`` code 4), as does raising
        ``ConnectionRefusedError("why")``.
    :param connection_state_recovery: ``True`` or a dict of options
        (``max_disconnection_duration`` in seconds, 120; ``skip_middlewares``,
        True; ``max_packets``, ``max_bytes``, ``max_sessions``): a client whose
        connection drops gets its sid, rooms, data and missed packets back when
        it reconnects in time (docs/recovery.md). Off by default.
    :param engineio_options: passed to python-engineio (``ping_interval``,
        ``ping_timeout``, ``max_http_buffer_size``, ``cors_allowed_origins``,
        ``transports``, ``async_mode``, ...); ``engineio_logger`` becomes its ``logger``.
    """

    def __init__(
        self,
        client_manager: AsyncManager | None = None,
        logger: bool | logging.Logger = False,
        json: Any = None,
        async_handlers: bool = True,
        namespaces: list[str] | str | None = None,
        always_connect: bool = False,
        serializer: str = "default",
        allow_eio3: bool = False,
        **engineio_options: Any,
    ) -> None:
        check_options("AsyncServer()", engineio_options, _KNOWN_OPTIONS, NOT_YET)
        if serializer not in ("default", "msgpack"):
            raise ValueError(
                f"serializer={serializer!r} is not supported: use 'default' (the Socket.IO "
                "text format) or 'msgpack' (socket.io-msgpack-parser)"
            )
        self.connect_timeout: float | None = engineio_options.pop("connect_timeout", 45)
        self.cleanup_empty_child_namespaces = bool(
            engineio_options.pop("cleanup_empty_child_namespaces", True)
        )
        recovery = Recovery.from_option(engineio_options.pop("connection_state_recovery", None))
        engineio_logger = engineio_options.pop("engineio_logger", None)
        if engineio_logger is not None:
            engineio_options["logger"] = engineio_logger
        engineio_options["async_handlers"] = False
        self.eio = EngineServer(allow_eio3=allow_eio3, **engineio_options)
        #: Whether socket.io-client 2.x (Engine.IO v3, Socket.IO protocol v4) is served.
        self.allow_eio3 = bool(allow_eio3)
        self.environ: dict[str, dict[str, Any]] = {}
        self.logger = _make_logger(logger)
        self.manager = client_manager if client_manager is not None else AsyncManager()
        self.manager.set_server(self)
        self.manager.recovery = recovery
        self.async_handlers = async_handlers
        self.always_connect = always_connect
        self.namespaces = namespaces or ["/"]
        self.async_mode = self.eio.async_mode
        self.json = json
        self._encode: Callable[[Packet], list[str | bytes]]
        new_decoder: Callable[[], Any]
        if serializer == "msgpack":
            self._encode, new_decoder = MsgPackEncoder(), MsgPackDecoder
        elif json is None:
            self._encode, new_decoder = encode, Decoder
        else:
            self._encode = functools.partial(encode, json=json)
            new_decoder = functools.partial(Decoder, json=json)
        self._handler_table = HandlerTable()
        self.handlers = self._handler_table.handlers
        self.namespace_handlers = self._handler_table.namespace_handlers
        self.not_handled = self._handler_table.not_handled
        self._registry = NamespaceRegistry(self, self.logger)
        self._connects = ConnectFlow(self, self._registry, self._handler_table, self._encode)
        self._dispatcher = Dispatcher(self, self._connects, self._handler_table, new_decoder)
        self.eio.on("connect", self._dispatcher.eio_connect)
        self.eio.on_message(
            self._dispatcher.eio_message,
            self._dispatcher.eio_message_nowait,
            self._dispatcher.lane() if self._encode is encode else None,
        )
        self.eio.on("disconnect", self._dispatcher.eio_disconnect)
        self._instrumentation: InstrumentedAsyncServer | None = None
        self._shutting_down = False
        #: The default namespace, ``sio.of("/")``.
        self.sockets: Namespace = self.of("/")

    #: python-socketio's events that catch-all handlers do not receive.
    reserved_events: ClassVar[list[str]] = ["connect", "disconnect"]
    #: The disconnect reasons python-socketio handlers receive.
    reason = Reason

    def is_asyncio_based(self) -> bool:
        """Always true: this is an asyncio server."""
        return True

    @property
    def engine(self) -> EngineServer:
        """The Engine.IO server (``sio.eio``), under the reference server's name: its
        ``on("connection_error")``, ``on("initial_headers")`` and ``on("headers")``."""
        return self.eio

    @property
    def shutting_down(self) -> bool:
        """True once :meth:`shutdown` started."""
        return self._shutting_down

    @property
    def instrumentation(self) -> InstrumentedAsyncServer | None:
        """The Admin UI instrumentation (:meth:`instrument`), or ``None``.

        Setting it installs its hooks (the server's and the manager's in
        development mode, the Engine.IO layer's in both); ``None`` removes them.
        """
        return self._instrumentation

    @instrumentation.setter
    def instrumentation(self, admin: InstrumentedAsyncServer | None) -> None:
        self._instrumentation = admin
        development = admin if admin is not None and admin.mode == "development" else None
        self._connects.observe(development)
        self._dispatcher.observe(development)
        self.manager.observer = development
        self.eio.observer = admin

    # -- what the managers use (ManagedServer) ----------------------------

    def encode_event(
        self, namespace: str, payload: list[Any], ack_id: int | None
    ) -> list[eio_packet.Packet]:
        """The Engine.IO packets of one EVENT (several when it carries binary)."""
        return self._frames(Packet(_EVENT, namespace, payload, ack_id))

    def send_event(
        self, eio_sid: str, namespace: str, payload: list[Any], compress: bool = True
    ) -> None:
        """Send one EVENT without an ack id to one connection, now."""
        self._connects.send_packet(eio_sid, _EVENT, namespace, payload, None, compress)

    async def apply_sockets_op(self, namespace: str, targets: Targets, op: str, arg: Any) -> None:
        """Another process's ``sockets_join``/``sockets_leave``/``disconnect_sockets``,
        applied to this process's sockets."""
        nsp = self._registry.get(namespace)
        if nsp is None:
            return
        operator = BroadcastOperator(
            nsp, rooms=targets.rooms, except_rooms=targets.except_rooms, local_only=True
        )
        if op == "join":
            await operator.sockets_join(arg)
        elif op == "leave":
            await operator.sockets_leave(arg)
        elif op == "disconnect":
            await operator.disconnect_sockets(bool(arg))

    def describe_sockets(self, namespace: str, targets: Targets) -> list[dict[str, Any]]:
        """This process's sockets that ``targets`` reach, as another process
        rebuilds them (``fetch_sockets``)."""
        nsp = self._registry.get(namespace)
        if nsp is None:
            return []
        operator = BroadcastOperator(
            nsp, rooms=targets.rooms, except_rooms=targets.except_rooms, local_only=True
        )
        return [describe(socket) for socket in operator.local_sockets()]

    # -- sending ----------------------------------------------------------

    def _frames(self, pkt: Packet) -> list[eio_packet.Packet]:
        """The Engine.IO packets of one Socket.IO packet (several when it carries binary)."""
        return [eio_packet.Packet(eio_packet.MESSAGE, frame) for frame in self._encode(pkt)]

    async def _send_packet(self, eio_sid: str, pkt: Packet) -> None:
        """python-socketio's name for sending one packet to one connection."""
        self._connects.send(eio_sid, pkt)

    async def _send_eio_packet(self, eio_sid: str, eio_pkt: eio_packet.Packet) -> None:
        """Queue one Engine.IO packet (python-socketio's name)."""
        self.eio.enqueue(eio_sid, eio_pkt)

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        """Run the handler of ``event`` (python-socketio's name)."""
        return await self._handler_table.trigger(event, namespace, *args)

    # -- handler registration ---------------------------------------------

    def on(
        self, event: str, handler: Callable[..., Any] | None = None, namespace: str | None = None
    ) -> Any:
        """Register ``handler`` for ``event`` in ``namespace`` (``"/"`` by default).

        Used as ``@sio.on("event")`` or ``sio.on("event", handler)``. ``"*"``
        as the event catches every event without its own handler; ``"*"`` as
        the namespace catches every namespace.
        """
        ns = namespace or "/"

        def set_handler(fn: F) -> F:
            self.handlers.setdefault(ns, {})[event] = fn
            return fn

        if handler is None:
            return set_handler
        set_handler(handler)
        return None

    def event(self, *args: Any, **kwargs: Any) -> Any:
        """Register a handler named after the function: ``@sio.event`` or
        ``@sio.event(namespace="/chat")``."""
        if len(args) == 1 and not kwargs and callable(args[0]):
            return self.on(args[0].__name__)(args[0])

        def set_handler(fn: F) -> F:
            self.on(fn.__name__, *args, **kwargs)(fn)
            return fn

        return set_handler

    def register_namespace(self, namespace_handler: AsyncNamespace) -> None:
        """Register a class-based namespace (an :class:`AsyncNamespace` instance)."""
        if not isinstance(namespace_handler, AsyncNamespace):
            raise ValueError("Not a namespace instance")
        namespace_handler._set_server(self)
        self.namespace_handlers[namespace_handler.namespace] = namespace_handler

    # -- Node-style namespaces -------------------------------------------

    def listeners_added(self) -> None:
        """A Node-style listener, per-socket middleware or catch-all, or a dynamic
        namespace's child now exists (namespaces and sockets call it as they get one): from
        now on each event asks its socket whether they take it (``Socket._intercepts``)."""
        self._dispatcher.intercept()

    def of(
        self, name: str | re.Pattern[str] | Callable[..., Any], fn: Callable[..., Any] | None = None
    ) -> Any:
        """The namespace ``name``, created on first use (a leading ``/`` is
        added; the name is otherwise literal). A compiled regex or a function
        ``fn(name, auth) -> bool`` (sync or async) creates a
        :class:`ParentNamespace` whose children are the matching names.
        ``fn``, when given, is registered as a ``"connection"`` handler.
        """
        nsp: Namespace
        if isinstance(name, re.Pattern) or callable(name):
            nsp = self._registry.new_parent(name)
        else:
            name = str(name)
            nsp = self._registry.of(name if name.startswith("/") else "/" + name)
        if fn is not None:
            nsp.on("connection", fn)
        return nsp

    def find_namespace(self, name: str) -> Namespace | None:
        """The namespace ``name`` if it exists now (a dynamic child once a
        client created it), without creating it as :meth:`of` does."""
        return self._registry.get(name)

    def use(self, fn: Callable[..., Any]) -> Namespace:
        """``sio.of("/").use(fn)``: middleware of the default namespace only."""
        return self.sockets.use(fn)

    def to(self, room: Any) -> BroadcastOperator:
        """``sio.of("/").to(room)``."""
        return self.sockets.to(room)

    in_ = to

    def except_(self, room: Any) -> BroadcastOperator:
        """``sio.of("/").except_(room)``."""
        return self.sockets.except_(room)

    def timeout(self, seconds: float) -> BroadcastOperator:
        """``sio.of("/").timeout(seconds)``."""
        return self.sockets.timeout(seconds)

    @property
    def volatile(self) -> BroadcastOperator:
        """``sio.of("/").volatile``: Node's ``io.volatile.emit(...)``."""
        return self.sockets.volatile

    def compress(self, compress: bool) -> BroadcastOperator:
        """``sio.of("/").compress(flag)``: Node's ``io.compress(false).emit(...)``."""
        return self.sockets.compress(compress)

    async def fetch_sockets(self) -> list[Any]:
        """The sockets of the default namespace."""
        return await self.sockets.fetch_sockets()

    def on_server_side(self, event: str, handler: Callable[..., Any] | None = None) -> Any:
        """``sio.of("/").on_server_side(event)``: a handler for another process's
        :meth:`server_side_emit`."""
        return self.sockets.on_server_side(event, handler)

    async def server_side_emit(self, event: str, *args: Any) -> None:
        """``sio.of("/").server_side_emit(...)``: to the other server processes."""
        await self.sockets.server_side_emit(event, *args)

    async def server_side_emit_with_ack(
        self, event: str, *args: Any, timeout: float = 5.0
    ) -> list[Any]:
        """``sio.of("/").server_side_emit_with_ack(...)``: one answer per other process."""
        return await self.sockets.server_side_emit_with_ack(event, *args, timeout=timeout)

    async def server_side_event(
        self, namespace: str, event: str, args: list[Any]
    ) -> tuple[bool, Any]:
        """Another process's :meth:`server_side_emit` arrived (the manager calls it)."""
        nsp = self._registry.get(namespace)
        if nsp is None:
            return False, None
        return await nsp._run_server_side(event, args)

    async def sockets_join(self, rooms: Any) -> None:
        """Make every socket of the default namespace join ``rooms``."""
        await self.sockets.sockets_join(rooms)

    async def sockets_leave(self, rooms: Any) -> None:
        """Make every socket of the default namespace leave ``rooms``."""
        await self.sockets.sockets_leave(rooms)

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every socket of the default namespace."""
        await self.sockets.disconnect_sockets(close)

    # -- emitting ---------------------------------------------------------

    async def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
        volatile: bool = False,
        compress: bool = True,
    ) -> None:
        """Emit ``event`` to one client (``to=sid``), a room, a list of rooms,
        or everyone in the namespace.

        ``data`` is one argument, a tuple of several, or ``None`` for none;
        bytes anywhere become binary attachments. ``skip_sid`` (a sid or a
        list) excludes clients; ``callback`` receives the client's ack.
        ``volatile=True`` skips the clients whose transport is not ready to
        write, instead of buffering the event for them (Node's ``volatile``).
        ``compress=False`` sends it uncompressed on the ``serve()`` WebSockets that
        negotiated ``permessage-deflate``; elsewhere it is a hint (docs/limits.md).
        """
        ns = namespace or "/"
        target = to or room
        logger = self.logger
        if logger.isEnabledFor(_INFO):  # one call fewer than ``info`` when it is off
            logger.info('emitting event "%s" to %s [%s]', event, target or "all", ns)
        manager = self.manager
        if (
            target.__class__ is str
            and manager.__class__ is AsyncManager  # a manager of its own sees every emit
            and skip_sid is None
            and callback is None
            and not volatile
            and manager.recovery is None
            and manager.observer is None
            and self._encode is encode  # emit_to_one writes the default encoder's frames
            and _core.emit_to_one(self.eio.outboxes, manager.rooms, ns, target, event, data)
        ):
            return  # to one client on a direct WebSocket: emit_local's rule, in Rust
        await manager.emit(
            event,
            data,
            ns,
            room=target,
            skip_sid=skip_sid,
            callback=callback,
            ignore_queue=ignore_queue,
            **manager_flags(volatile, compress),
        )

    async def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
        volatile: bool = False,
        compress: bool = True,
    ) -> None:
        """Emit a ``message`` event (``volatile`` and ``compress`` as :meth:`emit`'s)."""
        await self.emit(
            "message",
            data=data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace,
            callback=callback,
            ignore_queue=ignore_queue,
            volatile=volatile,
            compress=compress,
        )

    async def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = 60,
        ignore_queue: bool = False,
    ) -> Any:
        """Emit to one client and wait for its ack.

        Returns ``None`` for an ack without arguments, the argument for one,
        a tuple for several; raises ``socketio_rs.exceptions.TimeoutError``
        after ``timeout`` seconds.
        """
        if to is None and sid is None:
            raise ValueError("Cannot use call() to broadcast.")
        if not self.async_handlers:
            raise RuntimeError("Cannot use call() when async_handlers is False.")
        future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

        def on_ack(*args: Any) -> None:
            if not future.done():
                future.set_result(args)

        await self.emit(
            event,
            data=data,
            room=to or sid,
            namespace=namespace,
            callback=on_ack,
            ignore_queue=ignore_queue,
        )
        try:
            args = await asyncio.wait_for(future, timeout)
        except asyncio.TimeoutError:
            raise exceptions.TimeoutError() from None
        return ack_value(args)

    # -- rooms, sessions, connection info ---------------------------------

    async def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """Put client ``sid`` in ``room``."""
        ns = namespace or "/"
        self.logger.info("%s is entering room %s [%s]", sid, room, ns)
        await self.manager.enter_room(sid, ns, room)

    async def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """Take client ``sid`` out of ``room``."""
        ns = namespace or "/"
        self.logger.info("%s is leaving room %s [%s]", sid, room, ns)
        await self.manager.leave_room(sid, ns, room)

    async def close_room(self, room: Any, namespace: str | None = None) -> None:
        """Take every client out of ``room``."""
        ns = namespace or "/"
        self.logger.info("room %s is closing [%s]", room, ns)
        await self.manager.close_room(room, ns)

    def rooms(self, sid: str, namespace: str | None = None) -> list[Any]:
        """The rooms client ``sid`` is in (its own room included)."""
        return self.manager.get_rooms(sid, namespace or "/")

    async def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        """The user session of client ``sid`` (a dict)."""
        ns = namespace or "/"
        eio_session = await self.eio.get_session(self.manager.eio_sid_from_sid(sid, ns))
        session: dict[str, Any] = eio_session.setdefault(ns, {})
        return session

    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None:
        """Store the user session of client ``sid``."""
        ns = namespace or "/"
        eio_session = await self.eio.get_session(self.manager.eio_sid_from_sid(sid, ns))
        eio_session[ns] = session

    def session(self, sid: str, namespace: str | None = None) -> SessionContext:
        """``async with sio.session(sid) as session:`` reads the session and
        saves it back at the end of the block."""
        return SessionContext(self, sid, namespace)

    def transport(self, sid: str, namespace: str | None = None) -> str:
        """``"polling"`` or ``"websocket"``."""
        transport: str = self.eio.transport(self.manager.eio_sid_from_sid(sid, namespace or "/"))
        return transport

    def recovered(self, sid: str, namespace: str | None = None) -> bool:
        """Whether client ``sid`` took over a dropped session (connection state
        recovery): same sid, rooms, ``socket.data`` and session, and the packets
        it missed were sent again. Usable from the ``connect`` handler on."""
        nsp = self._registry.get(namespace or "/")
        socket = None if nsp is None else nsp.socket(sid)
        return socket is not None and socket.recovered

    def get_environ(self, sid: str, namespace: str | None = None) -> dict[str, Any] | None:
        """The WSGI-style environ of the client's first request (under ASGI it
        holds the scope as ``asgi.scope``)."""
        eio_sid = self.manager.eio_sid_from_sid(sid, namespace or "/")
        return self.environ.get(eio_sid) if eio_sid is not None else None

    async def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None:
        """Disconnect client ``sid`` from ``namespace``: it receives DISCONNECT
        and the ``disconnect`` handler runs with ``reason.SERVER_DISCONNECT``."""
        ns = namespace or "/"
        if ignore_queue:
            allowed = self.manager.is_connected(sid, ns)
        else:
            allowed = await self.manager.can_disconnect(sid, ns)
        if not allowed:
            return
        self.logger.info("Disconnecting %s [%s]", sid, ns)
        eio_sid = self.manager.eio_sid_from_sid(sid, ns)
        client = self._connects.clients.get(eio_sid) if eio_sid is not None else None
        socket = client.sockets.get(ns) if client is not None else None
        if socket is not None and socket.id == sid:
            await self._connects.server_disconnect(socket)
            return
        # Known to the manager but not to this server (a manager of another kind).
        self.manager.pre_disconnect(sid, namespace=ns)
        if eio_sid is not None:
            self._connects.send(eio_sid, Packet(_DISCONNECT, ns))
        await self._handler_table.trigger("disconnect", ns, sid, self.reason.SERVER_DISCONNECT)
        await self.manager.disconnect(sid, namespace=ns, ignore_queue=True)

    # -- server lifecycle and utilities -----------------------------------

    async def shutdown(self) -> None:
        """Stop the server's background activity (call before the web server stops).

        Connected clients are disconnected first, with the reason
        ``"server shutting down"`` for Node-style handlers (S22).
        """
        self.logger.info("Socket.IO is shutting down")
        self._shutting_down = True
        if self.eio.sockets:  # python-engineio's disconnect() fails with no session
            await self.eio.disconnect()
        if self._instrumentation is not None:
            await self._instrumentation.shutdown()  # the Admin UI's statistics task
        await self.eio.shutdown()
        await self.manager.shutdown()  # e.g. a pub/sub manager's connections

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        """Handle an HTTP request (the Engine.IO entry point)."""
        return await self.eio.handle_request(*args, **kwargs)

    def attach(self, app: Any, socketio_path: str = "socket.io") -> None:
        """Attach to an aiohttp, sanic or tornado application."""
        self.eio.attach(app, socketio_path)

    def start_background_task(
        self, target: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> asyncio.Task[Any]:
        """Start ``target(*args, **kwargs)`` as an asyncio task."""
        task: asyncio.Task[Any] = self.eio.start_background_task(target, *args, **kwargs)
        return task

    async def sleep(self, seconds: float = 0) -> None:
        """``asyncio.sleep``."""
        await self.eio.sleep(seconds)

    def instrument(
        self,
        auth: Auth | None = None,
        mode: str = "development",
        read_only: bool = False,
        server_id: str | None = None,
        namespace: str = "/admin",
        server_stats_interval: float = 2,
    ) -> InstrumentedAsyncServer:
        """Report to the `Socket.IO Admin UI <https://socket.io/docs/v4/admin-ui/>`_.

        :param auth: the credentials the UI must send: a dict (usually ``username`` and
            ``password``), a list of dicts, or a callable (sync or async) that receives the
            UI's auth and returns whether it is accepted; ``False`` accepts everyone. An empty
            dict or list is refused (``ValueError``): python-socketio reads it as ``False``.
        :param mode: ``"development"`` reports every socket, event and room change;
            ``"production"`` only the server statistics.
        :param read_only: refuse the UI's actions (emit, join, leave, disconnect).
        :param server_id: the server's name in the UI (the manager's ``host_id`` or the
            host name by default).
        :param namespace: the namespace the UI connects to.
        :param server_stats_interval: seconds between ``server_stats`` reports.
        """
        return InstrumentedAsyncServer(
            self,
            auth=auth,
            mode=mode,
            read_only=read_only,
            server_id=server_id,
            namespace=namespace,
            server_stats_interval=server_stats_interval,
        )


def _make_logger(logger: bool | logging.Logger) -> logging.Logger:
    if not isinstance(logger, bool):
        return logger
    log = default_logger
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO if logger else logging.ERROR)
        log.addHandler(logging.StreamHandler())
    return log


__all__ = ["AsyncServer"]
