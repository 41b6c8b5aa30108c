"""``sio.instrument()``: the Socket.IO Admin UI, as python-socketio's ``async_admin`` speaks it.

The admin side is python-socketio's ``AsyncClient`` on the admin namespace, recording every
event the UI would get; ordinary clients connect, emit, join rooms and disconnect. The same
application runs on python-socketio and on socketio_rs, and what the admin client observed
must match once the values that differ between runs (sids, times, ports, counters) are
normalised.

python-socketio instruments by patching python-engineio's socket class for the whole process
(and patching twice recurses), so every python-socketio server is uninstrumented before the
test ends: :func:`instrumented`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import types
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import socketio

import socketio_rs
from server_harness import (
    IMPLS,
    SERVER_OPTIONS,
    Inbox,
    client,
    close_client,
    connected,
    serve,
    wait_until,
)

WS = ["websocket"]
AUTH = {"username": "admin", "password": "s3cr3t"}
INTERVAL = 0.2
FULL_FEATURES = [
    "AGGREGATED_EVENTS",
    "EMIT",
    "JOIN",
    "LEAVE",
    "DISCONNECT",
    "MJOIN",
    "MLEAVE",
    "MDISCONNECT",
    "ALL_EVENTS",
]
PER_SOCKET_EVENTS = {
    "all_sockets",
    "socket_connected",
    "socket_disconnected",
    "socket_updated",
    "event_received",
    "event_sent",
    "room_joined",
    "room_left",
}
RAW_EVENT_TYPES = {
    "rawConnection",
    "rawDisconnection",
    "packetsIn",
    "packetsOut",
    "bytesIn",
    "bytesOut",
}


def build_app(impl: types.ModuleType, **server_options: Any) -> Any:
    """The application both implementations run: rooms, emits, acks, a server-side kick."""
    sio = impl.AsyncServer(**{**SERVER_OPTIONS, **server_options})

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        if auth and auth.get("room"):
            await sio.enter_room(sid, auth["room"])

    @sio.event
    async def hello(sid: str, *args: Any) -> str:
        await sio.emit("reply", {"args": list(args)}, to=sid)
        return "ok"

    @sio.event
    async def join(sid: str, room: str) -> str:
        await sio.enter_room(sid, room)
        return "joined"

    @sio.event
    async def leave(sid: str, room: str) -> str:
        await sio.leave_room(sid, room)
        return "left"

    @sio.event
    async def shout(sid: str, room: str, text: str) -> str:
        await sio.emit("shout", (text, 2), room=room)
        return "sent"

    @sio.event
    async def kick(sid: str, target: str) -> str:
        await sio.disconnect(target)
        return "kicked"

    return sio


@contextlib.asynccontextmanager
async def instrumented(sio: Any, **options: Any) -> AsyncIterator[Any]:
    """``sio.instrument(...)``, shut down (and, for python-socketio, unpatched) at the end."""
    options = {"auth": AUTH, "server_stats_interval": INTERVAL, **options}
    admin = sio.instrument(**options)
    try:
        yield admin
    finally:
        await admin.shutdown()
        if isinstance(sio, socketio.AsyncServer):
            admin.uninstrument()


@contextlib.asynccontextmanager
async def admin_ui(
    url: str, auth: Any = AUTH, transports: list[str] | None = WS
) -> AsyncIterator[tuple[socketio.AsyncClient, Inbox]]:
    """A connected admin client and the inbox of everything it received on ``/admin``."""
    inbox = Inbox()
    c = client()
    c.on("*", lambda event, *args: inbox.put(event, *args), namespace="/admin")
    async with connected(url, transports, sio=c, namespaces=["/admin"], auth=auth):
        yield c, inbox


async def stats_after(inbox: Inbox, count: int = 2) -> None:
    """Wait for ``count`` more ``server_stats``: the room events queued so far have gone out."""
    await inbox.wait("server_stats", len(inbox.all("server_stats")) + count)


# --------------------------------------------------------------------------- the transcript

ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")
VARYING = {"host", "sec_websocket_key", "t"}  # headers and query values that change per run


def normalise(value: Any, labels: dict[str, str]) -> Any:
    """Sids become labels, times ``<time>``; headers and query values that differ per run
    are blanked."""
    if isinstance(value, str):
        if value in labels:
            return labels[value]
        return "<time>" if ISO_TIME.match(value) else value
    if isinstance(value, (list, tuple)):
        return [normalise(v, labels) for v in value]
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "issued":
                assert isinstance(item, (int, float)) and item > 0, value
                out[key] = "<issued>"
            elif key in ("headers", "query"):
                out[key] = {h: "<varies>" if h in VARYING else v for h, v in item.items()}
            else:
                out[key] = normalise(item, labels)
        return out
    return value


def stats_summary(all_stats: list[tuple[Any, ...]]) -> dict[str, Any]:
    """What every ``server_stats`` must agree on; counts and times depend on timing."""
    shapes = {tuple(stats) for (stats,) in all_stats}
    namespaces = {tuple(ns["name"] for ns in stats["namespaces"]) for (stats,) in all_stats}
    types_seen = {e["type"] for (stats,) in all_stats for e in stats["aggregatedEvents"]}
    for (stats,) in all_stats:
        assert stats["serverId"] == stats["hostname"] == socket.gethostname()
        assert stats["uptime"] > 0 and stats["clientsCount"] >= 0
        assert all(e["count"] > 0 and e["timestamp"] % 1000 == 0 for e in stats["aggregatedEvents"])
    return {"keys": shapes, "namespaces": namespaces, "aggregated": types_seen}


async def record_scenario(impl: types.ModuleType) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the scenario; return the admin's events by name (normalised) and a stats summary."""
    sio = build_app(impl)
    async with instrumented(sio), serve(impl.ASGIApp(sio)) as url:
        async with admin_ui(url) as (ui, inbox):
            await inbox.first("all_sockets")
            labels = {ui.get_sid("/admin"): "<admin>", ui.eio.sid: "<admin-eio>"}
            alice, bob = client(), client()
            alice_in = connected(url, WS, sio=alice, auth={"name": "alice"})
            bob_in = connected(url, WS, sio=bob, auth={"room": "lobby"})
            async with alice_in, bob_in:
                labels.update({alice.get_sid("/"): "<alice>", alice.eio.sid: "<alice-eio>"})
                labels.update({bob.get_sid("/"): "<bob>", bob.eio.sid: "<bob-eio>"})
                await inbox.wait("socket_connected", 3)
                assert await alice.call("hello", ("x", 1)) == "ok"
                assert await alice.call("join", "lobby") == "joined"
                assert await alice.call("shout", ("lobby", "hi")) == "sent"
                assert await alice.call("leave", "lobby") == "left"
                assert await alice.call("kick", bob.get_sid("/")) == "kicked"
                await inbox.wait("socket_disconnected", 1)
            await inbox.wait("socket_disconnected", 2)
            await stats_after(inbox)
    by_name: dict[str, list[Any]] = {}
    for name, args in inbox.items:
        if name != "server_stats":
            by_name.setdefault(name, []).append(normalise(args, labels))
    return by_name, stats_summary(inbox.all("server_stats"))


async def test_same_admin_events_as_python_socketio() -> None:
    theirs, their_stats = await record_scenario(socketio)
    ours, our_stats = await record_scenario(socketio_rs)
    assert ours == theirs
    assert our_stats == their_stats
    # Not vacuous: the transcript holds what the scenario did.
    assert ours["config"] == [[{"supportedFeatures": FULL_FEATURES}]]
    [[admin_socket]] = ours["all_sockets"][0]
    assert admin_socket["id"] == "<admin>" and admin_socket["nsp"] == "/admin"
    assert admin_socket["handshake"]["url"] == "/socket.io/"
    assert admin_socket["handshake"]["address"] == "127.0.0.1"
    assert ["/", "<alice>", ["hello", "x", 1], "<time>"] in ours["event_received"]
    assert ["/", "<alice>", ["reply", {"args": ["x", 1]}], "<time>"] in ours["event_sent"]
    shouts = [e[1] for e in ours["event_sent"] if e[2] == ["shout", "hi", 2]]
    assert shouts == ["<bob>", "<alice>"]
    assert ["/", "lobby", "<bob>", "<time>"] in ours["room_joined"]
    assert ["/", "lobby", "<alice>", "<time>"] in ours["room_left"]
    assert ["/", "<bob>", "server disconnect", "<time>"] in ours["socket_disconnected"]
    connected_ids = [(s["id"], s["transport"]) for s, _ in ours["socket_connected"]]
    assert connected_ids == [
        ("<admin>", "websocket"),
        ("<alice>", "websocket"),
        ("<bob>", "websocket"),
    ]
    assert our_stats["aggregated"] == RAW_EVENT_TYPES
    assert our_stats["namespaces"] == {("/", "/admin")}


# --------------------------------------------------------------------------- both servers


@pytest.mark.parametrize("impl", IMPLS)
async def test_auth_is_required(impl: types.ModuleType) -> None:
    with pytest.raises(ValueError, match="auth must be specified"):
        impl.AsyncServer(**SERVER_OPTIONS).instrument()


async def _async_check(auth: Any) -> bool:
    await asyncio.sleep(0)
    return bool(auth == AUTH)


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize(
    "auth",
    [AUTH, [{"username": "x"}, AUTH], lambda auth: auth == AUTH, _async_check],
    ids=["dict", "list", "callable", "async-callable"],
)
async def test_auth_refusal(impl: types.ModuleType, auth: Any) -> None:
    sio = build_app(impl)
    async with instrumented(sio, auth=auth), serve(impl.ASGIApp(sio)) as url:
        refused = Inbox()
        intruder = client()
        intruder.on("connect_error", lambda data: refused.put("error", data), namespace="/admin")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await intruder.connect(
                url, transports=WS, namespaces=["/admin"], auth={"username": "admin"}
            )
        await close_client(intruder)
        assert await refused.first("error") == ({"message": "authentication failed"},)
        async with admin_ui(url) as (_, inbox):
            assert await inbox.first("config") == ({"supportedFeatures": FULL_FEATURES},)


@pytest.mark.parametrize("impl", IMPLS)
async def test_auth_false_lets_anyone_in(impl: types.ModuleType) -> None:
    sio = build_app(impl)
    async with instrumented(sio, auth=False), serve(impl.ASGIApp(sio)) as url:
        async with admin_ui(url, auth=None) as (_, inbox):
            await inbox.first("all_sockets")


@pytest.mark.parametrize("impl", IMPLS)
async def test_admin_actions_reach_real_clients(impl: types.ModuleType) -> None:
    sio = build_app(impl)
    async with instrumented(sio), serve(impl.ASGIApp(sio)) as url:
        async with admin_ui(url) as (ui, inbox), connected(url, WS) as alice:
            await inbox.first("config")
            heard, gone = Inbox(), Inbox()
            alice.on("news", lambda *args: heard.put("news", *args))
            alice.on("disconnect", lambda *args: gone.put("disconnect", *args))
            sid = alice.get_sid("/")
            # The UI's actions: (namespace, room filter, ...), as socket.io-admin-ui sends them.
            await ui.emit("emit", ("/", sid, "news", "a", 1), namespace="/admin")
            assert await heard.first("news") == ("a", 1)
            await ui.emit("join", ("/", "vip", sid), namespace="/admin")
            await wait_until(lambda: "vip" in sio.rooms(sid), what="the join action")
            await ui.emit("emit", ("/", "vip", "news", {"room": "vip"}), namespace="/admin")
            await heard.wait("news", 2)
            await ui.emit("leave", ("/", "vip", sid), namespace="/admin")
            await wait_until(lambda: "vip" not in sio.rooms(sid), what="the leave action")
            await ui.emit("_disconnect", ("/", False, sid), namespace="/admin")
            await gone.first("disconnect")
            [(nsp, who, reason, _)] = await inbox.wait("socket_disconnected")
            assert (nsp, who, reason) == ("/", sid, "server disconnect")
            # The admin's own events are reported too, as python-socketio does.
            received = [args[2][0] for args in inbox.all("event_received") if args[0] == "/admin"]
            assert received == ["emit", "join", "emit", "leave", "_disconnect"]


@pytest.mark.parametrize("impl", IMPLS)
async def test_read_only_refuses_actions(impl: types.ModuleType) -> None:
    sio = build_app(impl)
    async with instrumented(sio, read_only=True), serve(impl.ASGIApp(sio)) as url:
        async with admin_ui(url) as (ui, inbox), connected(url, WS) as alice:
            assert await inbox.first("config") == (
                {"supportedFeatures": ["AGGREGATED_EVENTS", "ALL_EVENTS"]},
            )
            heard = Inbox()
            alice.on("news", lambda *args: heard.put("news", *args))
            sid = alice.get_sid("/")
            await ui.emit("emit", ("/", sid, "news", "a"), namespace="/admin")
            await ui.emit("join", ("/", "vip", sid), namespace="/admin")
            await ui.emit("_disconnect", ("/", False, sid), namespace="/admin")
            # Each is reported as received (before it would run); give a handler time to act.
            await inbox.wait("event_received", 3)
            await asyncio.sleep(0.2)
            assert heard.items == []
            assert sio.rooms(sid) == [sid]
            assert alice.connected and await alice.call("hello") == "ok"


@pytest.mark.parametrize("impl", IMPLS)
async def test_production_mode_sends_only_statistics(impl: types.ModuleType) -> None:
    sio = build_app(impl)
    async with instrumented(sio, mode="production"), serve(impl.ASGIApp(sio)) as url:
        async with admin_ui(url) as (_, inbox):
            features = (await inbox.first("config"))[0]["supportedFeatures"]
            assert "ALL_EVENTS" not in features
            async with connected(url, WS, auth={"room": "lobby"}) as alice:
                assert await alice.call("hello", "x") == "ok"
            await wait_until(lambda: not sio.manager.rooms.get("/"), what="alice gone")
            await stats_after(inbox)
            names = {name for name, _ in inbox.items}
            assert names == {"config", "server_stats"}
            summary = stats_summary(inbox.all("server_stats"))
            assert {"rawConnection", "rawDisconnection"} <= summary["aggregated"]


@pytest.mark.parametrize("impl", IMPLS)
async def test_polling_traffic_is_counted(impl: types.ModuleType) -> None:
    sio = build_app(impl)
    async with instrumented(sio), serve(impl.ASGIApp(sio)) as url:
        async with admin_ui(url) as (_, inbox):
            async with connected(url, ["polling"]) as alice:
                assert await alice.call("hello", "x" * 100) == "ok"
                [(polling_socket, _)] = [
                    args
                    for args in await inbox.wait("socket_connected", 2)
                    if args[0]["nsp"] == "/"
                ]
                assert polling_socket["transport"] == "polling"
                await stats_after(inbox, 1)
                [stats] = inbox.all("server_stats")[-1]
                assert stats["pollingClientsCount"] == 1 and stats["clientsCount"] == 2
            await stats_after(inbox, 1)
            counts: dict[str, int] = {}
            for (stats,) in inbox.all("server_stats"):
                for e in stats["aggregatedEvents"]:
                    counts[e["type"]] = counts.get(e["type"], 0) + e["count"]
            assert set(counts) == RAW_EVENT_TYPES
            assert counts["bytesIn"] > 100 and counts["bytesOut"] > counts["packetsOut"]


@pytest.mark.parametrize("impl", IMPLS)
async def test_sockets_are_announced_with_each_ping(impl: types.ModuleType) -> None:
    sio = build_app(impl, ping_interval=0.2)
    async with instrumented(sio), serve(impl.ASGIApp(sio)) as url:
        async with admin_ui(url) as (_, inbox), connected(url, WS) as alice:
            sid = alice.get_sid("/")

            def announced() -> int:
                return sum(1 for (s, _) in inbox.all("socket_connected") if s["id"] == sid)

            await wait_until(lambda: announced() >= 3, what="socket_connected on pings")


@pytest.mark.parametrize("impl", IMPLS)
async def test_shutdown_stops_the_statistics(impl: types.ModuleType) -> None:
    sio = build_app(impl)
    async with instrumented(sio) as admin, serve(impl.ASGIApp(sio)) as url:
        async with admin_ui(url) as (_, inbox):
            await inbox.wait("server_stats")
            await admin.shutdown()
            assert admin.stats_task is None
            seen = len(inbox.all("server_stats"))
            await asyncio.sleep(2 * INTERVAL)
            assert len(inbox.all("server_stats")) <= seen + 1  # python-socketio: one in flight


# --------------------------------------------------------------------------- socketio_rs


async def test_upgrade_is_reported_at_once() -> None:
    # python-socketio polls for the upgrade every 5 s; socketio_rs reports it when it happens.
    # A raw session, so that the namespace is joined over polling before the upgrade.
    sio = build_app(socketio_rs)
    async with instrumented(sio), serve(socketio_rs.ASGIApp(sio)) as url:
        async with admin_ui(url) as (_, inbox), aiohttp.ClientSession() as http:
            polling = f"{url}/socket.io/?EIO=4&transport=polling"
            async with http.get(polling) as response:
                eio_sid = json.loads((await response.text())[1:])["sid"]
            polling += f"&sid={eio_sid}"
            async with http.post(polling, data="40") as response:
                assert response.status == 200
            async with http.get(polling) as response:
                [reply] = (await response.text()).split("\x1e")
            sid = json.loads(reply[2:])["sid"]
            [(connected_socket, _)] = [
                args for args in await inbox.wait("socket_connected", 2) if args[0]["id"] == sid
            ]
            assert connected_socket["transport"] == "polling"
            ws_url = url.replace("http://", "ws://") + "/socket.io/"
            ws_url += f"?EIO=4&transport=websocket&sid={eio_sid}"
            async with http.ws_connect(ws_url) as ws:
                await ws.send_str("2probe")
                assert await ws.receive_str() == "3probe"
                await ws.send_str("5")
                [update] = await inbox.first("socket_updated")
                assert update == {"id": sid, "nsp": "/", "transport": "websocket"}


async def test_all_sockets_goes_to_the_admin_client() -> None:
    # python-socketio sends all_sockets to the last socket it listed (its loop variable shadows
    # the admin's sid), so the UI gets no list once any other socket is connected.
    sio = build_app(socketio_rs)
    async with instrumented(sio), serve(socketio_rs.ASGIApp(sio)) as url:
        async with connected(url, WS) as alice, admin_ui(url) as (ui, inbox):
            [listed] = await inbox.first("all_sockets")
            ids = {(s["id"], s["nsp"]) for s in listed}
            assert ids == {(alice.get_sid("/"), "/"), (ui.get_sid("/admin"), "/admin")}


async def test_production_mode_keeps_the_actions() -> None:
    # python-socketio announces the actions in production mode but registers them in
    # development mode only.
    sio = build_app(socketio_rs)
    async with instrumented(sio, mode="production"), serve(socketio_rs.ASGIApp(sio)) as url:
        async with admin_ui(url) as (ui, inbox), connected(url, WS) as alice:
            assert await inbox.first("config") == ({"supportedFeatures": FULL_FEATURES[:-1]},)
            heard = Inbox()
            alice.on("news", lambda *args: heard.put("news", *args))
            await ui.emit("emit", ("/", alice.get_sid("/"), "news", 1), namespace="/admin")
            assert await heard.first("news") == (1,)


async def test_event_sent_reports_what_was_sent() -> None:
    # python-socketio reports an emit without data as [event, None].
    sio = build_app(socketio_rs)

    @sio.event
    async def poke(sid: str) -> None:
        await sio.emit("poked", to=sid)

    async with instrumented(sio), serve(socketio_rs.ASGIApp(sio)) as url:
        async with admin_ui(url) as (_, inbox), connected(url, WS) as alice:
            await alice.emit("poke")
            [(nsp, sid, payload, _)] = await inbox.wait("event_sent")
            assert (nsp, sid, payload) == ("/", alice.get_sid("/"), ["poked"])


async def test_server_shutdown_stops_the_statistics() -> None:
    sio = build_app(socketio_rs)
    admin = sio.instrument(auth=AUTH, server_stats_interval=INTERVAL)
    async with serve(socketio_rs.ASGIApp(sio)) as url:
        async with admin_ui(url) as (_, inbox):
            await inbox.wait("server_stats")
            await sio.shutdown()
            assert admin.stats_task is None


async def test_server_stats_counts_node_style_namespaces() -> None:
    """Namespaces of ``sio.of()``, dynamic children included, have no handler table entry:
    the statistics list them with their sockets, as the Node server's admin does."""
    sio = socketio_rs.AsyncServer(**SERVER_OPTIONS)
    sio.of("/chat")
    sio.of(re.compile(r"^/team-\w+$"))
    async with instrumented(sio), serve(socketio_rs.ASGIApp(sio)) as url:
        async with admin_ui(url) as (_, inbox):
            member = client()
            async with connected(url, WS, sio=member, namespaces=["/chat", "/team-a"]):
                await stats_after(inbox)
                [latest] = inbox.all("server_stats")[-1]
                counts = {ns["name"]: ns["socketsCount"] for ns in latest["namespaces"]}
                assert counts == {"/admin": 1, "/chat": 1, "/team-a": 1}


async def test_hooks_are_removed_by_uninstrument() -> None:
    sio = build_app(socketio_rs)
    admin = sio.instrument(auth=AUTH)
    assert sio.instrumentation is admin and sio.eio.observer is admin
    assert sio.manager.observer is admin
    admin.uninstrument()
    assert sio.instrumentation is None and sio.eio.observer is None
    assert sio.manager.observer is None
    production = build_app(socketio_rs).instrument(auth=AUTH, mode="production")
    assert production.sio.instrumentation is production
    assert production.sio.manager.observer is None and production.sio.eio.observer is production


def test_event_buffer_aggregates_per_second() -> None:
    buffer = socketio_rs.admin.EventBuffer()
    buffer.push("bytesIn", 10)
    buffer.push("bytesIn", 5)
    buffer.push("packetsIn")
    events = buffer.get_and_clear()
    assert {(e["type"], e["count"]) for e in events} <= {("bytesIn", 15), ("packetsIn", 1)}
    assert sum(e["count"] for e in events if e["type"] == "bytesIn") == 15
    assert buffer.get_and_clear() == []
