"""The server the Socket.IO v5 protocol test-suite expects, for ``tools/conformance.sh``.

Configured as the suite's README asks (reference section 6.2): ping interval 300 ms, ping
timeout 200 ms, max payload 1,000,000, connect timeout 1 s, CORS any. ``/`` emits ``auth`` with
the handshake auth on connection, echoes ``message`` as ``message-back`` and acks
``message-with-ack`` with all its arguments; ``/custom`` emits ``auth`` on connection.

``--impl socketio_rs-serve`` serves it with ``socketio_rs.serve`` (socketio-rs's own WebSocket
path); ``--impl python-socketio`` serves the same application with python-socketio instead, to
measure the baseline the suite gives python-engineio unmodified.
"""

from __future__ import annotations

import argparse
from typing import Any

import uvicorn

# The suite's timing constants, in seconds (PING_INTERVAL and PING_TIMEOUT in test-suite.js).
OPTIONS: dict[str, Any] = {
    # aiohttp may be installed too, and python-engineio would pick it before ASGI.
    "async_mode": "asgi",
    "ping_interval": 0.3,
    "ping_timeout": 0.2,
    "max_http_buffer_size": 1_000_000,
    "cors_allowed_origins": "*",
}


def build_app(socketio: Any, **options: Any) -> Any:
    """The suite's server, written once against the python-socketio API.

    ``socketio`` is the ``socketio_rs`` module or python-socketio's ``socketio``: the same
    application runs on both, as the drop-in promise says.
    """
    # always_connect sends the CONNECT reply before the connect handler runs, so the "auth"
    # event follows it, as it follows the reference server's "connection" event.
    sio = socketio.AsyncServer(always_connect=True, **OPTIONS, **options)

    @sio.on("connect")
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await sio.emit("auth", auth or {}, to=sid)

    @sio.on("connect", namespace="/custom")
    async def connect_custom(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        await sio.emit("auth", auth or {}, to=sid, namespace="/custom")

    @sio.on("message")
    async def message(sid: str, *args: Any) -> None:
        await sio.emit("message-back", args, to=sid)  # a tuple emits several arguments

    @sio.on("message-with-ack")
    async def message_with_ack(sid: str, *args: Any) -> tuple[Any, ...]:
        return args  # a tuple acks with several arguments

    return socketio.ASGIApp(sio)


def main() -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument(
        "--impl",
        choices=["socketio_rs", "socketio_rs-serve", "python-socketio"],
        default="socketio_rs",
        help="socketio_rs-serve: socketio_rs through socketio_rs.serve (its own WebSocket path)",
    )
    args = parser.parse_args()
    if args.impl.startswith("socketio_rs"):
        import socketio_rs

        app = build_app(socketio_rs, connect_timeout=1)
        if args.impl == "socketio_rs-serve":
            socketio_rs.serve(app, host=args.host, port=args.port, log_level="warning")
            return
    else:
        import socketio

        app = build_app(socketio)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()
