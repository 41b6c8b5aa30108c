"""``AsyncRedisManager``: the pub/sub manager on Redis (or Valkey), through
redis-py's asyncio client, speaking python-socketio's message format.

One ``SUBSCRIBE`` connection per process, kept alive by the base class's
supervised listener plus a watchdog that PINGs a quiet channel (a connection
that died without a reset is noticed too), and ``PUBLISH`` on a second
client's pool with a bounded retry. redis-py's own silent retries are turned off unless
``redis_options`` sets ``retry``, so that every loss reaches the logs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Callable
from typing import Any
from urllib.parse import urlparse

from ..exceptions import PubSubError
from .pubsub import AsyncPubSubManager

try:
    from redis import asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError:  # pragma: no cover - the "redis" extra is not installed
    aioredis = None  # type: ignore[assignment]

#: Errors after which a publish is retried (the server is unreachable or restarting).
_TRANSIENT: tuple[type[BaseException], ...] = (OSError, asyncio.TimeoutError)
if aioredis is not None:
    _TRANSIENT += (RedisConnectionError, RedisTimeoutError)

_SCHEMES = {"redis", "rediss", "unix", "valkey", "valkeys", "redis+sentinel", "valkey+sentinel"}


class AsyncRedisManager(AsyncPubSubManager):
    """Share the clients of several server processes through Redis.

    ::

        mgr = socketio_rs.AsyncRedisManager("redis://localhost:6379/0")
        sio = socketio_rs.AsyncServer(client_manager=mgr)

    :param url: ``redis://[user:password@]host:port/db``, ``rediss://...``
        (TLS), ``unix:///path/to/redis.sock?db=0``, ``valkey://`` /
        ``valkeys://`` (the same protocol), or Sentinel:
        ``redis+sentinel://[user:password@]host1:port1,host2:port2/db/service``
        (the channel name is the service name when none is given).
    :param channel: the channel; the same in every process of the cluster
        (python-socketio servers included).
    :param write_only: only emit, from a process with no server (an
        external emitter); call :meth:`shutdown` when done.
    :param logger: the logger for Redis state changes and errors (by default
        ``logging.getLogger("socketio_rs.pubsub")``).
    :param json: a module with ``dumps``/``loads`` for the messages.
    :param redis_options: keyword arguments for ``redis.asyncio.Redis.from_url()``
        (or ``Sentinel()``).
    :param publish_timeout: seconds a publish is retried while Redis is
        unreachable before the emit raises :class:`~socketio_rs.exceptions.PubSubError`.
    :param reconnect_delay: ``(first, maximum)`` seconds between attempts to
        restore the subscription; doubles after each failure.
    :param ping_interval: seconds of silence on the subscription after which
        the listener sends a PING; no reply within another two intervals
        counts as a lost connection.
    """

    name = "aioredis"

    def __init__(
        self,
        url: str = "redis://localhost:6379/0",
        channel: str = "socketio",
        write_only: bool = False,
        logger: logging.Logger | None = None,
        json: Any = None,
        redis_options: dict[str, Any] | None = None,
        *,
        publish_timeout: float = 5.0,
        reconnect_delay: tuple[float, float] = (0.5, 30.0),
        ping_interval: float = 10.0,
    ) -> None:
        if aioredis is None:
            raise RuntimeError("AsyncRedisManager needs redis-py: pip install 'socketio-rs[redis]'")
        scheme = urlparse(url).scheme.lower()
        if scheme not in _SCHEMES:
            raise ValueError(f"Unsupported Redis URL scheme: {scheme!r}")
        super().__init__(
            channel=channel,
            write_only=write_only,
            logger=logger,
            json=json,
            publish_timeout=publish_timeout,
            reconnect_delay=reconnect_delay,
        )
        self.redis_url = url
        self.redis_options = dict(redis_options or {})
        self.ping_interval = ping_interval
        self._redis: Any = None
        self._subscriber: Any = None
        self._pubsub: Any = None
        self._publish_failing = False
        self._receivers: int | None = None

    # -- the client -------------------------------------------------------

    def _client(self) -> Any:
        """The Redis client (created on first use; it reconnects by itself on
        the next command after a lost connection)."""
        if self._redis is None:
            self._redis = _connect(self.redis_url, self.redis_options, self.channel)
        return self._redis

    def _subscriber_client(self) -> Any:
        """The listener's client: its own pool, reads without a socket timeout."""
        if self._subscriber is None:
            options = dict(self.redis_options, socket_timeout=None)
            self._subscriber = _connect(self.redis_url, options, self.channel)
        return self._subscriber

    async def _close_backend(self) -> None:
        clients = (self._redis, self._subscriber)
        self._redis = self._subscriber = None
        for client in clients:
            if client is not None:
                await close_quietly(client)

    # -- publishing -------------------------------------------------------

    async def _publish(self, data: str | bytes, channel: str | None = None) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.publish_timeout
        delay = 0.05
        while True:
            await self._wait_subscribed(deadline - loop.time())
            try:
                receivers = await self._client().publish(channel or self.channel, data)
                break
            except asyncio.CancelledError:
                raise
            except _TRANSIENT as exc:
                if not self._publish_failing:
                    self._publish_failing = True
                    self._get_logger().error(
                        "%s: cannot publish to %s (%s: %s); retrying for up to %.1f s",
                        self.name,
                        _safe_url(self.redis_url),
                        type(exc).__name__,
                        exc,
                        self.publish_timeout,
                    )
                if loop.time() + delay > deadline:
                    raise PubSubError(
                        f"cannot publish to {_safe_url(self.redis_url)} "
                        f"for {self.publish_timeout} s: {exc}"
                    ) from exc
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
            except Exception as exc:  # a refused command: retrying would not help
                raise PubSubError(f"Redis refused PUBLISH: {exc}") from exc
        if self._publish_failing:
            self._publish_failing = False
            self._get_logger().warning("%s: publishing to Redis again", self.name)
        self._note_receivers(int(receivers))

    async def _count_subscribers(self, channel: str) -> int:
        counts = await self._client().pubsub_numsub(channel)
        return int(counts[0][1]) if counts else 0

    def _note_receivers(self, receivers: int) -> None:
        """PUBLISH says how many subscribers got the message: a drop means a
        process stopped or lost its subscription, and it is logged once."""
        before, self._receivers = self._receivers, receivers
        if before is not None and receivers < before:
            self._get_logger().warning(
                "%s: a message on %r reached %d subscriber(s), %d before: a process "
                "stopped or lost its subscription",
                self.name,
                self.channel,
                receivers,
                before,
            )

    # -- listening --------------------------------------------------------

    async def _listen(self) -> AsyncGenerator[bytes | str, None]:
        # Reads block without a timeout: a timeout inside the client's read can
        # swallow a cancellation (asyncio.timeout on 3.11), and a socket_timeout
        # would turn a quiet channel into errors. Liveness is the watchdog's job.
        loop = asyncio.get_running_loop()
        pubsub = self._subscriber_client().pubsub(ignore_subscribe_messages=True)
        self._pubsub = pubsub
        silence = _Silence(loop.time())
        watchdog: asyncio.Task[None] | None = None
        try:
            subscribe = pubsub.subscribe(self.channel, self.request_channel)
            await asyncio.wait_for(subscribe, max(5.0, self.ping_interval))
            self._subscribed()
            watchdog = loop.create_task(self._watch(pubsub, silence))
            channels = {self.channel, self.channel.encode()}
            channels |= {self.request_channel, self.request_channel.encode()}
            while True:
                message = await pubsub.get_message(timeout=None)
                silence.heard(loop.time())
                if (
                    message is not None
                    and message.get("type") == "message"
                    and message.get("channel") in channels
                ):
                    yield message["data"]
        except Exception as exc:
            if silence.reason:
                raise ConnectionError(silence.reason) from exc
            raise
        finally:
            self._pubsub = None
            if watchdog is not None:
                watchdog.cancel()
            await close_quietly(pubsub)

    async def _watch(self, pubsub: Any, silence: _Silence) -> None:
        """PING a quiet subscription; close it when even that gets no reply for
        ``3 * ping_interval`` (the blocked read then fails and it is restored)."""
        loop = asyncio.get_running_loop()
        interval = self.ping_interval
        while True:
            await asyncio.sleep(min(interval / 2, 1.0))
            quiet = loop.time() - silence.last
            if quiet > 3 * interval:
                silence.reason = f"no reply to PING in {quiet:.0f} s"
                await _disconnect(pubsub)
                return
            if quiet > interval and not silence.pinged:
                silence.pinged = True
                try:
                    await pubsub.ping()
                except Exception:  # the read fails too; it reports the loss
                    return

    async def _interrupt_listener(self) -> None:
        if self._pubsub is not None:
            await _disconnect(self._pubsub)


class _Silence:
    """When the subscription last heard from Redis, and why it was given up."""

    __slots__ = ("last", "pinged", "reason")

    def __init__(self, now: float) -> None:
        self.last = now
        self.pinged = False
        self.reason = ""

    def heard(self, now: float) -> None:
        self.last, self.pinged = now, False


async def _disconnect(pubsub: Any) -> None:
    connection = pubsub.connection
    if connection is not None:
        try:
            await connection.disconnect(nowait=True)
        except Exception:
            pass


def _connect(url: str, options: dict[str, Any], channel: str) -> Any:
    options = dict(options)
    # Our loops retry and log; redis-py's default silent retries would hide the outage.
    options.setdefault("retry", Retry(NoBackoff(), 0))
    options.setdefault("socket_connect_timeout", 5)
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme.endswith("+sentinel"):
        sentinels, service, connection = parse_sentinel_url(url)
        options.update(connection)
        # Through a Callable, the call type-checks alike whether or not the installed redis-py
        # types Sentinel's constructor.
        make_sentinel: Callable[..., Any] = aioredis.Sentinel
        sentinel = make_sentinel(sentinels, **options)
        return sentinel.master_for(service or channel)
    if scheme in ("valkey", "valkeys"):
        url = "redis" + url[len("valkey") :]
    return aioredis.Redis.from_url(url, **options)


def parse_sentinel_url(url: str) -> tuple[list[tuple[str, int]], str | None, dict[str, Any]]:
    """``redis+sentinel://[user:password@]host1:port1,host2:port2/db/service``:
    the Sentinel addresses, the service name (or ``None``) and the
    ``username``/``password``/``db`` options of the master connection."""
    parsed = urlparse(url)
    hosts = parsed.netloc.rpartition("@")[2]
    sentinels = []
    for entry in hosts.split(","):
        host, _, port = entry.rpartition(":")
        sentinels.append((host, int(port) if port else 26379))
    connection: dict[str, Any] = {}
    if parsed.username:
        connection["username"] = parsed.username
    if parsed.password:
        connection["password"] = parsed.password
    parts = parsed.path.split("/")
    if len(parts) > 1 and parts[1]:
        connection["db"] = int(parts[1])
    service = parts[2] if len(parts) > 2 and parts[2] else None
    return sentinels, service, connection


def _safe_url(url: str) -> str:
    """The URL without its password, for logs and errors."""
    parsed = urlparse(url)
    if parsed.password:
        return url.replace(":" + parsed.password + "@", ":***@", 1)
    return url


async def close_quietly(obj: Any) -> None:
    close = getattr(obj, "aclose", None) or obj.close  # redis-py < 5.0.1: close()
    try:
        await close()
    except Exception:  # closing a connection that is already broken
        pass


__all__ = ["AsyncRedisManager", "parse_sentinel_url"]
