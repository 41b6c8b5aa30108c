"""Namespace middleware and per-packet socket middleware, ported from the reference server's
``test/middleware.ts`` and ``test/socket-middleware.ts`` (behaviour file 5.2, 5.3; items
M1-M14), plus the Python forms DESIGN.md adds (async, one-parameter, exceptions)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import socketio_rs
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
from socketio_rs.socket import Socket


class DataError(Exception):
    """An error with a ``data`` attribute, like the Node ``err.data`` (M6)."""

    def __init__(self, message: str, data: Any) -> None:
        super().__init__(message)
        self.data = data


async def test_should_call_functions() -> None:  # 5.2 #1, #8
    sio, app = rs_server()
    run: list[Any] = []

    @sio.use
    def first(socket: Socket, next_: Any) -> None:
        run.append(("first", isinstance(socket, Socket)))
        next_()

    @sio.use
    async def second(socket: Socket, next_: Any) -> None:
        run.append(("second", isinstance(socket, Socket)))
        next_()

    sio.sockets.on("connection", lambda socket: run.append("connection"))
    async with serve(app) as url:
        async with connected(url, ["websocket"]):
            await wait_until(lambda: "connection" in run)
    assert run == [("first", True), ("second", True), "connection"]


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_should_pass_errors(transport: str) -> None:  # 5.2 #2, #3, M6, M20
    sio, app = rs_server()
    run: list[str] = []

    @sio.use
    def fail(socket: Socket, next_: Any) -> None:
        run.append("fail")
        next_(Exception("Authentication error"))

    @sio.use
    def never(socket: Socket, next_: Any) -> None:  # pragma: no cover - must not run
        run.append("never")
        next_()

    mw = sio.of("/mw-fail")
    mw.use(lambda socket, next_: next_(DataError("Authentication error", {"a": "b", "c": 3})))
    refused = sio.of("/refused")
    refused.use(
        lambda s, next_: next_(socketio_rs.ConnectionRefusedError("forbidden", {"code": 403}))
    )
    async with serve(app) as url:
        transcript = await node_steps(
            url,
            transport,
            [["connect", "main", "/"], ["connect", "mw", "/mw-fail"], ["connect", "r", "/refused"]],
        )
    assert steps(transcript, "connect_error") == [
        ["main", {"message": "Authentication error"}],
        ["mw", {"message": "Authentication error", "data": {"a": "b", "c": 3}}],
        ["r", {"message": "forbidden", "data": {"code": 403}}],
    ]
    assert run == ["fail"]
    assert not sio.sockets.sockets and not sio.sockets._pending


async def test_connect_error_frames_on_the_wire() -> None:  # M6: the exact frames
    sio, app = rs_server()
    sio.of("/mw-fail").use(lambda s, n: n(DataError("Authentication error", {"a": "b", "c": 3})))
    sio.of("/mw-fail-nodata").use(lambda s, n: n(Exception("nope")))
    async with serve(app) as url:
        raw = await RawSession.open(url)
        try:
            await raw.send("0/mw-fail,")
            assert await raw.recv() == (
                '4/mw-fail,{"message":"Authentication error","data":{"a":"b","c":3}}'
            )
            await raw.send("0/mw-fail-nodata,")
            assert await raw.recv() == '4/mw-fail-nodata,{"message":"nope"}'
            await raw.connect("/")  # the Engine.IO connection stays open
        finally:
            await raw.close()


async def test_exceptions_and_one_parameter_middleware() -> None:  # DESIGN.md: Python forms
    sio, app = rs_server()
    order: list[str] = []

    def one_param(socket: Socket) -> None:
        order.append("one")

    async def async_one_param(socket: Socket) -> None:
        await asyncio.sleep(0.01)
        order.append("async one")

    def raises(socket: Socket, next_: Any) -> None:
        order.append("raises")
        raise socketio_rs.ConnectionRefusedError("raised", {"why": "test"})

    sio.of("/ok").use(one_param).use(async_one_param)
    sio.of("/raise").use(raises)

    @sio.of("/async-raise").use
    async def async_raises(socket: Socket, next_: Any) -> None:
        await asyncio.sleep(0.01)
        raise ValueError("async failure")

    @sio.of("/one-raise").use
    def one_raises(socket: Socket) -> None:
        raise PermissionError("no entry")

    async with serve(app) as url:
        transcript = await node_steps(
            url,
            "websocket",
            [
                ["connect", "ok", "/ok"],
                ["connect", "raise", "/raise"],
                ["connect", "async", "/async-raise"],
                ["connect", "one", "/one-raise"],
            ],
        )
    assert [label for label, _ in steps(transcript, "connect")] == ["ok"]
    assert steps(transcript, "connect_error") == [
        ["raise", {"message": "raised", "data": {"why": "test"}}],
        ["async", {"message": "async failure"}],
        ["one", {"message": "no entry"}],
    ]
    assert order == ["one", "async one", "raises"]


async def test_should_only_call_connection_after_fns() -> None:  # 5.2 #4, #5, M5
    sio, app = rs_server()
    seen = Inbox()

    @sio.use
    async def lengthy(socket: Socket, next_: Any) -> None:
        await asyncio.sleep(0.3)
        socket.name = "guillermo"
        socket.data["user"] = "g"
        next_()

    sio.sockets.on("connection", lambda s: seen.put("connection", s.name, s.data["user"]))
    async with serve(app) as url:
        async with connected(url, ["websocket"]):
            assert seen.all("connection") == [("guillermo", "g")]  # before the client's connect


async def test_should_be_ignored_if_socket_gets_closed() -> None:  # 5.2 #6, M7
    sio, app = rs_server()
    release = asyncio.Event()
    seen = Inbox()

    @sio.use
    async def slow(socket: Socket, next_: Any) -> None:
        seen.put("middleware", socket)
        await release.wait()
        next_()

    sio.sockets.on("connection", lambda s: seen.put("connection"))
    sio.sockets.on("disconnect", lambda s, r: seen.put("disconnect"))
    async with serve(app) as url:
        raw = await RawSession.open(url)
        await raw.send("0")
        (socket,) = await seen.first("middleware")
        await raw.close()
        await wait_until(lambda: not sio.eio.sockets)
        release.set()
        await asyncio.sleep(0.1)
    assert seen.all("connection") == [] and seen.all("disconnect") == []
    assert not socket.connected and not sio.sockets._pending


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_should_call_functions_in_expected_order(transport: str) -> None:  # 5.2 #7, M2, M4
    sio, app = rs_server()
    result: list[int] = []
    sio.use(lambda s, n: result.append(0))  # the main namespace's: must not run for /chat
    chat = sio.of("/chat")
    for i in (1, 2, 3):

        async def mw(socket: Socket, next_: Any, i: int = i) -> None:
            await asyncio.sleep(0.05)
            result.append(i)
            next_()

        chat.use(mw)
    async with serve(app) as url:
        transcript = await node_steps(url, transport, [["connect", "c", "/chat"]])
    assert [label for label, _ in steps(transcript, "connect")] == ["c"]
    assert result == [1, 2, 3]


async def test_should_work_with_a_custom_namespace() -> None:  # 5.2 #9
    sio, app = rs_server()
    sio.of("/chat").use(lambda socket, next_: next_())
    async with serve(app) as url:
        transcript = await node_steps(
            url, "websocket", [["connect", "main", "/"], ["connect", "chat", "/chat"]]
        )
    assert [label for label, _ in steps(transcript, "connect")] == ["main", "chat"]


async def test_connected_is_set_only_after_the_middleware() -> None:  # 5.2 #10, M5
    sio, app = rs_server()
    during: list[Any] = []

    @sio.use
    def check(socket: Socket, next_: Any) -> None:
        during.append((socket.connected, socket.disconnected, len(sio.sockets.sockets), socket.id))
        during.append(socket.id in sio.sockets._pending)
        next_()

    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            sid = c.get_sid("/")
            await wait_until(lambda: sid in sio.sockets.sockets)
            socket = sio.sockets.sockets[sid]
            assert socket.connected and not socket.disconnected
    assert during == [(False, True, 0, sid), True]


async def test_rooms_joined_in_middleware_are_left_on_rejection() -> None:  # M5
    sio, app = rs_server()

    @sio.use
    async def join_then_fail(socket: Socket, next_: Any) -> None:
        await socket.join(["room1", "room2"])
        assert socket.rooms == {socket.id, "room1", "room2"}
        next_(Exception("nope"))

    async with serve(app) as url:
        transcript = await node_steps(url, "websocket", [["connect", "c", "/"]])
    assert steps(transcript, "connect_error") == [["c", {"message": "nope"}]]
    assert sio.manager.rooms.get("/", {}) == {}


async def test_python_socketio_connect_handler_runs_after_the_chain_and_can_refuse() -> None:
    sio, app = rs_server()
    order: list[str] = []

    @sio.use
    def mw(socket: Socket) -> None:
        order.append("middleware")

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> bool:
        order.append("connect")
        return bool(auth and auth.get("ok"))

    sio.sockets.on("connection", lambda socket: order.append("connection"))
    async with serve(app) as url:
        transcript = await node_steps(
            url,
            "websocket",
            [
                ["connect", "no", "/", {"auth": {"ok": False}}],
                ["connect", "yes", "/", {"auth": {"ok": 1}}],
            ],
        )
    assert steps(transcript, "connect_error") == [
        ["no", {"message": "Connection rejected by server"}]
    ]
    assert [label for label, _ in steps(transcript, "connect")] == ["yes"]
    assert order == ["middleware", "connect", "middleware", "connect", "connection"]


async def test_a_middleware_that_never_calls_next_is_ended_by_connect_timeout() -> None:  # N24
    sio, app = rs_server(connect_timeout=0.3)
    sio.use(lambda socket, next_: None)
    async with serve(app) as url:
        raw = await RawSession.open(url)
        await raw.send("0")
        assert await raw.closed_by_server(WAIT)
    await wait_until(lambda: not sio.sockets._pending)


async def test_a_slow_middleware_holds_up_no_other_namespace() -> None:
    sio, app = rs_server()
    release = asyncio.Event()

    @sio.of("/slow").use
    async def slow(socket: Socket, next_: Any) -> None:
        await release.wait()
        next_()

    async with serve(app) as url:
        raw = await RawSession.open(url)
        try:
            await raw.send("0/slow,")
            await raw.connect("/")  # answered while /slow still waits
            release.set()
            reply = await raw.recv()
            assert isinstance(reply, str) and reply.startswith('0/slow,{"sid":')
        finally:
            await raw.close()


# --------------------------------------------------------------------------- socket.use (5.3)


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_socket_middleware_should_call_functions(transport: str) -> None:  # 5.3 #1, M11
    sio, app = rs_server()
    run: list[Any] = []

    @sio.sockets.on("connection")
    def on_connection(socket: Socket) -> None:
        def first(packet: list[Any], next_: Any) -> None:
            run.append(list(packet))
            packet.insert(0, "wrap")
            next_()

        async def second(packet: list[Any], next_: Any) -> None:
            run.append(list(packet))
            next_()

        socket.use(first).use(second)
        socket.on("wrap", lambda *args: run.append(("wrap", *args)) or "wrapped")

    async with serve(app) as url:
        transcript = await node_steps(
            url, transport, [["connect", "c", "/"], ["ack", "c", "join", "woot"]]
        )
    assert steps(transcript, "ack") == [["c", "join", "wrapped"]]
    assert run == [["join", "woot"], ["wrap", "join", "woot"], ("wrap", "join", "woot")]


async def test_socket_middleware_should_pass_errors() -> None:  # 5.3 #2, M12
    sio, app = rs_server()
    seen = Inbox()

    @sio.sockets.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.use(lambda packet, next_: next_(Exception("Authentication error")))
        socket.use(lambda packet, next_: seen.put("second middleware"))
        socket.on("join", lambda *a: seen.put("join"))
        socket.on("error", lambda err: seen.put("error", err))
        socket.on("after", lambda: "ok")

    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            await c.emit("join", "woot")
            (err,) = await seen.first("error")
            assert str(err) == "Authentication error"
            assert c.connected  # nothing went to the client
    assert seen.all("second middleware") == [] and seen.all("join") == []


async def test_on_any_runs_before_socket_middleware() -> None:  # M14, S17
    sio, app = rs_server()
    order: list[Any] = []

    @sio.sockets.on("connection")
    def on_connection(socket: Socket) -> None:
        socket.on_any(lambda event, *args: order.append(("any", event, *args)))
        socket.use(lambda packet: order.append(("use", *packet)))
        socket.on("hello", lambda *args: order.append(("hello", *args)))

    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            await c.emit("hello", (1, 2))
            await wait_until(lambda: len(order) == 3)
    assert order == [("any", "hello", 1, 2), ("use", "hello", 1, 2), ("hello", 1, 2)]


async def test_a_packet_after_disconnection_is_dropped() -> None:  # M13
    sio, app = rs_server()
    release = asyncio.Event()
    seen = Inbox()

    @sio.sockets.on("connection")
    def on_connection(socket: Socket) -> None:
        async def hold(packet: list[Any], next_: Any) -> None:
            await release.wait()
            next_()

        socket.use(hold)
        socket.on("late", lambda: seen.put("late"))

    async with serve(app) as url:
        c = client()
        try:
            await c.connect(url, transports=["websocket"])
            sid = c.get_sid("/")
            await c.emit("late")
            await asyncio.sleep(0.1)
            await sio.disconnect(sid)
            release.set()
            await asyncio.sleep(0.1)
        finally:
            await close_client(c)
    assert seen.all("late") == []


async def test_a_socket_in_middleware_gets_no_namespace_broadcast() -> None:  # M5
    sio, app = rs_server()
    entered, release = asyncio.Event(), asyncio.Event()

    @sio.of("/slow").use
    async def slow(socket: Socket, next_: Any) -> None:
        entered.set()
        await release.wait()
        next_()

    async with serve(app) as url:
        raw = await RawSession.open(url)
        try:
            await raw.send("0/slow,")
            await asyncio.wait_for(entered.wait(), WAIT)
            await sio.of("/slow").emit("early")
            release.set()
            reply = await raw.recv()
            assert isinstance(reply, str) and reply.startswith('0/slow,{"sid":'), reply
            await sio.of("/slow").emit("late")
            assert await raw.recv() == '2/slow,["late"]'
        finally:
            await raw.close()
