"""The application the install and framework tests serve, and what the official client must see.

It imports nothing but socketio_rs, so that a fresh virtualenv with only the wheel (and a server
to run it) can serve it: ``tests/wheel_server.py`` does, for tests/test_wheel_install.py.
The same server is attached to each framework in tests/test_frameworks.py.

- ``/``: greets each client with a ``welcome`` event and answers ``echo`` with an ack;
- ``/admin``: a namespace middleware refuses a client without the token, with a reason.
"""

from __future__ import annotations

from typing import Any

import socketio_rs

TOKEN = "letmein"
REFUSAL = "forbidden: /admin needs the token"

# A scripted official client (tests/node/steps.mjs): the greeting, an event with an ack, the
# refusal, then the token getting in.
STEPS: list[Any] = [
    ["connect", "c", "/"],
    ["wait", "c", "welcome"],
    ["ack", "c", "echo", {"n": 1, "text": "héllo"}, [1.5, None]],
    ["connect", "intruder", "/admin"],
    ["connect", "admin", "/admin", {"auth": {"token": TOKEN}}],
    ["ack", "admin", "whoami"],
]


def make_server(**options: Any) -> socketio_rs.AsyncServer:
    """The smoke application on a new server; ``options`` go to ``AsyncServer``."""
    sio = socketio_rs.AsyncServer(**options)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        await sio.emit("welcome", {"sid": sid}, to=sid)

    @sio.event
    async def echo(sid: str, *args: Any) -> tuple[Any, ...]:
        return args

    admin = sio.of("/admin")

    @admin.use
    def token_required(socket: socketio_rs.Socket, next: Any) -> None:
        if socket.handshake.auth.get("token") == TOKEN:
            next()
        else:
            next(socketio_rs.ConnectionRefusedError(REFUSAL, {"code": 403}))

    @admin.on("whoami")
    async def whoami(socket: socketio_rs.Socket) -> str:
        return f"admin {socket.id}"

    return sio


def check_transcript(transcript: list[Any]) -> None:
    """Assert that a run of :data:`STEPS` saw everything the application does."""
    kinds = {entry[0] for entry in transcript}
    assert "error" not in kinds, transcript
    [[_, client_sid]] = [e[1:] for e in transcript if e[0] == "connect" and e[1] == "c"]
    assert ["event", "c", "welcome", {"sid": client_sid}] in transcript, transcript
    assert ["ack", "c", "echo", {"n": 1, "text": "héllo"}, [1.5, None]] in transcript, transcript
    refused = [e for e in transcript if e[0] == "connect_error"]
    assert refused == [
        ["connect_error", "intruder", {"message": REFUSAL, "data": {"code": 403}}]
    ], transcript
    [[_, admin_sid]] = [e[1:] for e in transcript if e[0] == "connect" and e[1] == "admin"]
    assert ["ack", "admin", "whoami", f"admin {admin_sid}"] in transcript, transcript
