"""A self-contained check of an installed socketio-rs: serve on 127.0.0.1,
connect python-socketio's client, exercise handlers that finish at once and
handlers that wait, binary data and acks. `make wheel-check` runs it on each
Python version the abi3 wheel is installed on (needs uvicorn, aiohttp and
python-socketio beside the wheel)."""

from __future__ import annotations

import asyncio
import sys

import socketio
import uvicorn

import socketio_rs


async def main() -> None:
    sio = socketio_rs.AsyncServer(async_mode="asgi")
    app = socketio_rs.ASGIApp(sio)
    order: list[str] = []

    @sio.event
    async def slow(sid: str, delay: float) -> str:
        await asyncio.sleep(delay)  # suspends: continues as a task
        order.append("slow")
        return "slow done"

    @sio.event
    async def fast(sid: str, data: object) -> object:
        order.append("fast")  # never suspends: no task is created for it
        return data

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    serving = asyncio.ensure_future(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(f"http://127.0.0.1:{port}", transports=["websocket"])
    try:
        slow_call = asyncio.ensure_future(client.call("slow", 0.3, timeout=10))
        await asyncio.sleep(0.05)
        data = await client.call("fast", {"blob": b"\x00\xff", "n": [1.5, None]}, timeout=10)
        assert data == {"blob": b"\x00\xff", "n": [1.5, None]}, data
        assert await slow_call == "slow done"
        # A slow handler did not hold up the same client's next event.
        assert order == ["fast", "slow"], order
    finally:
        await client.disconnect()
        server.should_exit = True
        await serving
    print(f"server smoke test passed on Python {sys.version.split()[0]}")


if __name__ == "__main__":
    asyncio.run(main())
