"""The Socket.IO namespace docs' examples, in Python.

- ``/admin``: only authorised users get in (a namespace middleware reads the token the
  client sends in its ``auth``); a namespace-level ``delete user`` handler.
- workspaces: one dynamic namespace per tenant, ``sio.of(re.compile(r"^/\\w+$"))``; the
  parent's middleware and handlers apply to every workspace.
- ``/ordered``: several middleware run one after the other; the first error stops the chain
  and reaches the client's ``connect_error``.

Run it with ``uvicorn examples.namespaces:app`` and connect with any Socket.IO client, e.g.
``io("http://127.0.0.1:8000/admin", {auth: {token: "admin-token"}})``. A socket.io-client
2.x app, as in the 2.x docs, connects too (``allow_eio3=True``): it has no auth, and
``io("http://127.0.0.1:8000/admin?token=admin-token")`` sends the namespace's query, which
becomes ``socket.handshake.auth``; a refusal is its ``error`` event.
"""

from __future__ import annotations

import re
from typing import Any

import socketio_rs as socketio

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*", allow_eio3=True)
app = socketio.ASGIApp(sio)

# A stand-in for the application's user store.
USERS = {
    "admin-token": {"name": "ada", "is_admin": True, "workspaces": ["acme", "globex"]},
    "user-token": {"name": "bob", "is_admin": False, "workspaces": ["acme"]},
}


async def fetch_user(auth: dict[str, Any]) -> dict[str, Any] | None:
    return USERS.get(str(auth.get("token")))


# -- an admin namespace that only authorised users reach ------------------------------------

admin = sio.of("/admin")


@admin.use
async def ensure_admin(socket: socketio.Socket, next: Any) -> None:
    user = await fetch_user(socket.handshake.auth)
    if user and user["is_admin"]:
        socket.data["user"] = user
        next()
    else:
        next(socketio.ConnectionRefusedError("forbidden", {"code": 403}))


@admin.on("connection")
async def on_admin(socket: socketio.Socket) -> None:
    await socket.emit("welcome", socket.data["user"]["name"])


@admin.on("delete user")
async def delete_user(socket: socketio.Socket, user_id: str) -> str:
    return f"deleted {user_id}"  # the return value is the ack


# -- middleware run in order; the first error stops the chain -------------------------------
# (declared before the workspaces: a name a regex parent matches becomes its child, N4)

ordered = sio.of("/ordered")


@ordered.use
def first(socket: socketio.Socket, next: Any) -> None:
    socket.data["seen"] = ["first"]
    next()


@ordered.use
def second(socket: socketio.Socket, next: Any) -> None:
    if socket.handshake.auth.get("pass"):
        next()
    else:
        next(Exception("thou shall not pass"))


@ordered.use
def third(socket: socketio.Socket, next: Any) -> None:
    socket.data["seen"].append("third")  # not executed when the second one refused
    next()


@ordered.on("connection")
async def on_ordered(socket: socketio.Socket) -> None:
    await socket.emit("seen", socket.data["seen"])


# -- one namespace per tenant ---------------------------------------------------------------

workspaces = sio.of(re.compile(r"^/\w+$"))


@workspaces.use  # runs for every workspace, including those created later
async def workspace_access(socket: socketio.Socket, next: Any) -> None:
    user = await fetch_user(socket.handshake.auth)
    if user and socket.nsp.name[1:] in user["workspaces"]:
        socket.data["user"] = user
        next()
    else:
        next(socketio.ConnectionRefusedError("not a member of this workspace"))


@workspaces.on("connection")
async def on_workspace(socket: socketio.Socket) -> None:
    workspace = socket.nsp  # the child namespace, e.g. "/acme"
    await workspace.emit("joined", socket.data["user"]["name"])


@workspaces.on("message")
async def workspace_message(socket: socketio.Socket, text: str) -> str:
    await socket.broadcast.emit("message", socket.data["user"]["name"], text)
    return "sent"


# -- the default namespace: everyone gets in; broadcasts with sio.sockets --------------------


@sio.sockets.on("connection")
async def on_default(socket: socketio.Socket) -> None:
    await sio.sockets.emit("hi", "everyone")
