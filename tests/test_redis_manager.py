"""AsyncRedisManager inside the test process, against a real ``redis-server``: the
listener survives Redis killing its connection (python-socketio #1581) or going silent,
``sio.shutdown()`` closes every connection, ``unix://`` URLs, and the URL forms."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import redis

import socketio_rs
from redis_cluster import HOST, RedisServer
from server_harness import SERVER_OPTIONS, Inbox, connected, serve, wait_until
from socketio_rs.exceptions import PubSubError
from socketio_rs.redis_manager import parse_sentinel_url


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(unixsocket=tmp_path_factory.mktemp("redis") / "redis.sock")
    server.start()
    yield server
    server.stop()


def clients(server: RedisServer, name: str) -> int:
    """Connections to ``server`` whose client name is ``name``."""
    with redis.Redis(host=HOST, port=server.port) as r:
        return sum(1 for c in r.client_list() if c.get("name") == name)


@contextlib.asynccontextmanager
async def served(manager: socketio_rs.AsyncRedisManager) -> AsyncIterator[tuple[Any, str]]:
    sio = socketio_rs.AsyncServer(client_manager=manager, **SERVER_OPTIONS)
    async with serve(socketio_rs.ASGIApp(sio)) as url:
        try:
            yield sio, url
        finally:
            await sio.shutdown()


async def test_listener_survives_redis_killing_it_and_shutdown_closes_everything(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="socketio_rs.pubsub")
    channel = "kill-test"
    options = {"client_name": channel}
    manager = socketio_rs.AsyncRedisManager(
        redis_server.url, channel=channel, redis_options=options, reconnect_delay=(0.05, 0.5)
    )
    emitter = socketio_rs.AsyncRedisManager(redis_server.url, channel=channel, write_only=True)
    inbox = Inbox()
    try:
        async with served(manager) as (_, url), connected(url, ["websocket"]) as c:
            c.on("*", lambda event, *args: inbox.put(event, *args))
            await wait_until(lambda: redis_server.numsub(channel) == 1, what="subscribed")
            for round in range(2):
                # What Redis does to a pub/sub client over its output buffer limit.
                with redis.Redis(host=HOST, port=redis_server.port) as r:
                    assert r.client_kill_filter(_type="pubsub") >= 1
                await wait_until(lambda: "restored" in caplog.text, what="restored")
                await wait_until(lambda: redis_server.numsub(channel) == 1, what="resubscribed")
                await emitter.emit("after_kill", round)
                await inbox.wait("after_kill", round + 1)
                caplog.clear()
            assert manager.subscribed and clients(redis_server, channel) >= 1
        # sio.shutdown() ran: the listener is gone and its connections are closed.
        assert manager._listener is None and not manager.subscribed
        await wait_until(lambda: clients(redis_server, channel) == 0, what="connections closed")
    finally:
        await emitter.shutdown()


async def test_a_silent_subscription_is_noticed_by_its_ping(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A connection that stops answering (CLIENT PAUSE stands in for a dead network) is
    dropped after ``3 * ping_interval`` of silence and the subscription is restored."""
    channel = "pause-test"
    manager = socketio_rs.AsyncRedisManager(
        redis_server.url, channel=channel, ping_interval=0.2, reconnect_delay=(0.05, 0.2)
    )
    async with served(manager) as (_, url), connected(url, ["websocket"]):
        await wait_until(lambda: manager.subscribed, what="subscribed")
        with redis.Redis(host=HOST, port=redis_server.port) as r:
            r.client_pause(1500)
        await wait_until(lambda: "no reply to PING" in caplog.text, what="the PING timeout")
        await wait_until(lambda: "restored" in caplog.text, what="restored")
        await wait_until(lambda: redis_server.numsub(channel) == 1, what="resubscribed")


async def test_emit_fails_loudly_when_redis_is_unreachable(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    closed = RedisServer()  # never started: nothing listens on its port
    emitter = socketio_rs.AsyncRedisManager(closed.url, write_only=True, publish_timeout=0.3)
    try:
        with pytest.raises(PubSubError, match="cannot publish"):
            await emitter.emit("lost", 1)
        assert "cannot publish" in caplog.text
    finally:
        await emitter.shutdown()


async def test_unix_socket_url(redis_server: RedisServer) -> None:
    assert redis_server.unixsocket is not None
    channel = "unix-test"
    manager = socketio_rs.AsyncRedisManager(f"unix://{redis_server.unixsocket}?db=0", channel)
    emitter = socketio_rs.AsyncRedisManager(redis_server.url, channel=channel, write_only=True)
    inbox = Inbox()
    try:
        async with served(manager) as (_, url), connected(url, ["websocket"]) as c:
            c.on("over_tcp", lambda *args: inbox.put("over_tcp", *args))
            await wait_until(lambda: redis_server.numsub(channel) == 1, what="subscribed")
            await emitter.emit("over_tcp", b"\x00bytes")
            assert await inbox.first("over_tcp") == (b"\x00bytes",)
    finally:
        await emitter.shutdown()


def test_url_forms() -> None:
    for url in ("redis://h:1/0", "rediss://h/0", "unix:///tmp/r.sock", "valkey://h"):
        socketio_rs.AsyncRedisManager(url)
    with pytest.raises(ValueError, match="Unsupported Redis URL scheme"):
        socketio_rs.AsyncRedisManager("http://h")
    assert parse_sentinel_url("redis+sentinel://u:pw@h1:26379,h2:26380/2/mymaster") == (
        [("h1", 26379), ("h2", 26380)],
        "mymaster",
        {"username": "u", "password": "pw", "db": 2},
    )
    assert parse_sentinel_url("redis+sentinel://h1:1") == ([("h1", 1)], None, {})


async def test_a_callback_needs_one_room(redis_server: RedisServer) -> None:
    manager = socketio_rs.AsyncRedisManager(redis_server.url, channel="cb-test")
    async with served(manager):
        with pytest.raises(ValueError, match="without a room"):
            await manager.emit("x", 1, callback=print)
        with pytest.raises(ValueError, match="one room or sid"):
            await manager.emit("x", 1, room=["a", "b"], callback=print)
