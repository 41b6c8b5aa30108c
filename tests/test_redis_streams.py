"""``AsyncRedisStreamsManager`` on its own: two socketio-rs servers on one real ``redis-server``,
and Redis killed and restarted in the middle of their traffic.

(Everything a cluster does, against Node processes too, is in test_redis_streams_node.py and
test_cluster_acks.py; recovery across processes in test_recovery.py.)
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest

import socketio_rs
from redis_cluster import RedisServer
from server_harness import WAIT, Inbox, client, connected, rs_server, serve, wait_until


def two_servers() -> tuple[RedisServer, list[tuple[socketio_rs.AsyncServer, Any]]]:
    """A started ``redis-server`` and two servers (with their apps) on its stream."""
    redis_server = RedisServer()
    redis_server.start()
    servers = [
        rs_server(client_manager=socketio_rs.AsyncRedisStreamsManager(redis_server.url))
        for _ in range(2)
    ]
    return redis_server, servers


async def test_broadcasts_resume_after_redis_restarts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="socketio_rs.streams")
    redis_server, [(a, app_a), (b, app_b)] = two_servers()
    inbox = Inbox()
    on_b = client()
    on_b.on("n", lambda n: inbox.put("n", n))
    failed: list[int] = []
    sent: list[int] = []
    stop = asyncio.Event()

    async def traffic() -> None:
        n = 0
        while not stop.is_set():
            try:
                await a.emit("n", n)
                sent.append(n)
            except socketio_rs.exceptions.PubSubError:
                failed.append(n)
            n += 1
            await asyncio.sleep(0.02)

    try:
        async with serve(app_a) as url_a, serve(app_b) as url_b:
            async with connected(url_a, ["websocket"]), connected(url_b, ["websocket"], sio=on_b):
                await wait_until(lambda: a.manager.subscribed and b.manager.subscribed)
                task = asyncio.ensure_future(traffic())
                await inbox.wait("n", 5)
                redis_server.kill()
                await asyncio.sleep(1.0)
                redis_server.start()
                # A broadcast that A emits from now on reaches B's client again.
                mark = max(sent + failed) + 1
                await wait_until(lambda: any(n >= mark for (n,) in inbox.all("n")), timeout=30)
                stop.set()
                await task
    finally:
        for sio in (a, b):
            await sio.manager.shutdown()
        redis_server.stop()
    log = caplog.text
    assert "reading the stream" in log and "failed" in log, log
    assert "again" in log, log
    # Every emit that did not raise was delivered, in order, once; those that raised were not.
    received = [args[0] for args in inbox.all("n")]
    assert received == sorted(set(received))
    assert not set(failed) & set(received)


async def test_python_socketio_room_calls_reach_another_process() -> None:
    redis_server, [(a, app_a), (b, app_b)] = two_servers()
    inbox = Inbox()
    on_b = client()
    on_b.on("news", lambda *args: inbox.put("news", *args))
    try:
        async with serve(app_a) as url_a, serve(app_b) as url_b:
            async with connected(url_a, ["websocket"]), connected(url_b, ["websocket"], sio=on_b):
                await wait_until(lambda: a.manager.subscribed and b.manager.subscribed)
                sid = on_b.get_sid("/")
                await a.enter_room(sid, "news")  # a sid that process B holds
                await wait_until(lambda: "news" in b.rooms(sid))
                await a.emit("news", b"\x00bin", room="news")
                [(data,)] = await inbox.wait("news")
                assert data == b"\x00bin"
                await a.leave_room(sid, "news")
                await wait_until(lambda: "news" not in b.rooms(sid))
                await a.disconnect(sid)
                await wait_until(lambda: not on_b.connected)
    finally:
        for sio in (a, b):
            await sio.manager.shutdown()
        redis_server.stop()


def test_unknown_options_are_refused() -> None:
    with pytest.raises(TypeError):
        socketio_rs.AsyncRedisStreamsManager("redis://127.0.0.1:1/0", maxLen=5)  # type: ignore[call-arg]


async def test_a_volatile_emit_stays_volatile_on_another_process() -> None:
    """The broadcast's ``flags: {volatile: true}`` (as Node's adapter writes it): B drops it
    for its polling client that has no GET pending; a plain one waits for the next GET."""
    redis_server, [(a, app_a), (b, app_b)] = two_servers()
    try:
        async with serve(app_a) as url_a, serve(app_b) as url_b, connected(url_a, ["websocket"]):
            async with httpx.AsyncClient(base_url=url_b, timeout=WAIT) as http:
                params = {"EIO": "4", "transport": "polling"}
                opened = await http.get("/socket.io/", params=params)
                params["sid"] = json.loads(opened.text[1:])["sid"]
                await http.post("/socket.io/", params=params, content="40")
                sid = json.loads((await http.get("/socket.io/", params=params)).text[2:])["sid"]
                await wait_until(lambda: a.manager.subscribed and b.manager.subscribed)
                await a.emit("v", 1, to=sid, volatile=True)
                await a.volatile.to(sid).emit("v", 2)
                await a.emit("p", 3, to=sid)
                assert (await http.get("/socket.io/", params=params)).text == '42["p",3]'
                pending = asyncio.ensure_future(http.get("/socket.io/", params=params))
                await asyncio.sleep(0.2)
                await a.volatile.to(sid).emit("v", 4)
                assert (await pending).text == '42["v",4]'
    finally:
        for sio in (a, b):
            await sio.manager.shutdown()
        redis_server.stop()
