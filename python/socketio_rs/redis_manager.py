"""The Redis client manager (the module path before the packages; see socketio_rs.managers)."""

from __future__ import annotations

from .managers.redis import AsyncRedisManager, parse_sentinel_url

__all__ = ["AsyncRedisManager", "parse_sentinel_url"]
