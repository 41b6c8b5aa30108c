"""Node-style namespaces, ported from the reference server's ``test/namespaces.ts`` (behaviour
file section 5.1; items N1-N25) as far as they apply, driven by the official JS client and
python-socketio's AsyncClient against real servers."""

from __future__ import annotations

import asyncio
import gc
import os
import re
from typing import Any

import pytest

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
from socketio_rs.namespace import Namespace, ParentNamespace
from socketio_rs.socket import Socket

# --------------------------------------------------------------------------- registry (N1-N5)


def test_should_be_accessible_through_sockets() -> None:  # 5.1 #1, N1
    sio, _ = rs_server()
    assert isinstance(sio.sockets, Namespace)
    assert sio.sockets is sio.of("/")


def test_should_be_aliased() -> None:  # 5.1 #2, N2
    sio, _ = rs_server()
    for name in (
        "use",
        "to",
        "in_",
        "except_",
        "timeout",
        "fetch_sockets",
        "sockets_join",
        "sockets_leave",
        "disconnect_sockets",
    ):
        assert callable(getattr(sio, name)), name
    seen: list[Any] = []
    assert sio.use(seen.append) is sio.of("/")
    assert sio.of("/")._fns == [seen.append]


def test_should_return_an_immutable_broadcast_operator() -> None:  # 5.1 #3, S15
    sio, _ = rs_server()
    operator = sio.to(["r1", "r2"])
    narrowed = operator.except_("r3")
    assert narrowed.to("r4").timeout(5).rooms == {"r1", "r2", "r4"}
    assert operator.rooms == {"r1", "r2"} and operator.except_rooms == frozenset()
    assert narrowed.except_rooms == {"r3"} and narrowed.ack_timeout is None


def test_of_adds_the_leading_slash_and_nothing_else() -> None:  # 5.1 #8, N3
    sio, _ = rs_server()
    assert sio.of("") is sio.of("/")
    assert sio.of("abc") is sio.of("/abc")
    assert sio.of("abc").name == "/abc"
    assert sio.of("/abc/").name == "/abc/" and sio.of("/abc/") is not sio.of("/abc")
    assert sio.of("/Abc?x=1").name == "/Abc?x=1"


async def test_should_emit_a_new_namespace_event() -> None:  # 5.1 #28, N4
    sio, _ = rs_server()
    created: list[str] = []
    sio.sockets.on("new_namespace", lambda nsp: created.append(nsp.name))
    sio.of("/nsp")
    sio.of("/nsp")
    assert created == ["/nsp"]


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_connection_handlers_receive_a_socket(transport: str) -> None:  # 5.1 #4-6, #10, #11
    sio, app = rs_server()
    seen = Inbox()
    sio.sockets.on("connection", lambda socket: seen.put("first", socket))

    @sio.sockets.on("connect")  # the alias (N5)
    async def second(socket: Socket) -> None:
        seen.put("second", socket)

    sio.of("/news", lambda socket: seen.put("news", socket))
    async with serve(app) as url:
        transcript = await node_steps(
            url, transport, [["connect", "a", "/"], ["connect", "b", "/news"]]
        )
    (a_id,), (b_id,) = (s[1:] for s in steps(transcript, "connect"))
    for name, sid in (("first", a_id), ("second", a_id), ("news", b_id)):
        (socket,) = seen.all(name)[0]
        assert isinstance(socket, Socket) and socket.id == sid


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_should_work_with_many_sockets(transport: str) -> None:  # 5.1 #7, #15
    sio, app = rs_server()
    seen = Inbox()
    for name in ("/", "/chat", "/news"):
        sio.of(name).on("connection", lambda s: seen.put("connection", s.nsp.name))
    async with serve(app) as url:
        transcript = await node_steps(
            url,
            transport,
            [
                ["connect", "chat", "/chat"],
                ["connect", "news", "/news"],
                ["connect", "a", "/"],
                ["connect", "b", "/"],
            ],
        )
    assert len(steps(transcript, "connect")) == 4
    assert sorted(n for (n,) in seen.all("connection")) == ["/", "/", "/chat", "/news"]


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_should_return_error_connecting_to_non_existent_namespace(transport: str) -> None:
    _, app = rs_server()  # 5.1 #14, N9
    async with serve(app) as url:
        transcript = await node_steps(url, transport, [["connect", "x", "/doesnotexist"]])
    assert steps(transcript, "connect_error") == [["x", {"message": "Invalid namespace"}]]


async def test_disconnect_close_true_disconnects_every_namespace() -> None:  # 5.1 #12, S19
    sio, app = rs_server()
    seen = Inbox()
    for name in ("/chat", "/news"):
        sio.of(name).on("disconnect", lambda s, reason: seen.put("disconnect", s.nsp.name, reason))

    @sio.of("/chat").on("bye")
    async def bye(socket: Socket) -> None:
        await socket.disconnect(True)

    async with serve(app) as url:
        transcript = await node_steps(
            url,
            "websocket",
            [
                ["connect", "news", "/news", {"forceNew": False}],
                ["connect", "chat", "/chat", {"forceNew": False}],
                ["emit", "chat", "bye"],
                ["wait_disconnect", "news"],
                ["wait_disconnect", "chat"],
            ],
        )
    reasons = {label: reason for label, reason in steps(transcript, "disconnect")}
    assert reasons == {"news": "io server disconnect", "chat": "io server disconnect"}
    got = sorted(seen.all("disconnect"))
    assert got == [
        ("/chat", "server namespace disconnect"),
        ("/news", "server namespace disconnect"),
    ]


async def test_disconnecting_runs_before_the_rooms_are_left() -> None:  # 5.1 #13, S20
    sio, app = rs_server()
    seen = Inbox()

    @sio.sockets.on("connection")
    async def on_connection(socket: Socket) -> None:
        await socket.join("a")
        socket.on("disconnecting", lambda reason: seen.put("disconnecting", socket.rooms, reason))
        socket.on("disconnect", lambda reason: seen.put("disconnect", socket.rooms, reason))

    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            sid = c.get_sid("/")
            await wait_until(lambda: sid in sio.sockets.sockets)
    rooms, reason = await seen.first("disconnecting")
    assert rooms == {sid, "a"}
    assert reason in ("client namespace disconnect", "transport close")
    assert (await seen.first("disconnect"))[0] == set()


async def test_should_find_all_clients_in_a_namespace_and_room() -> None:  # 5.1 #16-18, S16
    sio, app = rs_server()
    chat = sio.of("/chat")
    sio.of("/other")
    async with serve(app) as url:
        c1, c2, c3 = client(), client(), client()
        try:
            await c1.connect(url, namespaces=["/chat"], transports=["websocket"])
            await c2.connect(url, namespaces=["/chat"], transports=["websocket"])
            await c3.connect(url, namespaces=["/other"], transports=["websocket"])
            ids = {c1.get_sid("/chat"), c2.get_sid("/chat")}
            await wait_until(lambda: len(chat.sockets) == 2)
            assert {s.id for s in await chat.fetch_sockets()} == ids
            assert set(chat.sockets) == ids
            await chat.sockets[c1.get_sid("/chat")].join("foo")
            assert [s.id for s in await chat.in_("foo").fetch_sockets()] == [c1.get_sid("/chat")]
            assert await sio.of("/other").in_("foo").fetch_sockets() == []
        finally:
            for c in (c1, c2, c3):
                await close_client(c)


async def test_should_throw_on_reserved_event() -> None:  # 5.1 #23, S25
    sio, _ = rs_server()
    for name in ("connect", "connect_error", "disconnect", "disconnecting"):
        with pytest.raises(ValueError, match=f'"{name}" is a reserved event name'):
            await sio.sockets.emit(name)
        with pytest.raises(ValueError, match="reserved event name"):
            await sio.to("room").emit(name)


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_should_close_a_client_without_namespace(transport: str) -> None:  # 5.1 #24, N23
    _, app = rs_server(connect_timeout=0.3)
    async with serve(app) as url:
        if transport == "websocket":
            raw = await RawSession.open(url)
            assert await raw.closed_by_server(WAIT)
            return
        import httpx  # the polling case: the long-poll ends with the close packet

        async with httpx.AsyncClient() as http:
            base = f"{url}/socket.io/?EIO=4&transport=polling"
            sid = (await http.get(base)).text.split('"sid":"')[1].split('"')[0]
            body = (await http.get(f"{base}&sid={sid}", timeout=WAIT)).text
            assert body.endswith("1"), body


async def test_connect_timeout_spares_a_client_that_joined() -> None:  # N23
    sio, app = rs_server(connect_timeout=0.3)
    sio.sockets.on("ping", lambda socket: "pong")
    async with serve(app) as url:
        async with connected(url, ["websocket"]) as c:
            await asyncio.sleep(0.6)
            assert await c.call("ping", timeout=WAIT) == "pong"


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_should_exclude_a_socket_or_a_room_when_emitting(transport: str) -> None:
    sio, app = rs_server()  # 5.1 #25-27
    chat = sio.of("/chat")

    @chat.on("go")
    async def go(socket: Socket) -> None:
        ids = sorted(chat.sockets)
        await chat.except_(socket.id).emit("a")  # #26
        await sio.sockets.except_("nobody").emit("b")  # /, not /chat
        await socket.join("room1")
        await chat.except_("room1").emit("c")  # #27
        await socket.broadcast.emit("d")  # the sender excluded (S14)
        await socket.to(ids).emit("e")  # sid rooms, sender still excluded
        await chat.emit("done")

    async with serve(app) as url:
        transcript = await node_steps(
            url,
            transport,
            [
                ["connect", "one", "/chat"],
                ["connect", "two", "/chat"],
                ["emit", "one", "go"],
                ["wait", "one", "done"],
                ["wait", "two", "done"],
            ],
        )
    events = [(label, event) for label, event, *_ in steps(transcript, "event")]
    assert [e for label, e in events if label == "one"] == ["done"]
    assert [e for label, e in events if label == "two"] == ["a", "c", "d", "e", "done"]


# --------------------------------------------------------------------------- dynamic (N17-N22)


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_dynamic_namespace_with_a_regex(transport: str) -> None:  # 5.1 #30, N19, N20
    sio, app = rs_server(cleanup_empty_child_namespaces=False)  # Node's default: the child stays
    dynamic = sio.of(re.compile(r"^/dynamic-\d+$"))
    assert isinstance(dynamic, ParentNamespace)
    seen = Inbox()

    @dynamic.use
    def mw(socket: Socket, next_: Any) -> None:
        seen.put("middleware", socket.nsp.name)
        next_()

    @dynamic.on("connection")
    async def on_connection(socket: Socket) -> None:
        seen.put("connection", socket.nsp)
        await dynamic.emit("hello", 1, "2", {"3": "4"})

    async with serve(app) as url:
        transcript = await node_steps(
            url, transport, [["connect", "c", "/dynamic-101"], ["wait", "c", "hello"]]
        )
    assert steps(transcript, "event") == [["c", "hello", 1, "2", {"3": "4"}]]
    assert seen.all("middleware") == [("/dynamic-101",)]
    (child,) = seen.all("connection")[0]
    assert child.name == "/dynamic-101" and child is not dynamic and child.parent is dynamic
    assert dynamic.children == {child} and sio.of("/dynamic-101") is child


async def test_dynamic_namespace_with_a_regex_and_emit_in_a_room() -> None:  # 5.1 #31
    sio, app = rs_server()
    dynamic = sio.of(re.compile(r"^/dynamic-\d+$"))

    @dynamic.on("connection")
    async def on_connection(socket: Socket) -> None:
        await socket.join("some-room")
        await dynamic.to("some-room").emit("hello", socket.nsp.name)
        await dynamic.to("other-room").emit("nobody")

    async with serve(app) as url:
        transcript = await node_steps(
            url, "websocket", [["connect", "c", "/dynamic-7"], ["wait", "c", "hello"]]
        )
    assert steps(transcript, "event") == [["c", "hello", "/dynamic-7"]]


@pytest.mark.parametrize("is_async", [False, True])
async def test_dynamic_namespace_with_a_function(is_async: bool) -> None:  # 5.1 #32, #33
    sio, app = rs_server()
    asked: list[tuple[str, Any]] = []

    def check(name: str, auth: Any) -> bool:
        asked.append((name, auth))
        return name == "/dynamic-101"

    async def acheck(name: str, auth: Any) -> bool:
        await asyncio.sleep(0.01)
        return check(name, auth)

    parent = sio.of(acheck if is_async else check)
    parent.on("connection", lambda socket: None)
    async with serve(app) as url:
        transcript = await node_steps(
            url,
            "websocket",
            [["connect", "ok", "/dynamic-101", {"auth": {"k": 1}}], ["connect", "no", "/abc"]],
        )
    assert [label for label, _ in steps(transcript, "connect")] == ["ok"]
    assert steps(transcript, "connect_error") == [["no", {"message": "Invalid namespace"}]]
    assert asked == [("/dynamic-101", {"k": 1}), ("/abc", {})]


async def test_a_failing_matcher_counts_as_no_and_the_next_parent_is_asked() -> None:  # N10
    sio, app = rs_server()

    def broken(name: str, auth: Any) -> bool:
        raise RuntimeError("matcher bug")

    first = sio.of(broken)
    second = sio.of(re.compile(r"^/dyn-\d+$"))
    third = sio.of(re.compile(r"^/dyn-1\d*$"))  # also matches /dyn-15: the first registered wins
    async with serve(app) as url:
        async with connected(url, ["websocket"], namespaces=["/dyn-15"]):
            await wait_until(lambda: sio.find_namespace("/dyn-15") is not None)
    assert sio.of("/dyn-15").parent is second
    assert not first.children and not third.children


async def test_function_parent_registered_first_wins_over_a_later_regex() -> None:  # N10
    sio, app = rs_server(cleanup_empty_child_namespaces=False)  # Node's default: the child stays
    by_fn = sio.of(lambda name, auth: name.startswith("/t-"))
    by_regex = sio.of(re.compile(r"^/t-\d+$"))
    later_fn = sio.of(lambda name, auth: True)
    async with serve(app) as url:
        async with connected(url, ["websocket"], namespaces=["/t-1"]):
            pass
    assert sio.of("/t-1").parent is by_fn
    assert not by_regex.children and not later_fn.children


async def test_existing_namespaces_win_over_dynamic_ones() -> None:  # N9
    sio, app = rs_server()
    static = sio.of("/room-1")  # created before the parent: stays static
    parent = sio.of(re.compile(r"^/room-\d+$"))
    async with serve(app) as url:
        async with connected(url, ["websocket"], namespaces=["/room-1"]):
            await wait_until(lambda: len(static.sockets) == 1)
    assert static.parent is None and not parent.children


async def test_should_handle_race_conditions_with_dynamic_namespaces() -> None:  # 5.1 #35, N22
    sio, app = rs_server()
    release = asyncio.Event()
    created: list[str] = []
    sio.sockets.on("new_namespace", lambda nsp: created.append(nsp.name))

    async def slow(name: str, auth: Any) -> bool:
        await release.wait()
        return True

    sio.of(slow)
    async with serve(app) as url:
        c1, c2 = client(), client()
        try:
            tasks = [
                asyncio.ensure_future(
                    c.connect(url, namespaces=["/dynamic-101"], transports=["websocket"])
                )
                for c in (c1, c2)
            ]
            await asyncio.sleep(0.3)
            release.set()
            await asyncio.gather(*tasks)
            seen = Inbox()
            for c in (c1, c2):
                c.on("hello", lambda: seen.put("hello"), namespace="/dynamic-101")
            await sio.of("/dynamic-101").emit("hello")
            await seen.wait("hello", 2)
        finally:
            await close_client(c1)
            await close_client(c2)
    assert created == ["/dynamic-101"]


@pytest.mark.parametrize("cleanup", [True, False])
async def test_cleanup_empty_child_namespaces(cleanup: bool) -> None:  # 5.1 #36-38, N21
    sio, app = rs_server(cleanup_empty_child_namespaces=cleanup)
    parent = sio.of(re.compile(r"^/dynamic-\d+$"))
    static = sio.of("/chat")
    async with serve(app) as url:
        async with connected(url, ["websocket"], namespaces=["/dynamic-101", "/chat"]):
            await wait_until(lambda: sio.find_namespace("/dynamic-101") is not None)
            first_child = sio.find_namespace("/dynamic-101")
        await wait_until(lambda: not first_child.sockets)
        if cleanup:
            await wait_until(lambda: sio.find_namespace("/dynamic-101") is None)
            assert not parent.children
        else:
            await asyncio.sleep(0.1)
            assert parent.children == {first_child}
        assert sio.find_namespace("/chat") is static  # 5.1 #29: never a static namespace
        async with connected(url, ["websocket"], namespaces=["/dynamic-101"]):  # 5.1 #37
            await wait_until(lambda: len(sio.find_namespace("/dynamic-101").sockets) == 1)
            assert (sio.find_namespace("/dynamic-101") is first_child) is not cleanup


@pytest.mark.parametrize(("cleanup", "others"), [(False, 0), (True, 0), (True, 1)])
async def test_cleanup_when_rejected_in_middleware(cleanup: bool, others: int) -> None:
    sio, app = rs_server(cleanup_empty_child_namespaces=cleanup)  # 5.1 #39-41
    parent = sio.of(re.compile(r"^/dynamic-\d+$"))

    @parent.use
    def only_good(socket: Socket, next_: Any) -> None:
        next_(None if socket.handshake.auth.get("good") else Exception("nope"))

    async with serve(app) as url:
        good = client()
        try:
            if others:
                await good.connect(
                    url, namespaces=["/dynamic-1"], transports=["websocket"], auth={"good": 1}
                )
            transcript = await node_steps(url, "websocket", [["connect", "bad", "/dynamic-1"]])
            assert steps(transcript, "connect_error") == [["bad", {"message": "nope"}]]
            # A refused connection never made the child, whatever the cleanup option
            # (Node makes it before the middleware, and keeps it unless cleaning up).
            child = sio.find_namespace("/dynamic-1")
            assert (child is None) is not others
            assert len(parent.children) == others
        finally:
            await close_client(good)


async def test_a_dynamic_child_is_made_only_once_the_middleware_accepted() -> None:  # N10
    sio, app = rs_server(cleanup_empty_child_namespaces=False)
    parent = sio.of(re.compile(r"^/dynamic-\d+$"))
    seen = Inbox()
    sio.sockets.on("new_namespace", lambda nsp: seen.put("new_namespace", nsp))
    parent.on("connection", lambda socket: seen.put("connection", socket.nsp))

    @parent.use
    async def check(socket: Socket, next_: Any) -> None:
        nsp = socket.nsp  # the child to be: its name and parent, not the server's yet
        seen.put("middleware", nsp, sio.find_namespace(nsp.name), set(parent.children))
        if nsp.name == "/dynamic-2":  # the two connections to it are both in here at once
            await seen.wait("middleware", 3)
        next_(None if socket.handshake.auth.get("good") else Exception("nope"))

    async with serve(app) as url:
        bad2, good = client(), client()
        try:
            transcript = await node_steps(url, "websocket", [["connect", "bad", "/dynamic-1"]])
            assert steps(transcript, "connect_error") == [["bad", {"message": "nope"}]]
            assert sio.find_namespace("/dynamic-1") is None and not parent.children
            assert seen.all("new_namespace") == []
            # A refused and an accepted connection to one new name at once.
            refused = bad2.connect(url, namespaces=["/dynamic-2"], transports=["websocket"])
            accepted = good.connect(
                url, namespaces=["/dynamic-2"], transports=["websocket"], auth={"good": 1}
            )
            results = await asyncio.gather(refused, accepted, return_exceptions=True)
            assert isinstance(results[0], Exception) and results[1] is None
            (child,) = [nsp for (nsp,) in seen.all("new_namespace")]
            await seen.wait("connection")
        finally:
            await close_client(bad2)
            await close_client(good)
    assert child.name == "/dynamic-2" and child.parent is parent and parent.children == {child}
    assert seen.all("connection") == [(child,)]
    middleware = seen.all("middleware")
    assert len(middleware) == 3
    for nsp, registered, children in middleware:
        assert nsp.parent is parent and registered is None and children == set()
    assert middleware[1][0] is middleware[2][0] is child  # one candidate for both


async def test_should_attach_a_child_namespace_to_its_parent_upon_manual_creation() -> None:
    sio, _ = rs_server()  # 5.1 #42, N4
    parent = sio.of(re.compile(r"^/dynamic-\d+$"))
    child = sio.of("/dynamic-101")
    assert child.parent is parent and parent.children == {child}
    assert sio.of(lambda name, auth: True) is not None
    assert sio.of("/other").parent is None  # function parents are not consulted by of()


async def test_parent_middleware_and_handlers_apply_live_to_existing_children() -> None:
    """DESIGN.md: children inherit live (the Node server copies at creation, N18)."""
    sio, app = rs_server()
    parent = sio.of(re.compile(r"^/ws-\w+$"))
    order: list[str] = []
    child = sio.of("/ws-acme")  # exists before the parent's middleware and handlers
    child.use(lambda socket: order.append("child"))
    parent.use(lambda socket: order.append("parent"))
    parent.on("connection", lambda socket: order.append("parent connection"))
    child.on("connection", lambda socket: order.append("child connection"))

    @parent.on("ping")
    async def ping(socket: Socket, n: int) -> int:
        return n + 1

    async with serve(app) as url:
        async with connected(url, ["websocket"], namespaces=["/ws-acme"]) as c:
            assert await c.call("ping", 41, namespace="/ws-acme", timeout=WAIT) == 42
    assert order == ["parent", "child", "parent connection", "child connection"]


async def test_parent_operators_reach_every_child() -> None:  # N20
    sio, app = rs_server()
    parent = sio.of(re.compile(r"^/t\d$"))
    async with serve(app) as url:
        c1, c2 = client(), client()
        seen = Inbox()
        try:
            for c, name in ((c1, "/t1"), (c2, "/t2")):
                c.on("news", lambda *a, n=name: seen.put("news", n, *a) or n, namespace=name)
                await c.connect(url, namespaces=[name], transports=["websocket"])
            await wait_until(lambda: len(parent.children) == 2)
            await parent.emit("news", "all")
            await seen.wait("news", 2)
            assert {s.nsp.name for s in await parent.fetch_sockets()} == {"/t1", "/t2"}
            await parent.sockets_join("r")
            await parent.to("r").except_(c1.get_sid("/t1")).emit("news", "r")
            await seen.wait("news", 3)
            assert seen.all("news")[2] == ("/t2", "r")
            results = await parent.timeout(WAIT).emit_with_ack("news", "ack")
            assert sorted(results) == ["/t1", "/t2"]
        finally:
            await close_client(c1)
            await close_client(c2)


def test_bytes_patterns_are_refused() -> None:
    sio, _ = rs_server()
    with pytest.raises(TypeError):
        sio.of(re.compile(rb"^/x$"))  # type: ignore[arg-type]


async def test_namespaces_star_still_accepts_unknown_names_after_the_parents() -> None:
    sio, app = rs_server(namespaces="*", cleanup_empty_child_namespaces=False)
    parent = sio.of(re.compile(r"^/p-\d+$"))
    async with serve(app) as url:
        async with connected(url, ["websocket"], namespaces=["/p-1", "/anything"]):
            await wait_until(lambda: sio.find_namespace("/anything") is not None)
    assert (
        sio.find_namespace("/p-1").parent is parent
        and sio.find_namespace("/anything").parent is None
    )


async def test_one_client_joining_and_leaving_many_names_leaves_nothing_behind() -> None:
    """50,000 distinct dynamic names, joined and left by one client, with the defaults: no
    child stays, and the server's memory is what it was (docs/limits.md)."""
    # A heartbeat a busy loop cannot miss (the test's own client answers the pings).
    sio, app = rs_server(ping_interval=20, ping_timeout=20)
    parent = sio.of(re.compile(r"^/\w+$"))
    names = [f"/n{i}" for i in range(50_000)]
    async with serve(app) as url:
        raw = await RawSession.open(url)
        try:

            async def join_and_leave(batch: list[str]) -> None:
                for name in batch:
                    await raw.send(f"0{name},")
                    await raw.send(f"1{name},")
                for _ in batch:  # one CONNECT reply each, in order
                    reply = await raw.recv()
                    assert isinstance(reply, str) and reply.startswith("0/n"), reply

            await join_and_leave(names[:2000])  # warms the caches a run of names fills
            gc.collect()
            before = _rss()
            for start in range(2000, len(names), 2000):
                await join_and_leave(names[start : start + 2000])
            await wait_until(lambda: not parent.children)
            gc.collect()
            grown = _rss() - before
        finally:
            await raw.close()
    assert sio.find_namespace("/n49999") is None
    # Each kept child cost about 1 KB: 48,000 of them would be ~48 MB.
    assert grown < 4 * 1024 * 1024, grown


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
