"""socketio-rs: a Socket.IO server for Python with a Rust hot path.

This release provides the Socket.IO v5 codec (``socketio_rs.codec``) and the
exception classes; the server builds on them.
"""

from __future__ import annotations

from . import codec, exceptions
from .exceptions import ConnectionRefusedError, PacketError, SocketIOError

__all__ = ["ConnectionRefusedError", "PacketError", "SocketIOError", "codec", "exceptions"]
__version__ = "0.1.0"
