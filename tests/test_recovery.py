"""Connection state recovery with the official JavaScript client (``tests/node/recovery.mjs``).

The client joins a room and gets ``socket.data`` and a python-socketio session, the server
broadcasts 10,000 numbered ticks to the room, and the client loses its transport part way:
``socket.io.engine.close()`` (as the reference server's own tests do) or a TCP reset under
the WebSocket. It reconnects by itself and must get the same id, rooms and data back,
``recovered`` set on both sides, and every tick exactly once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

import socketio_rs
from redis_cluster import RedisServer
from server_harness import (
    WAIT,
    client,
    close_client,
    connected,
    rs_server,
    run_node,
    serve,
    wait_until,
)

COUNT = 10_000


class Recorder:
    """A server with recovery, and what its middleware and connect handler saw."""

    def __init__(
        self,
        style: str = "node",
        manager: socketio_rs.AsyncManager | None = None,
        emitter: socketio_rs.AsyncServer | None = None,
        disconnect_delay: float | None = None,
        **recovery: Any,
    ) -> None:
        # A heartbeat slower than the tests' 1 s, so that a busy machine rarely drops the
        # client a second time (the client cuts its transport itself), and still quick
        # enough that a client whose link stalled comes back (5 s) before it stops waiting
        # for the ticks (10 s).
        self.sio, self.app = rs_server(
            connection_state_recovery=recovery or True,
            client_manager=manager,
            ping_interval=2,
            ping_timeout=3,
        )
        self.middleware: list[bool] = []  # socket.recovered, per middleware call
        self.connects: list[bool] = []  # sio.recovered(sid) in python-socketio's handler
        self.tasks: list[asyncio.Task[None]] = []
        #: Ticks broadcast; through Redis each is a publish, so fewer (the client waits 10 s).
        self.count = COUNT if emitter is None else COUNT // 4
        sio = self.sio

        @sio.use
        def middleware(socket: socketio_rs.Socket, next: Any) -> None:
            self.middleware.append(socket.recovered)
            next()

        @sio.on("connect")
        async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
            self.connects.append(sio.recovered(sid))

        if disconnect_delay is not None:

            @sio.on("disconnect")
            async def disconnect(sid: str, reason: str) -> None:
                await asyncio.sleep(disconnect_delay)

        @sio.sockets.on("prepare")
        async def prepare(socket: socketio_rs.Socket) -> bool:
            await socket.join("r")
            socket.data["user"] = "ada"
            await sio.save_session(socket.id, {"cart": [1, 2]})
            return True

        async def ticks(count: int) -> None:
            source = emitter or sio  # another process of the cluster, or this one
            for n in range(count):
                if style == "node":
                    await source.to("r").emit("tick", n)
                else:
                    await source.emit("tick", n, room="r")
                if n % 50 == 49:
                    await asyncio.sleep(0.01)  # ~2 s in all: the cut falls in the middle

        @sio.sockets.on("start")
        def start(socket: socketio_rs.Socket, count: int) -> bool:
            self.tasks.append(asyncio.ensure_future(ticks(count)))
            return True

        @sio.sockets.on("state")
        async def state(socket: socketio_rs.Socket) -> dict[str, Any]:
            return {
                "id": socket.id,
                "rooms": sorted(socket.rooms),
                "data": socket.data,
                "recovered": socket.recovered,
                "session": await sio.get_session(socket.id),
            }

    async def run(self, transport: str, other: Any = None, **options: Any) -> dict[str, Any]:
        """Run the scenario; the transcript's entries by kind. With ``other`` (another
        server's app) the client reconnects to that one."""
        async with contextlib.AsyncExitStack() as stack:
            url = await stack.enter_async_context(serve(self.app))
            if other is not None:
                options["reconnectTo"] = await stack.enter_async_context(serve(other))
            transcript = await run_node(
                "recovery.mjs",
                url,
                transport,
                options={"count": self.count, "cutAfter": self.count // 5, **options},
                timeout=90,
            )
            await asyncio.gather(*self.tasks)
        by_kind: dict[str, Any] = {}
        for kind, *details in transcript:
            by_kind.setdefault(kind, []).append(details)
        # The client's error in full (a transcript's repr would be cut short).
        assert "error" not in by_kind, f"{by_kind['error']} in {transcript[:4]}"
        return by_kind


def assert_recovered(seen: dict[str, Any], count: int = COUNT) -> None:
    [[first_id, first_recovered]] = seen["first"]
    assert first_recovered is False
    check_ticks(seen, count)
    # Once; should a busy machine still drop it again (a ping timeout), it must be
    # recovered again (and the connect handler runs again).
    assert seen["again"] and all(again == [first_id, True] for again in seen["again"])
    [[state]] = seen["state"]
    assert state == {
        "id": first_id,
        "rooms": sorted([first_id, "r"]),
        "data": {"user": "ada"},
        "recovered": True,
        "session": {"cart": [1, 2]},
    }


def check_ticks(
    seen: dict[str, Any], count: int, replays: bool = False, racing: tuple[int, int] = (0, 0)
) -> None:
    """Every tick exactly once and in order; with ``replays``, a tick may also come again
    right after the reconnection (see the caller), but the first copies stay in order.
    ``racing`` is ``(after, most)``: at most ``most`` ticks numbered ``after`` or later may be
    missing (a recovering server that loses what is published while it restores)."""
    [ticks] = seen["ticks"]
    if replays and ticks != [f"0..{count - 1}"]:
        first = list(dict.fromkeys(ticks))
        after, most = racing
        missing = set(range(count)) - set(first)
        if len(missing) <= most and all(n >= after for n in missing):
            first = sorted(set(first) | missing)
        if first == list(range(count)) and list(dict.fromkeys(ticks)) == sorted(set(ticks)):
            return
    if ticks != [f"0..{count - 1}"]:
        repeated = len(ticks) - len(set(ticks))
        missing = sorted(set(range(count)) - set(ticks))
        disorder = next((i for i in range(1, len(ticks)) if ticks[i] <= ticks[i - 1]), None)
        raise AssertionError(
            f"{len(ticks)} ticks: {repeated} repeated, {len(missing)} missing "
            f"(first {missing[:5]}), first out of order at {disorder}"
        )


@pytest.mark.parametrize("transport", ["websocket", "polling", "upgrade"])
async def test_a_closed_transport_is_recovered_with_every_missed_broadcast(
    transport: str,
) -> None:
    server = Recorder()
    seen = await server.run(transport, cut="close")
    assert_recovered(seen)
    # skip_middlewares (the default): the middleware ran for the first connection only.
    assert server.middleware == [False]
    assert server.connects == [False] + [True] * len(seen["again"])


async def test_a_reset_tcp_connection_is_recovered() -> None:
    server = Recorder()
    assert_recovered(await server.run("websocket", cut="reset"))


async def test_python_socketio_style_broadcasts_are_recovered() -> None:
    server = Recorder(style="python")
    assert_recovered(await server.run("websocket", cut="close"))


async def test_middleware_runs_again_without_skip_middlewares() -> None:
    server = Recorder(skip_middlewares=False)
    assert_recovered(await server.run("websocket", cut="close"))
    assert server.middleware == [False, True]


async def test_a_client_back_while_its_disconnect_handler_awaits_is_recovered() -> None:
    """python-socketio's ``disconnect`` handler runs with the socket's rooms intact, and may
    await. A client that comes back meanwhile (50 ms later) is recovered once its old socket
    has left the rooms: the new socket has the same id, and must not be joined first and
    then taken out of its rooms by the old one's end."""
    server = Recorder(disconnect_delay=0.5)
    seen = await server.run("websocket", cut="close")
    assert_recovered(seen)
    assert server.connects == [False] + [True] * len(seen["again"])


async def test_a_session_stays_kept_when_its_client_goes_again_while_waiting() -> None:
    """A client that comes back while the old socket's disconnect handler awaits, and whose
    new connection closes before that handler ends, leaves nothing behind; the session is
    kept for its next try. python-socketio's client, with the pid and offset it would not
    send by itself."""
    sio, app = rs_server(connection_state_recovery=True)
    handler_done = asyncio.Event()
    offsets: list[str] = []

    @sio.on("disconnect")
    async def disconnect(sid: str, reason: str) -> None:
        if reason == sio.reason.TRANSPORT_CLOSE and not handler_done.is_set():
            await asyncio.sleep(1)
            handler_done.set()

    async with serve(app) as url:
        first = client()
        first.on("tick", lambda n, offset: offsets.append(offset))
        await first.connect(url, transports=["websocket"], wait_timeout=WAIT)
        sid = first.get_sid("/")
        pid = sio.sockets.sockets[sid].pid
        await sio.emit("tick", 1)
        await wait_until(lambda: offsets, what="the tick")
        auth = {"pid": pid, "offset": offsets[0]}
        recovery = sio.manager.recovery
        assert recovery is not None
        await first.eio.ws.close()  # the transport drops: the session is kept
        await wait_until(lambda: recovery.stats()["sessions"] == 1, what="the drop")
        again = client()
        try:
            await again.connect(url, transports=["websocket"], auth=auth, wait=False)
            # The session is taken over, then the new socket waits for the old one's end;
            # meanwhile its connection goes too.
            await wait_until(lambda: recovery.stats()["sessions"] == 0, what="the takeover")
            assert not handler_done.is_set()
            await again.eio.ws.close()
            await handler_done.wait()
            await asyncio.sleep(0.1)
            assert sid not in sio.sockets.sockets
            assert not sio.manager.is_connected(sid, "/")
            assert sid not in sio.manager.rooms.get("/", {}).get(None, {})
        finally:
            await close_client(again)
            await close_client(first)
        third = client()
        async with connected(url, ["websocket"], sio=third, auth=auth):
            assert third.get_sid("/") == sid
            assert sio.recovered(sid)


async def test_a_session_past_the_duration_is_not_recovered() -> None:
    server = Recorder(max_disconnection_duration=0.3)
    seen = await server.run("websocket", cut="close", delay=1000, expectAll=False)
    [[first_id, _]] = seen["first"]
    new_id, recovered = seen["again"][0]
    assert new_id != first_id and recovered is False
    [[state]] = seen["state"]
    assert state["recovered"] is False and state["data"] == {} and state["rooms"] == [new_id]
    assert server.middleware == [False, False]


async def test_broadcasts_from_another_process_are_recovered_through_redis() -> None:
    """With the Redis pub/sub manager every process keeps the broadcasts it sees, so a client
    that comes back to the same process (sticky sessions) gets what the others sent too."""
    redis_server = RedisServer()
    redis_server.start()
    other, _ = rs_server(
        connection_state_recovery=True,
        client_manager=socketio_rs.AsyncRedisManager(redis_server.url),
    )
    server = Recorder(manager=socketio_rs.AsyncRedisManager(redis_server.url), emitter=other)
    try:
        assert_recovered(await server.run("websocket", cut="close"), server.count)
    finally:
        await server.sio.manager.shutdown()
        await other.manager.shutdown()
        redis_server.stop()


async def test_a_client_is_recovered_by_another_process_through_redis_streams() -> None:
    """With the streams manager the session is kept in Redis: the client leaves process A
    and is recovered by process B, with what A broadcast meanwhile."""
    redis_server = RedisServer()
    redis_server.start()
    server = Recorder(manager=socketio_rs.AsyncRedisStreamsManager(redis_server.url))
    # each broadcast is an XADD, and the client waits 10 s for the rest after reconnecting
    other = Recorder(manager=socketio_rs.AsyncRedisStreamsManager(redis_server.url))
    try:
        seen = await server.run("websocket", other=other.app, cut="close", tailMs=40_000)
        assert_recovered(seen, server.count)
        assert other.connects == [True] and other.middleware == []
    finally:
        await server.sio.manager.shutdown()
        await other.sio.manager.shutdown()
        redis_server.stop()


def test_options_are_checked() -> None:
    with pytest.raises(TypeError, match="max_disconection_duration"):
        socketio_rs.AsyncServer(connection_state_recovery={"max_disconection_duration": 5})
    with pytest.raises(ValueError, match="max_packets"):
        socketio_rs.AsyncServer(connection_state_recovery={"max_packets": 0})
    with pytest.raises(TypeError, match="connection_state_recovery"):
        socketio_rs.AsyncServer(connection_state_recovery="yes")


async def test_what_is_kept_stays_within_its_bounds() -> None:
    """Packets are kept up to ``max_packets`` and ``max_bytes``, the oldest going first."""
    sio, _ = rs_server(connection_state_recovery={"max_packets": 500, "max_bytes": 40_000})
    recovery = sio.manager.recovery
    assert recovery is not None
    for n in range(5_000):
        await sio.emit("tick", n)
    assert recovery.stats()["packets"] == 500
    for _ in range(2_000):
        await sio.emit("blob", "x" * 200)
    stats = recovery.stats()
    assert 40_000 - 250 < stats["bytes"] <= 40_000 and stats["packets"] < 500, stats
