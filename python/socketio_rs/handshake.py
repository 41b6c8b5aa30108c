"""The handshake (the module path before the packages; see socketio_rs.namespaces)."""

from __future__ import annotations

from .namespaces.handshake import Handshake, Headers

__all__ = ["Handshake", "Headers"]
