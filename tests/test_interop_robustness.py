"""Misbehaving clients, many clients, and the wire rules where socketio-rs follows the reference.

Bad input from one connection must not disturb the others (DESIGN.md, part 3). Where
socketio-rs deliberately differs from python-socketio (DESIGN.md, "Where python-socketio and
the reference server differ on the wire"), the test asserts each implementation's own
behaviour: the reference server's for socketio_rs (items N8, N9, P14, S21, S23 of
socketio-server-behaviour.md) and python-socketio's for ``socketio`` (ref §4.4), so both
halves are checked and the difference stays documented.
"""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest

from server_harness import (
    IMPLS,
    SERVER_OPTIONS,
    WAIT,
    Inbox,
    RawSession,
    client,
    close_client,
    connected,
    is_rs,
    serve,
)

pytestmark = pytest.mark.parametrize("impl", IMPLS)
WS = ["websocket"]


def app_for(impl: types.ModuleType, seen: Inbox, **options: Any) -> tuple[Any, Any]:
    sio = impl.AsyncServer(**{**SERVER_OPTIONS, **options})

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        seen.put("connect", sid)

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        seen.put("disconnect", sid, reason)

    @sio.event
    async def echo(sid: str, *args: Any) -> Any:
        return args

    sio.on("echo", echo, namespace="/other")

    @sio.event
    async def upload(sid: str, data: bytes) -> int:
        seen.put("upload", sid, data)
        return len(data)

    return sio, impl.ASGIApp(sio)


async def still_answers(raw: RawSession, ack_id: int = 7) -> None:
    """The raw session's Engine.IO connection is open and its "/" namespace answers."""
    await raw.send(f'2{ack_id}["echo","still here"]')
    assert await raw.recv() == f'3{ack_id}["still here"]'


# ------------------------------------------------------------------ isolation (both impls)


async def test_malformed_packet_does_not_disturb_others(impl) -> None:
    seen = Inbox()
    _, app = app_for(impl, seen)
    async with serve(app) as url, connected(url, WS) as other:
        for frame in ["42{}", "4abc", '42abc["echo",1]', '42["echo"', "4" + "5" * 3]:
            # A fresh offender each time: socketio_rs closes it (P14), python-socketio not.
            bad = await RawSession.open(url)
            await bad.connect("/")
            assert await other.call("echo", "before", timeout=WAIT) == "before"
            await bad.send_frame(frame)
            assert await other.call("echo", frame, timeout=WAIT) == frame
            await bad.close()
        # New connections are still accepted.
        async with connected(url, WS) as late:
            assert await late.call("echo", b"\x00", timeout=WAIT) == b"\x00"


async def test_drop_in_the_middle_of_a_binary_packet(impl) -> None:
    seen = Inbox()
    _, app = app_for(impl, seen)
    async with serve(app) as url, connected(url, WS) as other:
        dropper = await RawSession.open(url)
        sid = await dropper.connect("/")
        # The BINARY_EVENT header announces one attachment that never comes.
        await dropper.send('51-["upload",{"_placeholder":true,"num":0}]')
        await dropper.close()
        (got_sid, reason) = await seen.first("disconnect")
        assert got_sid == sid and reason == "transport close"
        assert seen.all("upload") == []
        assert await other.call("echo", {"b": b"\x01"}, timeout=WAIT) == {"b": b"\x01"}
        # A complete binary event with an ack, frame by frame (reference S11 frames).
        raw = await RawSession.open(url)
        sid2 = await raw.connect("/")
        await raw.send('51-0["upload",{"_placeholder":true,"num":0}]')
        await raw.send_frame(b"\x01\x02\x03")
        assert await raw.recv() == "30[3]"
        assert seen.all("upload") == [(sid2, b"\x01\x02\x03")]
        await raw.close()


async def test_two_hundred_clients_broadcast(impl) -> None:
    seen = Inbox()
    # Default heartbeat: 200 clients share this event loop with the server.
    sio, app = app_for(impl, seen, ping_interval=25, ping_timeout=20)
    async with serve(app) as url:
        inboxes = [Inbox() for _ in range(200)]
        clients = [client() for _ in inboxes]
        for c, inbox in zip(clients, inboxes):
            c.on("*", lambda event, *args, inbox=inbox: inbox.put(event, *args))
        try:
            for start in range(0, 200, 50):
                await asyncio.gather(
                    *(
                        c.connect(url, transports=WS, wait_timeout=WAIT)
                        for c in clients[start : start + 50]
                    )
                )
            await seen.wait("connect", 200)
            assert len({c.get_sid("/") for c in clients}) == 200
            await sio.emit("news", {"n": 1, "blob": b"\x00\x01"})
            await sio.emit("news", "plain")
            await sio.emit("marker", skip_sid=clients[0].get_sid("/"))
            await asyncio.gather(*(inbox.first("marker") for inbox in inboxes[1:]))
            await inboxes[0].wait("news", 2)
            for inbox in inboxes:
                # Exactly once each, in order.
                assert inbox.all("news") == [({"n": 1, "blob": b"\x00\x01"},), ("plain",)]
            assert inboxes[0].all("marker") == []
        finally:
            await asyncio.gather(*(close_client(c) for c in clients))
        await seen.wait("disconnect", 200)


# --------------------------------------------- wire rules: reference vs python-socketio


async def test_unknown_namespace_n9(impl) -> None:
    """N9: exactly ``44/<nsp>,{"message":"Invalid namespace"}``; the connection stays open."""
    _, app = app_for(impl, Inbox())
    async with serve(app) as url:
        raw = await RawSession.open(url)
        for packet, nsp in [("0/nope,", "/nope"), ("0/random", "/random")]:
            await raw.send(packet)
            reply = await raw.recv()
            if is_rs(impl):
                assert reply == "4" + nsp + ',{"message":"Invalid namespace"}'
            else:  # ref §4.2: a JSON string
                assert reply == "4" + nsp + ',"Unable to connect"'
        await raw.connect("/")
        await still_answers(raw)
        await raw.close()


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param("4abc", id="unknown-type"),
        pytest.param("42{}", id="invalid-payload"),
        pytest.param('42abc["echo",1]', id="invalid-ack-id"),
        pytest.param('42["connect"]', id="reserved-event"),
        pytest.param('42["echo",1', id="truncated-json"),
    ],
)
async def test_undecodable_packet_p14(impl, frame) -> None:
    """P14/S23: a packet that fails to decode closes that Engine.IO connection only."""
    seen = Inbox()
    _, app = app_for(impl, seen)
    async with serve(app) as url, connected(url, WS) as other:
        raw = await RawSession.open(url)
        sid = await raw.connect("/")
        await raw.send_frame(frame)
        if is_rs(impl):
            assert await raw.closed_by_server()
            (got_sid, _) = await seen.first("disconnect")
            assert got_sid == sid
        else:  # python-socketio logs the error and keeps the connection (ref §4.4)
            await still_answers(raw)
            await raw.close()
        assert await other.call("echo", "ok", timeout=WAIT) == "ok"


async def test_event_on_namespace_not_joined_n8(impl) -> None:
    """N8/P17: an EVENT for a namespace the client has not joined closes the connection."""
    _, app = app_for(impl, Inbox())
    async with serve(app) as url:
        raw = await RawSession.open(url)
        await raw.connect("/")
        await raw.send('2/other,["echo",1]')
        if is_rs(impl):
            assert await raw.closed_by_server()
        else:  # dropped with a warning (ref §4.4)
            await still_answers(raw)
            await raw.close()


async def test_second_connect_n8(impl) -> None:
    """N8: a second CONNECT for a namespace already joined closes the connection."""
    _, app = app_for(impl, Inbox())
    async with serve(app) as url:
        raw = await RawSession.open(url)
        await raw.connect("/")
        await raw.send("0")
        if is_rs(impl):
            assert await raw.closed_by_server()
        else:  # python-socketio refuses it and keeps the first connection (ref §4.2)
            assert await raw.recv() == '4"Unable to connect"'
            await still_answers(raw)
            await raw.close()


async def test_event_after_client_disconnect_s21(impl) -> None:
    """S21: after the client's DISCONNECT, a packet for that namespace is a violation."""
    seen = Inbox()
    _, app = app_for(impl, seen)
    async with serve(app) as url:
        raw = await RawSession.open(url)
        sid = await raw.connect("/")
        await raw.connect("/other")
        await raw.send("1")
        assert await seen.first("disconnect") == (sid, "client disconnect")
        # The Engine.IO connection survives the DISCONNECT (P18): /other still answers.
        await raw.send('2/other,3["echo",2]')
        assert await raw.recv() == "3/other,3[2]"
        if is_rs(impl):
            # ... but an event for "/" now closes it.
            await raw.send('2["echo",1]')
            assert await raw.closed_by_server()
        else:
            await raw.send('2["echo",1]')
            await raw.connect("/")
            await still_answers(raw)
            await raw.close()
