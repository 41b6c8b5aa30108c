"""One cluster of a Node process and socketio-rs processes on a Redis stream.

The Node reference server (socket.io 4.8.4) runs ``tests/node-cluster/server.mjs`` on Node's
``@socket.io/redis-streams-adapter`` (pinned in ``tests/node-cluster/package-lock.json``);
socketio-rs servers run ``AsyncRedisStreamsManager`` on the same real ``redis-server``.
Everything a cluster does must cross in both directions: broadcasts (to all and to a room),
``fetch_sockets``, server-side emits with acks, broadcast acks, and connection state recovery
of a client that leaves one kind of process for the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import socketio_rs
from redis_cluster import RedisServer, free_port
from server_harness import Inbox, client, connected, ensure_npm_packages, rs_server, run_node, serve
from test_recovery import Recorder, check_ticks

NODE_CLUSTER = Path(__file__).parent / "node-cluster"


@pytest.fixture
def redis_url() -> Any:
    server = RedisServer()
    server.start()
    yield server.url
    server.stop()


@contextlib.asynccontextmanager
async def node_process(redis_url: str) -> AsyncIterator[tuple[str, list[Any]]]:
    """The Node server; yields its URL and the server-side ``note`` events it printed."""
    ensure_npm_packages(NODE_CLUSTER)
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_CLUSTER / "server.mjs"),
        redis_url,
        str(port),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    notes: list[Any] = []
    try:
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert line.startswith(b"ready"), line

        async def read_notes() -> None:
            assert proc.stdout is not None
            async for raw in proc.stdout:
                text = raw.decode().strip()
                if text.startswith("note "):
                    notes.append(json.loads(text[5:]))

        reader = asyncio.ensure_future(read_notes())
        yield f"http://127.0.0.1:{port}", notes
        reader.cancel()
    finally:
        proc.terminate()
        await proc.wait()


def streams_server(redis_url: str) -> tuple[socketio_rs.AsyncServer, Any]:
    return rs_server(
        client_manager=socketio_rs.AsyncRedisStreamsManager(redis_url),
        connection_state_recovery=True,
    )


async def test_broadcasts_sockets_and_server_side_emits_cross_both_ways(redis_url: str) -> None:
    """One Node process and two socketio-rs processes (a and b), one client on each."""
    servers = {name: streams_server(redis_url) for name in ("a", "b")}
    a, b = servers["a"][0], servers["b"][0]
    heard: list[Any] = []
    for name, (sio, _) in servers.items():
        sio.on_server_side("ping", lambda arg, name=name: f"{name} pong {arg}")
    a.on_server_side("note", lambda *args: heard.append(args))
    inboxes = {name: Inbox() for name in ("a", "b", "node")}
    clients = {name: client() for name in inboxes}
    for name, c in clients.items():
        inbox = inboxes[name]
        c.on("hello", lambda *args, inbox=inbox: inbox.put("hello", *args))
        c.on("room", lambda *args, inbox=inbox: inbox.put("room", *args))
        c.on("ask", lambda arg, name=name: f"{name}:{arg}")
    try:
        async with contextlib.AsyncExitStack() as stack:
            node_url, notes = await stack.enter_async_context(node_process(redis_url))
            urls = {"node": node_url}
            for name, (_, app) in servers.items():
                urls[name] = await stack.enter_async_context(serve(app))
            for name, c in clients.items():
                await stack.enter_async_context(connected(urls[name], ["websocket"], sio=c))
            for sio, _ in servers.values():
                await asyncio.wait_for(_until(lambda sio=sio: sio.manager.subscribed), 10)
            theirs = clients["node"]

            # Broadcasts, each way (with recovery on, the last argument is the offset).
            await a.emit("hello", "from a")
            for name in ("b", "node"):
                [(text, offset)] = await inboxes[name].wait("hello")
                assert text == "from a" and isinstance(offset, str)
            assert await theirs.call("broadcast", ("hello", "from node"), timeout=10)
            for name in ("a", "b"):
                got = await inboxes[name].wait("hello", 2)
                assert [args[0] for args in got] == ["from a", "from node"]
            # A room that only the Node process's socket is in.
            assert await theirs.call("prepare", timeout=10)
            await b.to("r").emit("room", 1)
            [(one, _)] = await inboxes["node"].wait("room")
            assert one == 1 and not inboxes["a"].all("room") and not inboxes["b"].all("room")

            # fetch_sockets, each way.
            ids = sorted(c.get_sid("/") for c in clients.values())
            assert sorted(s.id for s in await a.fetch_sockets()) == ids
            assert await theirs.call("ids", timeout=10) == ids

            # Server-side emits with acks, each way; without acks, with bytes.
            answers = await a.server_side_emit_with_ack("ping", "x", timeout=5)
            assert sorted(answers) == ["b pong x", "node pong x"]
            assert sorted(await theirs.call("ask_servers", "y", timeout=10)) == [
                "a pong y",
                "b pong y",
            ]
            assert await theirs.call("tell", timeout=10)
            await _until(lambda: heard)
            assert heard == [("from node", b"\x01\x02")]
            await a.server_side_emit("note", "from a", b"\x03")
            await _until(lambda: notes)
            assert notes == [["from a", {"type": "Buffer", "data": [3]}]]

            # Broadcast acks gathered from both kinds of process, each way.
            assert sorted(await a.timeout(5).emit_with_ack("ask", "py")) == [
                "a:py",
                "b:py",
                "node:py",
            ]
            assert await theirs.call("ask_clients", timeout=10) == [
                "a:node",
                "b:node",
                "node:node",
            ]
    finally:
        for sio, _ in servers.values():
            await sio.manager.shutdown()


@pytest.mark.parametrize("direction", ["node-to-rs", "rs-to-node"])
async def test_a_client_is_recovered_across_node_and_socketio_rs(
    redis_url: str, direction: str
) -> None:
    """A client drops from one kind of process and comes back to the other: same id,
    rooms and data, and every tick it missed (ticks from the process it left)."""
    server = Recorder(manager=socketio_rs.AsyncRedisStreamsManager(redis_url))
    count = 2_000
    try:
        async with node_process(redis_url) as (node_url, _), serve(server.app) as url:
            first, then = (node_url, url) if direction == "node-to-rs" else (url, node_url)
            transcript = await run_node(
                "recovery.mjs",
                first,
                "websocket",
                options={
                    "count": count,
                    "cutAfter": count // 5,
                    "cut": "close",
                    "reconnectTo": then,
                },
                timeout=60,
            )
            await asyncio.gather(*server.tasks)
    finally:
        await server.sio.manager.shutdown()
    seen: dict[str, Any] = {}
    for kind, *details in transcript:
        seen.setdefault(kind, []).append(details)
    assert "error" not in seen, transcript
    [[first_id, _]] = seen["first"]
    # Recovered by Node, a client may get a few ticks twice when ticks are still being
    # published: the adapter's restoreSession (0.3.1) replays the stream up to its end while
    # its reading loop, which has not reached that end yet, delivers the same entries to the
    # rooms the socket has just joined again. The same race loses a tick now and then on a
    # busy machine: one published after the replay's last read and delivered by the reading
    # loop before the socket has joined its rooms goes nowhere (seen: one tick, right after
    # the reconnection, in 2 runs of 6 beside a benchmark). Node's behaviour, not ours: on
    # socketio-rs the replay and the live broadcasts are deduplicated, and every tick arrives
    # once (the node-to-rs direction, checked strictly).
    node_recovers = direction == "rs-to-node"
    check_ticks(
        seen, count, replays=node_recovers, racing=(count // 5, 3) if node_recovers else (0, 0)
    )
    assert all(again == [first_id, True] for again in seen["again"])
    [[state]] = seen["state"]
    assert state["id"] == first_id and state["recovered"] is True
    assert sorted(state["rooms"]) == sorted([first_id, "r"])
    assert state["data"] == {"user": "ada"}


async def _until(predicate: Any) -> None:
    while not predicate():
        await asyncio.sleep(0.01)
