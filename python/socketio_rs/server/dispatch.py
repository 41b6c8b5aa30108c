"""The incoming side of a server: Engine.IO events in, Socket.IO packets
decoded and dispatched to their handlers, acks out."""

from __future__ import annotations

import asyncio
import functools
import inspect
import logging
from collections.abc import Coroutine
from types import CoroutineType
from typing import Any, Callable, Protocol

from .. import _core, _eager
from .._rules import NO_ACK, event_args
from ..admin import InstrumentedAsyncServer
from ..codec import Packet, PacketError, PacketType
from ..managers import AsyncManager
from ..namespaces import Socket
from .client import Client, QueryDecoder
from .connect import ConnectFlow
from .handlers import HandlerTable

_CONNECT = PacketType.CONNECT
_DISCONNECT = PacketType.DISCONNECT
_EVENT = PacketType.EVENT
_ACK = PacketType.ACK
_INFO = logging.INFO

#: An event that was dropped or whose handler failed: no ack.
_DROPPED = object()


class DispatchHost(Protocol):
    """The server, as its dispatcher uses it (``AsyncServer`` meets it)."""

    eio: Any
    manager: AsyncManager
    logger: logging.Logger
    environ: dict[str, dict[str, Any]]
    async_handlers: bool


class Dispatcher:
    """Receives Engine.IO events and runs the handlers they call for."""

    def __init__(
        self,
        server: DispatchHost,
        flow: ConnectFlow,
        handlers: HandlerTable,
        new_decoder: Callable[[], Any],
    ) -> None:
        self._server = server
        self._flow = flow
        self._handlers = handlers
        self._new_decoder = new_decoder
        self._manager_initialized = False
        self._admin: InstrumentedAsyncServer | None = None
        self._lane: _core.EventLane | None = None
        # Whether events ask their socket's ``_intercepts``: once the server has a Node-style
        # listener, per-socket middleware or catch-all, or a dynamic namespace's child.
        self._intercepting = False

    def observe(self, admin: InstrumentedAsyncServer | None) -> None:
        """Report received events to the Admin UI (or stop)."""
        self._admin = admin
        if self._lane is not None:
            self._lane.observed = admin is not None

    def intercept(self) -> None:
        """Events ask their socket whether Node-style listeners take them, from now on
        (``AsyncServer.listeners_added``). Until then none can, and the question, a
        Python call per event, is not asked."""
        self._intercepting = True
        if self._lane is not None:
            self._lane.intercepting = True

    def lane(self) -> _core.EventLane:
        """The event lane of ``serve()``'s reader (``_core.EventLane``): the events this
        dispatcher would hand to their python-socketio handler with nothing else to
        decide, taken in Rust up to the handler and from its result on. Only for the
        default encoder: the lane frames acks itself."""
        if self._lane is None:
            handlers = self._handlers
            self._lane = _core.EventLane(
                clients=self._flow.clients,
                outboxes=self._server.eio.outboxes,
                handlers=handlers.handlers,
                server=self._server,
                not_handled=handlers.not_handled,
                no_ack=NO_ACK,
                step=_eager.step,
                resume=None if _eager.EAGER_TASKS else _eager.resume,
                later=_eager.Later,
                suspended=self._suspended,
                failed=self._handler_failed,
                ack=self._ack,
            )
            self._lane.observed = self._admin is not None
            self._lane.intercepting = self._intercepting
        return self._lane

    # -- Engine.IO events -------------------------------------------------

    def eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> None:
        """A new Engine.IO connection (a plain function: it never waits, and the engine
        calls it without a coroutine)."""
        server = self._server
        if not self._manager_initialized:
            self._manager_initialized = True
            server.manager.initialize()
        server.environ[eio_sid] = environ
        if server.eio.protocol(eio_sid) == 3:  # socket.io-client 2.x: Socket.IO protocol v4
            self._flow.open(eio_sid, QueryDecoder(self._new_decoder()), 4)
        else:
            self._flow.open(eio_sid, self._new_decoder())

    async def eio_message(self, eio_sid: str, data: str | bytes) -> None:
        rest = self.eio_message_nowait(eio_sid, data)
        if rest is not None:
            await rest

    def eio_message_nowait(
        self, eio_sid: str, data: str | bytes
    ) -> Coroutine[Any, Any, None] | None:
        """Take one Engine.IO message without awaiting as far as its packets allow (events
        whose handlers start eagerly): ``None`` when it is all done, else the coroutine that
        takes the rest, in order, which the caller awaits before the next message."""
        flow = self._flow
        client = flow.clients.get(eio_sid)
        if client is None or client.closing:
            return None
        try:
            packets = client.decoder.add(data)
        except PacketError as exc:
            flow.violation(client, f"undecodable packet: {exc}")  # P14
            return None
        if self._server.async_handlers:
            for index, pkt in enumerate(packets):
                ptype = pkt.type
                if ptype == _EVENT:
                    self._handle_event_eagerly(client, pkt)
                elif ptype == _CONNECT:
                    # Never waits either: the join runs as its own (eager) task.
                    flow.connect(client, pkt.nsp, pkt.data)
                else:
                    return self._take(client, packets, index)
                if client.closing:
                    return None
            return None
        return self._take(client, packets, 0) if packets else None

    async def _take(self, client: Client, packets: list[Packet], start: int) -> None:
        """The packets of one message from ``start`` on, each finished before the next."""
        flow = self._flow
        for pkt in packets[start:]:
            ptype = pkt.type
            if ptype == _EVENT:
                if self._server.async_handlers:
                    self._handle_event_eagerly(client, pkt)
                else:
                    await self._handle_event(client, pkt)
            elif ptype == _ACK:
                await self._handle_ack(client, pkt)
            elif ptype == _CONNECT:
                flow.connect(client, pkt.nsp, pkt.data)
            elif ptype == _DISCONNECT:
                await flow.client_disconnect(client, pkt.nsp)
            else:  # CONNECT_ERROR is never valid from a client (N8)
                flow.violation(client, "CONNECT_ERROR packet from a client")
            if client.closing:
                return

    async def eio_disconnect(self, eio_sid: str, reason: str) -> None:
        await self._flow.closed(eio_sid, reason)
        self._server.environ.pop(eio_sid, None)

    # -- Socket.IO packets ------------------------------------------------

    def _event_target(self, client: Client, pkt: Packet) -> Socket | None:
        """The socket an EVENT or ACK is for, or ``None`` when it must be dropped."""
        socket = client.sockets.get(pkt.nsp)
        if socket is None or not socket.connected or socket.closing:
            self._drop(client, pkt.nsp, socket)
            return None
        return socket

    def _drop(self, client: Client, namespace: str, socket: Socket | None) -> None:
        """Say why a packet for ``namespace`` is dropped (``socket``: the client's socket
        there, which is not connected, or ``None``)."""
        if socket is not None:
            self._server.logger.warning("%s is not connected to namespace %s", socket.id, namespace)
        elif namespace not in client.joining:
            self._flow.violation(client, f"a packet for {namespace}, which it has not joined")

    def _call_event(self, client: Client, pkt: Packet) -> Any:
        """Start the handlers of an incoming EVENT: the result (possibly an
        awaitable), or ``_DROPPED`` when there is nothing to acknowledge.

        The target's lookup is :meth:`_event_target`'s, written out: this runs once per
        event."""
        namespace = pkt.nsp
        socket = client.sockets.get(namespace)
        if socket is None or not socket.connected or socket.closing:
            self._drop(client, namespace, socket)
            return _DROPPED
        data = pkt.data
        sid = socket.id
        logger = self._server.logger
        if logger.isEnabledFor(_INFO):  # one call fewer than ``info`` when it is off
            logger.info('received event "%s" from %s [%s]', data[0], sid, namespace)
        if self._admin is not None:
            self._admin.event_received(namespace, sid, data)
        event = data[0]
        if self._intercepting and socket._intercepts(event):
            return socket._dispatch(data, self._handlers)
        try:
            # The event's own handler is ``HandlerTable.resolve``'s first step, taken here.
            ns_handlers = self._handlers.handlers.get(namespace)
            handler = None if ns_handlers is None else ns_handlers.get(event)
            if handler is not None:
                return handler(sid, *data[1:])
            return self._handlers.resolve(event, namespace, (sid, *data[1:]))
        except Exception:
            logger.exception("event handler error")
            return _DROPPED

    def _handle_event_eagerly(self, client: Client, pkt: Packet) -> None:
        result = self._call_event(client, pkt)
        if result is _DROPPED:
            return
        ack_id = pkt.id
        if isinstance(result, CoroutineType) or inspect.isawaitable(result):
            try:
                result = _eager.step(result)
            except Exception as exc:
                self._handler_failed(exc)
                return
            if result.__class__ is _eager.Later:
                self._suspended(client, pkt.nsp, ack_id, result)
                return
        if ack_id is not None:
            self._ack(client, pkt.nsp, ack_id, result)

    def _suspended(
        self, client: Client, namespace: str, ack_id: int | None, later: _eager.Later
    ) -> None:
        """Ack an event whose handler suspended when it ends (if the client asked)."""
        done = (
            _eager.ignore
            if ack_id is None
            else functools.partial(self._ack, client, namespace, ack_id)
        )
        later.then(done, self._handler_failed)

    async def _handle_event(self, client: Client, pkt: Packet) -> None:
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
            self._server.logger.exception("event handler error")
            return
        if pkt.id is not None:
            self._ack(client, pkt.nsp, pkt.id, result)

    def _ack(self, client: Client, namespace: str, ack_id: int, result: Any) -> None:
        """Send a handler's return value as the ack (python-socketio's rule); ``NO_ACK``
        leaves the event unanswered."""
        # A connection that is gone or closing gets nothing (enqueue drops the
        # packets of a closed session).
        if result is self._handlers.not_handled or result is NO_ACK or client.closing:
            return
        self._flow.send_packet(client.eio_sid, _ACK, namespace, event_args(result), ack_id)

    def _handler_failed(self, exc: BaseException) -> None:
        self._server.logger.error("event handler error", exc_info=exc)

    async def _handle_ack(self, client: Client, pkt: Packet) -> None:
        socket = self._event_target(client, pkt)
        if socket is None:
            return
        self._server.logger.info("received ack from %s [%s]", socket.id, pkt.nsp)
        if pkt.id is not None:  # the codec never gives an ACK without an id
            await self._server.manager.trigger_callback(socket.id, pkt.id, pkt.data)
