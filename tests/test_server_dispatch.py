"""How socketio-rs runs event handlers: eagerly, without a task for a handler
that never waits, yet with python-socketio's ``async_handlers`` behaviour as
users see it (issue 3, "fast paths"; ref §3.3, §11.4). Real server, real client."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

import socketio_rs
from server_harness import WAIT, connected, masked, serve, upgrade_request


def make_server(**options: Any) -> tuple[socketio_rs.AsyncServer, list[str]]:
    sio = socketio_rs.AsyncServer(async_mode="asgi", **options)
    order: list[str] = []

    @sio.event
    async def slow(sid: str, delay: float) -> str:
        order.append("slow start")
        await asyncio.sleep(delay)
        order.append("slow end")
        return "slow"

    @sio.event
    async def fast(sid: str, value: Any) -> Any:
        order.append("fast")
        return value

    @sio.event
    def plain(sid: str, a: Any, b: Any) -> tuple[Any, Any]:
        return b, a  # a tuple is several ack arguments

    @sio.event
    async def boom(sid: str) -> None:
        raise RuntimeError("handler failure")

    @sio.event
    async def boom_later(sid: str) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("handler failure after a wait")

    @sio.event
    async def cancelled(sid: str) -> None:
        raise asyncio.CancelledError

    @sio.event
    async def cancelled_later(sid: str) -> None:
        await asyncio.sleep(0)
        raise asyncio.CancelledError

    @sio.event
    def future(sid: str) -> asyncio.Future[str]:
        fut: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        asyncio.get_running_loop().call_later(0.01, fut.set_result, "from a future")
        return fut

    return sio, order


@pytest.mark.parametrize("transports", [["websocket"], ["polling"]])
async def test_a_waiting_handler_does_not_hold_up_the_next_event(transports: list[str]) -> None:
    sio, order = make_server()
    async with serve(socketio_rs.ASGIApp(sio)) as url, connected(url, transports) as c:
        slow = asyncio.ensure_future(c.call("slow", 0.5, timeout=WAIT))
        await asyncio.sleep(0.1)
        assert await c.call("fast", {"n": 1}, timeout=WAIT) == {"n": 1}
        assert order == ["slow start", "fast"]
        assert await slow == "slow"
        assert order == ["slow start", "fast", "slow end"]


async def test_async_handlers_false_runs_one_event_at_a_time() -> None:
    sio, order = make_server(async_handlers=False)
    async with serve(socketio_rs.ASGIApp(sio)) as url, connected(url, ["websocket"]) as c:
        got: list[Any] = []
        await c.emit("slow", 0.3, callback=lambda *a: got.append(a))
        await c.emit("fast", 1, callback=lambda *a: got.append(a))
        for _ in range(200):
            if len(got) == 2:
                break
            await asyncio.sleep(0.01)
        assert order == ["slow start", "slow end", "fast"]
        assert got == [("slow",), (1,)]


async def test_sync_handlers_tuples_and_awaitables_give_acks() -> None:
    sio, _ = make_server()
    async with serve(socketio_rs.ASGIApp(sio)) as url, connected(url, ["websocket"]) as c:
        assert await c.call("plain", (1, "two"), timeout=WAIT) == ("two", 1)
        assert await c.call("future", timeout=WAIT) == "from a future"


@pytest.mark.parametrize("event", ["cancelled", "cancelled_later"])
async def test_a_cancelled_handler_acks_with_nothing(event: str) -> None:
    """python-socketio's rule: a handler's ``CancelledError`` is a ``None`` result, so
    the ack carries no argument, whether the handler was cancelled in its first step
    (before any wait) or after one."""
    sio, _ = make_server()
    async with serve(socketio_rs.ASGIApp(sio)) as url, connected(url, ["websocket"]) as c:
        assert await c.call(event, timeout=WAIT) is None
        assert await c.call("fast", "still here", timeout=WAIT) == "still here"


@pytest.mark.parametrize("event", ["boom", "boom_later"])
async def test_a_failing_handler_is_logged_and_the_connection_lives_on(
    event: str, caplog: pytest.LogCaptureFixture
) -> None:
    sio, _ = make_server()
    async with serve(socketio_rs.ASGIApp(sio)) as url, connected(url, ["websocket"]) as c:
        with caplog.at_level(logging.ERROR, logger="socketio_rs.server"):
            await c.emit(event)
            # No ack comes for a failed handler; the next call on the same
            # connection still works.
            assert await c.call("fast", "still here", timeout=WAIT) == "still here"
            for _ in range(100):
                if any("handler failure" in str(r.exc_info) for r in caplog.records):
                    break
                await asyncio.sleep(0.01)
        assert any("handler failure" in str(r.exc_info) for r in caplog.records)
        assert c.connected


async def test_packets_of_one_read_are_taken_in_order() -> None:
    """Events that start eagerly, an ACK (which the server awaits) and a DISCONNECT, all in
    one TCP segment: each is taken after the one before it, as the client sent them."""
    sio = socketio_rs.AsyncServer(async_mode="asgi")
    order: list[str] = []
    asked = asyncio.get_running_loop().create_future()

    @sio.event
    async def a(sid: str, n: int) -> None:
        order.append(f"a{n}")

    @sio.event
    async def connect(sid: str, environ: dict[str, Any]) -> None:
        asked.set_result(sid)

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        order.append("disconnect")

    async with serve(socketio_rs.ASGIApp(sio)) as url:
        host, port = url.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(upgrade_request("/socket.io/?EIO=4&transport=websocket"))
        await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        writer.write(masked(1, b"40"))
        sid = await asyncio.wait_for(asked, WAIT)
        await sio.emit("ask", to=sid, callback=lambda value: order.append(f"ack{value}"))
        while b'["ask"]' not in await asyncio.wait_for(reader.read(4096), WAIT):
            pass
        messages = [b'42["a",1]', b"431[7]", b'42["a",2]', b"41"]
        writer.write(b"".join(masked(1, m) for m in messages))
        deadline = asyncio.get_running_loop().time() + WAIT
        while "disconnect" not in order and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        writer.close()
        await writer.wait_closed()
    assert order == ["a1", "ack7", "a2", "disconnect"]


async def test_a_handler_runs_inside_a_task() -> None:
    """Handler code that needs the current task (``asyncio.timeout``, libraries detecting
    the event loop) finds one, also before the handler first waits."""
    sio = socketio_rs.AsyncServer(async_mode="asgi")

    @sio.event
    async def probe(sid: str) -> bool:
        return asyncio.current_task() is not None

    async with serve(socketio_rs.ASGIApp(sio)) as url, connected(url, ["websocket"]) as c:
        assert [await c.call("probe", timeout=WAIT) for _ in range(3)] == [True] * 3
