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
from collections import deque
from collections.abc import Awaitable
from typing import Any, Callable, TypeVar

from . import exceptions
from ._connect import _Client
from ._dispatch import _DISCONNECT, Dispatcher
from ._engine import EngineServer
from ._msgpack import MsgPackDecoder, MsgPackEncoder
from ._router import RegexRouter
from .admin import Auth, InstrumentedAsyncServer
from .async_namespace import AsyncNamespace
from .codec import Decoder, Packet, encode
from .manager import AsyncManager
from .namespace import Namespace, ParentNamespace
from .operators import BroadcastOperator

default_logger = logging.getLogger("socketio_rs.server")

F = TypeVar("F", bound=Callable[..., Any])


class AsyncServer(Dispatcher):
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
    :param connect_timeout: seconds an Engine.IO connection may stay without
        joining a namespace before it is closed (45; ``None`` for never).
    :param cleanup_empty_child_namespaces: remove a dynamic namespace's child
        when its last socket leaves (it is re-created on the next connection).
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
        **engineio_options: Any,
    ) -> None:
        if serializer not in ("default", "msgpack"):
            raise ValueError(
                f"serializer={serializer!r} is not supported: use 'default' (the Socket.IO "
                "text format) or 'msgpack' (socket.io-msgpack-parser)"
            )
        self.connect_timeout: float | None = engineio_options.pop("connect_timeout", 45)
        self.cleanup_empty_child_namespaces = bool(
            engineio_options.pop("cleanup_empty_child_namespaces", False)
        )
        engineio_logger = engineio_options.pop("engineio_logger", None)
        if engineio_logger is not None:
            engineio_options["logger"] = engineio_logger
        engineio_options["async_handlers"] = False
        self.eio = EngineServer(**engineio_options)
        self.eio.on("connect", self._handle_eio_connect)
        self.eio.on("message", self._handle_eio_message)
        self.eio.on("disconnect", self._handle_eio_disconnect)
        self.environ: dict[str, dict[str, Any]] = {}
        self.handlers: dict[str, dict[Any, Callable[..., Any]]] = {}
        self.namespace_handlers: dict[str, AsyncNamespace] = {}
        self.not_handled = object()
        self.logger = _make_logger(logger)
        self.manager = client_manager if client_manager is not None else AsyncManager()
        self.manager.set_server(self)
        self.manager_initialized = False
        self.async_handlers = async_handlers
        self.always_connect = always_connect
        self.namespaces = namespaces or ["/"]
        self.async_mode = self.eio.async_mode
        self.json = json
        self._encode: Callable[[Packet], list[str | bytes]]
        self._new_decoder: Callable[[], Any]
        if serializer == "msgpack":
            self._encode, self._new_decoder = MsgPackEncoder(), MsgPackDecoder
        elif json is None:
            self._encode, self._new_decoder = encode, Decoder
        else:
            self._encode = functools.partial(encode, json=json)
            self._new_decoder = functools.partial(Decoder, json=json)
        self._clients: dict[str, _Client] = {}
        # The Admin UI's hooks (development mode); see admin.py. Each hook point costs one
        # attribute check when the server is not instrumented.
        self._admin: InstrumentedAsyncServer | None = None
        self._shutting_down = False
        self._joins_due: deque[_Client] = deque()  # connect_timeout, in deadline order
        self._joins_timer: asyncio.TimerHandle | None = None
        # Node-style namespaces (namespace.py): by name, and the dynamic parents.
        self._nsps: dict[str, Namespace] = {}
        self._regex_parents: list[ParentNamespace] = []  # index = the router's index
        self._fn_parents: list[ParentNamespace] = []
        self._parent_count = 0
        self._router = RegexRouter()
        #: The default namespace, ``sio.of("/")``.
        self.sockets: Namespace = self.of("/")

    def is_asyncio_based(self) -> bool:
        """Always true: this is an asyncio server."""
        return True

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
            nsp = self._new_parent(name)
        else:
            name = str(name)
            if not name.startswith("/"):
                name = "/" + name
            existing = self._nsps.get(name)
            if existing is not None:
                nsp = existing
            else:
                index = self._router.first_match(name) if self._regex_parents else None
                if index is not None:  # N4: a name a regex parent matches is its child
                    nsp = self._create_child(self._regex_parents[index], name)
                else:
                    nsp = Namespace(self, name)
                    self._register_namespace(nsp)
        if fn is not None:
            nsp.on("connection", fn)
        return nsp

    def _new_parent(self, matcher: Any) -> ParentNamespace:
        order = self._parent_count
        self._parent_count += 1
        if isinstance(matcher, re.Pattern):
            self._router.add(matcher)  # TypeError for a bytes pattern
            parent = ParentNamespace(self, f"/_{order}", matcher, order)
            self._regex_parents.append(parent)
        else:
            parent = ParentNamespace(self, f"/_{order}", matcher, order)
            self._fn_parents.append(parent)
        return parent

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

    async def fetch_sockets(self) -> list[Any]:
        """The sockets of the default namespace."""
        return await self.sockets.fetch_sockets()

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
    ) -> None:
        """Emit ``event`` to one client (``to=sid``), a room, a list of rooms,
        or everyone in the namespace.

        ``data`` is one argument, a tuple of several, or ``None`` for none;
        bytes anywhere become binary attachments. ``skip_sid`` (a sid or a
        list) excludes clients; ``callback`` receives the client's ack.
        """
        ns = namespace or "/"
        target = to or room
        self.logger.info('emitting event "%s" to %s [%s]', event, target or "all", ns)
        await self.manager.emit(
            event,
            data,
            ns,
            room=target,
            skip_sid=skip_sid,
            callback=callback,
            ignore_queue=ignore_queue,
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
    ) -> None:
        """Emit a ``message`` event."""
        await self.emit(
            "message",
            data=data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace,
            callback=callback,
            ignore_queue=ignore_queue,
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
        if len(args) > 1:
            return args
        return args[0] if args else None

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

    def session(self, sid: str, namespace: str | None = None) -> _SessionContext:
        """``async with sio.session(sid) as session:`` reads the session and
        saves it back at the end of the block."""
        return _SessionContext(self, sid, namespace)

    def transport(self, sid: str, namespace: str | None = None) -> str:
        """``"polling"`` or ``"websocket"``."""
        transport: str = self.eio.transport(self.manager.eio_sid_from_sid(sid, namespace or "/"))
        return transport

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
        client = self._clients.get(eio_sid) if eio_sid is not None else None
        socket = client.sockets.get(ns) if client is not None else None
        if socket is not None and socket.id == sid:
            await self._server_disconnect(socket)
            return
        # Known to the manager but not to this server (a manager of another kind).
        self.manager.pre_disconnect(sid, namespace=ns)
        if eio_sid is not None:
            self._send(eio_sid, Packet(_DISCONNECT, ns))
        await self._trigger_event("disconnect", ns, sid, self.reason.SERVER_DISCONNECT)
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
        if isinstance(self.eio.observer, InstrumentedAsyncServer):
            await self.eio.observer.shutdown()  # the Admin UI's statistics task
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
            UI's auth and returns whether it is accepted; ``False`` accepts everyone.
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


class _SessionContext:
    def __init__(self, server: AsyncServer, sid: str, namespace: str | None) -> None:
        self.server = server
        self.sid = sid
        self.namespace = namespace
        self.session: dict[str, Any] | None = None

    async def __aenter__(self) -> dict[str, Any]:
        self.session = await self.server.get_session(self.sid, namespace=self.namespace)
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        assert self.session is not None
        await self.server.save_session(self.sid, self.session, namespace=self.namespace)


def _make_logger(logger: bool | logging.Logger) -> logging.Logger:
    if not isinstance(logger, bool):
        return logger
    log = default_logger
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO if logger else logging.ERROR)
        log.addHandler(logging.StreamHandler())
    return log


__all__ = ["AsyncServer"]
