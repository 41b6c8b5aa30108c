"""``socketio_rs.serve``: uvicorn, with WebSockets on socketio-rs's own protocol."""

from __future__ import annotations

import inspect
from typing import Any

from .._options import check_options
from .deflate import deflate_options
from .front import DEFAULT_HEADER_TIMEOUT, front_for
from .protocol import protocol_for

#: uvicorn options that ``serve`` sets itself, and why.
_SERVE_FIXED = {
    "ws": "WebSockets run on socketio-rs's own protocol",
    "ws_ping_interval": "Engine.IO's heartbeat replaces WebSocket pings",
    "ws_ping_timeout": "Engine.IO's heartbeat replaces WebSocket pings",
    "ws_per_message_deflate": "use serve(per_message_deflate=...)",
}


def serve(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    per_message_deflate: bool | dict[str, int] = False,
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

    ``per_message_deflate``: WebSocket compression (RFC 7692), off by default as in the
    reference server. ``True`` offers it to the clients that ask, with messages of 1024
    bytes or more compressed; a dict sets ``threshold`` (bytes) and ``level`` (0-9, 6).
    Compressed messages from clients are inflated within ``ws_max_size``
    (docs/limits.md, "Compression").
    """
    fixed = [name for name in _SERVE_FIXED if name in options]
    if fixed:
        raise TypeError(
            f"serve() sets {', '.join(fixed)} itself: "
            + "; ".join(f"{name}: {_SERVE_FIXED[name]}" for name in fixed)
        )
    deflate = deflate_options(per_message_deflate)
    import uvicorn

    known = set(inspect.signature(uvicorn.run).parameters) - {"app"}
    check_options("serve()", options, known | {"header_timeout", "per_message_deflate"}, {})
    ws = protocol_for(deflate)
    if not options.get("http2"):  # HTTP/2 is uvicorn's zttp protocol, left as it is
        options["http"] = front_for(options.get("http", "auto"), header_timeout, ws)
    uvicorn.run(app, host=host, port=port, ws=ws, **options)
