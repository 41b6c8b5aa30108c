"""The server: :class:`AsyncServer` (python-socketio's API plus ``of()``),
composed of its connect flow, dispatcher, handler table and namespace registry,
and python-socketio's class-based :class:`AsyncNamespace`."""

from __future__ import annotations

from .async_namespace import AsyncNamespace
from .reasons import Reason
from .server import AsyncServer

__all__ = ["AsyncNamespace", "AsyncServer", "Reason"]
