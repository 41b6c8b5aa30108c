"""The Engine.IO and adapter hooks operators ask for, driven by the official JS client:
``allow_request``, the ``connection_error`` event, the ``initial_headers`` / ``headers``
events, and the adapter's room events (docs/server.md, "Engine and adapter hooks")."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import websockets

import socketio_rs
from server_harness import (
    NODE_TRANSPORTS,
    SERVER_OPTIONS,
    WAIT,
    Inbox,
    node_steps,
    serve,
    steps,
    wait_until,
)
from socketio_rs.engine import hooks


def guarded_app(seen: Inbox, allow: Any, **options: Any) -> Any:
    sio = socketio_rs.AsyncServer(**SERVER_OPTIONS, allow_request=allow, **options)

    @sio.engine.on("connection_error")
    def refused(error: Any) -> None:
        seen.put("connection_error", error.code, error.message, error.context)

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

    return socketio_rs.ASGIApp(sio)


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_allow_request_refuses_a_handshake_before_any_session(transport: str) -> None:
    seen = Inbox()
    asked: list[str] = []

    async def allow(environ: dict[str, Any]) -> bool:
        asked.append(environ["QUERY_STRING"])
        return "token=yes" in environ["QUERY_STRING"]

    async with serve(guarded_app(seen, allow)) as url:
        transcript = await node_steps(
            url,
            transport,
            [
                ["connect", "bad", "/", {"query": {"token": "no"}}],
                ["connect", "good", "/", {"query": {"token": "yes"}}],
                ["ack", "good", "echo", "hi"],
            ],
        )
    assert [label for label, _ in steps(transcript, "connect_error")] == ["bad"]
    assert steps(transcript, "ack") == [["good", "echo", "hi"]]
    assert seen.all("connection_error") == [(4, "Forbidden", {"message": "Forbidden"})]
    # Asked once per handshake, not for the requests of an open session.
    assert len(asked) == 2


async def test_allow_request_gives_its_reason_and_the_reference_server_s_answer() -> None:
    seen = Inbox()

    def allow(environ: dict[str, Any]) -> bool:
        raise socketio_rs.exceptions.ConnectionRefusedError("banned")

    async with serve(guarded_app(seen, allow)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
            answer = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
    assert answer.status_code == 403
    assert answer.json() == {"code": 4, "message": "banned"}
    assert seen.all("connection_error") == [(4, "Forbidden", {"message": "banned"})]


#: Requests the server refuses before or at the handshake: (method, query, headers, body),
#: the HTTP status, and the ``connection_error`` event's code, message and context (the
#: reference server's). ``{sid}`` stands for an open polling session's id.
REFUSED_HTTP = [
    ("GET", "EIO=4&transport=carrier-pigeon", {}, None, 400, 0, {"transport": "carrier-pigeon"}),
    ("GET", "EIO=4", {}, None, 400, 0, {"transport": None}),
    ("GET", "EIO=4&transport=polling&sid=x", {}, None, 400, 1, {"sid": "x"}),
    ("POST", "EIO=4&transport=polling&sid=x", {}, "1", 400, 1, {"sid": "x"}),
    ("POST", "EIO=4&transport=polling", {}, "1", 400, 2, {"method": "POST"}),
    ("PUT", "EIO=4&transport=polling", {}, None, 400, 2, {"method": "PUT"}),
    ("GET", "EIO=4&transport=websocket", {}, None, 400, 3, {"name": "TRANSPORT_HANDSHAKE_ERROR"}),
    (
        "GET",
        "EIO=4&transport=websocket&sid={sid}",
        {},
        None,
        400,
        3,
        {"name": "TRANSPORT_MISMATCH", "transport": "websocket", "previousTransport": "polling"},
    ),
    (
        "PUT",
        "EIO=4&transport=polling&sid={sid}",
        {},
        None,
        400,
        3,
        {"name": "BAD_METHOD", "method": "PUT"},
    ),
    (
        "GET",
        "EIO=4&transport=polling",
        {"Origin": "https://evil.example"},
        None,
        400,
        3,
        {"name": "ORIGIN_NOT_ALLOWED", "origin": "https://evil.example"},
    ),
    ("GET", "EIO=4&transport=polling&j=x", {}, None, 400, 3, {"name": "JSONP_REFUSED"}),
    (
        "POST",
        "EIO=4&transport=polling&sid={sid}",
        {},
        "4" + "x" * 2000,
        413,
        3,
        {"name": "PAYLOAD_TOO_LARGE", "limit": 1000},
    ),
    ("GET", "EIO=3&transport=polling", {}, None, 400, 5, {"protocol": 3}),
    ("GET", "transport=polling", {}, None, 400, 5, {"protocol": 3}),
]


async def test_connection_error_for_every_refused_http_request() -> None:
    seen = Inbox()
    app = guarded_app(
        seen, None, cors_allowed_origins=["https://ok.example"], max_http_buffer_size=1000
    )
    async with serve(app) as url:
        async with httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
            opened = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
            sid = json.loads(opened.text[1:])["sid"]
            for method, query, headers, body, status, code, context in REFUSED_HTTP:
                path = "/socket.io/?" + query.replace("{sid}", sid)
                told = len(seen.all("connection_error"))
                answer = await http.request(method, path, headers=headers, content=body)
                assert answer.status_code == status, (method, query)
                events = seen.all("connection_error")[told:]
                assert events == [(code, hooks.MESSAGES[code], context)], (method, query)
            told = len(seen.all("connection_error"))
            # Served requests tell nothing: a handshake, a CORS preflight.
            await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
            await http.options("/socket.io/?EIO=4&transport=polling")
    assert len(seen.all("connection_error")) == told


async def test_connection_error_for_every_refused_websocket_handshake() -> None:
    seen = Inbox()
    async with serve(guarded_app(seen, None)) as url:
        ws_url = url.replace("http", "ws") + "/socket.io/?"
        refused = [
            ("EIO=3&transport=websocket", 5, {"protocol": 3}),
            ("EIO=4&transport=websocket&sid=x", 1, {"sid": "x"}),
            ("EIO=4&transport=polling", 3, {"name": "TRANSPORT_MISMATCH", "transport": "polling"}),
            ("EIO=4&transport=carrier-pigeon", 0, {"transport": "carrier-pigeon"}),
        ]
        for told, (query, code, context) in enumerate(refused):
            with pytest.raises(websockets.exceptions.WebSocketException):
                async with websockets.connect(ws_url + query) as ws:
                    await ws.recv()
            await wait_until(lambda told=told: len(seen.all("connection_error")) > told)
            events = seen.all("connection_error")[told:]
            assert events == [(code, hooks.MESSAGES[code], context)], query
        async with websockets.connect(ws_url + "EIO=4&transport=websocket") as ws:
            assert (await ws.recv()).startswith("0{")
    assert len(seen.all("connection_error")) == len(refused)


def test_allow_request_must_be_a_function() -> None:
    with pytest.raises(TypeError, match="allow_request"):
        socketio_rs.AsyncServer(allow_request=True)


async def test_headers_hooks_add_to_the_handshake_and_every_polling_answer() -> None:
    sio = socketio_rs.AsyncServer(**SERVER_OPTIONS)
    counts = {"initial": 0, "every": 0}

    @sio.engine.on("initial_headers")
    def initial(headers: dict[str, Any], environ: dict[str, Any]) -> None:
        counts["initial"] += 1
        headers["set-cookie"] = ["affinity=node-1; Path=/", "other=1; Path=/"]

    @sio.engine.on("headers")
    async def every(headers: dict[str, Any], environ: dict[str, Any]) -> None:
        counts["every"] += 1
        headers["x-served-by"] = "node-1"

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

    async with serve(socketio_rs.ASGIApp(sio)) as url:
        transcript = await node_steps(
            url, "polling", [["connect", "c", "/"], ["ack", "c", "echo", 1]]
        )
        assert steps(transcript, "ack") == [["c", "echo", 1]]
        assert counts["initial"] == 1 and counts["every"] >= 3  # handshake, CONNECT, ack...
        async with httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
            params = {"EIO": "4", "transport": "polling"}
            opened = await http.get("/socket.io/", params=params)
            assert opened.headers.get_list("set-cookie") == [
                "affinity=node-1; Path=/",
                "other=1; Path=/",
            ]
            assert opened.headers["x-served-by"] == "node-1"
            params["sid"] = json.loads(opened.text[1:])["sid"]
            posted = await http.post("/socket.io/", params=params, content="40")
            assert posted.headers["x-served-by"] == "node-1"
            assert "set-cookie" not in posted.headers
        # A WebSocket-only handshake gets them on its 101 answer.
        ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with websockets.connect(ws_url) as ws:
            assert ws.response is not None
            answer = ws.response.headers
            assert answer.get_all("set-cookie") == ["affinity=node-1; Path=/", "other=1; Path=/"]
            assert answer["x-served-by"] == "node-1"
            assert (await ws.recv()).startswith("0{")


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_room_events_as_the_reference_adapter_emits_them(transport: str) -> None:
    sio = socketio_rs.AsyncServer(**SERVER_OPTIONS)
    seen: list[tuple[Any, ...]] = []
    adapter = sio.of("/").adapter
    for event in ("create-room", "delete-room", "join-room", "leave-room"):
        adapter.on(event, lambda *args, event=event: seen.append((event, *args)))
    other: list[Any] = []
    sio.of("/other").adapter.on("join-room", lambda room, sid: other.append(room))

    @sio.event
    async def move(sid: str, way: str, room: str) -> str:
        await (sio.enter_room if way == "in" else sio.leave_room)(sid, room)
        return way

    async with serve(socketio_rs.ASGIApp(sio)) as url:
        transcript = await node_steps(
            url,
            transport,
            [
                ["connect", "c", "/"],
                ["ack", "c", "move", "in", "lobby"],
                ["ack", "c", "move", "in", "lobby"],  # already in: no event
                ["ack", "c", "move", "out", "lobby"],
                ["disconnect", "c"],
            ],
        )
        [(_, sid)] = steps(transcript, "connect")
        await wait_until(lambda: ("delete-room", sid) in seen)
    assert seen == [
        ("create-room", sid),
        ("join-room", sid, sid),
        ("create-room", "lobby"),
        ("join-room", "lobby", sid),
        ("leave-room", "lobby", sid),
        ("delete-room", "lobby"),
        ("leave-room", sid, sid),
        ("delete-room", sid),
    ]
    assert other == []


def test_an_unknown_room_event_is_refused() -> None:
    sio = socketio_rs.AsyncServer(async_mode="asgi")
    with pytest.raises(ValueError, match="join-room"):
        sio.of("/").adapter.on("joined", print)
