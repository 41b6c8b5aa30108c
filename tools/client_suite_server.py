"""The official JavaScript client's test-suite server, ported to socketio-rs.

The socket.io monorepo's ``packages/socket.io-client/test`` runs mocha against a fixture server,
``test/support/server.ts`` (started by ``test/support/hooks.ts``, port 3210). This is that
server, handler for handler, on socketio-rs; run the suite with ``mocha`` without
``--require test/support/hooks.ts`` while this serves (docs/server.md, "The official client's
test-suite", has the steps). The suite itself is never committed here.

What the fixture uses that socketio-rs does not have yet: ``allowRequest``, whose only use is
a 10 ms delay before each handshake; an ASGI wrapper adds the same delay here.

``--mode serve`` serves it with ``socketio_rs.serve`` (socketio-rs's own WebSocket path),
``--mode uvicorn`` with plain uvicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
from typing import Any

import socketio_rs
from socketio_rs import Socket


def js_date() -> str:
    """A ``Date`` as JSON.stringify writes it (``toISOString``)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build() -> socketio_rs.AsyncServer:
    """The fixture's namespaces and handlers (``createServer`` in ``server.ts``)."""
    sio = socketio_rs.AsyncServer(
        async_mode="asgi",
        ping_interval=2,
        cors_allowed_origins="*",
        connection_state_recovery=True,  # the fixture's connectionStateRecovery: {}
    )

    @sio.of("/foo").on("connection")
    def foo(socket: Socket) -> None:
        socket.on("getId", lambda: socket.id)

    for name in ("/timeout_socket", "/valid", "/asd"):
        sio.of(name).on("connection", lambda socket: None)  # registers the namespace

    @sio.of("/abc").on("connection")
    async def abc(socket: Socket) -> None:
        await socket.emit("handshake", socket.handshake.as_dict())

    @sio.use
    def main_middleware(socket: Socket, next: Any) -> None:
        if socket.handshake.query.get("fail"):
            next(Exception("Auth failed (main namespace)"))
        else:
            next()

    @sio.of("/no").use
    def refuse(socket: Socket, next: Any) -> None:
        next(Exception("Auth failed (custom namespace)"))

    @sio.sockets.on("connection")
    def connection(socket: Socket) -> None:
        async def hi() -> None:
            await socket.emit("hi")

        async def ack() -> None:
            result = await socket.emit_with_ack("ack")
            if isinstance(result, tuple) and result[0] == 5 and result[1].get("test"):
                await socket.emit("got it")

        async def emit(event: str, *args: Any) -> None:
            await socket.emit(event, *args)

        async def utf8() -> None:
            for text in ("てすと", "Я Б Г Д Ж Й", "Ä ä Ü ü ß", "utf8 — string", "utf8 — string"):
                await socket.emit("takeUtf8", text)

        async def buffa(a: Any) -> None:
            if isinstance(a, bytes):
                await socket.emit("buffack")

        async def jsonbuff(a: Any) -> None:
            if a["hello"] == "lol" and isinstance(a["message"], bytes) and a["goodbye"] == "gotcha":
                await socket.emit("jsonbuff-ack")

        order: dict[str, bool] = {}

        def abuff1(a: Any) -> None:
            order["abuff1"] = isinstance(a, bytes)

        async def abuff2(a: Any) -> None:
            if order.get("abuff1"):
                await socket.emit("abuff2-ack")

        async def blob(a: Any) -> None:
            if isinstance(a, bytes):
                await socket.emit("back")

        async def jsonblob(a: Any) -> None:
            if a["hello"] == "lol" and isinstance(a["message"], bytes) and a["goodbye"] == "gotcha":
                await socket.emit("jsonblob-ack")

        def blob1(a: Any) -> None:
            order["blob1"] = isinstance(a, bytes)

        def blob2(a: Any) -> None:
            order["blob2"] = bool(order.get("blob1")) and a == "second"

        async def blob3(a: Any) -> None:
            if isinstance(a, bytes) and order.get("blob1") and order.get("blob2"):
                await socket.emit("blob3-ack")

        socket.on("hi", hi)
        socket.on("echo", lambda arg=None: (arg,))  # one argument, null included
        socket.on("ack", ack)
        socket.on("getAckDate", lambda data: js_date())
        socket.on("getDate", lambda: emit("takeDate", js_date()))
        socket.on("getDateObj", lambda: emit("takeDateObj", {"date": js_date()}))
        socket.on("getUtf8", utf8)
        socket.on("false", lambda: emit("false", False))
        socket.on("doge", lambda: emit("doge", b"asdfasdf"))
        socket.on("buffa", buffa)
        socket.on("jsonbuff", jsonbuff)
        socket.on("abuff1", abuff1)
        socket.on("abuff2", abuff2)
        socket.on("blob", blob)
        socket.on("jsonblob", jsonblob)
        socket.on("blob1", blob1)
        socket.on("blob2", blob2)
        socket.on("blob3", blob3)
        socket.on("getbin", lambda: emit("takebin", b"asdfasdf"))
        socket.on("getHandshake", lambda: socket.handshake.as_dict())
        socket.on("getId", lambda: socket.id)

    return sio


def delay_handshakes(app: Any, seconds: float) -> Any:
    """``app`` behind the fixture's ``allowRequest``: each handshake (a request without a
    ``sid``) waits ``seconds`` first, which the client's connect timeout tests rely on."""

    async def delayed(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket") and b"sid=" not in scope.get("query_string", b""):
            await asyncio.sleep(seconds)
        await app(scope, receive, send)

    return delayed


def main() -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3210)
    parser.add_argument("--mode", choices=["serve", "uvicorn"], default="serve")
    args = parser.parse_args()
    app = delay_handshakes(socketio_rs.ASGIApp(build()), 0.01)
    options: dict[str, Any] = {"host": args.host, "port": args.port, "log_level": "warning"}
    if args.mode == "serve":
        socketio_rs.serve(app, **options)
    else:
        import uvicorn

        uvicorn.run(app, lifespan="off", **options)


if __name__ == "__main__":
    main()
