"""The Engine.IO layer: python-engineio's server and sessions, corrected where
they differ from the Engine.IO v4 specification, with their own WebSocket
transport. The only package that touches python-engineio's internals."""

from __future__ import annotations

from .environ import websocket_environ
from .observer import EngineObserver
from .server import EngineReason, EngineServer
from .socket import EngineSocket

__all__ = ["EngineObserver", "EngineReason", "EngineServer", "EngineSocket", "websocket_environ"]
