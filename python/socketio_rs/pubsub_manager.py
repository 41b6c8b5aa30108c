"""The pub/sub client manager (the module path before the packages; see socketio_rs.managers)."""

from __future__ import annotations

from .managers.pubsub import AsyncPubSubManager

__all__ = ["AsyncPubSubManager"]
