"""Serve tests/smoke_app.py under uvicorn from an installed socketio-rs (no work tree, no Rust).

tests/test_wheel_install.py runs it with the Python of a fresh virtualenv that holds the wheel:
it prints ``serving <port> <where socketio_rs was imported from>`` and serves until killed.
"""

from __future__ import annotations

import asyncio

import uvicorn

import socketio_rs
from smoke_app import make_server


async def main() -> None:
    app = socketio_rs.ASGIApp(make_server(async_mode="asgi"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    serving = asyncio.ensure_future(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    print(f"serving {port} {socketio_rs.__file__}", flush=True)
    await serving


if __name__ == "__main__":
    asyncio.run(main())
