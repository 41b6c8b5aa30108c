"""socketio-rs's own WebSocket protocol (``socketio_rs.serve``, ``_websocket.py``) at the
WebSocket level: the opening handshake (RFC 6455 4.2), control frames (5.5), the closing
handshake (7.1), protocol errors (7.4), and the ASGI interface it gives any app. The
Socket.IO and Engine.IO behaviour on it is covered by running the server tests with
``SOCKETIO_RS_SERVE=1`` (``make test-serve``); here the served app is sometimes a plain ASGI
WebSocket app, since the protocol is an ASGI server's."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import struct
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

import socketio_rs
from server_harness import (
    HOST,
    SERVER_OPTIONS,
    WAIT,
    Inbox,
    client,
    close_client,
    free_port,
    masked,
    serve,
    upgrade_request,
)
from socketio_rs.wsserver import WebSocketProtocol, front_for


@contextlib.asynccontextmanager
async def served(
    app: Any, *, front: bool = True, header_timeout: float = 30.0, **options: Any
) -> AsyncIterator[str]:
    """``app`` on uvicorn with socketio-rs's protocols, as ``serve()`` runs it; without
    ``front``, every upgrade comes through uvicorn's HTTP protocol (a keep-alive connection's
    later upgrade takes that path under ``serve()`` too). Yields ``host:port``."""
    http = front_for("auto", header_timeout) if front else "auto"
    async with serve(app, ws=WebSocketProtocol, http=http, **options) as url:
        yield url.removeprefix("http://")


async def echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A plain ASGI WebSocket app: accepts (with the first subprotocol offered), echoes, and
    answers "deny" with an HTTP response, "close" with a close code, "headers" with the
    request's headers."""
    assert scope["type"] == "websocket"
    assert (await receive())["type"] == "websocket.connect"
    path = scope["path"]
    if path == "/deny":
        await send({"type": "websocket.http.response.start", "status": 418, "headers": []})
        await send({"type": "websocket.http.response.body", "body": b"no ", "more_body": True})
        await send({"type": "websocket.http.response.body", "body": b"tea"})
        return
    if path == "/refuse":
        await send({"type": "websocket.close"})
        return
    subprotocols = scope["subprotocols"]
    await send(
        {
            "type": "websocket.accept",
            "subprotocol": subprotocols[0] if subprotocols else None,
            "headers": [(b"x-served-by", b"socketio-rs")],
        }
    )
    while True:
        event = await receive()
        if event["type"] == "websocket.disconnect":
            return
        text = event.get("text")
        if text == "close":
            await send({"type": "websocket.close", "code": 4001, "reason": "asked"})
            return
        if text == "scope":
            info = f"{scope['path']}|{scope['query_string'].decode()}|{scope['client'][0]}"
            await send({"type": "websocket.send", "text": info})
        elif text is not None:
            await send({"type": "websocket.send", "text": text})
        else:
            await send({"type": "websocket.send", "bytes": event["bytes"]})


async def raw_request(address: str, request: bytes) -> bytes:
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    response = await asyncio.wait_for(reader.read(4096), WAIT)
    writer.close()
    return response


@pytest.mark.parametrize("front", [True, False], ids=["front", "via-uvicorn-http"])
async def test_echo_text_binary_and_large_messages(front: bool) -> None:
    async with served(echo_app, front=front) as address, connect(f"ws://{address}/x?a=1") as ws:
        await ws.send("héllo")
        assert await ws.recv() == "héllo"
        await ws.send(b"\x00\xff")
        assert await ws.recv() == b"\x00\xff"
        big = "x" * 200_000  # 64-bit length, several reads
        await ws.send(big)
        assert await ws.recv() == big
        await ws.send(["frag", "mented"])  # a fragmented message (5.4)
        assert await ws.recv() == "fragmented"
        await ws.send("scope")
        assert await ws.recv() == "/x|a=1|127.0.0.1"


async def test_accept_headers_and_subprotocol() -> None:
    async with (
        served(echo_app) as address,
        connect(f"ws://{address}/", subprotocols=["chat"]) as ws,  # type: ignore[list-item]
    ):
        assert ws.subprotocol == "chat"
        assert ws.response is not None
        assert ws.response.headers["x-served-by"] == "socketio-rs"
        assert "Sec-WebSocket-Extensions" not in ws.response.headers  # nothing negotiated


async def test_denial_response_and_refusal() -> None:
    async with served(echo_app) as address:
        with pytest.raises(InvalidStatus) as denied:
            async with connect(f"ws://{address}/deny"):
                pass
        assert denied.value.response.status_code == 418
        assert denied.value.response.body == b"no tea"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(f"ws://{address}/refuse"):
                pass
        assert refused.value.response.status_code == 403


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({"Sec-WebSocket-Version": "8"}, b"426"),  # 4.2.2: the versions it speaks, in a 426
        ({"Sec-WebSocket-Key": "short"}, b"400"),  # 4.2.1: a 16-byte nonce, base64
        ({"Sec-WebSocket-Key": None}, b"400"),
    ],
)
async def test_invalid_opening_handshake(overrides: dict[str, str | None], status: bytes) -> None:
    async with served(echo_app) as address:
        response = await raw_request(address, upgrade_request(**overrides))
    assert response.startswith(b"HTTP/1.1 " + status)
    if status == b"426":
        assert b"sec-websocket-version: 13" in response.lower()


def test_key_check_is_base64_s() -> None:
    """The opening handshake's key check (one regular expression) accepts exactly the keys
    ``len(base64.b64decode(key, validate=True)) == 16`` accepts (RFC 6455 4.2.1)."""
    import binascii
    import random

    from socketio_rs.wsserver.protocol import _check_upgrade

    def by_base64(key: bytes) -> bool:
        try:
            return len(base64.b64decode(key, validate=True)) == 16
        except (binascii.Error, ValueError):
            return False

    valid = {b"sec-websocket-version": b"13", b"upgrade": b"websocket", b"connection": b"Upgrade"}
    alphabet = b"AZaz09+/=-_ .\n"
    rng = random.Random(7)
    keys = [base64.b64encode(rng.randbytes(n)) for n in (15, 16, 17, 18) for _ in range(50)]
    keys += [k[:i] + bytes([rng.choice(alphabet)]) + k[i + 1 :] for k in keys for i in (0, 21, 22)]
    keys += [bytes(rng.choice(alphabet) for _ in range(n)) for n in (0, 22, 23, 24, 25)]
    for key in keys:
        accepted = _check_upgrade(b"GET", {**valid, b"sec-websocket-key": key}) is None
        assert accepted == by_base64(key), key


async def test_ping_is_answered_with_pong() -> None:
    async with served(echo_app) as address, connect(f"ws://{address}/") as ws:
        latency = await asyncio.wait_for(await ws.ping(b"abc"), WAIT)  # 5.5.2 / 5.5.3
        assert latency >= 0
        await ws.send("still open")
        assert await ws.recv() == "still open"


async def test_close_initiated_by_the_app_and_by_the_client() -> None:
    async with served(echo_app) as address:
        async with connect(f"ws://{address}/") as ws:
            await ws.send("close")
            with pytest.raises(ConnectionClosed) as closed:
                await ws.recv()
            assert closed.value.rcvd is not None
            assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (4001, "asked")
        ws = await connect(f"ws://{address}/")
        await ws.close(1000, "bye")  # 7.1.2: the server echoes the code
        assert ws.protocol.close_rcvd is not None and ws.protocol.close_rcvd.code == 1000


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        (masked(1, b"x", rsv=0x40), 1002),  # 5.2: RSV1 without an extension
        (bytes([0x81, 0x01]) + b"x", 1002),  # 5.1: an unmasked client frame
        (masked(1, b"\xff\xfe"), 1007),  # 8.1: invalid UTF-8 in a text message
        (masked(0, b"x"), 1002),  # 5.4: a continuation with nothing to continue
        (masked(3, b"x"), 1002),  # 5.2: a reserved opcode
    ],
)
async def test_protocol_errors_close_with_the_rfc_code(frame: bytes, code: int) -> None:
    async with served(echo_app) as address:
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(upgrade_request())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head.startswith(b"HTTP/1.1 101")
        writer.write(frame)
        close = await asyncio.wait_for(reader.read(2 + 125), WAIT)
        assert close[0] == 0x88  # a close frame, FIN set
        assert struct.unpack(">H", close[2:4])[0] == code
        assert await asyncio.wait_for(reader.read(), WAIT) == b""  # then the TCP close
        writer.close()


async def test_message_over_ws_max_size_closes_with_1009() -> None:
    async with (
        served(echo_app, ws_max_size=1000) as address,
        connect(f"ws://{address}/", max_size=None) as ws,
    ):
        await ws.send("y" * 1001)
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_one_bad_client_leaves_the_others_served() -> None:
    seen = Inbox()
    sio = socketio_rs.AsyncServer(**SERVER_OPTIONS)

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        seen.put("disconnect", sid, reason)

    async with served(socketio_rs.ASGIApp(sio)) as address:
        good = client()
        await good.connect(f"http://{address}", transports=["websocket"])
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(upgrade_request("/socket.io/?EIO=4&transport=websocket"))
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        writer.write(masked(1, b"40"))
        await asyncio.wait_for(reader.readuntil(b'40{"sid":'), WAIT)  # joined "/"
        writer.write(masked(1, b'42["echo"]', rsv=0x40))  # RSV1 without an extension (5.2)
        (_, reason) = await seen.first("disconnect")
        assert reason == "transport close"
        assert await asyncio.wait_for(reader.read(), WAIT) != b""  # OPEN, CONNECT, close frame
        assert await good.call("echo", {"still": "served"}, timeout=WAIT) == {"still": "served"}
        await close_client(good)
        writer.close()


async def test_broadcast_reaches_every_websocket_in_order() -> None:
    sio = socketio_rs.AsyncServer(**SERVER_OPTIONS)

    @sio.event
    async def go(sid: str, n: int) -> None:
        for i in range(n):
            await sio.emit("n", i)

    async with served(socketio_rs.ASGIApp(sio)) as address:
        clients = [client() for _ in range(5)]
        inboxes = [Inbox() for _ in clients]
        for c, box in zip(clients, inboxes):
            c.on("n", lambda i, box=box: box.put("n", i))
            await c.connect(f"http://{address}", transports=["websocket"])
        await clients[0].emit("go", 200)
        for box in inboxes:
            got = await box.wait("n", 200)
            assert [args[0] for args in got] == list(range(200))
        for c in clients:
            await close_client(c)


def test_serve_refuses_the_options_it_sets() -> None:
    with pytest.raises(TypeError, match="ws_ping_interval"):
        socketio_rs.serve(object(), ws_ping_interval=5)


#: An app with an ``echo`` event, as a script's first lines.
ECHO_SCRIPT = (
    "import socketio_rs\n"
    "sio = socketio_rs.AsyncServer(async_mode='asgi')\n"
    "@sio.event\n"
    "async def echo(sid, data):\n"
    "    return data\n"
    "app = socketio_rs.ASGIApp(sio)\n"
)


async def echo_when_up(port: int, data: Any, tries: int) -> Any:
    """Connect to a server that is starting (``tries`` of 50 ms), call ``echo`` once."""
    c = client()
    for _ in range(tries):
        with contextlib.suppress(Exception):
            await c.connect(f"http://{HOST}:{port}", transports=["websocket"])
            break
        await asyncio.sleep(0.05)
    assert c.connected
    try:
        return await c.call("echo", data, timeout=WAIT)
    finally:
        await close_client(c)


@pytest.mark.parametrize("loop", ["asyncio", "uvloop"])
async def test_serve_runs_an_app_until_interrupted(tmp_path: Any, loop: str) -> None:
    """On asyncio's loop and on uvloop (uvicorn's choice when installed), whose transports are
    not ``asyncio.Transport`` subclasses."""
    script = tmp_path / "app.py"
    script.write_text(
        ECHO_SCRIPT + "socketio_rs.serve(app, port=int(__import__('sys').argv[1]),"
        f" log_level='warning', loop={loop!r})\n"
    )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(script), str(port)], env={**os.environ, "PYTHONWARNINGS": "error"}
    )
    try:
        assert await echo_when_up(port, [1, "two"], 200) == [1, "two"]
    finally:
        proc.send_signal(2)  # Ctrl-C: uvicorn shuts down cleanly
        assert proc.wait(WAIT) == 0


async def test_serve_runs_workers(tmp_path: Any) -> None:
    """``workers=2`` (and ``reload=True``) make uvicorn pickle its config, serve()'s protocol
    classes with their settings included, into the processes it spawns."""
    (tmp_path / "workers_app.py").write_text(ECHO_SCRIPT)
    port = free_port()
    code = (
        f"import socketio_rs; socketio_rs.serve('workers_app:app', port={port}, workers=2,"
        " log_level='warning', header_timeout=5, per_message_deflate=True)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path)
    try:
        for _ in range(2):  # two connections, likely on both workers
            assert await echo_when_up(port, "hi", 300) == "hi"
    finally:
        proc.send_signal(2)
        assert proc.wait(WAIT) == 0


async def test_front_takes_a_request_head_split_in_pieces() -> None:
    """The first request may arrive a few bytes at a time (FrontProtocol buffers it)."""
    async with served(echo_app) as address:
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        for i in range(0, len(request := upgrade_request("/split")), 7):
            writer.write(request[i : i + 7])
            await writer.drain()
            await asyncio.sleep(0.001)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head.startswith(b"HTTP/1.1 101")
        writer.write(masked(1, b"pieces"))
        frame = await asyncio.wait_for(reader.readexactly(2 + 6), WAIT)
        assert frame == b"\x81\x06pieces"
        writer.close()


async def plain_http(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http":
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"hello"})


@pytest.mark.parametrize(
    "request_head",
    [
        pytest.param(upgrade_request("/slow"), id="upgrade"),
        pytest.param(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", id="post"),
    ],
)
async def test_a_request_head_sent_too_slowly_gets_408(request_head: bytes) -> None:
    """A byte every 50 ms never completes the head within the 0.5 s header timeout."""
    async with served(plain_http, header_timeout=0.5) as address:
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        start = time.monotonic()

        async def trickle() -> None:
            for byte in request_head:
                writer.write(bytes([byte]))
                await asyncio.sleep(0.05)

        sender = asyncio.ensure_future(trickle())
        answer = await asyncio.wait_for(reader.read(), WAIT)
        sender.cancel()
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert 0.4 < time.monotonic() - start < 0.5 + WAIT
        writer.close()


async def test_a_request_head_in_time_is_served() -> None:
    async with served(plain_http, header_timeout=2.0) as address:
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /x HTTP/1.1\r\nHost: x\r\n")
        await asyncio.sleep(0.1)
        writer.write(b"\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"hello"), WAIT)
        assert head.startswith(b"HTTP/1.1 200")
        await asyncio.sleep(2.5)  # the timer is gone once the head arrived
        writer.write(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
        assert b"HTTP/1.1 200" in await asyncio.wait_for(reader.readuntil(b"hello"), WAIT)
        writer.close()


def test_header_timeout_is_checked() -> None:
    with pytest.raises(ValueError, match="header_timeout"):
        front_for("auto", 0)
    with pytest.raises(TypeError, match="header_timeout"):
        front_for("auto", "30")  # type: ignore[arg-type]


async def test_http_then_upgrade_on_one_keep_alive_connection() -> None:
    """Plain HTTP goes to uvicorn's protocol, which hands a later upgrade on the same
    connection to WebSocketProtocol."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = [(b"content-length", b"5")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": b"plain"})
        else:
            await echo_app(scope, receive, send)

    async with served(app) as address:
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head.startswith(b"HTTP/1.1 200")
        assert await asyncio.wait_for(reader.readexactly(5), WAIT) == b"plain"
        writer.write(upgrade_request("/later"))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert head.startswith(b"HTTP/1.1 101")
        writer.write(masked(1, b"again"))
        assert await asyncio.wait_for(reader.readexactly(2 + 5), WAIT) == b"\x81\x05again"
        writer.close()


async def test_messages_before_a_protocol_error_in_the_same_read_are_delivered() -> None:
    """A violation fails the connection (7.1.7), after the messages that preceded it."""
    got: list[Any] = []

    async def recorder(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        while (event := await receive())["type"] != "websocket.disconnect":
            got.append(event.get("text"))
        got.append(event["code"])

    async with served(recorder) as address:
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(upgrade_request())
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        writer.write(masked(1, b"first") + masked(1, b"second") + masked(3, b"bad"))
        close = await asyncio.wait_for(reader.read(), WAIT)  # the close frame, then EOF
        assert close[0] == 0x88 and struct.unpack(">H", close[2:4])[0] == 1002
        writer.close()
    assert got == ["first", "second", 1002]
