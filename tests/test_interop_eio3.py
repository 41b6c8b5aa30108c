"""socket.io-client 2.x (Engine.IO v3, Socket.IO protocol v4) with ``allow_eio3=True``.

The client is the official ``socket.io-client@2.5.0`` from npm (tests/node/eio3.mjs), over
polling only, WebSocket only and polling then the upgrade. Its scenario runs against
socketio-rs and against the reference Node server with ``allowEIO3: true``
(tests/node/eio3_server.mjs, the same application), and both must give the same
transcript, so these tests hold what Node does. ``allow_eio3=False`` refuses the handshake
with the reference server's answer, checked against Node too.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets

import socketio_rs
from redis_cluster import RedisServer
from server_harness import (
    NODE_DIR,
    SERVE_MODE,
    TRANSPORT_NAMES,
    WAIT,
    ensure_node_client,
    free_port,
    run_node,
    serve,
    wait_until,
)
from test_admin import admin_ui, instrumented

#: The heartbeat of both servers: the 2.x client pings every 500 ms, and a session whose
#: client has not pinged for 2 s (interval + timeout) is closed; generous for loaded machines.
HEARTBEAT = {"ping_interval": 0.5, "ping_timeout": 1.5}


def eio3_app(allow_eio3: bool = True) -> Any:
    return socketio_rs.ASGIApp(eio3_server(allow_eio3=allow_eio3))


def eio3_server(**options: Any) -> socketio_rs.AsyncServer:
    """tests/node/eio3_server.mjs's application, on socketio-rs: Node-style namespaces,
    middleware and sockets, with python-socketio handlers for ``echo`` and ``stats``.
    ``options`` are more ``AsyncServer`` options."""
    options.setdefault("allow_eio3", True)
    sio = socketio_rs.AsyncServer(
        async_mode="asgi", cors_allowed_origins="*", **HEARTBEAT, **options
    )
    stats: dict[str, Any] = {"secondMiddleware": 0, "adminDisconnect": None}
    root = sio.of("/")

    @root.on("connection")
    async def on_connection(socket: socketio_rs.Socket) -> None:
        await socket.join("room")
        if not socket.handshake.query.get("quiet"):  # a raw test: nothing sent unasked
            await socket.emit("welcome", b"\x01\x02\x03", "caf\u00e9 \U0001f600")

    @root.on("bin")
    async def send_binary(socket: socketio_rs.Socket) -> None:
        await socket.emit("b", b"\x01\x02")

    @sio.event
    async def echo(sid: str, *args: Any) -> Any:
        return args

    @root.on("ask")
    async def ask(socket: socketio_rs.Socket) -> None:
        answer = await socket.timeout(5).emit_with_ack("question", "q?", b"\x07")
        await socket.emit("answer_was", answer)

    @root.on("broadcast")
    async def broadcast(socket: socketio_rs.Socket, payload: Any) -> None:
        await sio.to("room").emit("news", payload)

    @sio.event
    async def stats_(sid: str) -> Any:
        return stats

    sio.on("stats", stats_)

    @root.on("kick")
    async def kick(socket: socketio_rs.Socket) -> None:
        await socket.disconnect()

    admin = sio.of("/admin")

    @admin.use
    def check_token(socket: socketio_rs.Socket, next: Any) -> None:
        token = socket.handshake.query.get("token")
        if token == "abc":
            next()
        elif token == "data":
            err = Exception("with data")
            err.data = {"code": 42}  # type: ignore[attr-defined]
            next(err)
        else:
            next(Exception("thou shall not pass"))

    @admin.use
    def second(socket: socketio_rs.Socket, next: Any) -> None:
        stats["secondMiddleware"] += 1
        next()

    @admin.on("connection")
    async def on_admin(socket: socketio_rs.Socket) -> None:
        await socket.emit(
            "admin_welcome", socket.handshake.query.get("token"), socket.handshake.auth
        )

    @admin.on("disconnect")
    async def admin_left(socket: socketio_rs.Socket, reason: str) -> None:
        stats["adminDisconnect"] = reason

    @sio.of(re.compile(r"^/dyn-\w+$")).on("connection")
    async def on_dynamic(socket: socketio_rs.Socket) -> None:
        await socket.emit("dyn", socket.nsp.name)

    return sio


@contextlib.asynccontextmanager
async def node_server(allow_eio3: bool = True) -> AsyncIterator[str]:
    """The reference server running eio3_server.mjs; yields its base URL."""
    ensure_node_client()
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_DIR / "eio3_server.mjs"),
        str(port),
        "1" if allow_eio3 else "0",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), WAIT)
        assert line.strip() == b"ready"
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        await proc.wait()


@contextlib.asynccontextmanager
async def server(kind: str, allow_eio3: bool = True) -> AsyncIterator[str]:
    if kind == "node":
        async with node_server(allow_eio3) as url:
            yield url
    else:
        async with serve(eio3_app(allow_eio3)) as url:
            yield url


#: The reference server's runs check the expected transcripts themselves, which neither
#: socketio-rs's serving mode nor the installed dependencies change: they run once per
#: `make test`, in the main run from the source tree (not again in the serve-mode run or in
#: the wheel's virtualenvs), to keep the suite lean.
_REFERENCE_RUN = not SERVE_MODE and Path(socketio_rs.__file__).resolve().is_relative_to(
    Path(__file__).resolve().parent.parent / "python"
)
SERVERS = [
    "socketio_rs",
    pytest.param(
        "node",
        marks=pytest.mark.skipif(
            not _REFERENCE_RUN, reason="the reference server's run is in the main pytest run"
        ),
    ),
]


def expected_transcript(transport: str) -> list[Any]:
    final = "polling" if transport == "polling" else "websocket"
    return [
        ["welcome", b"\x01\x02\x03", "caf\u00e9 \U0001f600"],
        # The implicit connection to "/": the client computes its id, the Engine.IO sid.
        ["connect", True, final],
        ["ack", b"\x09\x08", "\u00fc\U0001f600", {"n": 1}],
        ["question", "q?", b"\x07"],
        ["answer_was", b"\x05"],
        # io("/admin?token=abc"): the query reaches socket.handshake.query, and auth.
        ["admin_welcome", "abc", {"token": "abc"}],
        ["admin_id", True],
        # A middleware refusal is the 2.x client's "error" event: the message, or err.data.
        ["error", "bad", "thou shall not pass"],
        ["error", "data", {"code": 42}],
        ["dyn", "/dyn-acme"],
        ["news", "2.x", {"bin": b"\x01\xff", "text": "t"}],
        ["news", "4.x", {"bin": b"\x01\xff", "text": "t"}],
        # Idle for 2.5 s, five ping intervals: the client's pings keep it connected.
        ["alive", None, "still here"],
        # The refused sockets never reached the second middleware.
        ["stats", {"secondMiddleware": 1, "adminDisconnect": "client namespace disconnect"}],
        ["disconnect", "io server disconnect"],
    ]


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
@pytest.mark.parametrize("kind", SERVERS)
async def test_socketio_client_2x(kind: str, transport: str) -> None:
    async with server(kind) as url:
        transcript = await run_node("eio3.mjs", url, transport, timeout=60)
    assert transcript == expected_transcript(transport)


@pytest.mark.parametrize("kind", SERVERS)
async def test_eio3_refused_by_default_polling(kind: str) -> None:
    async with server(kind, allow_eio3=False) as url, aiohttp.ClientSession() as http:
        async with http.get(url + "/socket.io/?EIO=3&transport=polling") as response:
            assert response.status == 400
            assert response.content_type == "application/json"
            assert await response.read() == b'{"code":5,"message":"Unsupported protocol version"}'
        # A v4 client is still served.
        async with http.get(url + "/socket.io/?EIO=4&transport=polling") as response:
            assert response.status == 200
            assert (await response.text()).startswith('0{"sid":')


async def test_eio3_websocket_refused_by_default() -> None:
    """Node answers a WebSocket handshake in protocol 3 with a 400 and the message; so does
    socketio-rs where the ASGI server can send an HTTP answer to a WebSocket request."""
    async with server("socketio_rs", allow_eio3=False) as url:
        ws_url = url.replace("http", "ws") + "/socket.io/?EIO=3&transport=websocket"
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(ws_url):
                pass
        assert refused.value.response.status_code == 400
        assert refused.value.response.body == b"Unsupported protocol version"


# --------------------------------------------------------------------------- the wire, raw


def xhr2(*packets: str | bytes) -> bytes:
    """An XHR2 binary payload: ``<0 text | 1 binary><length digits as bytes><255><packet>``."""
    out = b""
    for pkt in packets:
        body = pkt.encode() if isinstance(pkt, str) else pkt
        out += bytes((0 if isinstance(pkt, str) else 1, *map(int, str(len(body))), 255)) + body
    return out


class RawV3:
    """One Engine.IO v3 polling session, driven request by request."""

    def __init__(self, http: aiohttp.ClientSession, url: str, b64: bool = False) -> None:
        self.http = http
        self.base = url + "/socket.io/?EIO=3&transport=polling&quiet=1" + ("&b64=1" if b64 else "")
        self.sid = ""

    async def open(self) -> str:
        """The handshake; returns what came with the OPEN packet (the CONNECT to "/")."""
        async with self.http.get(self.base) as response:
            assert response.status == 200
            body = await response.text()
        length, _, rest = body.partition(":")
        opening = rest[: int(length)]
        assert opening.startswith('0{"sid":"')
        self.sid = opening.split('"')[3]
        rest = rest[int(length) :]
        if not rest:  # the CONNECT to "/" comes on the next GET
            rest = (await self.get())[1].decode()
        return rest

    async def get(self) -> tuple[str, bytes]:
        async with self.http.get(f"{self.base}&sid={self.sid}") as response:
            return response.content_type, await response.read()

    async def post(self, body: str | bytes) -> int:
        binary = isinstance(body, bytes)
        headers = {"Content-Type": "application/octet-stream" if binary else "text/plain"}
        data = body if binary else body.encode()
        async with self.http.post(f"{self.base}&sid={self.sid}", data=data, headers=headers) as r:
            assert (await r.text()).lower() == "ok" or r.status != 200
            return r.status


@contextlib.asynccontextmanager
async def raw_session(kind: str, b64: bool = False) -> AsyncIterator[RawV3]:
    async with server(kind) as url, aiohttp.ClientSession() as http:
        session = RawV3(http, url, b64)
        assert await session.open() == "2:40"  # the implicit CONNECT to "/", empty
        yield session


BINARY_EVENT = '451-["b",{"_placeholder":true,"num":0}]'


@pytest.mark.parametrize("kind", SERVERS)
async def test_polling_payloads(kind: str) -> None:
    """Binary in XHR2 framing both ways; text lengths in UTF-16 code units."""
    async with raw_session(kind) as session:
        assert await session.post('9:42["bin"]') == 200
        assert await session.get() == (
            "application/octet-stream",
            xhr2(BINARY_EVENT, b"\x04\x01\x02"),
        )
        ask = '451-0["echo",{"_placeholder":true,"num":0}]'
        assert await session.post(xhr2(ask, b"\x04\x07\x08")) == 200
        expected = xhr2('461-0[{"_placeholder":true,"num":0}]', b"\x04\x07\x08")
        assert await session.get() == ("application/octet-stream", expected)
        # "😀" is two UTF-16 code units: JavaScript's length of '421["echo","😀"]' is 16.
        assert await session.post('16:421["echo","\U0001f600"]') == 200
        assert await session.get() == ("text/plain", '9:431["\U0001f600"]'.encode())


@pytest.mark.parametrize("kind", SERVERS)
async def test_polling_base64_packets(kind: str) -> None:
    """With b64=1 a binary packet is ``b4`` and base64, in a text payload, both ways."""
    async with raw_session(kind, b64=True) as session:
        await session.post('9:42["bin"]')
        expected = f"{len(BINARY_EVENT)}:{BINARY_EVENT}6:b4AQI="
        assert await session.get() == ("text/plain", expected.encode())
        ask = '451-0["echo",{"_placeholder":true,"num":0}]'
        await session.post(f"{len(ask)}:{ask}6:b4Bwg=")
        ack = '461-0[{"_placeholder":true,"num":0}]'
        assert await session.get() == ("text/plain", f"{len(ack)}:{ack}6:b4Bwg=".encode())


@pytest.mark.parametrize("kind", SERVERS)
async def test_heartbeat_is_the_clients(kind: str) -> None:
    """The client pings, the server answers PONG; the server never pings, and closes a
    session whose client stopped pinging for pingInterval + pingTimeout."""
    async with raw_session(kind) as session:
        for _ in range(3):
            await asyncio.sleep(0.3)
            await session.post("1:2")
            assert await session.get() == ("text/plain", b"1:3")
        await asyncio.sleep(2.0 + 1.5)  # interval + timeout (2 s), with a generous margin
        assert await session.post("1:2") == 400  # the session is gone


@pytest.mark.parametrize("kind", SERVERS)
async def test_a_pong_from_the_client_closes_the_session(kind: str) -> None:
    """PONG goes the other way in v3: the reference server closes on "invalid heartbeat
    direction"."""
    async with raw_session(kind) as session:
        await session.post("1:3")
        await asyncio.sleep(0.1)
        assert await session.post("1:2") == 400


@pytest.mark.parametrize(
    "body",
    ["garbage", "99:42[]", "3:9xx", "4:b4@@", b"\x00\x01", b"\x07\x01\xff1", b"\x01\x02\xff\x02x"],
    ids=repr,
)
async def test_a_bad_payload_closes_only_its_session(body: str | bytes) -> None:
    """What the reference server's v3 parser refuses closes that session; another goes on."""
    async with server("socketio_rs") as url, aiohttp.ClientSession() as http:
        bad, good = RawV3(http, url), RawV3(http, url)
        for session in (bad, good):
            assert await session.open() == "2:40"
        await bad.post(body)
        assert await bad.post("1:2") == 400
        await good.post("1:2")
        assert await good.get() == ("text/plain", b"1:3")


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
async def test_a_redis_emitter_reaches_a_2x_client(transport: str) -> None:
    """Through AsyncRedisManager, a write-only emitter elsewhere reaches a 2.x client in a
    room, as it reaches any other."""
    redis_server = RedisServer()
    redis_server.start()
    sio = eio3_server(client_manager=socketio_rs.AsyncRedisManager(redis_server.url))
    emitter = socketio_rs.AsyncRedisManager(redis_server.url, write_only=True)
    try:
        async with serve(socketio_rs.ASGIApp(sio)) as url:
            listening = asyncio.ensure_future(
                run_node("eio3_listen.mjs", url, transport, options={"event": "news"})
            )

            def in_room() -> bool:
                return any("room" in s.rooms for s in sio.of("/").sockets.values())

            # The client in its room, and the server's manager listening on the channel.
            await wait_until(lambda: in_room() or listening.done(), what="the client in a room")
            await wait_until(lambda: redis_server.numsub("socketio") == 1, what="subscribed")
            await emitter.emit("news", {"bin": b"\x00\xff", "via": "redis"}, room="room")
            transcript = await listening
        assert transcript == [["connect"], ["news", {"bin": b"\x00\xff", "via": "redis"}]]
    finally:
        await emitter.shutdown()
        await sio.manager.shutdown()
        redis_server.stop()


async def test_the_admin_ui_sees_a_2x_client() -> None:
    """``sio.instrument()``: the Admin UI is told of a 2.x client's socket, under the id the
    client has, and its announcement repeats with the client's pings."""
    # Not eio3_server(): its /admin is the Admin UI's namespace here.
    sio = socketio_rs.AsyncServer(allow_eio3=True, async_mode="asgi", **HEARTBEAT)
    async with instrumented(sio), serve(socketio_rs.ASGIApp(sio)) as url:
        async with admin_ui(url) as (_, inbox):
            listening = asyncio.ensure_future(
                run_node("eio3_listen.mjs", url, "websocket", options={"event": "news"})
            )
            await wait_until(lambda: len(sio.of("/").sockets) == 1 or listening.done())
            [socket] = sio.of("/").sockets.values()

            def announced() -> int:
                return sum(1 for (s, _) in inbox.all("socket_connected") if s["id"] == socket.id)

            await wait_until(lambda: announced() >= 2, what="socket_connected, then on a ping")
            await sio.emit("news", "seen", to=socket.id)
            assert await listening == [["connect"], ["news", "seen"]]
