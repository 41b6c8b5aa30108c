"""The life of connections and sockets: Engine.IO connections opening and
closing, CONNECT with namespace middleware and dynamic namespaces, the
connect timeout, and every path by which a socket disconnects."""

from __future__ import annotations

import asyncio
import logging
import operator
from collections import deque
from typing import Any, Callable, Protocol

from .. import _core, _eager, codec, exceptions
from ..admin import InstrumentedAsyncServer
from ..codec import Packet, PacketType
from ..managers import AsyncManager
from ..managers.recovery import RECOVERABLE_REASONS, Restored, Session
from ..namespaces import Namespace, ParentNamespace, Socket
from ..namespaces.middleware import CLOSED, connect_error_data
from .client import Client
from .handlers import HandlerTable
from .reasons import (
    CLIENT_NAMESPACE_DISCONNECT,
    FORCED_SERVER_CLOSE,
    SERVER_NAMESPACE_DISCONNECT,
    Reason,
    node_reason,
)
from .registry import NamespaceRegistry

_DISCONNECT = PacketType.DISCONNECT
_CONNECT_ERROR = PacketType.CONNECT_ERROR
_INVALID_NSP = {"message": "Invalid namespace"}
_ws_packet = _core.ws_packet


class ConnectHost(Protocol):
    """The server, as its connect flow uses it (``AsyncServer`` meets it)."""

    eio: Any
    manager: AsyncManager
    logger: logging.Logger
    environ: dict[str, dict[str, Any]]
    namespaces: list[str] | str
    always_connect: bool
    cleanup_empty_child_namespaces: bool
    connect_timeout: float | None

    @property
    def shutting_down(self) -> bool: ...

    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None: ...


class ConnectFlow:
    """Opens and closes the server's connections and their sockets.

    It owns the :class:`Client` of every Engine.IO connection; sockets,
    namespaces and clients change their own state through their methods.
    """

    def __init__(
        self,
        server: ConnectHost,
        registry: NamespaceRegistry,
        handlers: HandlerTable,
        encode: Callable[[Packet], list[Any]],
    ) -> None:
        self._server = server
        self._eio = server.eio
        self._registry = registry
        self._handlers = handlers
        self._encode = encode
        #: Whether :meth:`send_packet` may frame packets itself (the default JSON encoder).
        self._frames_packets = encode is codec.encode
        #: Every Engine.IO connection, by its sid.
        self.clients: dict[str, Client] = {}
        self._admin: InstrumentedAsyncServer | None = None
        self._joins_due: deque[Client] = deque()  # connect_timeout, in deadline order
        self._joins_timer: asyncio.TimerHandle | None = None
        #: The sockets whose session was kept for recovery and which are still leaving
        #: their rooms, by id: resolved once they left (see :meth:`_close_socket`).
        self._leaving: dict[str, asyncio.Future[None]] = {}

    def observe(self, admin: InstrumentedAsyncServer | None) -> None:
        """Report connections and disconnections to the Admin UI (or stop)."""
        self._admin = admin

    # -- ClientHost: what a client's sockets call ---------------------------

    def send(self, eio_sid: str, pkt: Packet, compress: bool = True) -> None:
        """Queue one packet for one connection, now (``compress=False``: see
        ``EngineServer.enqueue``)."""
        self._eio.send_messages(eio_sid, self._encode(pkt), compress)

    def send_packet(
        self,
        eio_sid: str,
        packet_type: int,
        namespace: str,
        data: Any,
        ack_id: int | None = None,
        compress: bool = True,
    ) -> None:
        """:meth:`send` of ``Packet(packet_type, namespace, data, ack_id)``: on a direct
        WebSocket that takes framed messages, with the default encoder, the packet is
        framed in one step, without the ``Packet`` or its encoded list (an ack or an emit
        to one socket, sent once per event)."""
        if self._frames_packets:
            write = self._eio.direct_writer(eio_sid)
            if write is not None:
                frame = _ws_packet(packet_type, namespace, data, ack_id)
                if frame is not None:  # else binary: attachments are frames of their own
                    write(frame)
                    return
        self.send(eio_sid, Packet(packet_type, namespace, data, ack_id), compress)

    def writable(self, eio_sid: str) -> bool:
        """Whether a packet sent to the connection now leaves at once."""
        writable: bool = self._eio.writable(eio_sid)
        return writable

    def transport(self, eio_sid: str) -> str:
        """``"polling"`` or ``"websocket"``."""
        transport: str = self._server.eio.transport(eio_sid)
        return transport

    async def disconnect_socket(self, socket: Socket, close: bool) -> None:
        """``socket.disconnect(close)`` (S19)."""
        client = _client(socket)
        targets = list(client.sockets.values()) if close else [socket]
        for target in targets:
            await self.server_disconnect(target)
        if close and not self._gone(client):
            self._close_connection(client, SERVER_NAMESPACE_DISCONNECT)

    # -- Engine.IO connections ----------------------------------------------

    def open(self, eio_sid: str, decoder: Any, protocol: int = 5) -> None:
        """A new Engine.IO connection; it must join a namespace in time. A protocol v4
        client (socket.io-client 2.x) joins ``/`` without asking, as the reference server
        connects it."""
        client = self.clients[eio_sid] = Client(eio_sid, decoder, self, protocol)
        self._arm_connect_timeout(client, self._server.connect_timeout)
        if protocol == 4:
            self.connect(client, "/", {})

    async def closed(self, eio_sid: str, reason: str) -> None:
        """The Engine.IO connection ended: every socket of it disconnects."""
        client = self.clients.pop(eio_sid, None)
        if client is None:
            return
        client.decoder.reset()  # P11: a partial binary packet is dropped
        nreason = node_reason(client.closing, reason, self._server.shutting_down)
        reason = client.closing or reason
        for socket in list(client.sockets.values()):
            await self._close_socket(socket, reason, nreason)

    def violation(self, client: Client, why: str) -> None:
        """Close a connection that broke the protocol (N8, P14, P17); only
        that connection is affected."""
        if client.closing:
            return
        self._server.logger.warning("%s: closing the connection: %s", client.eio_sid, why)
        self._close_connection(client, Reason.FORCED_CLOSE)

    def _close_connection(self, client: Client, reason: str) -> None:
        client.close_with(reason)
        eio = self._server.eio
        eio.start_background_task(eio.disconnect, client.eio_sid)

    def _gone(self, client: Client) -> bool:
        return client.closing is not None or self.clients.get(client.eio_sid) is not client

    # -- connecting -------------------------------------------------------

    def connect(self, client: Client, name: str, auth: Any) -> None:
        """A CONNECT packet for namespace ``name``."""
        if name in client.sockets or name in client.joining:
            self.violation(client, f"a second CONNECT for {name}")  # N8
            return
        # Joining runs as its own (eager) task, so that slow middleware holds
        # up neither the client's other namespaces nor anyone else.
        client.joining.add(name)
        _eager.start(self._join(client, name, auth), _eager.ignore, self._join_failed)

    def _join_failed(self, exc: BaseException) -> None:
        self._server.logger.error("error while connecting a socket", exc_info=exc)

    async def _join(self, client: Client, name: str, auth: Any) -> None:
        eio_sid = client.eio_sid
        server = self._server
        try:
            target = self._registry.get(name)
            if target is None:
                target = await self._namespace_for(name, auth)
            if self._gone(client):
                return
            if target is None:
                # N9: the connection stays open for other namespaces.
                self.send(eio_sid, Packet(_CONNECT_ERROR, name, _INVALID_NSP))
                return
            manager = server.manager
            recovery = manager.recovery
            # A protocol v4 client (2.x) has no recovery: its CONNECT carries a query, not auth.
            restored = (
                await _restore(manager, name, auth)
                if client.protocol == 5 and recovery is not None
                else None
            )
            if restored is not None and await self._left(restored.session.sid):
                if self._gone(client):
                    # Its connection closed meanwhile: the session stays kept for the
                    # client's next try.
                    await manager.persist_session(restored.session)
                    return
            own_id = client.socket_id(name) if restored is None else restored.session.sid
            sid = await manager.pre_connect(eio_sid, name, sid=own_id)
            if sid is None:
                self.violation(client, f"a second CONNECT for {name}")
                return
            pid = None if recovery is None else recovery.new_pid()
            if restored is not None:
                pid = restored.session.pid
            # No await from here until the socket is pending in its namespace,
            # so that a candidate child is never dropped under it.
            nsp = (
                self._registry.candidate(target, name)
                if isinstance(target, ParentNamespace)
                else target
            )
            socket = Socket(nsp, sid, client, server.environ.get(eio_sid), auth, pid)
            client.sockets[name] = socket
            nsp._add_pending(socket)
            if restored is not None:
                socket._recover(restored.session.data)
                if restored.session.user_session is not None:
                    await server.save_session(sid, restored.session.user_session, name)
        finally:
            client.joining.discard(name)
        fns = nsp._middleware()
        if fns and not (
            restored is not None and recovery is not None and recovery.skip_middlewares
        ):
            error = await socket._run_connect_middleware(fns)
            if error is CLOSED:
                return  # M7: the connection closed during middleware; nothing is emitted
            if error is not None:
                await self._refuse(socket, nsp, connect_error_data(error))
                return
        # A dynamic child becomes the server's only now that the middleware accepted.
        self._registry.confirm(nsp)
        await self._connect_handler_then_accept(socket, nsp, auth, restored)

    async def _accept(self, socket: Socket, restored: Restored | None) -> None:
        """Register the socket as connected and send the CONNECT reply. A
        recovered socket first gets its rooms back and the packets it missed:
        nothing in between yields, so no broadcast falls between the replay and
        the live ones."""
        name, sid, eio_sid = socket.nsp.name, socket.id, socket.client.eio_sid
        manager = self._server.manager
        if restored is not None and manager.recovery is not None:
            for room in restored.session.rooms:
                if room != sid:
                    await manager.enter_room(sid, name, room, eio_sid=eio_sid)
            enqueue = self._eio.enqueue
            for frames in manager.recovery.missed(restored):
                for frame in frames:
                    enqueue(eio_sid, frame)
        await manager.connect(sid, name)
        self.send(eio_sid, self._connect_reply(socket))

    def _connect_reply(self, socket: Socket) -> Packet:
        data = {"sid": socket.id} if socket.pid is None else {"sid": socket.id, "pid": socket.pid}
        return _client(socket).connect_packet(socket.nsp.name, data)

    async def _connect_handler_then_accept(
        self, socket: Socket, nsp: Namespace, auth: Any, restored: Restored | None
    ) -> None:
        """python-socketio's ``connect`` handler runs after the middleware and
        can still refuse; then the socket is connected."""
        server = self._server
        name, sid, eio_sid = socket.nsp.name, socket.id, socket.client.eio_sid
        if server.always_connect:
            await self._accept(socket, restored)
        if self._admin is not None:
            await self._admin.socket_connected(sid, name, eio_sid)
        fail_reason: dict[str, Any] | None = None  # python-socketio's default, made on refusal
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
                server.logger.exception("connect handler error")
            success = False
        if socket.closing:
            return  # the connection went away while the handler ran
        if success is False:
            if fail_reason is None:
                fail_reason = exceptions.ConnectionRefusedError().error_args
            if server.always_connect:
                server.manager.pre_disconnect(sid, name)
                await self._refuse(socket, nsp, fail_reason, packet_type=_DISCONNECT)
            else:
                await self._refuse(socket, nsp, fail_reason)
            return
        if not server.always_connect:
            # N13: registered as connected before the reply, so the client's
            # first event after it is accepted.
            await self._accept(socket, restored)
        nsp._do_connect(socket)

    async def _call_connect_handler(self, namespace: str, sid: str, eio_sid: str, auth: Any) -> Any:
        """``connect(sid, environ, auth)``; without auth, ``connect(sid, environ,
        None)`` and on ``TypeError`` ``connect(sid, environ)`` (python-socketio)."""
        environ = self._server.environ.get(eio_sid)
        trigger = self._handlers.trigger
        if auth:
            return await trigger("connect", namespace, sid, environ, auth)
        try:
            return await trigger("connect", namespace, sid, environ, None)
        except TypeError as exc:
            try:
                return await trigger("connect", namespace, sid, environ)
            except TypeError:
                raise exc from None

    async def _refuse(
        self,
        socket: Socket,
        nsp: Namespace,
        payload: dict[str, Any],
        packet_type: PacketType = _CONNECT_ERROR,
    ) -> None:
        """Refuse a joining socket: it leaves its rooms (M5), then the client
        gets CONNECT_ERROR (or DISCONNECT with ``always_connect``)."""
        await self._drop_joining(socket, nsp)
        client = _client(socket)
        data = client.refusal(payload) if packet_type == _CONNECT_ERROR else payload
        self.send(client.eio_sid, Packet(packet_type, nsp.name, data))
        self._remove_if_empty(nsp)

    async def _drop_joining(self, socket: Socket, nsp: Namespace) -> None:
        """A socket that never got connected leaves its rooms and the registries."""
        self._forget(socket)
        nsp._remove_pending(socket)
        await self._server.manager.disconnect(socket.id, nsp.name, ignore_queue=True)

    def _forget(self, socket: Socket) -> None:
        """The socket starts closing and its connection forgets it."""
        socket._begin_close()
        _client(socket)._remove(socket)

    async def _left(self, sid: str) -> bool:
        """Wait until the socket ``sid`` that kept its session has left its rooms;
        ``True`` if it had not yet.

        python-socketio's ``disconnect`` handler runs with the rooms intact and may
        await, and a kept session may be taken over meanwhile (the reference server
        leaves the rooms before anything can run). The new socket has the old one's id:
        joined first, it would be taken out of its rooms by the old one's end."""
        leaving = self._leaving.get(sid)
        if leaving is None:
            return False
        await asyncio.shield(leaving)
        return True

    async def _persist(self, socket: Socket) -> None:
        """Keep the session of a socket whose connection dropped, for its client's return."""
        name, sid = socket.nsp.name, socket.id
        assert socket.pid is not None  # every socket has one while recovery is on
        eio_session = self._eio.session_of(socket.client.eio_sid)
        user_session = eio_session.get(name) if eio_session else None
        manager = self._server.manager
        rooms = manager.get_rooms(sid, name)
        session = Session(sid, socket.pid, name, rooms, socket.data, user_session or None)
        await manager.persist_session(session)

    # -- resolving names --------------------------------------------------

    async def _namespace_for(self, name: str, auth: Any) -> Namespace | ParentNamespace | None:
        """The namespace a CONNECT to an unknown ``name`` joins, if any (N9, N10):
        a :class:`ParentNamespace` when it is to be that parent's new child,
        which is made only once the middleware accepted the connection."""
        registry, namespaces = self._registry, self._server.namespaces
        if self._handlers.declared(name, namespaces):
            return registry.of(name)
        parent = await registry.match_parent(name, {} if auth is None else auth)  # N17
        existing = registry.get(name)  # created meanwhile by another connection (N22)
        if existing is not None:
            return existing
        if parent is not None:
            return parent
        if namespaces == "*":
            return registry.of(name)
        return None

    def _remove_if_empty(self, nsp: Namespace) -> None:
        """A candidate child whose joining connections all went is forgotten;
        with ``cleanup_empty_child_namespaces`` (N21) a child with no socket goes."""
        if not nsp._is_empty() or self._registry.drop_candidate(nsp):
            return
        if self._server.cleanup_empty_child_namespaces:
            self._registry.remove_child(nsp)

    # -- connect timeout --------------------------------------------------

    def _arm_connect_timeout(self, client: Client, seconds: float | None) -> None:
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

    def _connect_timed_out(self, client: Client) -> None:
        """N23: a connection that joined no namespace in time is closed."""
        if self._gone(client) or any(s.connected for s in client.sockets.values()):
            return
        self._server.logger.info("%s joined no namespace in time: closing it", client.eio_sid)
        self._close_connection(client, FORCED_SERVER_CLOSE)

    # -- disconnecting ----------------------------------------------------

    async def client_disconnect(self, client: Client, namespace: str) -> None:
        """A DISCONNECT packet from the client (S21)."""
        socket = client.sockets.get(namespace)
        if socket is None:
            self.violation(client, f"DISCONNECT for {namespace}, which it has not joined")
            return
        await self._close_socket(socket, Reason.CLIENT_DISCONNECT, CLIENT_NAMESPACE_DISCONNECT)

    async def server_disconnect(self, socket: Socket) -> None:
        """The server disconnects one socket: DISCONNECT, then the handlers."""
        if socket.closing:
            return
        if socket.connected:
            self.send(socket.client.eio_sid, Packet(_DISCONNECT, socket.nsp.name))
        await self._close_socket(socket, Reason.SERVER_DISCONNECT, SERVER_NAMESPACE_DISCONNECT)

    async def _close_socket(self, socket: Socket, reason: str, nreason: str) -> None:
        """Every disconnection ends here. ``disconnecting`` handlers run with the
        rooms intact, then python-socketio's ``disconnect`` handler, then the
        socket leaves its rooms and ``disconnect`` handlers run (S20)."""
        if socket.closing:
            return
        nsp, sid = _namespace(socket), socket.id
        manager = self._server.manager
        if not socket.connected:  # still joining: dropped silently (M7)
            await self._drop_joining(socket, nsp)
            self._remove_if_empty(nsp)
            return
        self._forget(socket)
        manager.pre_disconnect(sid, namespace=nsp.name)
        if self._admin is not None:
            await self._admin.socket_disconnected(sid, nsp.name, reason)
        await socket._emit_reserved("disconnecting", nreason)
        left: asyncio.Future[None] | None = None
        if manager.recovery is not None and nreason in RECOVERABLE_REASONS:
            # From the moment the session is kept its client may come back, with the
            # same id; the new socket waits until this one has left its rooms.
            left = self._leaving[sid] = asyncio.get_running_loop().create_future()
        try:
            if left is not None:
                await self._persist(socket)
            await self._handlers.trigger("disconnect", nsp.name, sid, reason)
            await manager.disconnect(sid, nsp.name, ignore_queue=True)
            nsp._remove(socket)
        finally:
            if left is not None:
                if self._leaving.get(sid) is left:
                    del self._leaving[sid]
                left.set_result(None)
        socket._onclose()
        await socket._emit_reserved("disconnect", nreason)
        self._remove_if_empty(nsp)


#: The namespace and the connection of a socket the flow made (``Socket`` types
#: them by the protocols it uses; the flow made them ``Namespace`` and ``Client``).
_namespace: Callable[[Socket], Namespace] = operator.attrgetter("nsp")
_client: Callable[[Socket], Client] = operator.attrgetter("client")


async def _restore(manager: AsyncManager, name: str, auth: Any) -> Restored | None:
    """The dropped session a CONNECT's ``auth`` asks to take over (``pid`` and
    ``offset``, which the reference client sends), if it can be."""
    if manager.recovery is None or not isinstance(auth, dict):
        return None
    pid, offset = auth.get("pid"), auth.get("offset")
    if not isinstance(pid, str) or not isinstance(offset, str):
        return None
    return await manager.restore_session(name, pid, offset)
