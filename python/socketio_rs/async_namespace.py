"""Class-based namespaces (the module path before the packages; see socketio_rs.server)."""

from __future__ import annotations

from .server.async_namespace import AsyncNamespace

__all__ = ["AsyncNamespace"]
