"""socketio-rs: a Socket.IO server for Python with a Rust hot path.

A drop-in for python-socketio's asyncio server: ``import socketio_rs as
socketio`` and an application written for ``socketio.AsyncServer`` runs
unchanged, on python-engineio's transports, with the Socket.IO codec in Rust.
"""

from __future__ import annotations

from importlib import metadata as _metadata

from . import codec, exceptions
from ._rules import NO_ACK
from .asgi import ASGIApp
from .exceptions import ConnectionRefusedError, PacketError, SocketIOError
from .managers import (
    AsyncManager,
    AsyncPubSubManager,
    AsyncRedisManager,
    AsyncRedisStreamsManager,
)
from .namespaces import BroadcastOperator, Namespace, ParentNamespace, Socket
from .server import AsyncNamespace, AsyncServer
from .tornado import get_tornado_handler
from .wsserver import serve

__all__ = [
    "NO_ACK",
    "ASGIApp",
    "AsyncManager",
    "AsyncNamespace",
    "AsyncPubSubManager",
    "AsyncRedisManager",
    "AsyncRedisStreamsManager",
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
    "get_tornado_handler",
    "serve",
]
# The version has one source, Cargo.toml, which maturin writes into the package metadata.
__version__ = _metadata.version("socketio-rs")
