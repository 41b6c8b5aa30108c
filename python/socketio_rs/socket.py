"""Socket objects (the module path before the packages; see socketio_rs.namespaces)."""

from __future__ import annotations

from .namespaces.socket import Socket

__all__ = ["Socket"]
