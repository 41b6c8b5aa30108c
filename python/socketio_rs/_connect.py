"""Joining and leaving namespaces: CONNECT handling with namespace middleware
and dynamic namespaces, and every path by which a socket disconnects.

``AsyncServer`` inherits it (through ``Dispatcher``); the state it uses is
created in ``AsyncServer.__init__``.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Callable

from . import _eager, exceptions
from ._handlers import start_listener
from .codec import Packet, PacketType
from .middleware import CLOSED, connect_error_data, run_chain
from .namespace import Namespace, ParentNamespace
from .socket import Socket

if TYPE_CHECKING:
    from ._engine import EngineServer
    from ._router import RegexRouter
    from .admin import InstrumentedAsyncServer
    from .manager import AsyncManager

_CONNECT = PacketType.CONNECT
_DISCONNECT = PacketType.DISCONNECT
_CONNECT_ERROR = PacketType.CONNECT_ERROR
_INVALID_NSP = {"message": "Invalid namespace"}

#: The reference server's disconnect reasons (S22), given to Node-style
#: ``disconnecting``/``disconnect`` handlers; python-socketio handlers get
#: python-socketio's values.
CLIENT_NAMESPACE_DISCONNECT = "client namespace disconnect"
SERVER_NAMESPACE_DISCONNECT = "server namespace disconnect"
SERVER_SHUTTING_DOWN = "server shutting down"
FORCED_SERVER_CLOSE = "forced server close"
_NODE_REASONS = {
    "client disconnect": "transport close",  # the client sent the Engine.IO close packet
    "transport close": "transport close",
    "transport error": "transport error",
    "ping timeout": "ping timeout",
}


class _Client:
    """One Engine.IO connection: its decoder and its sockets, one per namespace."""

    __slots__ = ("closing", "deadline", "decoder", "eio_sid", "joining", "sockets")

    def __init__(self, eio_sid: str, decoder: Any) -> None:
        self.eio_sid = eio_sid
        self.decoder = decoder
        self.sockets: dict[str, Socket] = {}  # namespace -> socket (joining or connected)
        self.joining: set[str] = set()  # namespaces whose CONNECT is being resolved
        self.closing: str | None = None  # the reason, once a close was decided
        self.deadline = 0.0  # loop time by which it must have joined a namespace (N23)


class ConnectFlow:
    """CONNECT, middleware, acceptance and disconnection of sockets."""

    # Created by AsyncServer.__init__.
    eio: EngineServer
    manager: AsyncManager
    logger: logging.Logger
    environ: dict[str, dict[str, Any]]
    handlers: dict[str, dict[Any, Callable[..., Any]]]
    namespace_handlers: dict[str, Any]
    namespaces: list[str] | str
    not_handled: object
    always_connect: bool
    cleanup_empty_child_namespaces: bool
    _clients: dict[str, _Client]
    _nsps: dict[str, Namespace]
    _regex_parents: list[ParentNamespace]
    _fn_parents: list[ParentNamespace]
    _router: RegexRouter
    _shutting_down: bool
    _admin: InstrumentedAsyncServer | None
    _joins_due: deque[_Client]
    _joins_timer: asyncio.TimerHandle | None

    if TYPE_CHECKING:  # defined by AsyncServer / Dispatcher

        def of(self, name: Any, fn: Callable[..., Any] | None = None) -> Namespace: ...

        def _send(self, eio_sid: str, pkt: Packet) -> None: ...

        def _violation(self, client: _Client, why: str) -> None: ...

        async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any: ...

    # -- connecting -------------------------------------------------------

    async def _handle_connect(self, client: _Client, name: str, auth: Any) -> None:
        if name in client.sockets or name in client.joining:
            self._violation(client, f"a second CONNECT for {name}")  # N8
            return
        # Joining runs as its own (eager) task, so that slow middleware holds
        # up neither the client's other namespaces nor anyone else.
        client.joining.add(name)
        _eager.start(self._join(client, name, auth), _ignore, self._join_failed)

    def _join_failed(self, exc: BaseException) -> None:
        self.logger.error("error while connecting a socket", exc_info=exc)

    def _gone(self, client: _Client) -> bool:
        return client.closing is not None or self._clients.get(client.eio_sid) is not client

    async def _join(self, client: _Client, name: str, auth: Any) -> None:
        eio_sid = client.eio_sid
        try:
            nsp = self._nsps.get(name)
            if nsp is None:
                nsp = await self._namespace_for(name, auth)
            if self._gone(client):
                return
            if nsp is None:
                # N9: the connection stays open for other namespaces.
                self._send(eio_sid, Packet(_CONNECT_ERROR, name, _INVALID_NSP))
                return
            sid = await self.manager.pre_connect(eio_sid, name)
            if sid is None:
                self._violation(client, f"a second CONNECT for {name}")
                return
            socket = Socket(self, nsp, sid, client, self.environ.get(eio_sid), auth)  # type: ignore[arg-type]
            client.sockets[name] = socket
            nsp._pending[sid] = socket
        finally:
            client.joining.discard(name)
        fns = nsp._middleware()
        if fns:
            error = await run_chain(fns, socket, socket._waiter)
            if socket._closing or error is CLOSED:
                return  # M7: the connection closed during middleware; nothing is emitted
            if error is not None:
                await self._refuse(socket, connect_error_data(error))
                return
        await self._connect_handler_then_accept(socket, auth)

    async def _connect_handler_then_accept(self, socket: Socket, auth: Any) -> None:
        """python-socketio's ``connect`` handler runs after the middleware and
        can still refuse; then the socket is connected."""
        name, sid, eio_sid = socket.nsp.name, socket.id, socket._eio_sid
        if self.always_connect:
            await self.manager.connect(sid, name)
            self._send(eio_sid, Packet(_CONNECT, name, {"sid": sid}))
        if self._admin is not None:
            await self._admin.socket_connected(sid, name, eio_sid)
        fail_reason = exceptions.ConnectionRefusedError().error_args
        try:
            success = await self._call_connect_handler(name, sid, eio_sid, auth)
        except exceptions.ConnectionRefusedError as exc:
            fail_reason, success = exc.error_args, False
        except ConnectionRefusedError:
            fail_reason, success = {"message": "Connection refused by server"}, False
        except Exception as exc:
            error_args = getattr(exc, "error_args", None)  # e.g. python-socketio's class
            if isinstance(error_args, dict) and "message" in error_args:
                fail_reason = error_args
            else:
                self.logger.exception("connect handler error")
            success = False
        if socket._closing:
            return  # the connection went away while the handler ran
        if success is False:
            if self.always_connect:
                self.manager.pre_disconnect(sid, name)
                await self._refuse(socket, fail_reason, packet_type=_DISCONNECT)
            else:
                await self._refuse(socket, fail_reason)
            return
        if not self.always_connect:
            # N13: registered as connected before the reply, so the client's
            # first event after it is accepted.
            await self.manager.connect(sid, name)
            self._send(eio_sid, Packet(_CONNECT, name, {"sid": sid}))
        self._accept(socket)

    async def _call_connect_handler(self, namespace: str, sid: str, eio_sid: str, auth: Any) -> Any:
        """``connect(sid, environ, auth)``; without auth, ``connect(sid, environ,
        None)`` and on ``TypeError`` ``connect(sid, environ)`` (python-socketio)."""
        environ = self.environ.get(eio_sid)
        if auth:
            return await self._trigger_event("connect", namespace, sid, environ, auth)
        try:
            return await self._trigger_event("connect", namespace, sid, environ, None)
        except TypeError as exc:
            try:
                return await self._trigger_event("connect", namespace, sid, environ)
            except TypeError:
                raise exc from None

    def _accept(self, socket: Socket) -> None:
        nsp = socket.nsp
        nsp._pending.pop(socket.id, None)
        nsp.sockets[socket.id] = socket
        socket.connected = True
        for fn in nsp._listeners("connection"):
            start_listener(self.logger, fn, socket)

    async def _refuse(
        self, socket: Socket, payload: dict[str, Any], packet_type: PacketType = _CONNECT_ERROR
    ) -> None:
        """Refuse a joining socket: it leaves its rooms (M5), then the client
        gets CONNECT_ERROR (or DISCONNECT with ``always_connect``)."""
        await self._drop_joining(socket)
        self._send(socket._eio_sid, Packet(packet_type, socket.nsp.name, payload))
        self._remove_empty_child(socket.nsp)

    async def _drop_joining(self, socket: Socket) -> None:
        """A socket that never got connected leaves its rooms and the registries."""
        self._forget_socket(socket)
        await self.manager.disconnect(socket.id, socket.nsp.name, ignore_queue=True)

    def _forget_socket(self, socket: Socket) -> None:
        socket._closing = True
        client, nsp = socket._client, socket.nsp
        if client.sockets.get(nsp.name) is socket:
            del client.sockets[nsp.name]
        nsp._pending.pop(socket.id, None)

    # -- resolving names --------------------------------------------------

    def _declared(self, name: str) -> bool:
        """A namespace python-socketio's way: with handlers, or listed in ``namespaces``."""
        return (
            name in self.handlers
            or name in self.namespace_handlers
            or (self.namespaces != "*" and name in self.namespaces)
        )

    async def _namespace_for(self, name: str, auth: Any) -> Namespace | None:
        """The namespace a CONNECT to an unknown ``name`` creates, if any (N9, N10)."""
        if self._declared(name):
            return self.of(name)
        parent = await self._match_parent(name, {} if auth is None else auth)  # N17
        existing = self._nsps.get(name)  # created meanwhile by another connection (N22)
        if existing is not None:
            return existing
        if parent is not None:
            return self._create_child(parent, name)
        if self.namespaces == "*":
            return self.of(name)
        return None

    async def _match_parent(self, name: str, auth: Any) -> ParentNamespace | None:
        """The first parent, in registration order, that accepts ``name``. The
        regexes are matched in one pass by the router; function parents
        registered before the first matching regex are asked in order."""
        first_regex = None
        if self._regex_parents:
            index = self._router.first_match(name)
            if index is not None:
                first_regex = self._regex_parents[index]
        for parent in self._fn_parents:
            if first_regex is not None and parent._order > first_regex._order:
                break
            if await parent._accepts(name, auth):
                return parent
        return first_regex

    def _create_child(self, parent: ParentNamespace, name: str) -> Namespace:
        child = Namespace(self, name, parent=parent)  # type: ignore[arg-type]
        parent.children.add(child)
        self._register_namespace(child)
        return child

    def _register_namespace(self, nsp: Namespace) -> None:
        self._nsps[nsp.name] = nsp
        if nsp.name != "/":
            default = self._nsps.get("/")
            if default is not None:
                for fn in default._listeners("new_namespace"):
                    start_listener(self.logger, fn, nsp)

    def _remove_empty_child(self, nsp: Namespace) -> None:
        """``cleanup_empty_child_namespaces`` (N21): a child with no socket goes."""
        parent = nsp.parent
        if parent is None or not self.cleanup_empty_child_namespaces:
            return
        if nsp.sockets or nsp._pending:
            return
        if self._nsps.get(nsp.name) is nsp:
            del self._nsps[nsp.name]
        parent.children.discard(nsp)

    # -- connect timeout --------------------------------------------------

    def _arm_connect_timeout(self, client: _Client, seconds: float | None) -> None:
        """Every connection gets the same timeout, so deadlines come in order:
        one queue and one timer for the earliest serve them all, with no timer
        to create or cancel per connection."""
        if not seconds:
            return
        loop = asyncio.get_running_loop()
        client.deadline = loop.time() + seconds
        self._joins_due.append(client)
        if self._joins_timer is None:
            self._joins_timer = loop.call_at(client.deadline, self._expire_joins)

    def _expire_joins(self) -> None:
        loop = asyncio.get_running_loop()
        due, now = self._joins_due, loop.time()
        while due and due[0].deadline <= now:
            self._connect_timed_out(due.popleft())
        self._joins_timer = loop.call_at(due[0].deadline, self._expire_joins) if due else None

    def _connect_timed_out(self, client: _Client) -> None:
        """N23: a connection that joined no namespace in time is closed."""
        if self._gone(client) or any(s.connected for s in client.sockets.values()):
            return
        self.logger.info("%s joined no namespace in time: closing it", client.eio_sid)
        client.closing = FORCED_SERVER_CLOSE
        self.eio.start_background_task(self.eio.disconnect, client.eio_sid)

    # -- disconnecting ----------------------------------------------------

    async def _close_socket(self, socket: Socket, reason: str, node_reason: str) -> None:
        """Every disconnection ends here. ``disconnecting`` handlers run with the
        rooms intact, then python-socketio's ``disconnect`` handler, then the
        socket leaves its rooms and ``disconnect`` handlers run (S20)."""
        if socket._closing:
            return
        nsp, sid = socket.nsp, socket.id
        if not socket.connected:  # still joining: dropped silently (M7)
            socket._waiter.close()
            await self._drop_joining(socket)
            self._remove_empty_child(nsp)
            return
        self._forget_socket(socket)
        self.manager.pre_disconnect(sid, namespace=nsp.name)
        if self._admin is not None:
            await self._admin.socket_disconnected(sid, nsp.name, reason)
        await self._run_listeners(socket, "disconnecting", node_reason)
        await self._trigger_event("disconnect", nsp.name, sid, reason)
        await self.manager.disconnect(sid, nsp.name, ignore_queue=True)
        socket.connected = False
        nsp.sockets.pop(sid, None)
        nsp._outgoing.discard(socket)
        if socket._acks:
            for future in list(socket._acks.values()):
                if not future.done():
                    future.set_exception(exceptions.DisconnectedError("the socket disconnected"))
        await self._run_listeners(socket, "disconnect", node_reason)
        self._remove_empty_child(nsp)

    async def _run_listeners(self, socket: Socket, event: str, *args: Any) -> None:
        """Namespace-level handlers ``fn(socket, *args)``, then the socket's own
        ``fn(*args)``, each awaited in turn."""
        if not socket._handlers and not socket.nsp._has_handlers():
            return
        calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = [
            (fn, (socket, *args)) for fn in socket.nsp._listeners(event)
        ]
        calls.extend((fn, args) for fn in socket._handlers.get(event, ()))
        for fn, call_args in calls:
            try:
                ret = fn(*call_args)
                if inspect.isawaitable(ret):
                    await ret
            except Exception:
                self.logger.exception("%s handler error", event)

    async def _disconnect_socket(self, socket: Socket, close: bool) -> None:
        """``socket.disconnect(close)`` (S19)."""
        client = socket._client
        targets = list(client.sockets.values()) if close else [socket]
        for target in targets:
            await self._server_disconnect(target)
        if close and not self._gone(client):
            client.closing = SERVER_NAMESPACE_DISCONNECT
            self.eio.start_background_task(self.eio.disconnect, client.eio_sid)

    async def _server_disconnect(self, socket: Socket) -> None:
        """The server disconnects one socket: DISCONNECT, then the handlers."""
        if socket._closing:
            return
        if socket.connected:
            self._send(socket._eio_sid, Packet(_DISCONNECT, socket.nsp.name))
        await self._close_socket(
            socket, self.eio.reason.SERVER_DISCONNECT, SERVER_NAMESPACE_DISCONNECT
        )

    def _node_reason(self, client: _Client, reason: str) -> str:
        """The reference server's reason for an Engine.IO-level close."""
        if client.closing is not None:
            return client.closing
        if reason == self.eio.reason.SERVER_DISCONNECT:
            return SERVER_SHUTTING_DOWN if self._shutting_down else FORCED_SERVER_CLOSE
        return _NODE_REASONS.get(reason, reason)


def _ignore(result: Any) -> None:
    pass
