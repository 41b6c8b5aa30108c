"""``AsyncRedisStreamsManager``: several server processes as one Socket.IO
server through a Redis stream, wire-compatible with Node's
``@socket.io/redis-streams-adapter`` (0.3), so one cluster can mix
socketio-rs processes and Node processes using that adapter.

What crosses processes, in the Node cluster adapter's messages
(``socket.io-adapter``'s ``ClusterMessage``):

- broadcasts, ``sockets_join``/``sockets_leave``/``disconnect_sockets``: entries
  of the stream ``socket.io`` (``XADD ... MAXLEN ~ 10000``) with the fields
  ``uid``, ``nsp``, ``type`` and ``data`` (JSON, or base64 MessagePack when the
  arguments hold bytes). A broadcast's entry id is its offset for connection
  state recovery, the same on every process.
- requests that need no replay (``fetch_sockets``, server-side emits, a
  broadcast with acks): MessagePack on the channel ``socket.io#<nsp>#``; the
  answers on the requester's ``socket.io#<nsp>#<uid>#``. How many processes
  answer is the channel's ``PUBSUB NUMSUB``.
- recovery sessions: ``sio:session:<pid>``, base64 MessagePack of
  ``{sid, pid, rooms, data}``, expiring after ``max_disconnection_duration``;
  taken with ``GETDEL``, so a client can come back to any process.

Every process reads the whole stream (``XREAD BLOCK``) from where it started;
after a lost connection it goes on from the last entry it read, so an entry
Redis kept is never skipped, and says so in the log.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json as stdlib_json
import logging
import os
from collections.abc import Callable
from typing import Any

from .._rules import ack_value, event_args
from ..exceptions import PubSubError
from .base import Answers, AsyncManager, RemoteAcks, Targets
from .recovery import Restored, Session, includes
from .redis import close_quietly
from .remote_socket import RemoteSocket

try:
    import msgpack
    from redis import asyncio as aioredis
    from redis.exceptions import ConnectionError as RedisConnectionError
except ImportError:  # pragma: no cover - the "redis" and "msgpack" extras are not installed
    aioredis = None  # type: ignore[assignment]

streams_logger = logging.getLogger("socketio_rs.streams")

# socket.io-adapter's MessageType.
_BROADCAST = 3
_SOCKETS_JOIN = 4
_SOCKETS_LEAVE = 5
_DISCONNECT_SOCKETS = 6
_FETCH_SOCKETS = 7
_FETCH_SOCKETS_RESPONSE = 8
_SERVER_SIDE_EMIT = 9
_SERVER_SIDE_EMIT_RESPONSE = 10
_BROADCAST_CLIENT_COUNT = 11
_BROADCAST_ACK = 12
_SOCKETS_OPS = {_SOCKETS_JOIN: "join", _SOCKETS_LEAVE: "leave", _DISCONNECT_SOCKETS: "disconnect"}
_EVENT = 2  # socket.io-parser's EVENT packet type


class AsyncRedisStreamsManager(AsyncManager):
    """Share the clients of several server processes through a Redis stream.

    ::

        mgr = socketio_rs.AsyncRedisStreamsManager("redis://localhost:6379/0")
        sio = socketio_rs.AsyncServer(client_manager=mgr, connection_state_recovery=True)

    :param url: the Redis URL (``redis://``, ``rediss://``, ``unix://``).
    :param stream_name: the stream (Node's ``streamName``).
    :param channel_prefix: the prefix of the request channels (``channelPrefix``).
    :param max_len: the stream's approximate maximum length (``maxLen``).
    :param read_count: entries per ``XREAD`` (``readCount``).
    :param block_ms: how long one ``XREAD`` blocks (``blockTimeInMs``).
    :param session_key_prefix: the prefix of recovery session keys (``sessionKeyPrefix``).
    :param request_timeout: seconds to wait for the other processes' answers.
    :param publish_timeout: seconds a write is retried while Redis is
        unreachable before the emit raises :class:`~socketio_rs.exceptions.PubSubError`.
    :param reconnect_delay: ``(first, maximum)`` seconds between attempts to
        read again after a lost connection; doubles after each failure.
    :param logger: the logger for Redis state changes (``socketio_rs.streams``).
    :param redis_options: keyword arguments for ``redis.asyncio.Redis.from_url()``.
    """

    name = "redis-streams"

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        *,
        stream_name: str = "socket.io",
        channel_prefix: str = "socket.io",
        max_len: int = 10_000,
        read_count: int = 100,
        block_ms: int = 5_000,
        session_key_prefix: str = "sio:session:",
        request_timeout: float = 5.0,
        publish_timeout: float = 5.0,
        reconnect_delay: tuple[float, float] = (0.5, 30.0),
        logger: logging.Logger | None = None,
        redis_options: dict[str, Any] | None = None,
    ) -> None:
        if aioredis is None:
            raise RuntimeError(
                "AsyncRedisStreamsManager needs redis-py and msgpack: "
                "pip install 'socketio-rs[redis,msgpack]'"
            )
        super().__init__()
        self.redis_url = url
        self.stream_name = stream_name
        self.channel_prefix = channel_prefix
        self.max_len = max_len
        self.read_count = read_count
        self.block_ms = block_ms
        self.session_key_prefix = session_key_prefix
        self.request_timeout = request_timeout
        self.publish_timeout = publish_timeout
        self.reconnect_delay = reconnect_delay
        self.logger = logger
        self.redis_options = dict(redis_options or {})
        #: This process's id in the cluster's messages (Node's adapter ``uid``).
        self.uid = os.urandom(8).hex()
        self._redis: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._subscriber: asyncio.Task[None] | None = None
        self._pubsub: Any = None
        self._channels: set[str] = set()  # subscribed, or to subscribe
        self._subscribed: dict[str, asyncio.Event] = {}
        self._requests: dict[str, Answers] = {}
        self._acks: dict[str, RemoteAcks] = {}
        self._closing = False
        self._ready: asyncio.Event | None = None  # set once the request channels are subscribed
        self._mids = itertools.count()
        self._seen: dict[tuple[Any, str], None] = {}  # recent (uid, mid) read, oldest first

    # -- lifecycle --------------------------------------------------------

    def initialize(self) -> None:
        """Start reading the stream and the request channels."""
        super().initialize()
        self._start()

    def _start(self) -> None:
        if self._reader is not None or self._closing:
            return
        loop = asyncio.get_running_loop()
        self._ready = asyncio.Event()
        self._channels |= self._channels_of("/")
        self._reader = loop.create_task(self._read_forever())
        self._subscriber = loop.create_task(self._subscribe_forever())

    async def shutdown(self) -> None:
        """Stop reading and close the Redis connections."""
        self._closing = True
        for task in (self._reader, self._subscriber):
            if task is not None:
                task.cancel()
                await asyncio.wait({task}, timeout=5)
        self._reader = self._subscriber = None
        client, self._redis = self._redis, None
        if client is not None:
            await close_quietly(client)

    @property
    def subscribed(self) -> bool:
        """True while the request channels are subscribed."""
        return self._pubsub is not None

    def _client(self) -> Any:
        if self._redis is None:
            options = dict(self.redis_options)
            options.setdefault("socket_connect_timeout", 5)
            self._redis = aioredis.Redis.from_url(self.redis_url, **options)
        return self._redis

    def _log(self) -> logging.Logger:
        return self.logger or streams_logger

    # -- writing ----------------------------------------------------------

    async def _retrying(self, what: str, call: Callable[[], Any]) -> Any:
        """Run a Redis command, retried while Redis is unreachable for up to
        ``publish_timeout``; then :class:`PubSubError`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.publish_timeout
        delay = 0.05
        while True:
            try:
                return await call()
            except (OSError, asyncio.TimeoutError, RedisConnectionError) as exc:
                if loop.time() + delay > deadline:
                    raise PubSubError(f"{what} failed for {self.publish_timeout} s: {exc}") from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _append(self, namespace: str, kind: int, data: Any) -> str:
        """Add a message to the stream; its entry id. A write whose reply was
        lost to an outage is retried, so the same message may be added twice:
        its ``mid`` (a field Node's adapter ignores) lets readers drop the copy."""
        fields = {
            "uid": self.uid,
            "nsp": namespace,
            "type": str(kind),
            "data": _encode_data(data),
            "mid": str(next(self._mids)),
        }
        entry_id = await self._retrying(
            "XADD",
            lambda: self._client().xadd(
                self.stream_name, fields, maxlen=self.max_len, approximate=True
            ),
        )
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def _publish(self, channel: str, namespace: str, kind: int, data: Any) -> None:
        payload = msgpack.packb({"uid": self.uid, "nsp": namespace, "type": kind, "data": data})
        await self._retrying("PUBLISH", lambda: self._client().publish(channel, payload))

    def _channels_of(self, namespace: str) -> set[str]:
        public = f"{self.channel_prefix}#{namespace}#"
        return {public, f"{public}{self.uid}#"}

    async def _listen_to(self, namespace: str) -> None:
        """Subscribe to ``namespace``'s request channels (once), so that this
        process is counted and answers reach it."""
        channels = self._channels_of(namespace)
        self._start()
        new = channels - self._channels
        self._channels |= channels
        if new and self._pubsub is not None:
            await self._pubsub.subscribe(*new)

    async def _other_processes(self, namespace: str) -> int:
        await self._listen_to(namespace)
        if self._ready is not None and not self._ready.is_set():
            try:
                await asyncio.wait_for(self._ready.wait(), self.request_timeout)
            except asyncio.TimeoutError:
                pass
        public = f"{self.channel_prefix}#{namespace}#"
        counts = await self._client().pubsub_numsub(public)
        total = int(counts[0][1]) if counts else 0
        return total - 1 if self._pubsub is not None else total

    # -- reading ----------------------------------------------------------

    async def _read_forever(self) -> None:
        """Read every entry of the stream from now on; a lost connection is
        logged, retried with back-off, and reading goes on where it stopped."""
        client = aioredis.Redis.from_url(
            self.redis_url, **dict(self.redis_options, socket_timeout=None)
        )
        offset = "$"
        first, maximum = self.reconnect_delay
        failures = 0
        try:
            while not self._closing:
                try:
                    if offset == "$":
                        # Start after the current last entry, by id: "$" again after
                        # a reconnection would skip what was added meanwhile.
                        last = await client.xrevrange(self.stream_name, count=1)
                        offset = _text(last[0][0]) if last else "0-0"
                    response: Any = await client.xread(
                        {self.stream_name: offset}, count=self.read_count, block=self.block_ms
                    )
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    failures += 1
                    delay = min(first * 2 ** (failures - 1), maximum)
                    if failures == 1:
                        self._log().error(
                            "%s: reading the stream %r failed (%s: %s); retrying",
                            self.name,
                            self.stream_name,
                            type(exc).__name__,
                            exc,
                        )
                    await asyncio.sleep(delay)
                    continue
                if failures:
                    self._log().warning(
                        "%s: reading the stream %r again after %d failed attempt(s)",
                        self.name,
                        self.stream_name,
                        failures,
                    )
                    failures = 0
                for _, entries in response or ():
                    for entry_id, fields in entries:
                        offset = _text(entry_id)
                        try:
                            await self._on_entry(offset, fields)
                        except Exception:
                            self._log().exception("%s: error handling entry %s", self.name, offset)
        finally:
            await close_quietly(client)

    async def _on_entry(self, entry_id: str, fields: dict[Any, Any]) -> None:
        raw = {_text(k): _text(v) for k, v in fields.items()}
        namespace = raw.get("nsp")
        if not namespace or raw.get("uid") == self.uid:
            return
        if "mid" in raw:
            key = (raw.get("uid"), raw["mid"])
            if key in self._seen:
                return  # the same message, added again by a retried write
            self._seen[key] = None
            if len(self._seen) > 10_000:
                del self._seen[next(iter(self._seen))]
        data = _decode_data(raw.get("data"))
        await self._on_message(namespace, int(raw.get("type", 0)), data, raw.get("uid"), entry_id)

    async def _subscribe_forever(self) -> None:
        first, maximum = self.reconnect_delay
        failures = 0
        while not self._closing:
            pubsub = self._client().pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*self._channels)
                self._pubsub = pubsub
                if self._ready is not None:
                    self._ready.set()
                if failures:
                    self._log().warning("%s: request channels subscribed again", self.name)
                failures = 0
                while True:
                    message = await pubsub.get_message(timeout=None)
                    if message is None or message.get("type") != "message":
                        continue
                    try:
                        decoded = msgpack.unpackb(message["data"], raw=False)
                        await self._on_message(
                            str(decoded.get("nsp")),
                            int(decoded.get("type", 0)),
                            decoded.get("data"),
                            decoded.get("uid"),
                            None,
                        )
                    except Exception:
                        self._log().exception("%s: error handling a request", self.name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                failures += 1
                if failures == 1:
                    self._log().error(
                        "%s: request channels lost (%s: %s); retrying",
                        self.name,
                        type(exc).__name__,
                        exc,
                    )
                await asyncio.sleep(min(first * 2 ** (failures - 1), maximum))
            finally:
                self._pubsub = None
                await close_quietly(pubsub)

    # -- messages from the others -------------------------------------------

    async def _on_message(
        self, namespace: str, kind: int, data: Any, sender: Any, entry_id: str | None
    ) -> None:
        if sender == self.uid or self.server is None:
            return
        if not isinstance(data, dict):
            data = {}
        if kind == _BROADCAST:
            await self._on_broadcast(namespace, data, sender, entry_id)
        elif kind in _SOCKETS_OPS:
            arg = data.get("close") if kind == _DISCONNECT_SOCKETS else data.get("rooms")
            await self.server.apply_sockets_op(
                namespace, _targets(data.get("opts")), _SOCKETS_OPS[kind], arg
            )
        elif kind == _FETCH_SOCKETS:
            sockets = self.server.describe_sockets(namespace, _targets(data.get("opts")))
            for details in sockets:
                if not _packable(details.get("data")):
                    details["data"] = None
            await self._answer(namespace, sender, _FETCH_SOCKETS_RESPONSE, data, sockets=sockets)
        elif kind == _SERVER_SIDE_EMIT:
            packet = data.get("packet")
            if not isinstance(packet, list) or not packet:
                return
            handled, answer = await self.server.server_side_event(
                namespace, str(packet[0]), list(packet[1:])
            )
            if handled and data.get("requestId") is not None:
                await self._answer(
                    namespace, sender, _SERVER_SIDE_EMIT_RESPONSE, data, packet=answer
                )
        elif kind in (_FETCH_SOCKETS_RESPONSE, _SERVER_SIDE_EMIT_RESPONSE):
            request = self._requests.get(str(data.get("requestId")))
            if request is not None:
                request.add(
                    data.get("sockets") if kind == _FETCH_SOCKETS_RESPONSE else data.get("packet")
                )
        elif kind == _BROADCAST_CLIENT_COUNT:
            acks = self._acks.get(str(data.get("requestId")))
            if acks is not None and isinstance(data.get("clientCount"), int):
                acks.count(data["clientCount"])
        elif kind == _BROADCAST_ACK:
            acks = self._acks.get(str(data.get("requestId")))
            if acks is not None:
                acks.ack(data.get("packet"))

    async def _answer(
        self, namespace: str, requester: Any, kind: int, request: dict[str, Any], **fields: Any
    ) -> None:
        channel = f"{self.channel_prefix}#{namespace}#{requester}#"
        await self._publish(
            channel, namespace, kind, {"requestId": request.get("requestId"), **fields}
        )

    async def _on_broadcast(
        self, namespace: str, data: dict[str, Any], sender: Any, entry_id: str | None
    ) -> None:
        packet = data.get("packet")
        if not isinstance(packet, dict) or not isinstance(packet.get("data"), list):
            return
        payload = packet["data"]
        if not payload:
            return
        opts: dict[str, Any] = data["opts"] if isinstance(data.get("opts"), dict) else {}
        rooms = list(opts.get("rooms") or ()) or None
        except_rooms = list(opts.get("except") or ())
        event, args = str(payload[0]), list(payload[1:])
        request_id = data.get("requestId")
        if request_id is not None:

            async def on_ack(*ack_args: Any) -> None:
                await self._answer(
                    namespace, sender, _BROADCAST_ACK, data, packet=ack_value(ack_args)
                )

            count = self.emit_local(event, args, namespace, rooms, None, on_ack, except_rooms)
            await self._answer(namespace, sender, _BROADCAST_CLIENT_COUNT, data, clientCount=count)
            return
        flags: dict[str, Any] = opts["flags"] if isinstance(opts.get("flags"), dict) else {}
        offset = None
        if (
            self.recovery is not None
            and entry_id is not None
            and packet.get("id") is None
            and flags.get("volatile") is None
        ):
            offset = entry_id
            args.append(offset)
        volatile = bool(flags.get("volatile"))
        self.emit_local(event, args, namespace, rooms, None, None, except_rooms, offset, volatile)

    # -- the API the server and the operators call ----------------------------

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
        """Emit to clients on every process: published to the stream first (its
        entry id is the broadcast's offset), then delivered here.
        ``ignore_queue=True`` delivers to this process's clients only."""
        namespace = namespace or "/"
        room = to or room
        volatile = bool(kwargs.get("volatile", False))
        compress = bool(kwargs.get("compress", True))
        if kwargs.get("ignore_queue"):
            await super().emit(
                event,
                data,
                namespace,
                room=room,
                skip_sid=skip_sid,
                callback=callback,
                except_rooms=kwargs.get("except_rooms"),
                volatile=volatile,
                compress=compress,
            )
            return
        rooms = (
            [] if room is None else list(room) if isinstance(room, (list, tuple, set)) else [room]
        )
        skipped = (
            [] if skip_sid is None else list(skip_sid) if isinstance(skip_sid, list) else [skip_sid]
        )
        except_rooms = kwargs.get("except_rooms")
        flags = {"volatile": True} if volatile else {}  # Node's BroadcastFlags
        opts = {"rooms": rooms, "except": skipped + list(except_rooms or ()), "flags": flags}
        args = event_args(data)

        def deliver(args: list[Any], callback: Any, offset: str | None = None) -> None:
            """To this process's clients."""
            self.emit_local(
                event,
                args,
                namespace,
                room,
                skip_sid,
                callback,
                except_rooms,
                offset,
                volatile=volatile,
                compress=compress,
            )

        if callback is not None:
            # python-socketio's emit with a callback: every client's ack calls it.
            deliver(args, callback)
            await self._ask_acks(namespace, opts, event, args, callback)
            return
        packet = {"type": _EVENT, "data": [event, *args], "nsp": namespace}
        entry_id = await self._append(namespace, _BROADCAST, {"packet": packet, "opts": opts})
        if self.server is None:
            return
        offset = None
        if self.recovery is not None and not volatile:  # a volatile packet is never replayed
            offset = entry_id
            args = [*args, offset]
        deliver(args, None, offset)

    async def request_acks(
        self, namespace: str, targets: Targets, event: str, args: tuple[Any, ...]
    ) -> RemoteAcks | None:
        opts = {"rooms": list(targets.rooms), "except": list(targets.except_rooms), "flags": {}}
        return await self._ask_acks(namespace, opts, event, list(args))

    async def _ask_acks(
        self,
        namespace: str,
        opts: dict[str, Any],
        event: str,
        args: list[Any],
        on_ack: Callable[..., Any] | None = None,
    ) -> RemoteAcks | None:
        processes = await self._other_processes(namespace)
        if processes <= 0:
            return None
        request_id = os.urandom(8).hex()
        acks = RemoteAcks(processes, on_ack)
        self._acks[request_id] = acks
        timer = asyncio.get_running_loop().call_later(self.request_timeout, acks.give_up)

        def finished(_: Any) -> None:
            timer.cancel()
            self._acks.pop(request_id, None)

        acks.done.add_done_callback(finished)
        packet = {"type": _EVENT, "data": [event, *args], "nsp": namespace}
        await self._publish(
            f"{self.channel_prefix}#{namespace}#",
            namespace,
            _BROADCAST,
            {"packet": packet, "opts": opts, "requestId": request_id},
        )
        return acks

    async def publish_sockets_op(self, namespace: str, targets: Targets, op: str, arg: Any) -> None:
        kind = {"join": _SOCKETS_JOIN, "leave": _SOCKETS_LEAVE, "disconnect": _DISCONNECT_SOCKETS}[
            op
        ]
        opts = {"rooms": list(targets.rooms), "except": list(targets.except_rooms), "flags": {}}
        data: dict[str, Any] = {"opts": opts}
        if op == "disconnect":
            data["close"] = bool(arg)
        else:
            data["rooms"] = list(arg)
        await self._append(namespace, kind, data)

    async def fetch_remote_sockets(self, namespace: str, targets: Targets) -> list[Any]:
        opts = {"rooms": list(targets.rooms), "except": list(targets.except_rooms), "flags": {}}
        answers = await self._request(
            namespace, _FETCH_SOCKETS, {"opts": opts}, self.request_timeout
        )
        return [
            RemoteSocket(self, namespace, details)
            for answer in answers
            if isinstance(answer, list)
            for details in answer
            if isinstance(details, dict) and "id" in details
        ]

    async def server_side_emit(
        self, namespace: str, event: str, args: tuple[Any, ...], timeout: float | None = None
    ) -> list[Any] | None:
        packet = [event, *args]
        if timeout is None:
            await self._listen_to(namespace)
            await self._publish(
                f"{self.channel_prefix}#{namespace}#",
                namespace,
                _SERVER_SIDE_EMIT,
                {"packet": packet},
            )
            return None
        return await self._request(namespace, _SERVER_SIDE_EMIT, {"packet": packet}, timeout)

    async def _request(
        self, namespace: str, kind: int, data: dict[str, Any], timeout: float
    ) -> list[Any]:
        """Publish a request and wait for one answer per other process."""
        processes = await self._other_processes(namespace)
        if processes <= 0:
            return []
        request_id = os.urandom(8).hex()
        request = self._requests[request_id] = Answers(processes)
        try:
            await self._publish(
                f"{self.channel_prefix}#{namespace}#",
                namespace,
                kind,
                {**data, "requestId": request_id},
            )
            return await request.wait(timeout, "request")
        finally:
            del self._requests[request_id]

    # -- python-socketio's room and disconnect calls for another process's sid ----

    async def pre_connect(self, eio_sid: str, namespace: str, sid: str | None = None) -> str | None:
        await self._listen_to(namespace)
        return await super().pre_connect(eio_sid, namespace, sid)

    def _local(self, sid: str, namespace: str) -> bool:
        return self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace)

    async def can_disconnect(self, sid: str, namespace: str) -> bool:
        if self._local(sid, namespace):
            return await super().can_disconnect(sid, namespace)
        await self.publish_sockets_op(namespace, Targets(frozenset([sid])), "disconnect", False)
        return False

    async def enter_room(
        self, sid: str, namespace: str, room: Any, eio_sid: str | None = None
    ) -> None:
        if self._local(sid, namespace):
            await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        else:
            await self.publish_sockets_op(namespace, Targets(frozenset([sid])), "join", [room])

    async def leave_room(self, sid: str, namespace: str, room: Any) -> None:
        if self._local(sid, namespace):
            await super().leave_room(sid, namespace, room)
        else:
            await self.publish_sockets_op(namespace, Targets(frozenset([sid])), "leave", [room])

    async def close_room(self, room: Any, namespace: str | None = None) -> None:
        namespace = namespace or "/"
        await super().close_room(room, namespace)
        await self.publish_sockets_op(namespace, Targets(frozenset([room])), "leave", [room])

    # -- connection state recovery: sessions in Redis -----------------------

    async def persist_session(self, session: Session) -> None:
        assert self.recovery is not None
        record: dict[str, Any] = {
            "sid": session.sid,
            "pid": session.pid,
            "rooms": [r for r in session.rooms if isinstance(r, (str, int, float))],
            "data": session.data if _packable(session.data) else None,
        }
        if session.user_session is not None and _packable(session.user_session):
            record["session"] = session.user_session  # python-socketio's; Node ignores it
        value = base64.b64encode(msgpack.packb(record)).decode()
        ttl_ms = int(self.recovery.max_disconnection_duration * 1000)
        await self._retrying(
            "SET",
            lambda: self._client().set(self.session_key_prefix + session.pid, value, px=ttl_ms),
        )

    async def restore_session(self, namespace: str, pid: str, offset: str) -> Restored | None:
        assert self.recovery is not None
        client = self._client()
        raw = await client.getdel(self.session_key_prefix + pid)
        if raw is None:
            return None
        try:
            record = msgpack.unpackb(base64.b64decode(raw), raw=False)
            session = Session(
                str(record["sid"]),
                str(record["pid"]),
                namespace,
                list(record.get("rooms") or ()),
                record.get("data"),
                record.get("session"),
            )
        except Exception:
            self._log().warning("%s: ignoring an unreadable session %s", self.name, pid)
            return None
        if session.data is None:
            session.data = {}
        return await self._read_back(session, offset)

    async def _read_back(self, session: Session, offset: str) -> Restored | None:
        """The broadcasts ``session`` missed after ``offset``, read back from the
        stream (as Node's adapter does; at most 100 reads of 100 entries)."""
        assert self.recovery is not None and self.server is not None
        client = self._client()
        if not await client.xrange(self.stream_name, offset, offset):
            return None  # the offset is gone from the stream: too old
        frames: list[list[Any]] = []
        last = offset
        for _ in range(100):
            entries = await client.xrange(self.stream_name, "(" + last, "+", count=100)
            if not entries:
                break
            for entry_id, fields in entries:
                last = _text(entry_id)
                raw = {_text(k): _text(v) for k, v in fields.items()}
                if raw.get("nsp") != session.namespace or raw.get("type") != str(_BROADCAST):
                    continue
                data = _decode_data(raw.get("data"))
                packet = data.get("packet") if isinstance(data, dict) else None
                opts = data.get("opts") if isinstance(data, dict) else None
                if not isinstance(packet, dict) or not isinstance(opts, dict):
                    continue
                payload = packet.get("data")
                if not isinstance(payload, list) or not payload or packet.get("id") is not None:
                    continue
                if includes(session.rooms, session.sid, opts.get("rooms"), opts.get("except")):
                    encoded = self.server.encode_event(session.namespace, [*payload, last], None)
                    frames.append(encoded)
        return self.recovery.resume_after(session, last, frames)


def _targets(opts: Any) -> Targets:
    opts = opts if isinstance(opts, dict) else {}
    return Targets(
        frozenset(opts.get("rooms") or ()), frozenset(opts.get("except") or ()), local=True
    )


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _has_binary(value: Any) -> bool:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_binary(v) for v in value)
    if isinstance(value, dict):
        return any(_has_binary(v) for v in value.values())
    return False


def _encode_data(data: Any) -> str:
    """A stream entry's ``data``: JSON, or base64 MessagePack when it holds bytes."""
    if _has_binary(data):
        return base64.b64encode(msgpack.packb(data)).decode()
    return stdlib_json.dumps(data, separators=(",", ":"))


def _decode_data(text: str | None) -> Any:
    if not text:
        return None
    if text.startswith("{"):
        return stdlib_json.loads(text)
    return msgpack.unpackb(base64.b64decode(text), raw=False)


def _packable(value: Any) -> bool:
    try:
        msgpack.packb(value)
    except (TypeError, ValueError):
        return False
    return True


__all__ = ["AsyncRedisStreamsManager"]
