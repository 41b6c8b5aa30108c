"""socketio-rs: a Socket.IO server for Python with a Rust hot path.

A drop-in for python-socketio's asyncio server: ``import socketio_rs as
socketio`` and an application written for ``socketio.AsyncServer`` runs
unchanged, on python-engineio's transports, with the Socket.IO codec in Rust.
"""

from __future__ import annotations

from . import codec, exceptions
from ._serve import serve
from .asgi import ASGIApp
from .async_namespace import AsyncNamespace
from .exceptions import ConnectionRefusedError, PacketError, SocketIOError
from .manager import AsyncManager
from .namespace import Namespace, ParentNamespace
from .operators import BroadcastOperator
from .pubsub_manager import AsyncPubSubManager
from .redis_manager import AsyncRedisManager
from .server import AsyncServer
from .socket import NO_ACK, Socket

__all__ = [
    "NO_ACK",
    "ASGIApp",
    "AsyncManager",
    "AsyncNamespace",
    "AsyncPubSubManager",
    "AsyncRedisManager",
    "AsyncServer",
    "BroadcastOperator",
    "ConnectionRefusedError",
    "Namespace",
    "PacketError",
    "ParentNamespace",
    "Socket",
    "SocketIOError",
    "codec",
    "exceptions",
    "serve",
]
__version__ = "0.1.0"
