"""``socketio_rs.serve``: uvicorn, with WebSockets on socketio-rs's own protocol."""

from __future__ import annotations

import inspect
from typing import Any

from .._options import check_options
from .front import DEFAULT_HEADER_TIMEOUT, front_for
from .protocol import WebSocketProtocol

#: uvicorn options that ``serve`` sets itself.
_SERVE_FIXED = ("ws", "ws_ping_interval", "ws_ping_timeout", "ws_per_message_deflate")


def serve(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    **options: Any,
) -> None:
    """Serve an ASGI app (an :class:`ASGIApp`, or any ASGI app mounting one) until stopped.

    The HTTP side is uvicorn's, with every ``uvicorn.run`` option available;
    WebSockets run on socketio-rs's own protocol (:class:`WebSocketProtocol`): frames
    read and written in Rust, and Engine.IO sessions written to directly,
    with no task or queue per message. Other ASGI WebSocket endpoints in the
    app work as on any ASGI server. Needs uvicorn (``pip install socketio-rs[serve]``).

    A new connection that has not sent its first request head within ``header_timeout``
    seconds (30) is answered 408 and closed (docs/limits.md). An option neither ``serve`` nor
    ``uvicorn.run`` takes is a ``TypeError`` naming the option meant.
    """
    fixed = [name for name in _SERVE_FIXED if name in options]
    if fixed:
        raise TypeError(
            f"serve() sets {', '.join(fixed)} itself: no WebSocket extension is negotiated "
            "and Engine.IO's heartbeat replaces WebSocket pings"
        )
    import uvicorn

    known = set(inspect.signature(uvicorn.run).parameters) - {"app"} | {"header_timeout"}
    check_options("serve()", options, known, {})
    if not options.get("http2"):  # HTTP/2 is uvicorn's zttp protocol, left as it is
        options["http"] = front_for(options.get("http", "auto"), header_timeout)
    uvicorn.run(app, host=host, port=port, ws=WebSocketProtocol, **options)
