"""``sio.attach(app)`` on an aiohttp application (python-engineio's aiohttp
driver, through our Engine.IO glue), with each transport."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web

import socketio_rs
from server_harness import HOST, TRANSPORTS, WAIT, connected


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_attach_to_aiohttp(transports: list[str] | None) -> None:
    sio = socketio_rs.AsyncServer(async_mode="aiohttp", ping_interval=1, ping_timeout=1)

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

    app = web.Application()
    sio.attach(app)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, HOST, 0)
    await site.start()
    try:
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        async with connected(f"http://{HOST}:{port}", transports) as client:
            assert await client.call("echo", {"b": b"\x01", "s": "é"}, timeout=WAIT) == {
                "b": b"\x01",
                "s": "é",
            }
            assert client.transport() == ("polling" if transports == ["polling"] else "websocket")
    finally:
        await runner.cleanup()
