"""Room events, as the reference server's adapter emits them: ``create-room`` and
``delete-room`` (a room's first member arrives, its last one leaves) and
``join-room`` / ``leave-room`` (one socket enters or leaves a room), each in one
namespace. A socket's own room (named after its id) counts, as in Node.

``sio.of("/").adapter.on("join-room", fn)`` registers ``fn(room, sid)``;
``create-room`` and ``delete-room`` listeners get ``fn(room)``.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from .. import _eager

ROOM_EVENTS = ("create-room", "delete-room", "join-room", "leave-room")


class RoomListeners:
    """The room event listeners of one manager, by namespace and event."""

    def __init__(self) -> None:
        #: namespace -> event -> listeners; empty while nobody listens (one check per change).
        self.by_namespace: dict[str, dict[str, list[Callable[..., Any]]]] = {}

    def add(self, namespace: str, event: str, handler: Callable[..., Any]) -> None:
        if event not in ROOM_EVENTS:
            raise ValueError(f"{event!r} is not a room event: one of {', '.join(ROOM_EVENTS)}")
        events = self.by_namespace.setdefault(namespace, {name: [] for name in ROOM_EVENTS})
        events[event].append(handler)

    @staticmethod
    def emit(
        logger: logging.Logger,
        listeners: dict[str, list[Callable[..., Any]]],
        event: str,
        *args: Any,
    ) -> None:
        for fn in listeners[event]:
            _eager.start_listener(logger, fn, *args)


class NamespaceAdapter:
    """What ``Namespace.adapter`` offers: the reference server's room events."""

    def __init__(self, listeners: RoomListeners, namespace: str) -> None:
        self._listeners = listeners
        self._namespace = namespace

    def on(self, event: str, handler: Callable[..., Any] | None = None) -> Any:
        """Register ``handler`` for a room event; a decorator without ``handler``."""

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            self._listeners.add(self._namespace, event, fn)
            return fn

        return register if handler is None else register(handler)
