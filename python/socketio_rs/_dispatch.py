"""The incoming side of ``AsyncServer``: Engine.IO events, Socket.IO packet
dispatch and python-socketio's handler lookup, plus the sending primitives.

``AsyncServer`` inherits it; the state it uses is created in
``AsyncServer.__init__``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Callable, ClassVar

import engineio
from engineio import packet as eio_packet

from . import _eager
from ._connect import ConnectFlow, _Client
from ._engine import EngineServer
from ._handlers import call_handler, start_listener
from .codec import Packet, PacketError, PacketType
from .manager import event_args
from .middleware import CLOSED, run_chain
from .socket import NO_ACK, Socket

if TYPE_CHECKING:
    from .admin import InstrumentedAsyncServer
    from .async_namespace import AsyncNamespace
    from .manager import AsyncManager

_CONNECT = PacketType.CONNECT
_DISCONNECT = PacketType.DISCONNECT
_EVENT = PacketType.EVENT
_ACK = PacketType.ACK


class Reason(engineio.AsyncServer.reason):
    """Disconnect reasons: python-engineio's, plus the reference server's
    ``"forced close"`` for a connection closed after a protocol violation."""

    #: The client broke the protocol (an undecodable packet, an event on a
    #: namespace it has not joined, ...) and its connection was closed.
    FORCED_CLOSE = "forced close"


class Dispatcher(ConnectFlow):
    """Receives Engine.IO events and runs the handlers they call for."""

    reserved_events: ClassVar[list[str]] = ["connect", "disconnect"]
    reason = Reason

    # Created by AsyncServer.__init__.
    eio: EngineServer
    manager: AsyncManager
    logger: logging.Logger
    environ: dict[str, dict[str, Any]]
    handlers: dict[str, dict[Any, Callable[..., Any]]]
    namespace_handlers: dict[str, AsyncNamespace]
    not_handled: object
    manager_initialized: bool
    async_handlers: bool
    always_connect: bool
    namespaces: list[str] | str
    connect_timeout: float | None
    _encode: Callable[[Packet], list[str | bytes]]
    _new_decoder: Callable[[], Any]
    _clients: dict[str, _Client]
    _admin: InstrumentedAsyncServer | None

    # -- sending ----------------------------------------------------------

    def _frames(self, pkt: Packet) -> list[eio_packet.Packet]:
        """The Engine.IO packets of one Socket.IO packet (several when it carries binary)."""
        return [eio_packet.Packet(eio_packet.MESSAGE, frame) for frame in self._encode(pkt)]

    def _encode_event(
        self, namespace: str, payload: list[Any], ack_id: int | None
    ) -> list[eio_packet.Packet]:
        """The Engine.IO packets of one EVENT."""
        return self._frames(Packet(_EVENT, namespace, payload, ack_id))

    def _send(self, eio_sid: str, pkt: Packet) -> None:
        """Queue one packet for one connection, now."""
        enqueue = self.eio.enqueue
        for frame in self._frames(pkt):
            enqueue(eio_sid, frame)

    async def _send_packet(self, eio_sid: str, pkt: Packet) -> None:
        """python-socketio's name for sending one packet to one connection."""
        self._send(eio_sid, pkt)

    async def _send_eio_packet(self, eio_sid: str, eio_pkt: eio_packet.Packet) -> None:
        """Queue one Engine.IO packet (python-socketio's name)."""
        self.eio.enqueue(eio_sid, eio_pkt)

    # -- Engine.IO events -------------------------------------------------

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> None:
        if not self.manager_initialized:
            self.manager_initialized = True
            self.manager.initialize()
        self.environ[eio_sid] = environ
        client = self._clients[eio_sid] = _Client(eio_sid, self._new_decoder())
        self._arm_connect_timeout(client, self.connect_timeout)

    async def _handle_eio_message(self, eio_sid: str, data: str | bytes) -> None:
        client = self._clients.get(eio_sid)
        if client is None or client.closing:
            return
        try:
            packets = client.decoder.add(data)
        except PacketError as exc:
            self._violation(client, f"undecodable packet: {exc}")  # P14
            return
        for pkt in packets:
            ptype = pkt.type
            if ptype == _EVENT:
                if self.async_handlers:
                    self._handle_event_eagerly(client, pkt)
                else:
                    await self._handle_event(client, pkt)
            elif ptype == _ACK:
                await self._handle_ack(client, pkt)
            elif ptype == _CONNECT:
                await self._handle_connect(client, pkt.nsp, pkt.data)
            elif ptype == _DISCONNECT:
                await self._handle_client_disconnect(client, pkt.nsp)
            else:  # CONNECT_ERROR is never valid from a client (N8)
                self._violation(client, "CONNECT_ERROR packet from a client")
            if client.closing:
                return

    async def _handle_eio_disconnect(self, eio_sid: str, reason: str) -> None:
        client = self._clients.pop(eio_sid, None)
        if client is not None:
            client.decoder.reset()  # P11: a partial binary packet is dropped
            node_reason = self._node_reason(client, reason)
            reason = client.closing or reason
            for socket in list(client.sockets.values()):
                await self._close_socket(socket, reason, node_reason)
        self.environ.pop(eio_sid, None)

    def _violation(self, client: _Client, why: str) -> None:
        """Close a connection that broke the protocol (N8, P14, P17); only
        that connection is affected."""
        if client.closing:
            return
        client.closing = self.reason.FORCED_CLOSE
        self.logger.warning("%s: closing the connection: %s", client.eio_sid, why)
        self.eio.start_background_task(self.eio.disconnect, client.eio_sid)

    # -- Socket.IO packets ------------------------------------------------

    async def _handle_client_disconnect(self, client: _Client, namespace: str) -> None:
        socket = client.sockets.get(namespace)
        if socket is None:
            self._violation(client, f"DISCONNECT for {namespace}, which it has not joined")
            return
        await self._close_socket(
            socket, self.reason.CLIENT_DISCONNECT, "client namespace disconnect"
        )  # S21

    def _event_target(self, client: _Client, pkt: Packet) -> Socket | None:
        """The socket an EVENT or ACK is for, or ``None`` when it must be dropped."""
        namespace = pkt.nsp
        socket = client.sockets.get(namespace)
        if socket is None:
            if namespace not in client.joining:
                self._violation(client, f"a packet for {namespace}, which it has not joined")  # N8
            return None
        if not socket.connected or socket._closing:
            self.logger.warning("%s is not connected to namespace %s", socket.id, namespace)
            return None
        return socket

    def _resolve(self, event: Any, namespace: str, args: tuple[Any, ...]) -> Any:
        """Call the handler of ``event``; its result, possibly a coroutine, or
        ``not_handled``."""
        handler, args = self._get_event_handler(event, namespace, args)
        if handler is not None:
            return handler(*args)
        ns_handler, args = self._get_namespace_handler(namespace, args)
        if ns_handler is not None:
            return ns_handler.trigger_event(event, *args)
        return self.not_handled

    def _call_event(self, client: _Client, pkt: Packet) -> Any:
        """Start the handlers of an incoming EVENT: the result (possibly an
        awaitable), or ``_DROPPED`` when there is nothing to acknowledge."""
        socket = self._event_target(client, pkt)
        if socket is None:
            return _DROPPED
        data = pkt.data
        namespace = pkt.nsp
        sid = socket.id
        self.logger.info('received event "%s" from %s [%s]', data[0], sid, namespace)
        if self._admin is not None:
            self._admin.event_received(namespace, sid, data)
        nsp = socket.nsp
        if (
            socket._handlers
            or socket._fns
            or socket._any
            or ((nsp._handlers or nsp.parent is not None) and nsp._listeners(data[0]))
        ):
            return self._dispatch(socket, data)
        try:
            return self._resolve(data[0], namespace, (sid, *data[1:]))
        except Exception:
            self.logger.exception("event handler error")
            return _DROPPED

    async def _dispatch(self, socket: Socket, data: list[Any]) -> Any:
        """An event for a socket with Node-style handlers, catch-alls or
        middleware: ``on_any`` listeners (M14), the socket's middleware
        (M10-M13), then python-socketio's handler, the namespace's handlers and
        the socket's own. The first result that is not ``None`` is the ack."""
        event, args = data[0], data[1:]
        for fn in list(socket._any):
            start_listener(self.logger, fn, event, *args)
        if socket._fns:
            packet = list(data)
            error = await run_chain(list(socket._fns), packet, None)
            if error is CLOSED or socket._closing:
                return self.not_handled
            if error is not None:
                # M12: nothing goes to the client; the socket's "error" handlers get it.
                self.logger.info("socket middleware refused an event: %s", error)
                await self._run_listeners(socket, "error", error)
                return self.not_handled
            if not packet:
                return self.not_handled
            event, args = packet[0], packet[1:]
        found, ack = False, None
        calls: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []
        calls.extend((fn, (socket, *args)) for fn in socket.nsp._listeners(event))
        calls.extend((fn, tuple(args)) for fn in socket._handlers.get(event, ()))
        try:
            result = self._resolve(event, socket.nsp.name, (socket.id, *args))
            if inspect.isawaitable(result):
                result = await result
        except Exception:
            self.logger.exception("event handler error")
            result = None
            found = True
        if result is not self.not_handled:
            found, ack = True, result
        for fn, call_args in calls:
            found = True
            try:
                result = fn(*call_args)
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                self.logger.exception("event handler error")
                continue
            if ack is None:
                ack = result
        return ack if found else self.not_handled

    def _handle_event_eagerly(self, client: _Client, pkt: Packet) -> None:
        result = self._call_event(client, pkt)
        if result is _DROPPED:
            return
        ack_id = pkt.id
        done = _ignore if ack_id is None else functools.partial(self._ack, client, pkt.nsp, ack_id)
        if inspect.iscoroutine(result):
            _eager.start(result, done, self._handler_failed)
        elif inspect.isawaitable(result):
            _eager.start(_await(result), done, self._handler_failed)
        else:
            done(result)

    async def _handle_event(self, client: _Client, pkt: Packet) -> None:
        """The ``async_handlers=False`` path: the handler runs to completion
        before the client's next packet is read."""
        result = self._call_event(client, pkt)
        if result is _DROPPED:
            return
        try:
            if inspect.isawaitable(result):
                result = await result
        except asyncio.CancelledError:
            result = None
        except Exception:
            self.logger.exception("event handler error")
            return
        if pkt.id is not None:
            self._ack(client, pkt.nsp, pkt.id, result)

    def _ack(self, client: _Client, namespace: str, ack_id: int, result: Any) -> None:
        """Send a handler's return value as the ack (python-socketio's rule); ``NO_ACK``
        leaves the event unanswered."""
        # A connection that is gone or closing gets nothing (enqueue drops the
        # packets of a closed session).
        if result is self.not_handled or result is NO_ACK or client.closing:
            return
        self._send(client.eio_sid, Packet(_ACK, namespace, event_args(result), ack_id))

    def _handler_failed(self, exc: BaseException) -> None:
        self.logger.error("event handler error", exc_info=exc)

    async def _handle_ack(self, client: _Client, pkt: Packet) -> None:
        socket = self._event_target(client, pkt)
        if socket is None:
            return
        self.logger.info("received ack from %s [%s]", socket.id, pkt.nsp)
        if pkt.id is not None:  # the codec never gives an ACK without an id
            await self.manager.trigger_callback(socket.id, pkt.id, pkt.data)

    async def _trigger_event(self, event: str, namespace: str, *args: Any) -> Any:
        """Run the handler of ``event`` and return its result, or ``not_handled``
        (python-socketio's dispatch, used for connect and disconnect)."""
        handler, args = self._get_event_handler(event, namespace, args)
        if handler is not None:
            return await call_handler(handler, event, args)
        ns_handler, args = self._get_namespace_handler(namespace, args)
        if ns_handler is not None:
            return await ns_handler.trigger_event(event, *args)
        return self.not_handled

    def _get_event_handler(
        self, event: Any, namespace: str, args: tuple[Any, ...]
    ) -> tuple[Callable[..., Any] | None, tuple[Any, ...]]:
        """python-socketio's lookup order: the event in the namespace, the
        namespace's ``"*"``, the event in the ``"*"`` namespace, then ``"*"``
        in ``"*"``; catch-alls get the event and/or namespace prepended."""
        handlers = self.handlers
        ns_handlers = handlers.get(namespace)
        if ns_handlers is not None:
            handler = ns_handlers.get(event)
            if handler is not None:
                return handler, args
            if event not in self.reserved_events and "*" in ns_handlers:
                return ns_handlers["*"], (event, *args)
        any_ns = handlers.get("*")
        if any_ns is not None:
            if event in any_ns:
                return any_ns[event], (namespace, *args)
            if event not in self.reserved_events and "*" in any_ns:
                return any_ns["*"], (event, namespace, *args)
        return None, args

    def _get_namespace_handler(
        self, namespace: str, args: tuple[Any, ...]
    ) -> tuple[AsyncNamespace | None, tuple[Any, ...]]:
        handler = self.namespace_handlers.get(namespace)
        if handler is not None:
            return handler, args
        handler = self.namespace_handlers.get("*")
        if handler is not None:
            return handler, (namespace, *args)
        return None, args


#: An event that was dropped or whose handler failed: no ack.
_DROPPED = object()


def _ignore(result: Any) -> None:
    pass


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable
