"""The Socket.IO Admin UI instrumentation (``AsyncServer.instrument()``)."""

from __future__ import annotations

from .instrument import AdminServer, Auth, EventBuffer, InstrumentedAsyncServer

__all__ = ["AdminServer", "Auth", "EventBuffer", "InstrumentedAsyncServer"]
