"""Limits: an oversized payload, too many attachments or too deep a payload
affects only the connection that sent it (DESIGN.md part 3; P14)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import socketio_rs
from server_harness import HOST, SERVER_OPTIONS, WAIT, Inbox, RawSession, connected, serve

LIMIT = 10_000


def limited_app(seen: Inbox) -> Any:
    sio = socketio_rs.AsyncServer(**{**SERVER_OPTIONS, "max_http_buffer_size": LIMIT})

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        seen.put("disconnect", sid, reason)

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

    @sio.event
    async def note(sid: str, value: str) -> None:
        seen.put("note", sid, value)

    return socketio_rs.ASGIApp(sio)


@pytest.mark.parametrize(
    "frames",
    [
        pytest.param(['42["echo","' + "x" * LIMIT + '"]'], id="oversized-frame"),
        pytest.param(
            ["4511-" + '["echo",' + ",".join(["1"] * 11) + "]"], id="too-many-attachments"
        ),
        pytest.param(['42["echo",' + "[" * 300 + "]" * 300 + "]"], id="too-deep"),
        pytest.param(['42["echo",' + "9" * 101 + "]"], id="integer-too-long"),
    ],
)
async def test_a_limit_closes_only_the_offending_websocket(frames: list[str]) -> None:
    seen = Inbox()
    async with serve(limited_app(seen)) as url, connected(url, ["websocket"]) as other:
        raw = await RawSession.open(url)
        sid = await raw.connect("/")
        for frame in frames:
            await raw.send_frame(frame)
        assert await raw.closed_by_server()
        (got, _) = await seen.first("disconnect")
        assert got == sid
        assert await other.call("echo", "unaffected", timeout=WAIT) == "unaffected"


async def test_an_oversized_polling_post_is_refused_and_others_continue() -> None:
    seen = Inbox()
    async with serve(limited_app(seen)) as url, connected(url, ["polling"]) as other:
        async with httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
            opened = await http.get("/socket.io/", params={"EIO": "4", "transport": "polling"})
            assert opened.status_code == 200
            eio_sid = opened.text[opened.text.index('"sid":"') + 7 :].split('"')[0]
            params = {"EIO": "4", "transport": "polling", "sid": eio_sid}
            big = await http.post("/socket.io/", params=params, content="4" + "x" * LIMIT)
            assert big.status_code == 413  # the reference server's answer
            # The session is gone.
            after = await http.get("/socket.io/", params=params)
            assert after.status_code == 400
        assert await other.call("echo", "unaffected", timeout=WAIT) == "unaffected"


async def polling_session(url: str) -> str:
    """A polling session joined to ``/``; its Engine.IO sid."""
    async with httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
        params = {"EIO": "4", "transport": "polling"}
        opened = await http.get("/socket.io/", params=params)
        sid = str(json.loads(opened.text[1:])["sid"])
        await http.post("/socket.io/", params={**params, "sid": sid}, content="40")
        assert (await http.get("/socket.io/", params={**params, "sid": sid})).text[:2] == "40"
        return sid


async def post_raw(
    url: str, sid: str, head: str, body: AsyncIterator[bytes]
) -> tuple[bytes, float]:
    """A POST written by hand (``head`` holds its body headers); the status line of the
    answer and how long it took from the end of the head."""
    port = int(url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(
        f"POST /socket.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: text/plain\r\n{head}\r\n".encode()
    )
    await writer.drain()
    start = time.monotonic()

    async def send_body() -> None:
        async for chunk in body:
            writer.write(chunk)
            await writer.drain()

    sender = asyncio.ensure_future(send_body())
    try:
        status = await asyncio.wait_for(reader.readline(), WAIT)
        return status, time.monotonic() - start
    finally:
        sender.cancel()
        writer.close()


async def nothing() -> AsyncIterator[bytes]:
    await asyncio.sleep(3600)  # the declared body never comes
    yield b""


async def chunked(payload: bytes, pieces: int = 4) -> AsyncIterator[bytes]:
    step = max(1, len(payload) // pieces)
    for i in range(0, len(payload), step):
        part = payload[i : i + step]
        yield b"%x\r\n%s\r\n" % (len(part), part)
        await asyncio.sleep(0.01)
    yield b"0\r\n\r\n"


async def test_a_declared_length_over_the_limit_gets_413_at_once() -> None:
    seen = Inbox()
    async with serve(limited_app(seen)) as url:
        sid = await polling_session(url)
        status, took = await post_raw(url, sid, "Content-Length: 10000000\r\n", nothing())
        assert status.startswith(b"HTTP/1.1 413"), status
        assert took < 1.0, took
        (_, reason) = await seen.first("disconnect")
        assert reason == "transport error"


async def test_a_chunked_body_within_the_limit_is_processed() -> None:
    seen = Inbox()
    app = limited_app(seen)
    async with serve(app) as url:
        sid = await polling_session(url)
        # Two packets in one payload (the record separator), sent in pieces.
        payload = '42["note","a"]\x1e42["note","' + "b" * 3000 + '"]'
        status, _ = await post_raw(
            url, sid, "Transfer-Encoding: chunked\r\n", chunked(payload.encode())
        )
        assert status.startswith(b"HTTP/1.1 200"), status
        notes = await seen.wait("note", 2)
        assert [len(n[1]) for n in notes] == [1, 3000]


async def test_a_chunked_body_over_the_limit_gets_413() -> None:
    seen = Inbox()
    async with serve(limited_app(seen)) as url:
        sid = await polling_session(url)
        payload = ('42["note","' + "x" * (3 * LIMIT) + '"]').encode()
        status, _ = await post_raw(url, sid, "Transfer-Encoding: chunked\r\n", chunked(payload, 8))
        assert status.startswith(b"HTTP/1.1 413"), status
        assert not seen.all("note")
