"""Client managers: who is connected where, rooms, acks, and delivery, on one
process (:class:`AsyncManager`) or a cluster (:class:`AsyncPubSubManager`,
:class:`AsyncRedisManager`)."""

from __future__ import annotations

from .base import CONNECTED, AsyncManager, ManagedServer, ManagerObserver, Targets
from .pubsub import AsyncPubSubManager
from .redis import AsyncRedisManager
from .remote_socket import RemoteSocket
from .streams import AsyncRedisStreamsManager

__all__ = [
    "CONNECTED",
    "AsyncManager",
    "AsyncPubSubManager",
    "AsyncRedisManager",
    "AsyncRedisStreamsManager",
    "ManagedServer",
    "ManagerObserver",
    "RemoteSocket",
    "Targets",
]
