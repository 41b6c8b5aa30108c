"""Server methods (ref §5), class-based namespaces (ref §6) and the ASGI glue (ref §8).

Run against python-socketio and socketio_rs (``impl``) with python-socketio's AsyncClient;
the class-based namespace runs over all three transport modes, the rest over WebSocket.
"""

from __future__ import annotations

import asyncio
import types
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from server_harness import (
    IMPLS,
    SERVER_OPTIONS,
    TRANSPORTS,
    WAIT,
    Inbox,
    client,
    close_client,
    connected,
    serve,
    wait_until,
)

pytestmark = pytest.mark.parametrize("impl", IMPLS)
WS = ["websocket"]


def plain_app(impl: types.ModuleType, seen: Inbox | None = None, **options: Any) -> Any:
    sio = impl.AsyncServer(**SERVER_OPTIONS, **options)

    @sio.event
    async def ping(sid: str) -> str:
        return "pong"

    if seen is not None:

        @sio.event
        async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
            seen.put("connect", sid, environ)

        @sio.event
        async def disconnect(sid: str, reason: str) -> None:
            seen.put("disconnect", sid, reason)

    return sio


async def test_rooms(impl) -> None:
    sio = plain_app(impl)
    async with serve(impl.ASGIApp(sio)) as url:
        async with connected(url, WS) as a, connected(url, WS) as b:
            sa, sb = a.get_sid("/"), b.get_sid("/")
            # rooms() is synchronous and lists the sid's own room (ref §5).
            assert set(sio.rooms(sa)) == {sa}
            await sio.enter_room(sa, "r")
            await sio.enter_room(sa, "s", namespace="/")
            await sio.enter_room(sb, "r")
            assert set(sio.rooms(sa)) == {sa, "r", "s"}
            assert set(sio.rooms(sb, namespace="/")) == {sb, "r"}
            await sio.leave_room(sa, "s")
            assert set(sio.rooms(sa)) == {sa, "r"}
            with pytest.raises(ValueError):
                await sio.enter_room(sa, sb)  # 'cannot enter a sid room'
            await sio.close_room("r")
            assert set(sio.rooms(sa)) == {sa}
            assert set(sio.rooms(sb)) == {sb}
            got = Inbox()
            b.on("after", lambda *args: got.put("after", *args))
            await sio.emit("after", "room", to="r")  # nobody is in "r" any more
            await sio.emit("after", "sid", to=sb)
            assert await got.first("after") == ("sid",)
            assert got.all("after") == [("sid",)]


async def test_sessions(impl) -> None:
    sio = plain_app(impl, namespaces=["/", "/other"])

    @sio.on("remember")
    async def remember(sid: str, value: Any) -> None:
        async with sio.session(sid) as session:
            session["value"] = value

    @sio.on("recall")
    async def recall(sid: str) -> Any:
        return (await sio.get_session(sid)).get("value")

    @sio.on("recall", namespace="/other")
    async def recall_other(sid: str) -> Any:
        return (await sio.get_session(sid, namespace="/other")).get("value")

    async with serve(impl.ASGIApp(sio)) as url:
        async with connected(url, WS, namespaces=["/", "/other"]) as c:
            sid = c.get_sid("/")
            assert await sio.get_session(sid) == {}
            await sio.save_session(sid, {"user": "ann", "blob": b"\x00"})
            assert await sio.get_session(sid) == {"user": "ann", "blob": b"\x00"}
            await c.call("remember", {"k": [1]}, timeout=WAIT)
            assert await c.call("recall", timeout=WAIT) == {"k": [1]}
            # The session() context manager saved on exit, keeping the earlier keys.
            assert (await sio.get_session(sid))["user"] == "ann"
            # Sessions are per namespace.
            assert await c.call("recall", namespace="/other", timeout=WAIT) is None


async def test_get_environ_and_transport(impl) -> None:
    seen = Inbox()
    sio = plain_app(impl, seen)
    async with serve(impl.ASGIApp(sio)) as url:
        async with connected(url + "?token=q1", WS, headers={"X-Custom": "yes"}) as c:
            sid = c.get_sid("/")
            _, environ = await seen.first("connect")
            got = sio.get_environ(sid)
            assert got is not None
            assert "token=q1" in got["QUERY_STRING"]
            assert got["HTTP_X_CUSTOM"] == "yes"
            assert got["QUERY_STRING"] == environ["QUERY_STRING"]
            assert "asgi.scope" in got  # under ASGI the scope is reachable (ref §4.1)
            assert sio.transport(sid) == "websocket"
        # Gone with the connection.
        await wait_until(lambda: sio.get_environ(sid) is None, what="environ dropped")


async def test_disconnect_from_server(impl) -> None:
    seen = Inbox()
    sio = plain_app(impl, seen, namespaces=["/", "/two"])
    async with serve(impl.ASGIApp(sio)) as url:
        c = client()
        left = Inbox()
        c.on("disconnect", lambda *args: left.put("disconnect", *args), namespace="/two")
        async with connected(url, WS, sio=c, namespaces=["/", "/two"]):
            await sio.disconnect(c.get_sid("/two"), namespace="/two")
            assert await left.first("disconnect") == ("server disconnect",)
            # Only /two was left; the connection and "/" go on.
            assert c.connected and c.namespaces.keys() == {"/"}
            assert await c.call("ping", timeout=WAIT) == "pong"
            sid = c.get_sid("/")
            await sio.disconnect(sid)
            assert await seen.first("disconnect") == (sid, "server disconnect")
            await wait_until(lambda: not c.connected, what="client disconnected")


async def test_background_task_and_sleep(impl) -> None:
    sio = plain_app(impl)
    async with serve(impl.ASGIApp(sio)) as url:
        got = Inbox()
        c = client()
        c.on("tick", lambda n: got.put("tick", n))
        async with connected(url, WS, sio=c):
            sid = c.get_sid("/")

            async def ticker(count: int, *, to: str) -> str:
                for n in range(count):
                    await sio.sleep(0.01)
                    await sio.emit("tick", n, to=to)
                return "done"

            task = sio.start_background_task(ticker, 3, to=sid)
            assert await asyncio.wait_for(task, WAIT) == "done"
            assert await got.wait("tick", 3) == [(0,), (1,), (2,)]
            await sio.sleep()  # the default argument is 0


async def test_shutdown(impl) -> None:
    seen = Inbox()
    sio = plain_app(impl, seen)
    c = client()
    gone = Inbox()
    c.on("disconnect", lambda *args: gone.put("disconnect", *args))
    async with serve(impl.ASGIApp(sio)) as url:
        await c.connect(url, transports=WS, wait_timeout=WAIT)
        assert await c.call("ping", timeout=WAIT) == "pong"
        # shutdown() stops the server's background activity and returns (ref §5); it must
        # be called before the web server stops, which then closes the connection.
        await asyncio.wait_for(sio.shutdown(), WAIT)
    await gone.first("disconnect")
    (_, reason) = await seen.first("disconnect")
    assert reason in {"transport close", "server disconnect"}
    await close_client(c)


class Chat:
    """Builds an AsyncNamespace subclass for ``impl`` (the base class differs per impl)."""

    @staticmethod
    def make(impl: types.ModuleType, seen: Inbox) -> Any:
        class ChatNamespace(impl.AsyncNamespace):  # type: ignore[misc,name-defined]
            async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> Any:
                if auth and auth.get("deny"):
                    raise impl.exceptions.ConnectionRefusedError("denied", {"why": "asked"})
                await self.save_session(sid, {"name": (auth or {}).get("name", "anon")})
                seen.put("connect", sid)
                return None

            def on_disconnect(self, sid: str, reason: str) -> None:
                seen.put("disconnect", sid, reason)

            async def on_join(self, sid: str, room: str) -> list[str]:
                await self.enter_room(sid, room)
                return sorted(r for r in self.rooms(sid) if r != sid)

            async def on_say(self, sid: str, room: str, text: Any) -> str:
                name = (await self.get_session(sid))["name"]
                await self.emit("said", {"from": name, "text": text}, room=room, skip_sid=sid)
                return "sent"

            async def on_ask_back(self, sid: str) -> Any:
                return await self.call("question", "why?", to=sid, timeout=WAIT)

        return ChatNamespace("/chat")


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_class_based_namespace(impl, transports) -> None:
    seen = Inbox()
    sio = plain_app(impl)
    sio.register_namespace(Chat.make(impl, seen))
    async with serve(impl.ASGIApp(sio)) as url:
        ann, bob = client(), client()
        heard = Inbox()
        bob.on("said", lambda msg: heard.put("said", msg), namespace="/chat")
        ann.on("question", lambda q: q.upper(), namespace="/chat")
        await asyncio.gather(
            ann.connect(url, transports=transports, namespaces=["/chat"], auth={"name": "ann"}),
            bob.connect(url, transports=transports, namespaces=["/chat"], auth={"name": "bob"}),
        )
        try:
            assert await ann.call("join", "lobby", namespace="/chat", timeout=WAIT) == ["lobby"]
            assert await bob.call("join", "lobby", namespace="/chat", timeout=WAIT) == ["lobby"]
            assert await ann.call("say", ("lobby", b"hi"), namespace="/chat", timeout=WAIT) == (
                "sent"
            )
            assert await heard.first("said") == ({"from": "ann", "text": b"hi"},)
            assert await ann.call("ask_back", namespace="/chat", timeout=WAIT) == "WHY?"
            # No on_<event> method: the class-based namespace still sends an empty ack (ref §6).
            assert await ann.call("no_such_event", namespace="/chat", timeout=WAIT) is None
            sids = {ann.get_sid("/chat"), bob.get_sid("/chat")}
        finally:
            await asyncio.gather(close_client(ann), close_client(bob))
        # See test_interop_connect.test_client_disconnect_reason for the 'transport close'.
        left = await seen.wait("disconnect", 2)
        assert {sid for sid, _ in left} == sids
        assert {reason for _, reason in left} <= {"client disconnect", "transport close"}
        denied = client()
        errors = Inbox()
        denied.on("connect_error", lambda data: errors.put("error", data), namespace="/chat")
        with pytest.raises(socketio.exceptions.ConnectionError):
            async with connected(
                url, transports, sio=denied, namespaces=["/chat"], auth={"deny": 1}
            ):
                pass
        assert await errors.first("error") == ({"message": "denied", "data": {"why": "asked"}},)


async def test_asgi_app_options(impl, tmp_path: Path) -> None:
    """other_asgi_app, static_files, socketio_path and lifespan hooks (ref §8)."""
    (tmp_path / "index.html").write_text("<h1>index</h1>")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "app.js").write_text("console.log(1)")
    events: list[str] = []

    async def other(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = f"other {scope['path']}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    async def on_shutdown() -> None:
        events.append("shutdown")

    sio = plain_app(impl)
    app = impl.ASGIApp(
        sio,
        other_asgi_app=other,
        static_files={"/": str(tmp_path / "index.html"), "/static": str(tmp_path / "static")},
        socketio_path="custom",
        on_startup=lambda: events.append("startup"),
        on_shutdown=on_shutdown,
    )
    async with serve(app, lifespan="on") as url:
        assert events == ["startup"]
        async with httpx.AsyncClient(base_url=url) as http:
            assert (await http.get("/")).text == "<h1>index</h1>"
            assert (await http.get("/static/app.js")).text == "console.log(1)"
            assert (await http.get("/api/x")).text == "other /api/x"
            # The Socket.IO endpoint moved: /socket.io/ is now the other app's.
            assert (await http.get("/socket.io/")).text == "other /socket.io/"
        async with connected(url, WS, socketio_path="custom") as c:
            assert await c.call("ping", timeout=WAIT) == "pong"
    assert events == ["startup", "shutdown"]
