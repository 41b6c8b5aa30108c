"""Limits: an oversized payload, too many attachments or too deep a payload
affects only the connection that sent it (DESIGN.md part 3; P14)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import socketio_rs
from server_harness import SERVER_OPTIONS, WAIT, Inbox, RawSession, connected, serve

LIMIT = 10_000


def limited_app(seen: Inbox) -> Any:
    sio = socketio_rs.AsyncServer(**{**SERVER_OPTIONS, "max_http_buffer_size": LIMIT})

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        seen.put("disconnect", sid, reason)

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

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
            assert big.status_code == 400
            # The session is gone.
            after = await http.get("/socket.io/", params=params)
            assert after.status_code == 400
        assert await other.call("echo", "unaffected", timeout=WAIT) == "unaffected"
