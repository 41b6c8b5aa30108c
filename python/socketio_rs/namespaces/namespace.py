"""Node-style namespaces: ``sio.of("/admin")``, and dynamic parents
``sio.of(re.compile(...))`` / ``sio.of(fn)`` whose children are created by
the first matching connection their middleware accepts."""

from __future__ import annotations

import inspect
import logging
import re
from typing import Any, Callable, Protocol

from .. import _eager
from ..managers import AsyncManager
from ..managers.room_events import NamespaceAdapter
from . import listeners
from .operators import BroadcastOperator
from .socket import Socket

logger = logging.getLogger("socketio_rs.namespace")


class NamespaceServer(Protocol):
    """The server, as its namespaces use it (``AsyncServer`` meets it)."""

    @property
    def manager(self) -> AsyncManager: ...

    @property
    def logger(self) -> logging.Logger: ...

    def listeners_added(self) -> None:
        """A namespace or socket got a listener that may take events (``Socket._intercepts``)."""


#: ``on("connect")`` is the same as ``on("connection")`` (N5).
_ALIASES = {"connect": "connection"}


class Namespace:
    """A namespace: its sockets, middleware and handlers.

    ``sio.of(name)`` returns the same object on every call. The broadcast
    methods (``emit``, ``to``, ``except_``, ``timeout``, ...) reach the
    namespace's sockets on every process of the cluster.
    """

    def __init__(
        self, server: NamespaceServer, name: str, parent: ParentNamespace | None = None
    ) -> None:
        self.name = name
        self.server = server
        #: For a child of a dynamic namespace, its parent.
        self.parent = parent
        #: The connected sockets, by id.
        self.sockets: dict[str, Socket] = {}
        self._pending: dict[str, Socket] = {}  # middleware still running
        self._fns: list[Callable[..., Any]] = []
        self._handlers: dict[Any, list[Callable[..., Any]]] = {}
        self._outgoing: set[Socket] = set()  # sockets with on_any_outgoing listeners
        self._server_side: dict[str, list[Callable[..., Any]]] = {}  # on_server_side
        if parent is not None:  # the parent's listeners apply here (Socket._intercepts)
            server.listeners_added()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

    # -- middleware and handlers ------------------------------------------

    def use(self, fn: Callable[..., Any]) -> Namespace:
        """Add a connection middleware ``fn(socket, next)`` (sync or async) or
        ``fn(socket)``; middleware runs in registration order, one after the
        other, for connections to this namespace only. Returns the namespace."""
        self._fns.append(fn)
        return self

    def on(self, event: str, handler: Callable[..., Any] | None = None) -> Any:
        """Handle ``event`` for every socket of the namespace.

        ``"connection"`` (or ``"connect"``) handlers get the socket after the
        CONNECT reply; ``"disconnecting"``/``"disconnect"`` handlers get
        ``(socket, reason)``; other events ``(socket, *args)``, and the return
        value is the ack (:data:`~socketio_rs.NO_ACK` leaves the event
        unanswered). Sync or async. As a decorator it returns the function;
        called with a handler it returns the namespace.
        """
        self.server.listeners_added()
        return listeners.on(self._handlers, _ALIASES.get(event, event), handler, self)

    def off(self, event: str, handler: Callable[..., Any] | None = None) -> Namespace:
        """Remove one handler of ``event``, or all of them."""
        listeners.off(self._handlers, _ALIASES.get(event, event), handler)
        return self

    def listeners(self, event: str) -> list[Callable[..., Any]]:
        """The handlers of ``event`` that apply here (a parent's first)."""
        return list(self._listeners(_ALIASES.get(event, event)))

    def _listeners(self, event: Any) -> list[Callable[..., Any]]:
        own = self._handlers.get(event)
        parent = self.parent
        if parent is not None:
            inherited = parent._handlers.get(event)
            if inherited:
                return inherited + own if own else inherited
        return own or _NONE

    def _middleware(self) -> list[Callable[..., Any]]:
        """The parent's middleware, then this namespace's: read at each
        connection, so a parent's later additions apply to existing children."""
        parent = self.parent
        if parent is not None and parent._fns:
            return parent._fns + self._fns
        return self._fns

    def _namespaces(self) -> list[Namespace]:
        """The namespaces a broadcast from here reaches."""
        return [self]

    # -- what sockets and operators use -------------------------------------

    @property
    def manager(self) -> AsyncManager:
        """The server's client manager."""
        return self.server.manager

    @property
    def logger(self) -> logging.Logger:
        """The server's logger."""
        return self.server.logger

    @property
    def adapter(self) -> NamespaceAdapter:
        """The reference server's adapter events of this namespace: ``create-room``,
        ``delete-room``, ``join-room`` and ``leave-room`` (``adapter.on(event, fn)``)."""
        return NamespaceAdapter(self.server.manager.room_listeners, self.name)

    def _outgoing_sockets(self) -> list[Socket]:
        return list(self._outgoing)

    def _watch_outgoing(self, socket: Socket) -> None:
        self._outgoing.add(socket)

    def _unwatch_outgoing(self, socket: Socket) -> None:
        self._outgoing.discard(socket)

    # -- the server's side: sockets joining and leaving ----------------------
    # Called by the server's connect flow (socket.io's Namespace._doConnect and
    # _remove); the namespace changes its own state.

    def socket(self, sid: str) -> Socket | None:
        """The socket ``sid`` of this namespace, connected or still joining."""
        return self.sockets.get(sid) or self._pending.get(sid)

    def _add_pending(self, socket: Socket) -> None:
        """A socket whose middleware is running."""
        self._pending[socket.id] = socket

    def _do_connect(self, socket: Socket) -> None:
        """The socket got its CONNECT reply: it is one of ``sockets`` and the
        ``connection`` handlers run."""
        self._pending.pop(socket.id, None)
        self.sockets[socket.id] = socket
        socket._onconnect()
        listeners = self._listeners("connection")
        if listeners:
            logger = self.logger
            for fn in listeners:
                _eager.start_listener(logger, fn, socket)

    def _remove_pending(self, socket: Socket) -> None:
        """The socket's join ended without a connection, or its close began."""
        self._pending.pop(socket.id, None)

    def _remove(self, socket: Socket) -> None:
        """The socket left its rooms: it is no longer one of ``sockets``."""
        if self.sockets.get(socket.id) is socket:
            del self.sockets[socket.id]
        self._outgoing.discard(socket)

    def _is_empty(self) -> bool:
        return not self.sockets and not self._pending

    # -- broadcasting -----------------------------------------------------

    def _operator(self) -> BroadcastOperator:
        return BroadcastOperator(self)

    def to(self, room: Any) -> BroadcastOperator:
        """The sockets in ``room`` (or several rooms)."""
        return self._operator().to(room)

    in_ = to

    def except_(self, room: Any) -> BroadcastOperator:
        """All sockets but those in ``room`` (or several; a socket id is a room)."""
        return self._operator().except_(room)

    def timeout(self, seconds: float) -> BroadcastOperator:
        """For ``emit_with_ack``: how long to wait for the acks."""
        return self._operator().timeout(seconds)

    @property
    def local(self) -> BroadcastOperator:
        """The namespace's sockets on this process only."""
        return self._operator().local

    @property
    def volatile(self) -> BroadcastOperator:
        """The namespace's sockets, skipping those not ready to write (Node's ``volatile``)."""
        return self._operator().volatile

    def compress(self, compress: bool) -> BroadcastOperator:
        """The namespace's sockets; ``False`` sends uncompressed (Node's ``compress``)."""
        return self._operator().compress(compress)

    async def emit(self, event: str, *args: Any) -> None:
        """Send ``event`` with ``args`` to every socket of the namespace."""
        await self._operator().emit(event, *args)

    async def send(self, *args: Any) -> None:
        """``emit("message", *args)``."""
        await self._operator().emit("message", *args)

    async def emit_with_ack(self, event: str, *args: Any) -> list[Any]:
        """Emit to every socket and return the list of their ack results."""
        return await self._operator().emit_with_ack(event, *args)

    async def fetch_sockets(self) -> list[Any]:
        """The connected sockets."""
        return await self._operator().fetch_sockets()

    # -- between the server processes of a cluster -----------------------------

    def on_server_side(self, event: str, handler: Callable[..., Any] | None = None) -> Any:
        """Handle ``event`` sent by another process with :meth:`server_side_emit`
        (Node's ``io.on`` for ``serverSideEmit``): ``fn(*args)``, sync or async;
        what it returns answers :meth:`server_side_emit_with_ack`. Usable as a
        decorator."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._server_side.setdefault(event, []).append(fn)
            return fn

        return register(handler) if handler is not None else register

    async def server_side_emit(self, event: str, *args: Any) -> None:
        """Send ``event`` to the other server processes of the cluster (Node's
        ``serverSideEmit``); this process's own handlers do not run."""
        await self.manager.server_side_emit(self.name, event, args)

    async def server_side_emit_with_ack(
        self, event: str, *args: Any, timeout: float = 5.0
    ) -> list[Any]:
        """:meth:`server_side_emit` and wait for one answer per other process
        (Node's ``serverSideEmitWithAck``). Raises
        :class:`~socketio_rs.exceptions.TimeoutError`, with ``.responses``,
        when some have not answered after ``timeout`` seconds."""
        responses = await self.manager.server_side_emit(self.name, event, args, timeout)
        return responses or []

    async def _run_server_side(self, event: str, args: list[Any]) -> tuple[bool, Any]:
        """Run the :meth:`on_server_side` handlers of ``event``: whether there
        were any, and the first answer that is not ``None``."""
        answer = None
        handlers = list(self._server_side.get(event, ()))
        for fn in handlers:
            try:
                ret = fn(*args)
                if inspect.isawaitable(ret):
                    ret = await ret
            except Exception:
                self.logger.exception("server-side %r handler error", event)
                continue
            if answer is None:
                answer = ret
        return bool(handlers), answer

    async def sockets_join(self, rooms: Any) -> None:
        """Make every socket join ``rooms``."""
        await self._operator().sockets_join(rooms)

    async def sockets_leave(self, rooms: Any) -> None:
        """Make every socket leave ``rooms``."""
        await self._operator().sockets_leave(rooms)

    async def disconnect_sockets(self, close: bool = False) -> None:
        """Disconnect every socket (``close=True`` closes their connections)."""
        await self._operator().disconnect_sockets(close)


class ParentNamespace(Namespace):
    """A dynamic namespace: ``sio.of(re.compile(...))`` or ``sio.of(fn)``.

    A connection to a name that no namespace has is offered to the parents
    in registration order; the first that accepts creates a child namespace
    of that name once the parent's middleware accepted the connection. The
    parent's middleware and handlers apply to all its children, live; its
    broadcasts reach all of them.
    """

    def __init__(self, server: NamespaceServer, name: str, matcher: Any, order: int) -> None:
        super().__init__(server, name)
        #: The child namespaces that exist now.
        self.children: set[Namespace] = set()
        self.pattern: re.Pattern[str] | None = matcher if isinstance(matcher, re.Pattern) else None
        self._fn: Callable[..., Any] | None = None if self.pattern is not None else matcher
        #: Its position among all the parents, in registration order.
        self.order = order

    def _namespaces(self) -> list[Namespace]:
        return list(self.children)

    def _adopt(self, child: Namespace) -> None:
        self.children.add(child)

    def _release(self, child: Namespace) -> None:
        self.children.discard(child)

    async def _accepts(self, name: str, auth: Any) -> bool:
        """Whether the function matcher accepts ``name``; an error counts as no."""
        assert self._fn is not None
        try:
            ok = self._fn(name, auth)
            if inspect.isawaitable(ok):
                ok = await ok
        except Exception:
            logger.exception("the matcher of %s failed for %s", self.name, name)
            return False
        return bool(ok)


_NONE: list[Callable[..., Any]] = []
