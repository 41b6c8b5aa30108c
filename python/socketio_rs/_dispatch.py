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

from engineio import packet as eio_packet

from . import _eager, exceptions
from ._engine import EngineServer
from ._handlers import call_handler
from ._msgpack import MsgPackDecoder
from .codec import Decoder, Packet, PacketError, PacketType
from .manager import event_args

if TYPE_CHECKING:
    from .admin import InstrumentedAsyncServer
    from .async_namespace import AsyncNamespace
    from .manager import AsyncManager

_CONNECT = PacketType.CONNECT
_DISCONNECT = PacketType.DISCONNECT
_EVENT = PacketType.EVENT
_ACK = PacketType.ACK


class Reason(EngineServer.reason):  # type: ignore[name-defined,misc]
    """Disconnect reasons: python-engineio's, plus the reference server's
    ``"forced close"`` for a connection closed after a protocol violation."""

    #: The client broke the protocol (an undecodable packet, an event on a
    #: namespace it has not joined, ...) and its connection was closed.
    FORCED_CLOSE = "forced close"


class _Client:
    """One Engine.IO connection: its decoder and the namespaces it joined."""

    __slots__ = ("closing", "decoder", "eio_sid", "sids")

    def __init__(self, eio_sid: str, decoder: Decoder | MsgPackDecoder) -> None:
        self.eio_sid = eio_sid
        self.decoder = decoder
        self.sids: dict[str, str] = {}  # namespace -> sid
        self.closing: str | None = None  # the reason, once a close was decided


class Dispatcher:
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
        self._clients[eio_sid] = _Client(eio_sid, self._new_decoder())

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
            reason = client.closing or reason
            for namespace in list(client.sids):
                await self._handle_disconnect(client, namespace, reason)
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

    def _namespace_accepted(self, namespace: str) -> bool:
        return (
            namespace in self.handlers
            or namespace in self.namespace_handlers
            or self.namespaces == "*"
            or namespace in self.namespaces
        )

    async def _handle_connect(self, client: _Client, namespace: str, auth: Any) -> None:
        if namespace in client.sids:
            self._violation(client, f"a second CONNECT for {namespace}")  # N8
            return
        if not self._namespace_accepted(namespace):
            # N9: the connection stays open for other namespaces.
            self._send(client.eio_sid, Packet(PacketType.CONNECT_ERROR, namespace, _INVALID_NSP))
            return
        eio_sid = client.eio_sid
        sid = await self.manager.pre_connect(eio_sid, namespace)
        if sid is None:
            self._violation(client, f"a second CONNECT for {namespace}")
            return
        client.sids[namespace] = sid
        if self.always_connect:
            await self.manager.connect(sid, namespace)
            self._send(eio_sid, Packet(_CONNECT, namespace, {"sid": sid}))
        if self._admin is not None:
            await self._admin.socket_connected(sid, namespace, eio_sid)
        fail_reason = exceptions.ConnectionRefusedError().error_args
        try:
            success = await self._call_connect_handler(namespace, sid, eio_sid, auth)
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
        if client.closing or self._clients.get(eio_sid) is not client:
            return  # the connection went away while the handler ran
        if success is False:
            if self.always_connect:
                self.manager.pre_disconnect(sid, namespace)
                self._send(eio_sid, Packet(_DISCONNECT, namespace, fail_reason))
            else:
                self._send(eio_sid, Packet(PacketType.CONNECT_ERROR, namespace, fail_reason))
            await self.manager.disconnect(sid, namespace, ignore_queue=True)
            client.sids.pop(namespace, None)
        elif not self.always_connect:
            # N13: registered as connected before the reply, so the client's
            # first event after it is accepted.
            await self.manager.connect(sid, namespace)
            self._send(eio_sid, Packet(_CONNECT, namespace, {"sid": sid}))

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

    async def _handle_client_disconnect(self, client: _Client, namespace: str) -> None:
        if namespace not in client.sids:
            self._violation(client, f"DISCONNECT for {namespace}, which it has not joined")
            return
        await self._handle_disconnect(client, namespace, self.reason.CLIENT_DISCONNECT)

    async def _handle_disconnect(self, client: _Client, namespace: str, reason: str) -> None:
        sid = client.sids.pop(namespace, None)
        if sid is None or not self.manager.is_connected(sid, namespace):
            if sid is not None:
                await self.manager.disconnect(sid, namespace, ignore_queue=True)
            return
        self.manager.pre_disconnect(sid, namespace=namespace)
        if self._admin is not None:
            await self._admin.socket_disconnected(sid, namespace, reason)
        await self._trigger_event("disconnect", namespace, sid, reason)
        await self.manager.disconnect(sid, namespace, ignore_queue=True)

    def _event_target(self, client: _Client, pkt: Packet) -> str | None:
        """The sid an EVENT or ACK is for, or ``None`` when it must be dropped."""
        namespace = pkt.nsp
        sid = client.sids.get(namespace)
        if sid is None:
            self._violation(client, f"a packet for {namespace}, which it has not joined")  # N8
            return None
        if not self.manager.is_connected(sid, namespace):
            self.logger.warning("%s is not connected to namespace %s", sid, namespace)
            return None
        return sid

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
        """Start the handler of an incoming EVENT: its result (possibly an
        awaitable), or ``_DROPPED`` when there is nothing to acknowledge."""
        sid = self._event_target(client, pkt)
        if sid is None:
            return _DROPPED
        data = pkt.data
        namespace = pkt.nsp
        self.logger.info('received event "%s" from %s [%s]', data[0], sid, namespace)
        if self._admin is not None:
            self._admin.event_received(namespace, sid, data)
        try:
            return self._resolve(data[0], namespace, (sid, *data[1:]))
        except Exception:
            self.logger.exception("event handler error")
            return _DROPPED

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
        """Send a handler's return value as the ack (python-socketio's rule)."""
        # A connection that is gone or closing gets nothing (enqueue drops the
        # packets of a closed session).
        if result is self.not_handled or client.closing:
            return
        self._send(client.eio_sid, Packet(_ACK, namespace, event_args(result), ack_id))

    def _handler_failed(self, exc: BaseException) -> None:
        self.logger.error("event handler error", exc_info=exc)

    async def _handle_ack(self, client: _Client, pkt: Packet) -> None:
        sid = self._event_target(client, pkt)
        if sid is None:
            return
        self.logger.info("received ack from %s [%s]", sid, pkt.nsp)
        if pkt.id is not None:  # the codec never gives an ACK without an id
            await self.manager.trigger_callback(sid, pkt.id, pkt.data)

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


_INVALID_NSP = {"message": "Invalid namespace"}
#: An event that was dropped or whose handler failed: no ack.
_DROPPED = object()


def _ignore(result: Any) -> None:
    pass


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable
