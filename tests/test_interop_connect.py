"""Connect and disconnect semantics with python-socketio's AsyncClient (ref §4).

Each test runs against python-socketio and socketio_rs (``impl``) and over websocket-only,
polling-only and polling-then-upgrade (``transports``).
"""

from __future__ import annotations

import types
from typing import Any

import pytest
import socketio

from server_harness import (
    IMPLS,
    SERVER_OPTIONS,
    TRANSPORTS,
    WAIT,
    Inbox,
    RawSession,
    client,
    close_client,
    connected,
    serve,
    serve_hypercorn,
    wait_until,
)

pytestmark = pytest.mark.parametrize("impl", IMPLS)
all_transports = pytest.mark.parametrize("transports", TRANSPORTS)


def auth_app(impl: types.ModuleType, inbox: Inbox) -> Any:
    """Root namespace with a 3-argument connect, /two with a 2-argument one (ref §4.1)."""
    sio = impl.AsyncServer(namespaces=["/", "/two"], **SERVER_OPTIONS)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> Any:
        inbox.put("connect", sid, auth, environ["PATH_INFO"])
        if auth and auth.get("token") == "false":
            return False
        if auth and auth.get("token") == "refuse":
            raise impl.exceptions.ConnectionRefusedError("bad token", {"k": 1})
        if auth and auth.get("token") == "refuse-one":
            raise impl.exceptions.ConnectionRefusedError("just a message")
        await sio.save_session(sid, {"auth": auth})
        return None

    @sio.on("connect", namespace="/two")
    def connect_two(sid: str, environ: dict[str, Any]) -> None:
        inbox.put("connect_two", sid)

    @sio.event
    async def whoami(sid: str) -> Any:
        return sid, (await sio.get_session(sid))["auth"], sio.transport(sid)

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        inbox.put("disconnect", sid, reason)

    @sio.on("disconnect", namespace="/two")
    async def disconnect_two(sid: str, reason: str) -> None:
        inbox.put("disconnect_two", sid, reason)

    @sio.event
    async def kick_me(sid: str) -> None:
        await sio.disconnect(sid)

    return impl.ASGIApp(sio)


async def settle(c: socketio.AsyncClient, transports: list[str] | None) -> str:
    """Wait for the upgrade when the client started on polling; return the final transport."""
    expected = "polling" if transports == ["polling"] else "websocket"
    await wait_until(lambda: c.transport() == expected, what=f"client on {expected}")
    return expected


@all_transports
async def test_connect_with_auth(impl, transports) -> None:
    inbox = Inbox()
    async with serve(auth_app(impl, inbox)) as url:
        c = client()
        async with connected(url, transports, sio=c, auth={"token": "abc"}):
            expected = await settle(c, transports)
            sid, auth, path = await inbox.first("connect")
            assert auth == {"token": "abc"}
            assert path == "/socket.io/"
            # The namespace sid differs from the Engine.IO sid (ref §4.1).
            assert sid == c.get_sid("/") and sid != c.eio.sid
            # The server's transport(sid) follows the upgrade (ref §5).
            assert await c.call("whoami", timeout=WAIT) == (sid, {"token": "abc"}, expected)


@all_transports
async def test_connect_without_auth_two_and_three_arguments(impl, transports) -> None:
    """Without auth, connect(sid, environ, None) is tried, then connect(sid, environ) (ref §4.1)."""
    inbox = Inbox()
    async with serve(auth_app(impl, inbox)) as url:
        async with connected(url, transports, namespaces=["/", "/two"]) as c:
            sid, auth, _ = await inbox.first("connect")
            assert auth is None
            assert await inbox.first("connect_two") == (c.get_sid("/two"),)
            assert sid == c.get_sid("/") and sid != c.get_sid("/two")


@all_transports
@pytest.mark.parametrize(
    ("token", "message", "data"),
    [
        ("false", "Connection rejected by server", None),
        ("refuse", "bad token", {"k": 1}),
        ("refuse-one", "just a message", None),
    ],
)
async def test_connect_rejected(impl, transports, token, message, data) -> None:
    inbox = Inbox()
    async with serve(auth_app(impl, inbox)) as url:
        c = client()
        errors = Inbox()
        c.on("connect_error", lambda *args: errors.put("connect_error", *args))
        with pytest.raises(socketio.exceptions.ConnectionError):
            await c.connect(url, transports=transports, auth={"token": token}, wait_timeout=WAIT)
        # The client's connect_error handler receives the CONNECT_ERROR data (ref §4.2).
        expected = {"message": message} if data is None else {"message": message, "data": data}
        assert await errors.first("connect_error") == (expected,)
        assert not c.connected
        await close_client(c)
    # A rejected connection never runs the disconnect handler.
    assert inbox.all("disconnect") == []


@all_transports
async def test_client_disconnect_reason(impl, transports) -> None:
    inbox = Inbox()
    async with serve(auth_app(impl, inbox)) as url:
        async with connected(url, transports, namespaces=["/", "/two"]) as c:
            await settle(c, transports)
            sid = c.get_sid("/")
            sid_two = c.get_sid("/two")
        # Both namespaces see the client leave (ref §4.3). python-socketio's client queues its
        # DISCONNECT packets and then closes a WebSocket without waiting for them to be
        # written, so over WebSocket the server may see the transport close first; polling
        # flushes them. The raw test below checks the DISCONNECT packet itself.
        allowed = (
            {"client disconnect"}
            if transports == ["polling"]
            else {
                "client disconnect",
                "transport close",
            }
        )
        (got_sid, reason) = await inbox.first("disconnect")
        assert got_sid == sid and reason in allowed
        (got_sid, reason) = await inbox.first("disconnect_two")
        assert got_sid == sid_two and reason in allowed


async def test_client_disconnect_packet_reason(impl) -> None:
    """A DISCONNECT packet (``41``) gives 'client disconnect' for that namespace only."""
    inbox = Inbox()
    async with serve(auth_app(impl, inbox)) as url:
        raw = await RawSession.open(url)
        sid = await raw.connect("/", {"token": "raw"})
        sid_two = await raw.connect("/two")
        await raw.send("1")
        assert await inbox.first("disconnect") == (sid, "client disconnect")
        # /two is still joined on the same Engine.IO connection.
        await raw.send("1/two,")
        assert await inbox.first("disconnect_two") == (sid_two, "client disconnect")
        await raw.close()


@all_transports
async def test_server_disconnect_reason(impl, transports) -> None:
    inbox = Inbox()
    async with serve(auth_app(impl, inbox)) as url:
        c = client()
        seen = Inbox()
        c.on("disconnect", lambda *args: seen.put("disconnect", *args))
        async with connected(url, transports, sio=c):
            await settle(c, transports)
            sid = c.get_sid("/")
            await c.emit("kick_me")
            assert await inbox.first("disconnect") == (sid, "server disconnect")
            assert await seen.first("disconnect") == ("server disconnect",)
            await wait_until(lambda: not c.connected, what="client disconnected")


async def test_transport_close_reason(impl) -> None:
    """A WebSocket dropped without DISCONNECT gives 'transport close' (ref §4.3)."""
    inbox = Inbox()
    async with serve(auth_app(impl, inbox)) as url:
        raw = await RawSession.open(url)
        sid = await raw.connect("/", {"token": "raw"})
        await raw.close()
        assert await inbox.first("disconnect") == (sid, "transport close")


@all_transports
async def test_hypercorn(impl, transports) -> None:
    """The same app behind hypercorn's asyncio server: connect with auth, ack, kick."""
    inbox = Inbox()
    async with serve_hypercorn(auth_app(impl, inbox)) as url:
        c = client()
        async with connected(url, transports, sio=c, auth={"token": "h"}):
            expected = await settle(c, transports)
            sid = c.get_sid("/")
            assert await c.call("whoami", timeout=WAIT) == (sid, {"token": "h"}, expected)
            await c.emit("kick_me")
            assert await inbox.first("disconnect") == (sid, "server disconnect")
