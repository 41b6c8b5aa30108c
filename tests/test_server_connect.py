"""Connect outcomes at the frame level: ``always_connect`` (ref §4.2, both
servers alike), and the cases where socketio-rs deliberately answers
differently from python-socketio (docs/server.md)."""

from __future__ import annotations

import types
from typing import Any

import pytest

import socketio_rs
from server_harness import IMPLS, SERVER_OPTIONS, Inbox, RawSession, serve


def rejecting_app(impl: types.ModuleType, seen: Inbox, **options: Any) -> Any:
    sio = impl.AsyncServer(**{**SERVER_OPTIONS, **options})

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> Any:
        seen.put("connect", sid, auth)
        if auth == {"refuse": "false"}:
            return False
        if auth == {"refuse": "raise"}:
            raise impl.exceptions.ConnectionRefusedError("no entry", {"code": 7})
        if auth == {"refuse": "crash"}:
            raise KeyError("a bug in the handler")
        return None

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        seen.put("disconnect", sid, reason)

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

    return impl.ASGIApp(sio)


@pytest.mark.parametrize("impl", IMPLS)
async def test_always_connect_sends_connect_first_then_disconnect_on_rejection(impl) -> None:
    """ref §4.2: with always_connect the CONNECT reply comes before the handler
    runs, and a rejection arrives as a DISCONNECT carrying the failure object."""
    seen = Inbox()
    async with serve(rejecting_app(impl, seen, always_connect=True)) as url:
        raw = await RawSession.open(url)
        await raw.send('0{"refuse":"false"}')
        reply = await raw.recv()
        assert isinstance(reply, str) and reply.startswith('0{"sid":"'), reply
        assert await raw.recv() == '1{"message":"Connection rejected by server"}'
        await raw.send('0{"refuse":"raise"}')
        reply = await raw.recv()
        assert isinstance(reply, str) and reply.startswith('0{"sid":"'), reply
        assert await raw.recv() == '1{"message":"no entry","data":{"code":7}}'
        # An accepted connection works normally afterwards on the same Engine.IO session.
        await raw.send('0{"refuse":"no"}')
        assert str(await raw.recv()).startswith('0{"sid":"')
        await raw.send('21["echo","hi"]')
        assert await raw.recv() == '31["hi"]'
        await raw.close()


async def test_a_crashing_connect_handler_is_a_rejection_not_a_hang() -> None:
    """python-socketio sends nothing when the connect handler raises an
    unexpected exception, and the client waits for ever (ref §4.2)."""
    seen = Inbox()
    async with serve(rejecting_app(socketio_rs, seen)) as url:
        raw = await RawSession.open(url)
        await raw.send('0{"refuse":"crash"}')
        assert await raw.recv() == '4{"message":"Connection rejected by server"}'
        await raw.send('0{"refuse":"no"}')  # the connection is still usable
        assert str(await raw.recv()).startswith('0{"sid":"')
        await raw.close()


async def test_a_protocol_violation_disconnects_with_forced_close() -> None:
    """P14/S22: handlers of every joined namespace see the reference's reason."""
    seen = Inbox()
    async with serve(rejecting_app(socketio_rs, seen)) as url:
        raw = await RawSession.open(url)
        sid = await raw.connect("/")
        await raw.send("2{}")
        assert await raw.closed_by_server()
        assert await seen.first("disconnect") == (sid, "forced close")
        assert socketio_rs.AsyncServer.reason.FORCED_CLOSE == "forced close"
