"""``AsyncPubSubManager``: several server processes as one Socket.IO server,
joined through a publish/subscribe backend.

The messages are python-socketio 5.18's, field for field, so python-socketio
servers and socketio-rs servers can share one channel (during a migration, for
example) and python-socketio's ``write_only`` emitters reach socketio-rs
clients. Every message is a JSON object with a ``method`` and the sender's
``host_id``:

- ``emit``: ``event``, ``data`` (the argument list), ``binary``, ``namespace``,
  ``room``, ``skip_sid``, ``callback`` (``[room, namespace, ack_id]`` or
  ``null``). With binary data, ``data`` is ``[<arguments with
  {"_placeholder":true,"num":i}>, <base64 attachment 0>, ...]``. socketio-rs
  adds ``except_rooms``, ``offset`` and ``volatile`` (``true``: dropped for
  the clients not ready to write) when they apply; python-socketio hosts read
  only the fields above, so they deliver such a message as a plain emit.
- ``callback``: ``sid``, ``namespace``, ``id``, ``args``: a client's ack,
  routed back to the host that emitted (only that host acts on it).
- ``disconnect`` / ``enter_room`` / ``leave_room``: ``sid``, ``namespace``
  (and ``room``), for a client held by another host.
- ``close_room``: ``room``, ``namespace``.

A backend subclass provides :meth:`_publish` and :meth:`_listen`; this class
keeps the listener alive (a lost subscription is retried with back-off and
every state change is logged) and routes the messages.
"""

from __future__ import annotations

import asyncio
import base64
import json as stdlib_json
import logging
import uuid
from collections.abc import AsyncGenerator
from typing import Any, Callable

from .._rules import ack_value, event_args
from ..exceptions import PubSubError
from .base import Answers, AsyncManager, RemoteAcks, Targets
from .remote_socket import RemoteSocket
from .wire import LocalAck, RemoteAck, deconstruct, unpack

#: The logger of the pub/sub managers when none is given. Not the server's:
#: that one logs errors only by default, and an outage must never be silent.
pubsub_logger = logging.getLogger("socketio_rs.pubsub")


class AsyncPubSubManager(AsyncManager):
    """Share the clients of several server processes through a pub/sub backend.

    :param channel: the channel every process of the cluster uses.
    :param write_only: only emit (an external emitter process with no
        server); no listener is started.
    :param logger: the logger for the backend's state changes and errors;
        by default ``logging.getLogger("socketio_rs.pubsub")``.
    :param json: a module with ``dumps``/``loads`` for the messages; by
        default the server's ``json`` module, or the standard library's.
    :param publish_timeout: how long (seconds) a publish is retried while
        the backend is unreachable before :class:`PubSubError` is raised.
    :param reconnect_delay: ``(first, maximum)`` seconds between attempts to
        restore a lost subscription; the delay doubles after each failure.
    :param request_timeout: how long ``fetch_sockets()`` waits for the other
        processes' answers before raising ``TimeoutError``.
    """

    name = "asyncpubsub"

    def __init__(
        self,
        channel: str = "socketio",
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
        *,
        publish_timeout: float = 5.0,
        reconnect_delay: tuple[float, float] = (0.5, 30.0),
        request_timeout: float = 5.0,
    ) -> None:
        super().__init__()
        self.channel = channel
        #: socketio-rs's own request/response channel (``fetch_sockets``), kept
        #: apart from python-socketio's so that mixed clusters are unaffected.
        self.request_channel = channel + "#requests"
        self.request_timeout = request_timeout
        self._requests: dict[str, Answers] = {}
        self._acks: dict[str, RemoteAcks] = {}  # broadcast acks gathered from the others
        self.write_only = write_only
        self.host_id = uuid.uuid4().hex
        self.logger = logger
        self.json = json
        self.publish_timeout = publish_timeout
        self.reconnect_delay = reconnect_delay
        self._listener: asyncio.Task[None] | None = None
        self._closing = False
        #: True while the listener holds a live subscription.
        self.subscribed = False
        self._lost_at: float | None = None  # loop time of the loss, while lost
        # Set while subscribed; made in the running loop (an Event binds to a loop on 3.9).
        self._subscribed_event: asyncio.Event | None = None
        self._failures = 0

    # -- lifecycle --------------------------------------------------------

    def initialize(self) -> None:
        """Start the listener (python-socketio starts it on the first connection)."""
        super().initialize()
        if not self.write_only:
            self._start_listener()
        self._get_logger().info("%s backend initialized", self.name)

    def _start_listener(self) -> None:
        if self._listener is not None or self._closing or self.write_only:
            return
        if self._subscribed_event is None:
            self._subscribed_event = asyncio.Event()
        self._listener = asyncio.get_running_loop().create_task(self._listen_forever())
        self._listener.add_done_callback(self._listener_ended)

    def _listener_ended(self, task: asyncio.Task[None]) -> None:
        """The listener only ends at shutdown; anything else is logged and it restarts."""
        self._listener = None
        self.subscribed = False
        if self._subscribed_event is not None:
            self._subscribed_event.clear()
        if self._closing or task.cancelled():
            return
        exc = task.exception()
        if exc is not None and not isinstance(exc, Exception):  # SystemExit, KeyboardInterrupt
            self._get_logger().critical("%s listener stopped", self.name, exc_info=exc)
            return
        self._get_logger().critical(
            "%s listener stopped unexpectedly; restarting it", self.name, exc_info=exc
        )
        # After a pause: a listener that failed at once must not spin.
        asyncio.get_running_loop().call_later(self.reconnect_delay[0], self._start_listener)

    async def shutdown(self) -> None:
        """Stop listening and close the backend connections (``sio.shutdown()``
        calls it; an external emitter calls it when done)."""
        self._closing = True
        task, self._listener = self._listener, None
        if task is not None:
            # A client library may swallow a cancellation that lands on its own
            # read timeout, so the read is also unblocked, and the wait is bounded.
            await self._interrupt_listener()
            for _ in range(10):
                task.cancel()
                done, _ = await asyncio.wait({task}, timeout=0.5)
                if done:
                    break
            else:
                self._get_logger().warning("%s listener did not stop within 5 s", self.name)
        self.subscribed = False
        await self._close_backend()

    async def _close_backend(self) -> None:
        """Close the backend's connections (a subclass overrides it)."""

    async def _interrupt_listener(self) -> None:
        """Make a listener blocked in a read return (a subclass overrides it)."""

    # -- the API python-socketio's servers call ---------------------------

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: Any = None,
        skip_sid: Any = None,
        callback: Callable[..., Any] | None = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        """Emit to clients on every process: delivered here first, then published.

        ``ignore_queue=True`` delivers to this process's clients only. Raises
        :class:`PubSubError` when the message cannot be published.
        """
        room = to or room
        namespace = namespace or "/"
        except_rooms = kwargs.get("except_rooms")
        if kwargs.get("ignore_queue"):
            await super().emit(
                event,
                data,
                namespace,
                room=room,
                skip_sid=skip_sid,
                callback=callback,
                except_rooms=except_rooms,
                volatile=kwargs.get("volatile", False),
                compress=kwargs.get("compress", True),
            )
            return
        remote_callback = None
        if callback is not None:
            if self.server is None:
                raise RuntimeError("Callbacks can only be issued from the context of a server.")
            if room is None:
                raise ValueError("Cannot use callback without a room set.")
            if not isinstance(room, str):
                raise ValueError("A callback needs one room or sid, not a list.")
            self._start_listener()  # the acks of other hosts arrive through it
            ack_id = self._generate_ack_id(room, callback)
            remote_callback = [room, namespace, ack_id]
            callback = LocalAck(self, room, ack_id)
        args = list(data) if isinstance(data, tuple) else [data]
        offset = None
        if self.recovery is not None and callback is None and not kwargs.get("volatile"):
            # The offset travels as the last argument, as the client reads it.
            offset = self.recovery.new_offset()
            args = [*event_args(data), offset]
        if self.server is not None:
            self.emit_local(
                event,
                event_args(data) if offset is None else args,
                namespace,
                room,
                skip_sid,
                callback,
                except_rooms,
                offset,
                volatile=kwargs.get("volatile", False),
                compress=kwargs.get("compress", True),
            )
        message: dict[str, Any] = {
            "method": "emit",
            "event": event,
            "data": args,
            "binary": False,
            "namespace": namespace,
            "room": room,
            "skip_sid": skip_sid,
            "callback": remote_callback,
            "host_id": self.host_id,
        }
        if except_rooms is not None:
            # A Node-style operator's emit: an addition python-socketio hosts ignore.
            message["except_rooms"] = except_rooms
        if offset is not None:
            message["offset"] = offset  # so that every host keeps it for recovery too
        if kwargs.get("volatile"):
            # Node's volatile flag: an addition python-socketio hosts ignore (they deliver it).
            message["volatile"] = True
        await self._publish_message(message, "data")

    async def can_disconnect(self, sid: str, namespace: str) -> bool:
        """True for a local client; for another host's, ask it to disconnect
        the client and return False."""
        if self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace):
            return await super().can_disconnect(sid, namespace)
        await self._publish_message(
            {
                "method": "disconnect",
                "sid": sid,
                "namespace": namespace or "/",
                "host_id": self.host_id,
            }
        )
        return False

    async def disconnect(self, sid: str, namespace: str, **kwargs: Any) -> None:
        """Forget ``sid``; without ``ignore_queue`` every host is told."""
        if kwargs.get("ignore_queue"):
            await super().disconnect(sid, namespace)
            return
        message = {
            "method": "disconnect",
            "sid": sid,
            "namespace": namespace or "/",
            "host_id": self.host_id,
        }
        await self._handle_disconnect(message)
        await self._publish_message(message)

    async def enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        """Put ``sid`` in ``room``, here or on the host that holds it."""
        if self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace):
            await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        else:
            await self._publish_room_change("enter_room", sid, namespace, room)

    async def leave_room(self, sid: str, namespace: str, room: Any) -> None:
        """Take ``sid`` out of ``room``, here or on the host that holds it."""
        if self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace):
            await super().leave_room(sid, namespace, room)
        else:
            await self._publish_room_change("leave_room", sid, namespace, room)

    async def _publish_room_change(self, method: str, sid: str, namespace: str, room: Any) -> None:
        await self._publish_message(
            {
                "method": method,
                "sid": sid,
                "room": room,
                "namespace": namespace or "/",
                "host_id": self.host_id,
            }
        )

    async def close_room(self, room: Any, namespace: str | None = None) -> None:
        """Empty ``room`` on every host."""
        message = {
            "method": "close_room",
            "room": room,
            "namespace": namespace or "/",
            "host_id": self.host_id,
        }
        await super().close_room(room, namespace or "/")
        await self._publish_message(message)

    # -- publishing -------------------------------------------------------

    def _dumps(self, message: dict[str, Any]) -> str | bytes:
        json = self._json_module()
        if json is stdlib_json:
            return stdlib_json.dumps(message, separators=(",", ":"))
        dumped: str | bytes = json.dumps(message)
        return dumped

    def _json_module(self) -> Any:
        if self.json is not None:
            return self.json
        if self.server is not None and self.server.json is not None:
            return self.server.json
        return stdlib_json

    async def _publish_message(
        self, message: dict[str, Any], binary_field: str = "", channel: str | None = None
    ) -> None:
        """Serialize and publish; ``binary_field`` names the list that may hold bytes."""
        try:
            text = self._dumps(message)
        except TypeError:
            # bytes somewhere (json refuses them): python-socketio's binary form.
            if not binary_field:
                raise
            attachments: list[bytes] = []
            stripped = deconstruct(message[binary_field], attachments)
            if not attachments:
                raise
            message[binary_field] = [
                stripped,
                *(base64.b64encode(a).decode("ascii") for a in attachments),
            ]
            message["binary"] = True
            text = self._dumps(message)
        await self._publish(text, channel)

    async def _wait_subscribed(self, timeout: float) -> None:
        """While this process's own subscription is being restored, the other
        processes' are most likely too: a publish waits for it (up to
        ``timeout``) rather than go out to a cluster that is not listening."""
        event = self._subscribed_event
        if self._listener is None or event is None or event.is_set() or timeout <= 0:
            return
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except asyncio.TimeoutError:
            pass

    async def _publish(self, data: str | bytes, channel: str | None = None) -> None:
        """Publish one serialized message (on :attr:`channel` unless another is
        given), retrying for up to ``publish_timeout``; raise
        :class:`PubSubError` after that."""
        raise NotImplementedError

    def _listen(self) -> AsyncGenerator[bytes | str, None]:
        """One subscription: subscribe, call :meth:`_subscribed`, then yield
        each raw message. Raise (or end) when the subscription is lost."""
        raise NotImplementedError

    # -- listening --------------------------------------------------------

    def _subscribed(self) -> None:
        """Called by :meth:`_listen` once the subscription is live."""
        self.subscribed = True
        if self._subscribed_event is not None:
            self._subscribed_event.set()
        if self._lost_at is not None:
            self._get_logger().warning(
                "%s: subscription to %r restored after %.1f s",
                self.name,
                self.channel,
                asyncio.get_running_loop().time() - self._lost_at,
            )
        else:
            self._get_logger().info("%s: subscribed to %r", self.name, self.channel)
        self._lost_at, self._failures = None, 0

    async def _listen_forever(self) -> None:
        """Keep a subscription: every loss is logged and retried with back-off."""
        first, maximum = self.reconnect_delay
        while not self._closing:
            messages = self._listen()
            try:
                try:
                    async for raw in messages:
                        await self._handle_raw(raw)
                finally:
                    await messages.aclose()
                raise ConnectionError("the subscription ended")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._closing:
                    return
                self._lost(exc)
            delay = min(first * 2 ** (self._failures - 1), maximum)
            if self._failures > 1:
                self._get_logger().warning(
                    "%s: attempt %d to restore the subscription failed; next in %.1f s",
                    self.name,
                    self._failures - 1,
                    delay,
                )
            await asyncio.sleep(delay)

    def _lost(self, exc: Exception) -> None:
        self.subscribed = False
        if self._subscribed_event is not None:
            self._subscribed_event.clear()
        self._failures += 1
        if self._lost_at is None:
            self._lost_at = asyncio.get_running_loop().time()
            self._get_logger().error(
                "%s: subscription to %r lost (%s: %s); messages that other processes "
                "publish until it is restored do not reach this one; retrying",
                self.name,
                self.channel,
                type(exc).__name__,
                exc,
            )

    async def _handle_raw(self, raw: bytes | str | dict[str, Any]) -> None:
        """Decode one message and act on it; a bad message or a failing
        handler is logged, never fatal to the listener."""
        log = self._get_logger()
        if isinstance(raw, dict):
            message: Any = raw
        else:
            try:
                message = self._json_module().loads(raw)
            except Exception:
                log.warning("%s: ignoring a message that is not JSON: %.80r", self.name, raw)
                return
        if not isinstance(message, dict) or "method" not in message:
            return
        method = message["method"]
        try:
            if method == "callback":
                if message.get("host_id") == self.host_id:
                    await self._handle_callback(message)
            elif message.get("host_id") != self.host_id and method in _METHODS:
                await getattr(self, "_handle_" + method)(message)
        except Exception:
            log.exception("%s: error handling a %r message", self.name, method)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if self.server is None:
            return
        data = unpack(message, "data")
        # python-socketio's reading: [x] is one argument x (so [null] is none).
        args = [] if data == [None] else data
        remote = message.get("callback")
        callback = None
        if isinstance(remote, list) and len(remote) == 3:
            callback = RemoteAck(self, message.get("host_id"), *remote)
        except_rooms = message.get("except_rooms")
        offset = message.get("offset")
        self.emit_local(
            message.get("event", ""),
            args,
            message.get("namespace") or "/",
            message.get("room"),
            message.get("skip_sid"),
            callback,
            except_rooms if isinstance(except_rooms, list) else None,
            offset if isinstance(offset, str) and callback is None else None,
            volatile=message.get("volatile") is True,
        )

    async def _handle_callback(self, message: dict[str, Any]) -> None:
        try:
            sid, ack_id, _ = message["sid"], message["id"], message["args"]
        except KeyError:
            return
        await self.trigger_callback(sid, ack_id, unpack(message, "args"))

    async def _handle_disconnect(self, message: dict[str, Any]) -> None:
        if self.server is not None:
            await self.server.disconnect(
                sid=message.get("sid", ""),
                namespace=message.get("namespace"),
                ignore_queue=True,
            )

    async def _handle_enter_room(self, message: dict[str, Any]) -> None:
        sid, namespace = message.get("sid", ""), message.get("namespace") or "/"
        if self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace):
            await super().enter_room(sid, namespace, message.get("room"))

    async def _handle_leave_room(self, message: dict[str, Any]) -> None:
        sid, namespace = message.get("sid", ""), message.get("namespace") or "/"
        if self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace):
            await super().leave_room(sid, namespace, message.get("room"))

    async def _handle_close_room(self, message: dict[str, Any]) -> None:
        await super().close_room(message.get("room"), message.get("namespace") or "/")

    def _get_logger(self) -> logging.Logger:
        return self.logger or pubsub_logger

    # -- Node-style operations across processes ---------------------------
    # Broadcast operators' sockets_join/sockets_leave/disconnect_sockets travel as
    # ``sockets_op`` messages on the main channel (python-socketio hosts ignore them);
    # fetch_sockets is a request/response exchange on socketio-rs's own channel,
    # ``<channel>#requests``.

    async def fetch_remote_sockets(self, namespace: str, targets: Targets) -> list[Any]:
        """Ask every other process for its matching sockets (a ``fetch_sockets``
        request on :attr:`request_channel`) and wait for all their answers."""
        if self.server is None:
            return []
        self._start_listener()
        expected = await self._count_subscribers(self.request_channel) - (
            1 if self.subscribed else 0
        )
        if expected <= 0:
            return []
        request_id = uuid.uuid4().hex
        request = self._requests[request_id] = Answers(expected)
        try:
            await self._publish_message(
                {
                    "method": "fetch_sockets",
                    "request_id": request_id,
                    "namespace": namespace,
                    "rooms": list(targets.rooms),
                    "except_rooms": list(targets.except_rooms),
                    "host_id": self.host_id,
                },
                channel=self.request_channel,
            )
            answers = await request.wait(self.request_timeout, "fetch_sockets")
        finally:
            del self._requests[request_id]
        return [
            RemoteSocket(self, namespace, details)
            for answer in answers
            for details in answer
            if isinstance(details, dict) and "id" in details
        ]

    async def _other_processes(self) -> int:
        """How many other socketio-rs processes listen on :attr:`request_channel`."""
        self._start_listener()
        total = await self._count_subscribers(self.request_channel)
        return total - (1 if self.subscribed else 0)

    async def request_acks(
        self, namespace: str, targets: Targets, event: str, args: tuple[Any, ...]
    ) -> RemoteAcks | None:
        """Ask every other process to emit ``event`` with an ack to its matching
        clients (a ``broadcast_acks`` request): each answers how many it
        reached, then forwards each ack as it comes."""
        if self.server is None:
            return None
        processes = await self._other_processes()
        if processes <= 0:
            return None
        request_id = uuid.uuid4().hex
        acks = RemoteAcks(processes)
        self._acks[request_id] = acks
        acks.done.add_done_callback(lambda _: self._acks.pop(request_id, None))
        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.request_timeout, acks.give_up)
        acks.done.add_done_callback(lambda _: timer.cancel())
        await self._publish_message(
            {
                "method": "broadcast_acks",
                "request_id": request_id,
                "namespace": namespace,
                "rooms": list(targets.rooms),
                "except_rooms": list(targets.except_rooms),
                "event": event,
                "data": list(args),
                "host_id": self.host_id,
            },
            "data",
            channel=self.request_channel,
        )
        return acks

    async def _handle_broadcast_acks(self, message: dict[str, Any]) -> None:
        if self.server is None:
            return
        request_id = message.get("request_id")
        namespace = message.get("namespace") or "/"
        targets = _local_targets(message)

        async def on_ack(*args: Any) -> None:  # one client's ack, forwarded as it comes
            answer = {
                "method": "broadcast_acks_response",
                "request_id": request_id,
                "args": list(args),
                "host_id": self.host_id,
            }
            await self._publish_message(answer, "args", channel=self.request_channel)

        count = self.emit_local(
            str(message.get("event", "")),
            unpack(message, "data"),
            namespace,
            list(targets.rooms) if targets.rooms else None,
            None,
            on_ack,
            list(targets.except_rooms),
        )
        await self._publish_message(
            {
                "method": "broadcast_acks_count",
                "request_id": request_id,
                "count": count,
                "host_id": self.host_id,
            },
            channel=self.request_channel,
        )

    async def _handle_broadcast_acks_count(self, message: dict[str, Any]) -> None:
        acks = self._acks.get(str(message.get("request_id")))
        count = message.get("count")
        if acks is not None and isinstance(count, int):
            acks.count(count)

    async def _handle_broadcast_acks_response(self, message: dict[str, Any]) -> None:
        acks = self._acks.get(str(message.get("request_id")))
        if acks is not None:
            acks.ack(ack_value(unpack(message, "args")))

    async def server_side_emit(
        self, namespace: str, event: str, args: tuple[Any, ...], timeout: float | None = None
    ) -> list[Any] | None:
        """Send ``event`` to the other processes' ``on_server_side`` handlers (a
        ``server_side_emit`` message); with a ``timeout``, wait for every
        other process's answer and return them (``TimeoutError`` carrying
        ``.responses`` when some are missing)."""
        message: dict[str, Any] = {
            "method": "server_side_emit",
            "request_id": None,
            "namespace": namespace,
            "event": event,
            "data": list(args),
            "host_id": self.host_id,
        }
        if timeout is None:
            await self._publish_message(message, "data", channel=self.request_channel)
            return None
        processes = await self._other_processes()
        if processes <= 0:
            return []
        request_id = message["request_id"] = uuid.uuid4().hex
        request = self._requests[request_id] = Answers(processes)
        try:
            await self._publish_message(message, "data", channel=self.request_channel)
            return await request.wait(timeout, "server_side_emit")
        finally:
            del self._requests[request_id]

    async def _handle_server_side_emit(self, message: dict[str, Any]) -> None:
        if self.server is None:
            return
        handled, answer = await self.server.server_side_event(
            message.get("namespace") or "/", str(message.get("event", "")), unpack(message, "data")
        )
        request_id = message.get("request_id")
        if handled and request_id is not None:
            await self._publish_message(
                {
                    "method": "server_side_emit_response",
                    "request_id": request_id,
                    "args": [answer],
                    "host_id": self.host_id,
                },
                "args",
                channel=self.request_channel,
            )

    async def _handle_server_side_emit_response(self, message: dict[str, Any]) -> None:
        request = self._requests.get(str(message.get("request_id")))
        if request is not None:
            args = unpack(message, "args")
            request.add(args[0] if args else None)

    async def _count_subscribers(self, channel: str) -> int:
        """How many processes listen on ``channel`` (a backend overrides it)."""
        return 0

    async def publish_sockets_op(self, namespace: str, targets: Targets, op: str, arg: Any) -> None:
        """Ask the other hosts to apply ``sockets_join``/``sockets_leave``/
        ``disconnect_sockets`` to their sockets (a ``sockets_op`` message,
        which python-socketio hosts ignore)."""
        await self._publish_message(
            {
                "method": "sockets_op",
                "op": op,
                "namespace": namespace,
                "rooms": list(targets.rooms),
                "except_rooms": list(targets.except_rooms),
                "arg": arg,
                "host_id": self.host_id,
            }
        )

    async def _handle_sockets_op(self, message: dict[str, Any]) -> None:
        if self.server is not None:
            await self.server.apply_sockets_op(
                message.get("namespace") or "/",
                _local_targets(message),
                str(message.get("op")),
                message.get("arg"),
            )

    async def _handle_fetch_sockets(self, message: dict[str, Any]) -> None:
        sockets: list[dict[str, Any]] = []
        if self.server is not None:
            sockets = self.server.describe_sockets(
                message.get("namespace") or "/", _local_targets(message)
            )
        answer = {
            "method": "fetch_sockets_response",
            "request_id": message.get("request_id"),
            "sockets": sockets,
            "host_id": self.host_id,
        }
        try:
            self._dumps(answer)
        except (TypeError, ValueError):  # socket.data that JSON cannot carry
            self._get_logger().warning("%s: socket.data not sent: not JSON", self.name)
            for details in sockets:
                details["data"] = None
        await self._publish_message(answer, channel=self.request_channel)

    async def _handle_fetch_sockets_response(self, message: dict[str, Any]) -> None:
        request = self._requests.get(str(message.get("request_id")))
        if request is not None and isinstance(message.get("sockets"), list):
            request.add(message["sockets"])


#: The methods a host acts on when another host sent them (``callback`` is separate).
_METHODS = frozenset(
    {
        "emit",
        "disconnect",
        "enter_room",
        "leave_room",
        "close_room",
        "sockets_op",
        "fetch_sockets",
        "fetch_sockets_response",
        "broadcast_acks",
        "broadcast_acks_count",
        "broadcast_acks_response",
        "server_side_emit",
        "server_side_emit_response",
    }
)


def _local_targets(message: dict[str, Any]) -> Targets:
    """The targets of another host's ``sockets_op`` or ``fetch_sockets``, on this process."""
    return Targets(
        frozenset(message.get("rooms") or ()),
        frozenset(message.get("except_rooms") or ()),
        local=True,
    )


__all__ = ["AsyncPubSubManager", "PubSubError"]
