"""socketio-rs under the servers and frameworks its users already run, each driven by the
official socket.io-client over polling and over WebSocket (tests/smoke_app.py: an event from
the server, an ack, a namespace middleware's refusal).

- ``ASGIApp`` under uvicorn and hypercorn (in this process), granian and daphne (their own
  processes, started by their command lines as a user does);
- ``sio.attach(app)`` on aiohttp and sanic, and ``get_tornado_handler(sio)`` on tornado, as
  python-socketio serves them: an application on either switches by its import.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest

import socketio_rs
from server_harness import (
    HOST,
    NODE_TRANSPORTS,
    free_port,
    listening,
    node_steps,
    serve,
    serve_hypercorn,
)
from smoke_app import STEPS, check_transcript, make_server

TESTS = Path(__file__).resolve().parent
# A server process on a loaded 2-core machine: seconds to import and bind.
STARTUP = 60.0


# The command lines of the servers started as a user starts them, for a port.
COMMANDS: dict[str, Callable[[int], list[str]]] = {
    "granian": lambda port: [
        *("granian", "--interface", "asgi", "--workers", "1", "--log-level", "warning"),
        *("--host", HOST, "--port", str(port), "asgi_smoke:app"),
    ],
    "daphne": lambda port: ["daphne", "-b", HOST, "-p", str(port), "-v", "0", "asgi_smoke:app"],
}


@contextlib.asynccontextmanager
async def server_process(name: str) -> AsyncIterator[str]:
    """Run a server's command line on ``tests/asgi_smoke.py:app``; yield its URL."""
    port = free_port()
    program, *args = COMMANDS[name](port)
    env = {**os.environ, "PYTHONPATH": str(TESTS)}
    command = [str(Path(sys.executable).parent / program), *args]
    proc = await asyncio.create_subprocess_exec(*command, cwd=TESTS, env=env)
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STARTUP
        while not await listening(port):
            assert proc.returncode is None, f"{name} exited with {proc.returncode} at start"
            assert loop.time() < deadline, f"{name} does not listen after {STARTUP}s"
            await asyncio.sleep(0.05)
        yield f"http://{HOST}:{port}"
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()


def in_process(serve_app: Callable[[Any], AbstractAsyncContextManager[str]]) -> Any:
    def start() -> AbstractAsyncContextManager[str]:
        return serve_app(socketio_rs.ASGIApp(make_server(async_mode="asgi")))

    return start


ASGI_SERVERS = {
    "uvicorn": in_process(serve),
    "hypercorn": in_process(serve_hypercorn),
    "granian": functools.partial(server_process, "granian"),
    "daphne": functools.partial(server_process, "daphne"),
}


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
@pytest.mark.parametrize("server", list(ASGI_SERVERS))
async def test_asgi_app_under_each_server(server: str, transport: str) -> None:
    async with ASGI_SERVERS[server]() as url:
        check_transcript(await node_steps(url, transport, STEPS))


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_attach_to_aiohttp(transport: str) -> None:
    from aiohttp import web

    sio = make_server(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, HOST, port).start()
    try:
        check_transcript(await node_steps(f"http://{HOST}:{port}", transport, STEPS))
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_tornado_handler(transport: str) -> None:
    import tornado.web

    sio = make_server(async_mode="tornado")
    app = tornado.web.Application([(r"/socket.io/", socketio_rs.get_tornado_handler(sio))])
    port = free_port()
    server = app.listen(port, address=HOST)
    try:
        check_transcript(await node_steps(f"http://{HOST}:{port}", transport, STEPS))
    finally:
        server.stop()
        await server.close_all_connections()


@pytest.mark.parametrize("transport", NODE_TRANSPORTS)
async def test_attach_to_sanic(transport: str) -> None:
    from sanic import Sanic

    sio = make_server(async_mode="sanic")
    app = Sanic(f"smoke_{transport}")
    # Sanic's "touchup" recompiles its own HTTP classes' methods once per app: the second app of
    # one process (the second transport here) fails in sanic itself, with or without Socket.IO.
    # An application runs one app per process.
    app.config.TOUCHUP = False
    sio.attach(app)
    port = free_port()
    server = await app.create_server(host=HOST, port=port, return_asyncio_server=True)
    assert server is not None
    await server.startup()
    await server.start_serving()
    try:
        check_transcript(await node_steps(f"http://{HOST}:{port}", transport, STEPS))
    finally:
        await server.close()
