"""The in-memory client manager (the module path before the packages; see socketio_rs.managers)."""

from __future__ import annotations

from .managers.base import CONNECTED, AsyncManager

__all__ = ["CONNECTED", "AsyncManager"]
