"""Interop with the official JavaScript client (socket.io-client 4.8.x, tests/node/).

Each scenario is a small Node script printing a JSON transcript of what the client observed;
the server is python-socketio or socketio_rs (``impl``), the client runs websocket-only,
polling-only and polling-then-upgrade. The first run installs the client with ``npm ci``.
"""

from __future__ import annotations

import json as stdjson
import types
from typing import Any

import engineio.packet
import pytest
import socketio.packet

from server_harness import (
    IMPLS,
    SERVER_OPTIONS,
    TRANSPORT_NAMES,
    WAIT,
    Inbox,
    is_rs,
    run_node,
    serve,
    steps,
)

pytestmark = [
    pytest.mark.parametrize("impl", IMPLS),
    pytest.mark.parametrize("transport", TRANSPORT_NAMES),
]

BINARY = {"blob": b"\x00\x01\xff", "nested": [b"abc", {"deep": b"z"}], "text": "caf\u00e9"}


def final_transport(transport: str) -> str:
    return "polling" if transport == "polling" else "websocket"


def connect_app(impl: types.ModuleType, seen: Inbox) -> Any:
    sio = impl.AsyncServer(**SERVER_OPTIONS)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> Any:
        seen.put("connect", sid, auth)
        if auth.get("token") == "false":
            return False
        if auth.get("token") == "refuse":
            raise impl.exceptions.ConnectionRefusedError("bad token", {"k": 1})
        return None

    @sio.event
    async def whoami(sid: str) -> Any:
        return sid, sio.transport(sid)

    @sio.event
    async def kick_me(sid: str) -> None:
        await sio.disconnect(sid)

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        seen.put("disconnect", sid, reason)

    return impl.ASGIApp(sio)


@pytest.mark.parametrize("end", ["client", "server"])
async def test_connect_auth_and_disconnect_reasons(impl, transport, end) -> None:
    seen = Inbox()
    async with serve(connect_app(impl, seen)) as url:
        transcript = await run_node(
            "connect.mjs", url, transport, options={"auth": {"token": "abc"}, "end": end}
        )
        sid, auth = await seen.first("connect")
        assert auth == {"token": "abc"}  # the JS client's auth reaches connect() (ref §4.1)
        expected_reason = {"client": "io client disconnect", "server": "io server disconnect"}
        assert transcript == [
            ["connect", final_transport(transport)],
            ["ack", "whoami", sid, final_transport(transport)],
            ["disconnect", expected_reason[end]],
        ]
        # The JS client flushes its DISCONNECT before closing, so the reason is exact (ref §4.3).
        server_reason = {"client": "client disconnect", "server": "server disconnect"}
        assert await seen.first("disconnect") == (sid, server_reason[end])


@pytest.mark.parametrize(
    ("token", "error"),
    [
        ("false", {"message": "Connection rejected by server"}),
        ("refuse", {"message": "bad token", "data": {"k": 1}}),
    ],
)
async def test_connect_rejected(impl, transport, token, error) -> None:
    seen = Inbox()
    async with serve(connect_app(impl, seen)) as url:
        transcript = await run_node(
            "connect.mjs", url, transport, options={"auth": {"token": token}}
        )
    # The JS client's connect_error carries err.message and err.data (ref §4.2).
    assert transcript == [["connect_error", error]]
    assert seen.all("disconnect") == []


async def test_unknown_namespace(impl, transport) -> None:
    """N9: socketio-rs answers ``{"message":"Invalid namespace"}``, python-socketio a string.

    python-socketio sends the JSON string "Unable to connect" (ref §4.2), so the JS client's
    ``err.message`` is empty: a deliberate difference (DESIGN.md, "differ on the wire").
    """
    async with serve(connect_app(impl, Inbox())) as url:
        transcript = await run_node("connect.mjs", url, transport, options={"nsp": "/nope"})
    message = "Invalid namespace" if is_rs(impl) else ""
    assert transcript == [["connect_error", {"message": message}]]


def events_app(impl: types.ModuleType) -> Any:
    """The server side of tests/node/events.mjs."""
    sio = impl.AsyncServer(**SERVER_OPTIONS)

    @sio.event
    async def echo(sid: str, *args: Any) -> Any:
        return args

    @sio.event
    async def push_me(sid: str, payload: Any) -> None:
        await sio.emit("pushed", (payload, "second"), to=sid)

    @sio.event
    async def call_me(sid: str, payload: Any) -> None:
        answer = await sio.call("question", payload, to=sid, timeout=WAIT)
        await sio.emit("call_result", answer, to=sid)  # a tuple: several arguments

    @sio.event
    async def emit_with_callback(sid: str, n: int) -> None:
        async def callback(result: int) -> None:
            await sio.emit("callback_result", result, to=sid)

        await sio.emit("needs_ack", n, to=sid, callback=callback)

    @sio.on("*")
    async def catch_all(event: str, sid: str, *args: Any) -> Any:
        return "caught", event

    @sio.event
    async def message(sid: str, *args: Any) -> None:
        await sio.send(("echo", *args), to=sid)

    return impl.ASGIApp(sio)


async def test_events_acks_binary(impl, transport) -> None:
    async with serve(events_app(impl)) as url:
        transcript = await run_node("events.mjs", url, transport, options={"binary": BINARY})
    assert transcript == [
        ["connect", final_transport(transport)],
        ["ack", "echo", 1, "two", {"three": [3]}],
        ["ack", "echo", BINARY],
        ["ack", "echo"],
        ["event", "pushed", BINARY, "second"],
        ["event", "question", BINARY],
        ["event", "call_result", "answer", {"echoed": BINARY, "extra": b"\x09\x08\x07"}],
        ["event", "needs_ack", 41],
        ["event", "callback_result", 42],
        ["ack", "not_declared", "caught", "not_declared"],
        ["event", "message", "echo", "hello", BINARY],
    ]


class CountingJson:
    """A ``json=`` module: the stdlib's, with sorted keys (visible on the wire) and counters."""

    def __init__(self) -> None:
        self.dumps_calls = 0
        self.loads_calls = 0

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        self.dumps_calls += 1
        return stdjson.dumps(obj, sort_keys=True, **kwargs)

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        self.loads_calls += 1
        return stdjson.loads(s, **kwargs)


async def test_user_json_module(impl, transport) -> None:
    """A user-supplied json= module encodes and decodes the packets (ref §2, §7.3)."""
    counting = CountingJson()
    # python-socketio installs json= class-wide (ref §2), for its Packet and engineio's.
    saved = (socketio.packet.Packet.json, engineio.packet.Packet.json)
    try:
        sio = impl.AsyncServer(json=counting, **SERVER_OPTIONS)

        @sio.event
        async def shape(sid: str, data: Any) -> Any:
            return {"z": data, "a": [{"y": 1, "b": 2}]}

        async with serve(impl.ASGIApp(sio)) as url:
            transcript = await run_node(
                "roundtrip.mjs",
                url,
                transport,
                options={"event": "shape", "args": [{"k": "v"}]},
            )
    finally:
        socketio.packet.Packet.json, engineio.packet.Packet.json = saved
    assert transcript == [["ack", "shape", {"a": [{"b": 2, "y": 1}], "z": {"k": "v"}}]]
    (ack,) = steps(transcript, "ack")
    assert list(ack[1]) == ["a", "z"] and list(ack[1]["a"][0]) == ["b", "y"]  # sort_keys ran
    assert counting.dumps_calls >= 1 and counting.loads_calls >= 1
