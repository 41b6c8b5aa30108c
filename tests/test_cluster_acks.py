"""Across the processes of a Redis cluster: broadcast acks gathered from every process's
clients, and server-side emits between the processes.

Three servers in this process, each with its own ``AsyncRedisManager`` on one real
``redis-server``, each served on its own port with one python-socketio client connected:
the managers talk only through Redis, as separate processes do.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

import socketio_rs
from redis_cluster import RedisServer
from server_harness import connected, rs_server, serve, wait_until


def vip_on_connect(sio: socketio_rs.AsyncServer) -> Any:
    async def connect(sid: str, environ: Any, auth: Any) -> None:
        await sio.enter_room(sid, "vip")

    return connect


MANAGERS = {
    "pubsub": socketio_rs.AsyncRedisManager,
    "streams": socketio_rs.AsyncRedisStreamsManager,
}


@pytest.fixture(params=sorted(MANAGERS))
def manager(request: pytest.FixtureRequest) -> Any:
    """Each test runs on the pub/sub manager and on the streams manager."""
    return MANAGERS[request.param]


@contextlib.asynccontextmanager
async def cluster(manager: Any, size: int = 3) -> AsyncIterator[list[socketio_rs.AsyncServer]]:
    """``size`` servers sharing a Redis, each with one client that answers ``ask`` with
    ``"<server index>:<argument>"``; the clients of servers 1 and 2 are in room ``vip``."""
    redis_server = RedisServer()
    redis_server.start()
    servers = []
    try:
        async with contextlib.AsyncExitStack() as stack:
            for i in range(size):
                sio, app = rs_server(client_manager=manager(redis_server.url))
                servers.append(sio)

                if i > 0:
                    sio.on("connect", vip_on_connect(sio))

                url = await stack.enter_async_context(serve(app))
                c = socketio.AsyncClient(reconnection=False)

                @c.on("ask")
                async def ask(n: Any, i: int = i) -> str:
                    return f"{i}:{n}"

                await stack.enter_async_context(connected(url, ["websocket"], sio=c))
            for sio in servers:
                manager_ = sio.manager
                await wait_until(lambda m=manager_: m.subscribed, what="the subscriptions")
            try:
                yield servers
            finally:
                for sio in servers:
                    await sio.manager.shutdown()
    finally:
        redis_server.stop()


async def test_broadcast_acks_come_from_every_process(manager: Any) -> None:
    async with cluster(manager) as (a, _, _):
        assert sorted(await a.timeout(5).emit_with_ack("ask", 1)) == ["0:1", "1:1", "2:1"]
        assert sorted(await a.to("vip").timeout(5).emit_with_ack("ask", 2)) == ["1:2", "2:2"]
        assert sorted(await a.of("/").emit_with_ack("ask", 3)) == ["0:3", "1:3", "2:3"]
        assert await a.of("/").local.timeout(5).emit_with_ack("ask", 4) == ["0:4"]


async def test_server_side_emits_reach_the_other_processes(manager: Any) -> None:
    async with cluster(manager) as (a, b, c):
        heard: list[Any] = []
        for name, sio in (("a", a), ("b", b), ("c", c)):

            @sio.on_server_side("note")
            def note(*args: Any, name: str = name) -> None:
                heard.append((name, *args))

        b.on_server_side("hello", lambda who: f"b greets {who}")

        @c.on_server_side("hello")
        async def hello(who: str) -> str:
            return f"c greets {who}"

        await a.server_side_emit("note", 1, b"\x00\x01")
        await wait_until(lambda: len(heard) == 2, what="the notes")
        assert sorted(heard) == [("b", 1, b"\x00\x01"), ("c", 1, b"\x00\x01")]  # not a itself
        answers = await a.server_side_emit_with_ack("hello", "ann", timeout=5)
        assert sorted(answers) == ["b greets ann", "c greets ann"]
        # A process without a handler does not answer: the wait ends with what came.
        with pytest.raises(socketio_rs.exceptions.TimeoutError) as caught:
            await b.server_side_emit_with_ack("hello", "bob", timeout=1)
        assert caught.value.responses == ["c greets bob"]


async def test_a_single_process_has_no_one_else() -> None:
    sio, _ = rs_server()
    assert await sio.server_side_emit_with_ack("hello", timeout=1) == []
    await sio.server_side_emit("hello")
