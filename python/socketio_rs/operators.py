"""Broadcast operators (the module path before the packages; see socketio_rs.namespaces)."""

from __future__ import annotations

from .namespaces.operators import BroadcastOperator

__all__ = ["BroadcastOperator"]
