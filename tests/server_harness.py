"""Real-socket test harness for the interop and drop-in tests.

Everything here runs for real: an ASGI server (uvicorn, or hypercorn) on 127.0.0.1 inside the
test's event loop, python-socketio's ``AsyncClient``, the official JavaScript client in a Node
subprocess, and raw Engine.IO WebSocket sessions for frame-exact checks. Nothing of ours is
mocked.

The server implementation is a parameter: ``IMPLS`` holds python-socketio (``socketio``) and
``socketio_rs``, and a test builds its application from ``impl.AsyncServer(...)`` /
``impl.ASGIApp(...)``, so the same code validates python-socketio today and socketio_rs as it
grows. While ``socketio_rs.AsyncServer`` is missing the ``socketio_rs`` cases fail, on purpose.
Select one side with ``-k "not socketio_rs"`` (python-socketio only) or ``-k socketio_rs``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import types
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import hypercorn.asyncio
import hypercorn.config
import pytest
import socketio
import uvicorn
import websockets
from websockets.asyncio.client import ClientConnection

import socketio_rs
from socketio_rs.wsserver import WebSocketProtocol, front_for

HOST = "127.0.0.1"
# How long a test waits for something that should happen within milliseconds.
WAIT = 10.0
NODE_DIR = Path(__file__).parent / "node"

# Options every test server gets. async_mode: python-engineio would pick aiohttp (installed
# for the client) otherwise, as python-socketio's docs warn. ping_interval: python-engineio
# answers a pending long-poll GET only at the next ping after a polling client closes, so
# the default 25 s would make every polling test wait that long at teardown.
SERVER_OPTIONS: dict[str, Any] = {"async_mode": "asgi", "ping_interval": 1, "ping_timeout": 1}

# SOCKETIO_RS_SERVE=1 runs every uvicorn server of the tests the way ``socketio_rs.serve`` does:
# WebSockets on socketio-rs's own protocol (``make test`` runs the server tests both ways).
SERVE_MODE = os.environ.get("SOCKETIO_RS_SERVE") == "1"
SERVE_OPTIONS: dict[str, Any] = (
    {"ws": WebSocketProtocol, "http": front_for("auto")} if SERVE_MODE else {}
)

IMPLS = [pytest.param(socketio, id="socketio"), pytest.param(socketio_rs, id="socketio_rs")]
# The client side: websocket only, polling only, and polling first then the upgrade (the
# default of both python-socketio's client and the JS client).
TRANSPORTS = [
    pytest.param(["websocket"], id="websocket"),
    pytest.param(["polling"], id="polling"),
    pytest.param(None, id="upgrade"),
]
TRANSPORT_NAMES = ["websocket", "polling", "upgrade"]
# The official client's transports the namespace tests run their scripted Node clients on.
NODE_TRANSPORTS = ["websocket", "polling"]


def is_rs(impl: types.ModuleType) -> bool:
    return impl.__name__ == "socketio_rs"


# --------------------------------------------------------------------------- servers


@contextlib.asynccontextmanager
async def serve(app: Any, *, lifespan: str = "off", **options: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 (a free port) in this loop; yield its base URL.
    ``options`` are more ``uvicorn.Config`` options."""
    config = uvicorn.Config(
        app,
        host=HOST,
        port=0,
        log_level="warning",
        lifespan=lifespan,
        timeout_graceful_shutdown=2,
        **{**SERVE_OPTIONS, **options},
    )
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    try:
        while not server.started:
            if task.done():  # startup failed: re-raise its error
                task.result()
                raise RuntimeError("uvicorn stopped during startup")
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


async def listening(port: int) -> bool:
    """Whether something accepts TCP connections on ``HOST:port`` now."""
    try:
        _, writer = await asyncio.open_connection(HOST, port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


@contextlib.asynccontextmanager
async def serve_hypercorn(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with hypercorn's asyncio ``serve`` and a shutdown trigger."""
    config = hypercorn.config.Config()
    port = free_port()
    config.bind = [f"{HOST}:{port}"]
    config.loglevel = "WARNING"
    config.graceful_timeout = 2
    stop = asyncio.Event()
    task = asyncio.ensure_future(
        hypercorn.asyncio.serve(app, config, shutdown_trigger=stop.wait, mode="asgi")
    )
    try:
        for _ in range(500):
            if task.done():
                task.result()
            if await listening(port):
                break
            await asyncio.sleep(0.01)
        yield f"http://{HOST}:{port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)


# --------------------------------------------------------------------------- recording


class RecordingTransport:
    """An asyncio transport's write side that records ``write`` calls (for the tests of
    ``_core.WsOutbox`` and what writes through it); ``buffered`` is what
    ``get_write_buffer_size`` says."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closing = False
        self.buffered = 0

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return self.buffered


class Inbox:
    """What one side observed, in arrival order, as ``(name, args)`` pairs."""

    def __init__(self) -> None:
        self.items: list[tuple[str, tuple[Any, ...]]] = []
        self._changed = asyncio.Event()

    def put(self, name: str, *args: Any) -> None:
        self.items.append((name, args))
        self._changed.set()

    def all(self, name: str) -> list[tuple[Any, ...]]:
        return [args for n, args in self.items if n == name]

    async def wait(self, name: str, count: int = 1, timeout: float = WAIT) -> list[tuple[Any, ...]]:
        """Wait until ``count`` items named ``name`` arrived; return the args of all of them."""

        async def until() -> list[tuple[Any, ...]]:
            while True:
                got = self.all(name)
                if len(got) >= count:
                    return got
                self._changed.clear()
                await self._changed.wait()

        try:
            return await asyncio.wait_for(until(), timeout)
        except asyncio.TimeoutError:
            raise AssertionError(
                f"timed out waiting for {count} x {name!r}; observed {self.items!r}"
            ) from None

    async def first(self, name: str, timeout: float = WAIT) -> tuple[Any, ...]:
        return (await self.wait(name, 1, timeout))[0]


def client(**kwargs: Any) -> socketio.AsyncClient:
    """python-socketio's AsyncClient without reconnection (a test wants to see the drop).

    It gets an aiohttp session of its own that :func:`close_client` closes: left to itself,
    python-engineio's client can open a fresh session from a loop still running after a
    disconnect, and that session is then never closed (a ResourceWarning, an error here).
    """
    return socketio.AsyncClient(reconnection=False, http_session=aiohttp.ClientSession(), **kwargs)


async def close_client(c: socketio.AsyncClient) -> None:
    """Disconnect ``c``, wait for its Engine.IO tasks, then close its aiohttp session."""
    await c.disconnect()
    await c.shutdown()
    for task in (c.eio.read_loop_task, c.eio.write_loop_task):
        if task is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(task, WAIT)
    if c.eio.http is not None and not c.eio.http.closed:
        await c.eio.http.close()


@contextlib.asynccontextmanager
async def connected(
    url: str,
    transports: list[str] | None,
    *,
    sio: socketio.AsyncClient | None = None,
    **connect_kwargs: Any,
) -> AsyncIterator[socketio.AsyncClient]:
    """A connected AsyncClient, disconnected on exit."""
    c = sio if sio is not None else client()
    try:
        await c.connect(url, transports=transports, wait_timeout=WAIT, **connect_kwargs)
        yield c
    finally:
        await close_client(c)


async def wait_until(predicate: Any, timeout: float = WAIT, what: str = "condition") -> None:
    """Poll ``predicate()`` until it is true (for server-side state with no event to await)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


# --------------------------------------------------------------------------- raw Engine.IO


class RawSession:
    """An Engine.IO v4 WebSocket session driven frame by frame, for wire-exact checks.

    ``send`` takes the Socket.IO packet text (``"2[...]"``); the Engine.IO ``4`` (message)
    prefix is added. ``send_frame`` sends a WebSocket frame as is. A reader task answers the
    server's pings at all times and queues everything else for :meth:`recv`.
    """

    def __init__(self, ws: ClientConnection, handshake: dict[str, Any]) -> None:
        self.ws = ws
        self.handshake = handshake
        self.frames: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                if frame == "2":
                    await self.ws.send("3")
                else:
                    self.frames.put_nowait(frame)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.frames.put_nowait(None)  # end of the session

    @classmethod
    async def open(cls, base_url: str, path: str = "socket.io") -> RawSession:
        url = base_url.replace("http://", "ws://") + f"/{path}/?EIO=4&transport=websocket"
        ws = await websockets.connect(url, max_size=None)
        first = await asyncio.wait_for(ws.recv(), WAIT)
        assert isinstance(first, str) and first.startswith("0{"), first
        return cls(ws, json.loads(first[1:]))

    async def send(self, packet: str) -> None:
        await self.ws.send("4" + packet)

    async def send_frame(self, frame: str | bytes) -> None:
        await self.ws.send(frame)

    async def recv(self, timeout: float = WAIT) -> str | bytes:
        """The next Socket.IO packet text (without the ``4``) or binary attachment."""
        frame = await asyncio.wait_for(self.frames.get(), timeout)
        assert frame is not None, "the server closed the connection"
        if isinstance(frame, str):
            assert frame.startswith("4"), f"unexpected Engine.IO frame {frame!r}"
            return frame[1:]
        return frame

    async def connect(self, nsp: str = "/", auth: Any = None) -> str:
        """CONNECT to ``nsp``; return the namespace sid from the reply."""
        prefix = "" if nsp == "/" else nsp + ","
        await self.send("0" + prefix + ("" if auth is None else json.dumps(auth)))
        reply = await self.recv()
        assert isinstance(reply, str) and reply.startswith("0" + prefix + "{"), reply
        return str(json.loads(reply[1 + len(prefix) :])["sid"])

    async def closed_by_server(self, timeout: float = WAIT) -> bool:
        """True once the server closes the WebSocket (within ``timeout``)."""
        done, _ = await asyncio.wait({self.reader}, timeout=timeout)
        return bool(done)

    async def close(self) -> None:
        await self.ws.close()
        await self.reader


# --------------------------------------------------------------------------- Node client

_node_ready = False


def ensure_npm_packages(directory: Path) -> None:
    """Run ``npm ci`` in ``directory`` if a dependency of its package.json is missing.

    This is the only network access the test suite makes; package-lock.json pins the versions.
    """
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "the interop tests need Node.js and npm on PATH"
    packages = json.loads((directory / "package.json").read_text())["dependencies"]
    if not all((directory / "node_modules" / name).is_dir() for name in packages):
        subprocess.run(
            [npm, "ci", "--prefix", str(directory), "--no-audit", "--no-fund"],
            check=True,
            timeout=300,
        )


def ensure_node_client() -> None:
    """Install the pinned socket.io-client of the Node scripts (tests/node) if it is missing."""
    global _node_ready
    if not _node_ready:
        ensure_npm_packages(NODE_DIR)
        _node_ready = True


def to_wire_json(value: Any) -> Any:
    """Python value to the JSON the Node scripts read: ``bytes`` become ``{"$bin": base64}``."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$bin": base64.b64encode(bytes(value)).decode()}
    if isinstance(value, (list, tuple)):
        return [to_wire_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_wire_json(v) for k, v in value.items()}
    return value


def from_wire_json(value: Any) -> Any:
    """The inverse of :func:`to_wire_json`, for transcripts printed by the Node scripts."""
    if isinstance(value, dict):
        if list(value) == ["$bin"]:
            return base64.b64decode(value["$bin"])
        return {k: from_wire_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire_json(v) for v in value]
    return value


async def run_node(
    script: str,
    url: str,
    transport: str,
    *,
    options: dict[str, Any] | None = None,
    timeout: float = 30.0,
) -> list[Any]:
    """Run ``tests/node/<script>`` against ``url`` and return its transcript (a list of steps).

    ``transport`` is ``websocket``, ``polling`` or ``upgrade``; ``options`` reach the script as
    JSON in ``SCENARIO_OPTIONS``. The subprocess is awaited, so the in-loop server keeps running.
    """
    ensure_node_client()
    env = dict(os.environ)
    env["SCENARIO_OPTIONS"] = json.dumps(to_wire_json(options or {}))
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(NODE_DIR / script),
        url,
        transport,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"node {script} did not finish within {timeout}s") from None
    assert proc.returncode == 0, f"node {script} exited {proc.returncode}: {err.decode()}"
    return list(from_wire_json(json.loads(out)))


def steps(transcript: Sequence[Any], kind: str) -> list[Any]:
    """The transcript entries ``[kind, ...]`` without their kind."""
    return [entry[1:] for entry in transcript if entry[0] == kind]


async def node_steps(
    url: str, transport: str, steps_: list[Any], *, noack: Sequence[str] = ()
) -> list[Any]:
    """Run ``tests/node/steps.mjs``: a scripted official client (see that file)."""
    return await run_node(
        "steps.mjs", url, transport, options={"steps": steps_, "noack": list(noack)}
    )


def rs_server(**options: Any) -> tuple[socketio_rs.AsyncServer, Any]:
    """A socketio_rs server with the test options, and its ASGI app."""
    sio = socketio_rs.AsyncServer(**{**SERVER_OPTIONS, **options})
    return sio, socketio_rs.ASGIApp(sio)


# -- a raw WebSocket client, built by hand --------------------------------------


def upgrade_request(path: str = "/", **overrides: str | None) -> bytes:
    """A WebSocket opening handshake (RFC 6455 4.1) built by hand; ``None`` drops a header."""
    headers = {
        "Host": "x",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
        "Sec-WebSocket-Version": "13",
    }
    headers.update(overrides)  # type: ignore[arg-type]
    lines = [f"GET {path} HTTP/1.1"] + [f"{k}: {v}" for k, v in headers.items() if v is not None]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def masked(opcode: int, payload: bytes, fin: bool = True, rsv: int = 0) -> bytes:
    """A client frame built by hand (RFC 6455 5.2), masked with a fixed key."""
    mask = b"\x01\x02\x03\x04"
    head = bytes([(0x80 if fin else 0) | rsv | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
