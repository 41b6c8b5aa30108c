"""The Node-style ``Socket`` (reference section 3; S1-S25) and the broadcast operators' actions
(``emit_with_ack``, ``fetch_sockets``, ``sockets_join``/``leave``, ``disconnect_sockets``),
against real clients."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import socketio
import websockets

from server_harness import (
    NODE_TRANSPORTS,
    WAIT,
    Inbox,
    RawSession,
    client,
    close_client,
    connected,
    node_steps,
    rs_server,
    serve,
    steps,
    wait_until,
)
from socketio_rs import NO_ACK, exceptions
from socketio_rs.socket import Socket


async def connection_of(sio: Any, c: Any, nsp: str = "/") -> Socket:
    sid = c.get_sid(nsp)
    await wait_until(lambda: sid in sio.of(nsp).sockets)
    socket: Socket = sio.of(nsp).sockets[sid]
    return socket


async def test_socket_id_is_the_python_socketio_sid() -> None:  # S1, DESIGN "both views"
    sio, app = rs_server()
    seen = Inbox()

    @sio.event
    async def hello(sid: str) -> str:
        seen.put("py", sid)
        return "py"

    @sio.sockets.on("hello")
    async def node_hello(socket: Socket) -> str:
        seen.put("node", socket.id)
        return "node"

    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            sid = c.get_sid("/")
            assert sid != c.eio.sid
            assert await c.call("hello", timeout=WAIT) == "py"  # the first non-None result
            socket = await connection_of(sio, c)
            got = Inbox()
            c.on("direct", lambda *a: got.put("direct", *a))
            await sio.emit("direct", "y", to=socket.id)  # sio.emit reaches the socket
            assert await got.first("direct") == ("y",)
    assert seen.all("py") == [(sid,)] and seen.all("node") == [(sid,)]


async def test_handshake_fields() -> None:  # S2
    sio, app = rs_server(cors_allowed_origins="*")
    seen = Inbox()
    sio.of("/second").on("connection", lambda s: seen.put("socket", s))
    async with serve(app) as url:
        before = int(time.time() * 1000)
        async with connected(
            url,
            ["websocket"],
            namespaces=["/second"],
            headers={"X-Custom": "yes", "Origin": "http://example.test"},
            auth={"key2": "&=bb"},
        ):
            (socket,) = await seen.first("socket")
    hs = socket.handshake
    assert hs.headers["x-custom"] == "yes" and hs.headers["X-CUSTOM"] == "yes"
    assert hs.xdomain is True and hs.secure is False and hs.address == "127.0.0.1"
    assert before <= hs.issued <= int(time.time() * 1000)
    assert " GMT" in hs.time and hs.time[:3] in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    assert hs.url.startswith("/socket.io/?") and "transport=websocket" in hs.url
    assert hs.query["EIO"] == "4" and hs.query["transport"] == "websocket"
    assert "key2" not in hs.query and hs.auth == {"key2": "&=bb"}
    assert list(hs.as_dict()) == [
        "headers",
        "time",
        "address",
        "xdomain",
        "secure",
        "issued",
        "url",
        "query",
        "auth",
    ]
    assert socket.request is not None and socket.request["asgi.scope"]["type"] == "websocket"


async def test_handshake_query_repeated_keys_and_no_auth() -> None:  # S2
    sio, app = rs_server()
    seen = Inbox()
    sio.sockets.on("connection", lambda s: seen.put("socket", s))
    async with serve(app) as url:
        ws_url = (
            url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket&a=1&a=2&b="
        )
        ws = await websockets.connect(ws_url)
        first = await ws.recv()
        raw = RawSession(ws, json.loads(first[1:]))
        try:
            await raw.connect("/")
        finally:
            await raw.close()
    (socket,) = await seen.first("socket")
    assert socket.handshake.auth == {}
    assert socket.handshake.query == {
        "EIO": "4",
        "transport": "websocket",
        "a": ["1", "2"],
        "b": "",
    }


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_emit_with_ack_and_timeout(transport: str) -> None:  # S10, S11
    sio, app = rs_server()
    results = Inbox()

    @sio.sockets.on("connection")
    async def on_connection(socket: Socket) -> None:
        results.put("one", await socket.emit_with_ack("echo", 42))
        results.put("many", await socket.emit_with_ack("echo", 1, b"\x00\x01", {"k": "v"}))
        results.put("none", await socket.timeout(WAIT).emit_with_ack("echo"))
        try:
            await socket.timeout(0.2).emit_with_ack("silent", 1)
        except exceptions.TimeoutError as exc:
            results.put("timeout", str(exc))
        try:
            await socket.timeout(0).emit_with_ack("echo", 1)  # timeout(0) always times out
        except exceptions.TimeoutError:
            results.put("timeout0")
        await socket.emit("done")

    async with serve(app) as url:
        await node_steps(
            url, transport, [["connect", "c", "/"], ["wait", "c", "done"]], noack=["silent"]
        )
    assert results.all("one") == [(42,)]
    assert results.all("many") == [((1, b"\x00\x01", {"k": "v"}),)]
    assert results.all("none") == [(None,)]
    assert results.all("timeout") == [("operation has timed out",)]
    assert results.all("timeout0") == [()]
    assert not sio.manager.callbacks.get(next(iter(sio.sockets.sockets), ""), {}).keys() - {0}


async def test_emit_with_ack_fails_when_the_socket_disconnects() -> None:
    sio, app = rs_server()
    outcome = Inbox()

    @sio.sockets.on("connection")
    async def on_connection(socket: Socket) -> None:
        try:
            await socket.emit_with_ack("never_answered")
        except exceptions.DisconnectedError:
            outcome.put("disconnected")

    async with serve(app) as url:
        raw = await RawSession.open(url)  # a client that never acks
        await raw.connect("/")
        assert await raw.recv() == '21["never_answered"]'  # ack ids start at 1
        await raw.close()
    await outcome.first("disconnected")


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_rooms_join_leave_and_send(transport: str) -> None:  # S5, S6, S12
    sio, app = rs_server()
    rooms = Inbox()

    @sio.sockets.on("connection")
    async def on_connection(socket: Socket) -> None:
        rooms.put("initial", socket.rooms)
        await socket.join("a")
        await socket.join(["b", "c"])
        await socket.leave("b")
        await socket.leave("not-a-member")
        rooms.put("after", socket.rooms)
        await socket.send("hi", 2)
        await sio.to("c").emit("to-c")
        await sio.in_("b").emit("to-b")  # nobody

    async with serve(app) as url:
        transcript = await node_steps(
            url, transport, [["connect", "s", "/"], ["wait", "s", "to-c"]]
        )
    ((sid,),) = (s[1:] for s in steps(transcript, "connect"))
    assert await rooms.first("initial") == ({sid},)
    assert await rooms.first("after") == ({sid, "a", "c"},)
    assert [e[1:] for e in steps(transcript, "event")] == [["message", "hi", 2], ["to-c"]]


async def test_no_join_after_disconnection() -> None:  # S7
    sio, app = rs_server()
    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            socket = await connection_of(sio, c)
        await wait_until(lambda: not socket.connected)
    await socket.join("late")
    assert socket.rooms == set() and "late" not in sio.manager.rooms.get("/", {})


async def test_incoming_error_event_reaches_error_handlers() -> None:  # S24
    sio, app = rs_server()
    seen = Inbox()

    @sio.sockets.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on("error", lambda arg: seen.put("error", arg))

    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            await c.emit("error", "x")
            assert await seen.first("error") == ("x",)


async def test_reserved_names_cannot_be_emitted() -> None:  # S8
    sio, app = rs_server()
    errors: list[str] = []

    @sio.sockets.on("connection")
    async def on_connection(socket: Socket) -> None:
        for name in ("connect", "connect_error", "disconnect", "disconnecting"):
            try:
                await socket.emit(name)
            except ValueError as exc:
                errors.append(str(exc))
        await socket.emit("error", "allowed")  # "error" is not reserved on the way out

    async with serve(app) as url:
        transcript = await node_steps(
            url, "websocket", [["connect", "c", "/"], ["wait", "c", "error"]]
        )
    assert errors[0] == '"connect" is a reserved event name' and len(errors) == 4
    assert steps(transcript, "event") == [["c", "error", "allowed"]]


async def test_on_any_and_on_any_outgoing() -> None:  # S17, S18
    sio, app = rs_server()
    incoming: list[Any] = []
    outgoing: list[Any] = []

    @sio.sockets.on("connection")
    async def on_connection(socket: Socket) -> None:
        def listener(event: str, *args: Any) -> None:
            incoming.append((event, *args))

        socket.on_any(listener)
        socket.on_any_outgoing(lambda event, *args: outgoing.append((event, *args)))
        await socket.emit("direct", 1)
        await sio.sockets.emit("broadcast", b"\x01")
        await sio.emit("python-socketio", 2)  # the python-socketio API is not an operator
        socket.on("stop", lambda: socket.off_any(listener) and None)

    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            await connection_of(sio, c)
            await c.emit("first", "a")
            await wait_until(lambda: len(incoming) == 1)
            await c.call("stop", timeout=WAIT)
            await c.emit("ignored")
            await asyncio.sleep(0.05)
    assert incoming == [("first", "a"), ("stop",)]
    assert outgoing == [("direct", 1), ("broadcast", b"\x01")]


@pytest.mark.parametrize(
    ("how", "node_reason", "py_reason"),
    [
        ("client_nsp", "client namespace disconnect", "client disconnect"),
        ("server_nsp", "server namespace disconnect", "server disconnect"),
        ("transport", "transport close", "transport close"),
        ("forced", "forced close", "forced close"),
    ],
)
async def test_disconnect_reasons(how: str, node_reason: str, py_reason: str) -> None:  # S22
    sio, app = rs_server()
    seen = Inbox()
    sio.sockets.on("disconnect", lambda socket, reason: seen.put("node", reason))

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        seen.put("py", reason)

    async with serve(app) as url:
        raw = await RawSession.open(url)
        try:
            sid = await raw.connect("/")
            if how == "client_nsp":
                await raw.send("1")
            elif how == "server_nsp":
                await sio.sockets.sockets[sid].disconnect()
                assert await raw.recv() == "1"
            elif how == "transport":
                await raw.ws.close()
            else:
                await raw.send("2{}")  # an undecodable packet
        finally:
            await raw.close()
        assert await seen.first("node") == (node_reason,)
        assert await seen.first("py") == (py_reason,)


async def test_shutdown_reason() -> None:  # S22 "server shutting down"
    sio, app = rs_server()
    seen = Inbox()
    sio.sockets.on("disconnect", lambda socket, reason: seen.put("node", reason))
    async with serve(app) as url:
        raw = await RawSession.open(url)
        await raw.connect("/")
        await sio.shutdown()
        assert await seen.first("node") == ("server shutting down",)
        await raw.close()


async def test_broadcast_with_acks() -> None:  # S15, messaging-many "broadcast with multiple acks"
    sio, app = rs_server()
    async with serve(app) as url:
        assert await sio.timeout(1).emit_with_ack("nobody") == []  # 0 clients
        c1, c2 = client(), client()
        try:
            c1.on("q", lambda n: n + 1)
            c2.on("q", lambda n: n + 2)
            for c in (c1, c2):
                await c.connect(url, transports=["websocket"])
            await wait_until(lambda: len(sio.sockets.sockets) == 2)
            assert sorted(await sio.timeout(WAIT).emit_with_ack("q", 1)) == [2, 3]
            assert sorted(await sio.sockets.emit_with_ack("q", 10)) == [11, 12]
            c2.on("q", lambda n: None if n == 0 else n)  # answers; then one that never does:
            c1.handlers["/"].pop("q")

            async def never(*args: Any) -> None:
                await asyncio.sleep(3600)

            c1.on("*", never)
            with pytest.raises(exceptions.TimeoutError) as info:
                await sio.timeout(0.3).emit_with_ack("q", 5)
            assert info.value.responses == [5]
        finally:
            await close_client(c1)
            await close_client(c2)


async def test_utility_methods() -> None:  # S16, utility-methods.ts
    sio, app = rs_server()
    async with serve(app) as url:
        cs = [client() for _ in range(3)]
        try:
            for c in cs:
                await c.connect(url, transports=["websocket"])
            await wait_until(lambda: len(sio.sockets.sockets) == 3)
            ids = [c.get_sid("/") for c in cs]
            assert {s.id for s in await sio.fetch_sockets()} == set(ids)
            await sio.in_(ids[0]).sockets_join("room1")  # fetchSockets in a room
            await sio.sockets_join(["room2"])
            assert {s.id for s in await sio.in_("room1").fetch_sockets()} == {ids[0]}
            assert len(await sio.in_("room2").fetch_sockets()) == 3
            await sio.except_("room1").sockets_leave("room2")
            assert [s.id for s in await sio.in_("room2").fetch_sockets()] == [ids[0]]
            sockets = {s.id: s for s in await sio.fetch_sockets()}
            assert sockets[ids[0]].rooms == {ids[0], "room1", "room2"}
            await sio.in_("room1").disconnect_sockets()  # the namespace only
            await wait_until(lambda: ids[0] not in sio.sockets.sockets)
            await wait_until(lambda: "/" not in cs[0].namespaces)
            await sio.disconnect_sockets(close=True)
            await wait_until(lambda: not sio.eio.sockets)
            assert sio.sockets.sockets == {}
        finally:
            for c in cs:
                await close_client(c)


async def test_shutdown_without_clients() -> None:
    sio, app = rs_server()
    async with serve(app):
        await sio.shutdown()


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_emits_to_rooms_avoiding_dupes(transport: str) -> None:  # messaging-many, S15
    sio, app = rs_server()

    @sio.sockets.on("go")
    async def go(socket: Socket) -> None:
        await socket.join(["room1", "room2"])
        await sio.to("room1").to("room2").emit("once")
        await sio.in_(["room1", "room2", "room3"]).emit("again")
        await socket.emit("done")

    async with serve(app) as url:
        transcript = await node_steps(
            url, transport, [["connect", "c", ""], ["emit", "c", "go"], ["wait", "c", "done"]]
        )
    assert [e[1] for e in steps(transcript, "event")] == ["once", "again", "done"]


async def test_catch_all_listeners_prepend_and_remove() -> None:  # socket.ts onAny series, S17/S18
    sio, app = rs_server()
    order: list[Any] = []

    @sio.sockets.on("connection")
    async def on_connection(socket: Socket) -> None:
        def first(event: str, *args: Any) -> None:
            order.append(("first", event))

        def second(event: str, *args: Any) -> None:
            order.append(("second", event))

        socket.on_any(second).prepend_any(first)
        assert socket.listeners_any() == [first, second]
        out: list[Any] = []
        socket.on_any_outgoing(lambda e, *a: out.append(("out", e, *a)))
        socket.prepend_any_outgoing(lambda e, *a: out.append(("pre", e, *a)))
        await sio.sockets.emit("bin", b"\x00")  # broadcasts reach the outgoing listeners
        order.append(out)
        socket.on("clear", lambda: socket.off_any() and None)

    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            await connection_of(sio, c)
            await c.emit("one")
            await wait_until(lambda: ("second", "one") in order)
            await c.call("clear", timeout=WAIT)
            await c.emit("two")
            await asyncio.sleep(0.05)
    assert order[0] == [("pre", "bin", b"\x00"), ("out", "bin", b"\x00")]
    assert order[1:] == [
        ("first", "one"),
        ("second", "one"),
        ("first", "clear"),
        ("second", "clear"),
    ]


@pytest.mark.parametrize("async_handlers", [True, False])
async def test_no_ack_leaves_the_event_unanswered(async_handlers: bool) -> None:
    # A Node handler that never calls its callback: the client's ack times out.
    sio, app = rs_server(async_handlers=async_handlers)
    answered = Inbox()

    @sio.sockets.on("quiet")
    async def quiet(socket: Socket, n: int) -> Any:
        answered.put("quiet", n)
        return NO_ACK if n else None  # None still sends an empty ack

    @sio.sockets.on("connection")
    def connection(socket: Socket) -> None:
        socket.on("mute", lambda: NO_ACK)  # sync, per socket
        socket.on("first wins", lambda: NO_ACK)
        socket.on("first wins", lambda: "too late")

    @sio.event
    async def plain(sid: str) -> None:  # python-socketio's handler: None is an empty ack
        return None

    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            with pytest.raises(socketio.exceptions.TimeoutError):
                await c.call("quiet", 1, timeout=0.3)
            assert await answered.first("quiet") == (1,)
            assert await c.call("quiet", 0, timeout=WAIT) is None
            with pytest.raises(socketio.exceptions.TimeoutError):
                await c.call("mute", timeout=0.3)
            with pytest.raises(socketio.exceptions.TimeoutError):
                await c.call("first wins", timeout=0.3)
            assert await c.call("plain", timeout=WAIT) is None
            assert c.connected
    assert repr(NO_ACK) == "socketio_rs.NO_ACK"
