"""Socket.IO inside a FastAPI application: the Socket.IO server mounted as a sub-application,
HTTP endpoints that reach the sockets, and the sockets' state readable from HTTP.

Run it with ``uvicorn examples.fastapi_app:app``. Clients connect with the path
``/ws/socket.io`` and pick a room in the query string, e.g.
``io("http://127.0.0.1:8000", {path: "/ws/socket.io", query: {room: "ops"}})``; then
``curl -X POST localhost:8000/rooms/ops/notes -H 'content-type: application/json'
-d '{"text": "deploying"}'`` reaches them.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

import socketio_rs as socketio

app = FastAPI(title="socketio-rs in FastAPI")
sio = socketio.AsyncServer(async_mode="asgi")

# Starlette hands a mounted app the full path (/ws/socket.io/...), so the Socket.IO endpoint
# is given in full too. (Mounted at "/socket.io" instead, the default path would do.)
app.mount("/ws", socketio.ASGIApp(sio, socketio_path="ws/socket.io"))


class Note(BaseModel):
    text: str


@app.post("/rooms/{room}/notes")
async def post_note(room: str, note: Note) -> dict[str, int]:
    """HTTP to sockets: every socket in ``room`` gets the note."""
    targets = await sio.in_(room).fetch_sockets()
    await sio.to(room).emit("note", note.text)
    return {"delivered": len(targets)}


@app.get("/rooms/{room}")
async def room_members(room: str) -> dict[str, list[str]]:
    """Sockets to HTTP: who is in ``room`` now."""
    return {"sockets": sorted(socket.id for socket in await sio.in_(room).fetch_sockets())}


@sio.sockets.on("connection")
async def subscribe(socket: socketio.Socket) -> None:
    # The Engine.IO URL's query string, as the Node server's socket.handshake.query.
    room = socket.handshake.query.get("room", "lobby")
    await socket.join(room if isinstance(room, str) else room[0])


@sio.on("rooms")  # python-socketio's handlers work alongside; the return value is the ack
async def list_rooms(sid: str) -> list[str]:
    return sorted(room for room in sio.rooms(sid) if room != sid)
