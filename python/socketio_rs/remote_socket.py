"""Remote sockets (the module path before the packages; see socketio_rs.managers)."""

from __future__ import annotations

from .managers.remote_socket import RemoteSocket

__all__ = ["RemoteSocket"]
