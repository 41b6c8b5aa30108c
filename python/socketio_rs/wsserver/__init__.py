"""``socketio_rs.serve``: uvicorn for HTTP, and WebSockets on socketio-rs's own
RFC 6455 protocol, whose frames are read and written by the Rust codec."""

from __future__ import annotations

from .front import FrontProtocol, front_for
from .protocol import WebSocketProtocol, direct_writer
from .serve import serve

__all__ = ["FrontProtocol", "WebSocketProtocol", "direct_writer", "front_for", "serve"]
