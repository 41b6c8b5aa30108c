"""Scale-out through a real ``redis-server``: several real server processes act as one.

A module-scoped ``redis-server`` (127.0.0.1, free port, no persistence) and three socketio-rs
processes (uvicorn running ``tests/redis_app.py``) on different ports; python-socketio
clients, and one official Node client, connect to different processes and drive
cross-process operations through the app's handlers. Also: the published messages against
python-socketio's own, a mixed python-socketio + socketio-rs cluster, write-only emitters,
and Redis killed and restarted during traffic. Every wait is on a condition, bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis
import socketio

import socketio_rs
from redis_cluster import RedisServer, ServerProcess, start_all
from server_harness import WAIT, Inbox, client, connected, run_node, steps, wait_until

CHANNEL = "socketio"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@contextlib.contextmanager
def processes(servers: list[ServerProcess], log: Path) -> Iterator[list[ServerProcess]]:
    """Run ``servers``; afterwards each must exit cleanly (code 0, no traceback logged)."""
    with log.open("wb") as err:
        start_all(servers, stderr=err)
        try:
            yield servers
        finally:
            codes = [s.stop() for s in servers]
    text = log.read_text(errors="replace")
    assert codes == [0] * len(servers), text
    assert "Traceback" not in text, text


@pytest.fixture(scope="module")
def cluster(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[ServerProcess]]:
    servers = [ServerProcess(redis_server.url, name=f"rs{i}") for i in range(3)]
    with processes(servers, tmp_path_factory.mktemp("cluster") / "servers.log"):
        yield servers


class Peer:
    """A python-socketio client of one server process that records every event."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.inbox = Inbox()
        self.sio = client()
        self.sio.on("*", self._any)
        self.sio.on("question", self._question)
        self.sio.on("disconnect", self._disconnected)

    async def _any(self, event: str, *args: Any) -> None:
        self.inbox.put(event, *args)

    async def _question(self, payload: Any) -> tuple[Any, ...]:
        self.inbox.put("question", payload)
        return ("answer", payload, self.server.name)

    async def _disconnected(self, *args: Any) -> None:
        self.inbox.put("disconnect")

    @property
    def sid(self) -> str:
        sid = self.sio.get_sid()
        assert sid is not None
        return sid

    async def call(self, event: str, *args: Any) -> Any:
        return await self.sio.call(event, args, timeout=WAIT)

    async def emit_via_server(self, event: str, *args: Any, **spec: Any) -> None:
        """Ask this peer's server process to ``sio.emit(event, args, **spec)``."""
        result = await self.call("do_emit", {"event": event, "args": list(args), **spec})
        assert result["ok"], result


@contextlib.asynccontextmanager
async def peers_on(servers: list[ServerProcess]) -> AsyncIterator[list[Peer]]:
    """One connected WebSocket client per entry of ``servers``."""
    async with contextlib.AsyncExitStack() as stack:
        peers = [Peer(s) for s in servers]
        for peer in peers:
            await stack.enter_async_context(connected(peer.server.url, ["websocket"], sio=peer.sio))
        yield peers


async def subscribed(redis_server: RedisServer, count: int, channel: str = CHANNEL) -> None:
    """The listeners start with the first client; wait until ``count`` are subscribed."""
    await wait_until(
        lambda: redis_server.numsub(channel) == count, what=f"{count} subscribers on {channel}"
    )


async def fenced(peers: list[Peer], origin: Peer, tag: Any) -> None:
    """Broadcast ``fence(tag)`` from ``origin``'s process and wait until every peer has it.

    Messages from one process arrive in publish order, so anything ``origin``'s process
    broadcast before has arrived (or never will) once the fence is in.
    """
    await origin.emit_via_server("fence", tag)
    for peer in peers:
        await wait_until(lambda p=peer: (tag,) in p.inbox.all("fence"), what=f"fence {tag}")


# --------------------------------------------------------------------------- the cluster


async def test_broadcast_reaches_every_client_once(
    cluster: list[ServerProcess], redis_server: RedisServer
) -> None:
    async with peers_on([*cluster, *cluster]) as peers:
        await subscribed(redis_server, 3)
        for n, origin in enumerate(peers[:3]):
            args = [f"hello from {origin.server.name}", {"n": n, "blob": b"\x00\xff" * n}, b"\x01"]
            await origin.emit_via_server("news", *args)
            await fenced(peers, origin, n)
        for peer in peers:
            got = peer.inbox.all("news")
            assert len(got) == 3, got
            for n, origin in enumerate(peers[:3]):
                expected = (f"hello from {origin.server.name}", {"n": n, "blob": b"\x00\xff" * n})
                assert got[n] == (*expected, b"\x01")


async def test_rooms_and_skip_sid_across_processes(
    cluster: list[ServerProcess], redis_server: RedisServer
) -> None:
    async with peers_on([cluster[0], cluster[1], cluster[2], cluster[2]]) as peers:
        a, b, c, d = peers
        await subscribed(redis_server, 3)
        assert await b.call("join", "blue") is True
        assert await c.call("join", "blue") is True
        assert await d.call("join", "green") is True
        await a.emit_via_server("to_blue", 1, to="blue")
        await a.emit_via_server("to_both", 2, to=["blue", "green"], skip_sid=c.sid)
        await c.emit_via_server("not_me", 3, to="blue", skip_sid="self")
        await b.emit_via_server("to_d", 4, to=d.sid)
        for origin in (a, b, c):
            await fenced(peers, origin, origin.server.name)
        assert [p.inbox.all("to_blue") for p in peers] == [[], [(1,)], [(1,)], []]
        assert [p.inbox.all("to_both") for p in peers] == [[], [(2,)], [], [(2,)]]
        assert [p.inbox.all("not_me") for p in peers] == [[], [(3,)], [], []]
        assert [p.inbox.all("to_d") for p in peers] == [[], [], [], [(4,)]]


async def test_node_style_operators_across_processes(
    cluster: list[ServerProcess], redis_server: RedisServer
) -> None:
    """Namespace operators (``to``, ``except_``) and ``sockets_join``/``sockets_leave``/
    ``disconnect_sockets`` reach the sockets of every process."""
    async with peers_on([cluster[0], cluster[1], cluster[2], cluster[2]]) as peers:
        a, b, c, d = peers
        await subscribed(redis_server, 3)
        assert await b.call("join", "blue") is True
        assert await c.call("join", "blue") is True
        assert await d.call("join", "green") is True

        async def node(spec: dict[str, Any]) -> None:
            assert (await a.call("do_node", spec))["ok"]

        await node(
            {"op": "emit", "event": "x", "args": [1], "to": ["blue", "green"], "except": "blue"}
        )
        await node({"op": "emit", "event": "y", "args": [b"\x02"], "except": ["blue"]})
        await node({"op": "join", "to": "green", "rooms": "red"})
        await fenced(peers, a, "joined")
        await node({"op": "emit", "event": "z", "to": "red"})
        await node({"op": "leave", "rooms": ["blue"]})
        await fenced(peers, a, "left")
        await node({"op": "emit", "event": "w", "to": "blue"})
        await fenced(peers, a, "emitted")
        assert [p.inbox.all("x") for p in peers] == [[], [], [], [(1,)]]
        assert [p.inbox.all("y") for p in peers] == [[(b"\x02",)], [], [], [(b"\x02",)]]
        assert [p.inbox.all("z") for p in peers] == [[], [], [], [()]]
        assert [p.inbox.all("w") for p in peers] == [[], [], [], []]
        assert await c.call("rooms") == [] and await d.call("rooms") == ["green", "red"]
        await node({"op": "disconnect", "to": "red"})
        await d.inbox.first("disconnect")
        assert b.sio.connected and c.sio.connected


async def test_fetch_sockets_across_processes(
    cluster: list[ServerProcess], redis_server: RedisServer
) -> None:
    """``fetch_sockets()`` asks the other processes on socketio-rs's own request channel and
    returns their sockets as RemoteSocket snapshots that can emit, join and disconnect."""
    async with peers_on([cluster[0], cluster[1], cluster[2]]) as peers:
        a, b, c = peers
        await subscribed(redis_server, 3)
        await wait_until(lambda: redis_server.numsub(CHANNEL + "#requests") == 3)
        assert await b.call("join", "blue") is True
        assert await b.call("set_data", {"name": "bee"}) is True
        fetched = await a.call("do_node", {"op": "fetch"})
        by_id = {s["id"]: s for s in fetched["sockets"]}
        assert set(by_id) == {a.sid, b.sid, c.sid}
        assert by_id[a.sid]["remote"] is False and by_id[b.sid]["remote"] is True
        assert by_id[b.sid]["rooms"] == ["blue"] and by_id[b.sid]["data"] == {"name": "bee"}
        assert by_id[c.sid]["eio"] == "4"
        only_blue = await a.call("do_node", {"op": "fetch", "to": "blue"})
        assert [s["id"] for s in only_blue["sockets"]] == [b.sid]
        await a.call(
            "do_node", {"op": "fetch_emit", "event": "you", "except": "blue", "join": "red"}
        )
        assert await c.inbox.first("you") == (c.sid,)
        await wait_until(lambda: a.inbox.all("you") == [(a.sid,)])
        await fenced(peers, a, "emitted")
        assert b.inbox.all("you") == []
        assert await c.call("rooms") == ["red"]


async def test_ack_callback_from_a_client_on_another_process(
    cluster: list[ServerProcess], redis_server: RedisServer
) -> None:
    async with peers_on([cluster[0], cluster[0], cluster[2]]) as peers:
        a, local, remote = peers
        await subscribed(redis_server, 3)
        payload = {"q": "ping", "bin": b"\x01\x02"}
        # The ack comes back through Redis, binary arguments included.
        assert await a.call("do_call", remote.sid, payload) == ["answer", payload, "rs2"]
        assert await a.call("do_call", local.sid, payload) == ["answer", payload, "rs0"]
        assert remote.inbox.all("question") == [(payload,)]


async def test_room_changes_of_a_client_on_another_process(
    cluster: list[ServerProcess], redis_server: RedisServer
) -> None:
    async with peers_on([cluster[0], cluster[1], cluster[2]]) as peers:
        a, b, c = peers
        await subscribed(redis_server, 3)

        async def rooms_of_c_become(expected: list[str]) -> None:
            for _ in range(int(WAIT / 0.05)):
                if await c.call("rooms") == expected:
                    return
                await asyncio.sleep(0.05)
            raise AssertionError(f"rooms of c never became {expected}")

        assert (await a.call("do_enter", c.sid, "red"))["ok"]
        await rooms_of_c_become(["red"])
        await b.emit_via_server("to_red", "x", to="red")
        await fenced(peers, b, "red")
        assert c.inbox.all("to_red") == [("x",)]
        assert (await a.call("do_leave", c.sid, "red"))["ok"]
        await rooms_of_c_become([])
        assert (await a.call("do_enter", c.sid, "red"))["ok"]
        await rooms_of_c_become(["red"])
        assert (await b.call("do_close", "red"))["ok"]
        await rooms_of_c_become([])


async def test_disconnect_of_a_client_on_another_process(
    cluster: list[ServerProcess], redis_server: RedisServer
) -> None:
    async with peers_on([cluster[0], cluster[1], cluster[1]]) as peers:
        a, b, other = peers
        await subscribed(redis_server, 3)
        assert (await a.call("do_disconnect", b.sid))["ok"]
        await b.inbox.wait("disconnect")
        await fenced([a, other], a, "after")
        assert other.sio.connected and not other.inbox.all("disconnect")
        assert all(s.alive for s in cluster)


async def test_a_volatile_emit_stays_volatile_on_another_process(
    cluster: list[ServerProcess], redis_server: RedisServer
) -> None:
    """A volatile emit from one process to a polling client of another, which has no GET
    pending, is dropped there; a plain one waits for the next GET."""
    async with (
        peers_on([cluster[0], cluster[2]]) as [a, _],
        httpx.AsyncClient(timeout=WAIT) as http,
    ):
        url = cluster[1].url + "/socket.io/"
        params = {"EIO": "4", "transport": "polling"}
        opened = await http.get(url, params=params)
        params["sid"] = json.loads(opened.text[1:])["sid"]
        await http.post(url, params=params, content="40")
        sid = json.loads((await http.get(url, params=params)).text[2:])["sid"]
        await subscribed(redis_server, 3)
        await a.emit_via_server("v", 1, to=sid, volatile=True)
        await a.emit_via_server("p", 2, to=sid)
        assert (await http.get(url, params=params)).text == '42["p",2]'
        # With a GET pending on the other process, the volatile emit goes out on it.
        pending = asyncio.ensure_future(http.get(url, params=params))
        await asyncio.sleep(0.2)
        await a.emit_via_server("v", 3, to=sid, volatile=True)
        assert (await pending).text == '42["v",3]'
        await http.post(url, params=params, content="1")  # CLOSE: nothing left to shut down


async def test_node_client_broadcast(
    cluster: list[ServerProcess], redis_server: RedisServer
) -> None:
    """The official JS client asks its process to broadcast; everyone gets it once."""
    async with peers_on([cluster[0], cluster[2]]) as peers:
        await subscribed(redis_server, 3)
        args = ["from node", {"bin": b"\x07\x08"}]
        transcript = await run_node(
            "cluster.mjs", cluster[1].url, "websocket", options={"args": args}
        )
        assert not steps(transcript, "error"), transcript
        assert steps(transcript, "news") == [args]
        assert steps(transcript, "fence") == [[]]
        for peer in peers:
            await peer.inbox.wait("fence")
            assert peer.inbox.all("news") == [tuple(args)]


async def test_write_only_emitters(cluster: list[ServerProcess], redis_server: RedisServer) -> None:
    """External processes emit to the cluster: socketio-rs's and python-socketio's
    ``write_only`` managers (this test process holds no server)."""
    ours = socketio_rs.AsyncRedisManager(redis_server.url, write_only=True)
    theirs = socketio.AsyncRedisManager(redis_server.url, write_only=True)
    try:
        async with peers_on(cluster) as peers:
            _, b, c = peers
            await subscribed(redis_server, 3)
            assert await b.call("join", "news") is True
            await ours.emit("external", ("one", b"\x00"), namespace="/")
            await ours.emit("to_room", {"k": 1}, room="news")
            await ours.emit("to_sid", None, to=c.sid, namespace="/")
            await theirs.emit("external", ("two", b"\x01"), namespace="/")
            await ours.emit("fence", "end")
            for peer in peers:
                await wait_until(lambda p=peer: p.inbox.all("fence"), what="fence")
            for peer in peers:
                assert peer.inbox.all("external") == [("one", b"\x00"), ("two", b"\x01")]
            assert [p.inbox.all("to_room") for p in peers] == [[], [({"k": 1},)], []]
            assert [p.inbox.all("to_sid") for p in peers] == [[], [], [()]]
            with pytest.raises(RuntimeError, match="context of a server"):
                await ours.emit("x", 1, to=c.sid, callback=print)
    finally:
        await ours.shutdown()
        await theirs.redis.aclose()


# --------------------------------------------------------------------------- the format


async def test_published_messages_match_python_socketio(redis_server: RedisServer) -> None:
    """Field for field what python-socketio 5.18.1 publishes, for the same calls."""
    channel = "format-check"
    ours = socketio_rs.AsyncRedisManager(redis_server.url, channel=channel, write_only=True)
    theirs = socketio.AsyncRedisManager(redis_server.url, channel=channel, write_only=True)
    listener = aioredis.Redis.from_url(redis_server.url)
    pubsub = listener.pubsub()
    await pubsub.subscribe(channel)
    confirmed = await pubsub.get_message(timeout=WAIT)  # the subscription is live
    assert confirmed is not None and confirmed["type"] == "subscribe", confirmed
    calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
        ("emit", ("ev", "one"), {}),
        ("emit", ("ev", ("a", 2, None)), {"namespace": "/chat", "room": "r"}),
        ("emit", ("ev", None), {"to": "sid1", "skip_sid": ["x", "y"]}),
        ("emit", ("ev", [1, [2]]), {"room": ["r1", "r2"], "skip_sid": "z"}),
        ("emit", ("ev", ("t", {"b": b"\x00\x01", "l": [b"\x02", 3]}, b"\x03")), {}),
        ("emit", ("ev", b"\xff"), {"namespace": "/bin"}),
        ("enter_room", ("sid1", "/", "room1"), {}),
        ("leave_room", ("sid1", "/chat", "room1"), {}),
        ("close_room", ("room1", "/chat"), {}),
    ]
    try:

        async def next_message() -> dict[str, Any]:
            while True:
                m = await pubsub.get_message(timeout=WAIT)
                assert m is not None, "no message published"
                if m["type"] == "message":
                    message: dict[str, Any] = json.loads(m["data"])
                    return message

        for method, args, kwargs in calls:
            await getattr(theirs, method)(*args, **kwargs)
            expected = await next_message()
            await getattr(ours, method)(*args, **kwargs)
            got = await next_message()
            assert (expected.pop("host_id"), got.pop("host_id")) == (theirs.host_id, ours.host_id)
            assert got == expected, (method, args, kwargs)
            assert list(got) == list(expected)
    finally:
        await pubsub.aclose()
        await listener.aclose()
        await ours.shutdown()
        await theirs.redis.aclose()


# --------------------------------------------------------------------------- mixed cluster


async def test_mixed_cluster_with_python_socketio(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    """A python-socketio 5.18.1 server and a socketio-rs server on one channel: each
    delivers the other's broadcasts, room emits and acks (a migration in progress)."""
    channel = "mixed"
    servers = [
        ServerProcess(redis_server.url, name="py", impl="socketio", SIO_CHANNEL=channel),
        ServerProcess(redis_server.url, name="rs", SIO_CHANNEL=channel),
    ]
    with processes(servers, tmp_path / "servers.log"):
        async with peers_on([*servers, *servers]) as peers:
            py, rs, py2, rs2 = peers
            await subscribed(redis_server, 2, channel)
            await py.emit_via_server("news", "from py", {"bin": b"\x01"})
            await fenced(peers, py, "py")
            await rs.emit_via_server("news", "from rs", {"bin": b"\x02"})
            await fenced(peers, rs, "rs")
            for peer in peers:
                assert peer.inbox.all("news") == [
                    ("from py", {"bin": b"\x01"}),
                    ("from rs", {"bin": b"\x02"}),
                ]
            assert await rs2.call("join", "room") is True
            assert await py2.call("join", "room") is True
            await py.emit_via_server("in_room", 1, to="room", skip_sid=py2.sid)
            await rs.emit_via_server("in_room", 2, to="room")
            await fenced(peers, py, "py2")
            await fenced(peers, rs, "rs2")
            assert [p.inbox.all("in_room") for p in peers] == [[], [], [(2,)], [(1,), (2,)]]
            # A volatile emit: python-socketio hosts ignore the flag and deliver it as a plain
            # emit; socketio-rs hosts deliver it to their clients that are ready to write.
            await rs.emit_via_server("flash", 3, volatile=True)
            await fenced(peers, rs, "rs3")
            assert [p.inbox.all("flash") for p in peers] == [[(3,)]] * 4
            # Acks cross the implementations in both directions.
            assert await py.call("do_call", rs2.sid, {"n": 1}) == ["answer", {"n": 1}, "rs"]
            assert await rs.call("do_call", py2.sid, {"n": 2}) == ["answer", {"n": 2}, "py"]
            # A python-socketio host disconnects a socketio-rs client, and the reverse.
            assert (await py.call("do_disconnect", rs2.sid))["ok"]
            assert (await rs.call("do_disconnect", py2.sid))["ok"]
            await rs2.inbox.wait("disconnect")
            await py2.inbox.wait("disconnect")


# --------------------------------------------------------------------------- fault


async def test_redis_killed_and_restarted_during_traffic(tmp_path: Path) -> None:
    """Redis dies (SIGKILL) under a stream of broadcasts and comes back on the same port:
    emits fail loudly meanwhile, nothing crashes, the listeners resubscribe (and say so),
    and later broadcasts reach every client."""
    redis_server = RedisServer()
    redis_server.start()
    log = tmp_path / "servers.log"
    env = {"SIO_PUBLISH_TIMEOUT": "0.5", "SIO_RECONNECT_DELAY": "0.1,1"}
    servers = [ServerProcess(redis_server.url, name=f"rs{i}", **env) for i in range(3)]
    try:
        with processes(servers, log):
            async with peers_on(servers) as peers:
                await subscribed(redis_server, 3)
                results: list[dict[str, Any]] = []

                async def traffic() -> None:
                    n = 0
                    while True:
                        origin = peers[n % 3]
                        results.append(
                            await origin.call("do_emit", {"event": "traffic", "args": [n]})
                        )
                        n += 1
                        await asyncio.sleep(0.01)

                task = asyncio.ensure_future(traffic())
                try:
                    await wait_until(lambda: sum(r["ok"] for r in results) >= 10, what="traffic")
                    redis_server.kill()
                    # Emits during the outage report the failure to their caller.
                    await wait_until(lambda: any(not r["ok"] for r in results), what="a failure")
                    redis_server.start()
                    await subscribed(redis_server, 3)
                    await wait_until(lambda: results[-1]["ok"], what="traffic again")
                finally:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                failures = [r for r in results if not r["ok"]]
                assert all("PubSubError" in r["error"] for r in failures), failures
                assert all(s.alive for s in servers)
                for origin in peers:
                    await origin.emit_via_server("after", origin.server.name)
                    await fenced(peers, origin, f"after {origin.server.name}")
                for peer in peers:
                    assert peer.inbox.all("after") == [("rs0",), ("rs1",), ("rs2",)]
    finally:
        redis_server.stop()
    text = log.read_text(errors="replace")
    assert text.count("subscription to 'socketio' lost") == 3, text
    assert text.count("subscription to 'socketio' restored") == 3, text
    assert "cannot publish" in text, text
