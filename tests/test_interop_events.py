"""Events, acks, binary data, emit targets and catch-alls with python-socketio's AsyncClient.

Server-side python-socketio API (ref §3, §5) exercised for real against python-socketio and
socketio_rs (``impl``), over websocket-only, polling-only and polling-then-upgrade.
"""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest
import socketio

from server_harness import (
    IMPLS,
    SERVER_OPTIONS,
    TRANSPORTS,
    WAIT,
    Inbox,
    client,
    close_client,
    connected,
    serve,
)

pytestmark = [
    pytest.mark.parametrize("impl", IMPLS),
    pytest.mark.parametrize("transports", TRANSPORTS),
]

# Binary anywhere: top level, nested in dicts and lists, bytearray too (received as bytes).
BINARY = {
    "blob": b"\x00\x01\xff",
    "nested": [b"abc", {"deep": bytearray(b"z"), "n": 1}],
    "text": "caf\u00e9",
}
BINARY_RECEIVED = {
    "blob": b"\x00\x01\xff",
    "nested": [b"abc", {"deep": b"z", "n": 1}],
    "text": "caf\u00e9",
}


def recording_client(inbox: Inbox) -> socketio.AsyncClient:
    """A client whose catch-all records every event it receives, in order."""
    c = client()

    @c.on("*")
    async def any_event(event: str, *args: Any) -> None:
        inbox.put(event, *args)

    return c


def events_app(impl: types.ModuleType, seen: Inbox) -> tuple[Any, Any]:
    sio = impl.AsyncServer(**SERVER_OPTIONS)

    @sio.event
    async def echo(sid: str, *args: Any) -> Any:
        return args  # a tuple: several ack arguments; () an empty ack (ref §3.3)

    @sio.on("sync_echo")
    def sync_echo(sid: str, data: Any) -> Any:
        return data  # sync handlers work too

    @sio.on("nothing")
    async def nothing(sid: str) -> None:
        seen.put("nothing", sid)

    @sio.on("*")
    async def catch_all(event: str, sid: str, *args: Any) -> Any:
        seen.put("catch_all", event, sid, *args)
        return "caught", event

    @sio.event
    async def message(sid: str, data: Any) -> None:
        await sio.send({"echo": data}, to=sid)

    @sio.event
    async def push_me(sid: str, payload: Any) -> None:
        await sio.emit("pushed", (payload, "second"), to=sid)

    @sio.event
    async def call_me(sid: str, payload: Any) -> Any:
        answer = await sio.call("question", payload, to=sid, timeout=WAIT)
        try:
            await sio.call("slow_question", to=sid, timeout=0.2)
        except impl.exceptions.TimeoutError:
            late = "timed out"
        else:
            late = "answered"
        return answer, late

    return sio, impl.ASGIApp(sio)


async def test_handlers_acks_binary_and_calls(impl, transports) -> None:
    seen = Inbox()
    got = Inbox()
    _, app = events_app(impl, seen)
    async with serve(app) as url:
        c = recording_client(got)

        @c.on("question")
        async def question(payload: Any) -> Any:
            return {"echoed": payload, "extra": b"\x09\x08"}  # a binary ack

        @c.on("slow_question")
        async def slow_question() -> str:
            await asyncio.sleep(1)
            return "late"

        async with connected(url, transports, sio=c):
            sid = c.get_sid("/")
            # A tuple sent by the client is several arguments; the tuple returned by the
            # handler comes back as several ack arguments (ref §3.3).
            assert await c.call("echo", (1, "two", {"three": [3]}), timeout=WAIT) == (
                1,
                "two",
                {"three": [3]},
            )
            assert await c.call("echo", timeout=WAIT) is None  # () -> empty ack
            assert await c.call("sync_echo", [1, None, True], timeout=WAIT) == [1, None, True]
            assert await c.call("nothing", timeout=WAIT) is None  # None -> empty ack
            assert await seen.first("nothing") == (sid,)
            # Binary in both directions and in the ack.
            assert await c.call("echo", BINARY, timeout=WAIT) == BINARY_RECEIVED
            assert await c.call("echo", (b"", [b"\x00"]), timeout=WAIT) == (b"", [b"\x00"])
            # The catch-all receives (event, sid, *args) and its return value is the ack.
            assert await c.call("undeclared", ("x", BINARY), timeout=WAIT) == (
                "caught",
                "undeclared",
            )
            assert await seen.first("catch_all") == ("undeclared", sid, "x", BINARY_RECEIVED)
            # A server push with a tuple of arguments, binary inside.
            await c.emit("push_me", BINARY)
            assert await got.first("pushed") == (BINARY_RECEIVED, "second")
            # send() is the "message" event, both ways.
            await c.send(["hello", b"\x01"])
            assert await got.first("message") == ({"echo": ["hello", b"\x01"]},)
            # call() from the server: answered with a binary ack, then a TimeoutError.
            answer, late = await c.call("call_me", BINARY, timeout=WAIT)
            assert answer == {"echoed": BINARY_RECEIVED, "extra": b"\x09\x08"}
            assert late == "timed out"


async def test_server_emit_with_callback(impl, transports) -> None:
    sio, app = events_app(impl, Inbox())
    async with serve(app) as url:
        c = client()

        @c.on("needs_ack")
        async def needs_ack(n: int, blob: bytes) -> Any:
            return n + 1, blob + b"!"

        async with connected(url, transports, sio=c):
            acks: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()
            await sio.emit(
                "needs_ack",
                (41, b"bin"),
                to=c.get_sid("/"),
                callback=lambda *args: acks.set_result(args),
            )
            # The callback receives the client's ack arguments (ref §5, emit).
            assert await asyncio.wait_for(acks, WAIT) == (42, b"bin!")


async def test_emit_targets(impl, transports) -> None:
    """to=sid, room=, a list of rooms (union, once each), skip_sid as a sid and a list."""
    sio, app = events_app(impl, Inbox())
    async with serve(app) as url:
        inboxes = {name: Inbox() for name in "abc"}
        clients = {name: recording_client(inboxes[name]) for name in "abc"}
        for c in clients.values():
            await c.connect(url, transports=transports, wait_timeout=WAIT)
        try:
            sid = {name: c.get_sid("/") for name, c in clients.items()}
            await sio.enter_room(sid["a"], "r1")
            await sio.enter_room(sid["b"], "r1")
            await sio.enter_room(sid["c"], "r2")
            await sio.enter_room(sid["a"], "r2")
            await sio.emit("e", 1, to=sid["b"])
            await sio.emit("e", 2, room="r1")
            await sio.emit("e", 3, to=["r1", "r2"])  # a is in both: once
            await sio.emit("e", 4, to="r1", skip_sid=sid["a"])
            await sio.emit("e", 5, skip_sid=[sid["a"], sid["c"]])
            await sio.send("m", to="r2")
            await sio.emit("e", (6, b"\x06"))  # everyone, binary, two arguments
            # Each connection is ordered, so once the last emit arrived, all earlier ones did.
            for name in "abc":
                await inboxes[name].wait("e", {"a": 3, "b": 6, "c": 2}[name])
            assert inboxes["a"].all("e") == [(2,), (3,), (6, b"\x06")]
            assert inboxes["b"].all("e") == [(1,), (2,), (3,), (4,), (5,), (6, b"\x06")]
            assert inboxes["c"].all("e") == [(3,), (6, b"\x06")]
            assert inboxes["a"].all("message") == [("m",)]
            assert inboxes["b"].all("message") == []
            assert inboxes["c"].all("message") == [("m",)]
        finally:
            await asyncio.gather(*(close_client(c) for c in clients.values()))


async def test_catch_all_namespace(impl, transports) -> None:
    """namespace='*' handlers with namespaces='*' (ref §3.2, priorities 3 and 4)."""
    seen = Inbox()
    sio = impl.AsyncServer(namespaces="*", **SERVER_OPTIONS)

    @sio.on("connect", namespace="*")
    async def connect(namespace: str, sid: str, environ: dict[str, Any], auth: Any) -> None:
        seen.put("connect", namespace, sid, auth)

    @sio.on("hello", namespace="*")
    async def hello(namespace: str, sid: str, *args: Any) -> Any:
        return "hello", namespace, *args

    @sio.on("*", namespace="*")
    async def any_event(event: str, namespace: str, sid: str, *args: Any) -> Any:
        return "any", event, namespace, *args

    @sio.on("disconnect", namespace="*")
    async def disconnect(namespace: str, sid: str, reason: str) -> None:
        seen.put("disconnect", namespace, sid)

    async with serve(impl.ASGIApp(sio)) as url:
        async with connected(
            url, transports, namespaces=["/", "/foo", "/bar/baz"], auth={"k": "v"}
        ) as c:
            got = await seen.wait("connect", 3)
            assert sorted((ns, sid) for ns, sid, _ in got) == sorted(
                (ns, c.get_sid(ns)) for ns in ["/", "/foo", "/bar/baz"]
            )
            assert all(auth == {"k": "v"} for *_, auth in got)
            assert await c.call("hello", (1, b"\x01"), namespace="/foo", timeout=WAIT) == (
                "hello",
                "/foo",
                1,
                b"\x01",
            )
            assert await c.call("other", "x", namespace="/bar/baz", timeout=WAIT) == (
                "any",
                "other",
                "/bar/baz",
                "x",
            )
            sids = {ns: c.get_sid(ns) for ns in ["/", "/foo", "/bar/baz"]}
        got = await seen.wait("disconnect", 3)
        assert sorted(got) == sorted(sids.items())
