"""Reusing HTTP middleware: a Starlette app with ``SessionMiddleware`` serves a login page and
mounts the Socket.IO app; a namespace middleware authorises sockets from the session that the
HTTP middleware put in the ASGI scope (the Python form of Express's ``wrap(session(...))``).

A second namespace shows the other usual way: a token in the client's ``auth``.

Run it with ``uvicorn examples.session_auth:app``; ``GET /login?user=ada`` sets the session
cookie, then a client that sends the cookie connects to ``/``.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route

import socketio_rs as socketio

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
TOKENS = {"s3cr3t": "service-account"}


async def login(request: Request) -> PlainTextResponse:
    request.session["user"] = request.query_params["user"]
    return PlainTextResponse("logged in")


@sio.use
def require_session(socket: socketio.Socket, next: Any) -> None:
    # socket.request is python-engineio's environ; under ASGI it holds the scope, where
    # SessionMiddleware left the session of the connection's first request.
    session = socket.request["asgi.scope"].get("session") if socket.request else None
    if session and session.get("user"):
        socket.data["user"] = session["user"]
        next()
    else:
        next(socketio.ConnectionRefusedError("unauthorized"))


@sio.sockets.on("whoami")
async def whoami(socket: socketio.Socket) -> str:
    return str(socket.data["user"])


service = sio.of("/service")


@service.use
def require_token(socket: socketio.Socket) -> None:  # one parameter: return or raise
    user = TOKENS.get(str(socket.handshake.auth.get("token")))
    if user is None:
        raise socketio.ConnectionRefusedError("invalid token", {"hint": "send auth.token"})
    socket.data["user"] = user


@service.on("whoami")
async def service_whoami(socket: socketio.Socket) -> str:
    return str(socket.data["user"])


app = Starlette(
    routes=[Route("/login", login), Mount("/", app=socketio.ASGIApp(sio))],
    middleware=[Middleware(SessionMiddleware, secret_key="change-me")],
)
