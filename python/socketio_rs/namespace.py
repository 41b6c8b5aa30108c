"""Namespaces (the module path before the packages; see socketio_rs.namespaces)."""

from __future__ import annotations

from .namespaces.namespace import Namespace, ParentNamespace

__all__ = ["Namespace", "ParentNamespace"]
