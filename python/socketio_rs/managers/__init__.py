"""Client managers: who is connected where, rooms, acks, and delivery, on one
process (:class:`AsyncManager`) or a cluster (:class:`AsyncPubSubManager`,
:class:`AsyncRedisManager`)."""

from __future__ import annotations

from .base import CONNECTED, AsyncManager, ManagedServer, ManagerObserver, Targets
from .pubsub import AsyncPubSubManager
from .redis import AsyncRedisManager
from .remote_socket import RemoteSocket

__all__ = [
    "CONNECTED",
    "AsyncManager",
    "AsyncPubSubManager",
    "AsyncRedisManager",
    "ManagedServer",
    "ManagerObserver",
    "RemoteSocket",
    "Targets",
]
