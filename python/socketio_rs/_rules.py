"""Rules that several layers apply alike, each written once."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from .codec import RESERVED_EVENTS

_RESERVED = frozenset(RESERVED_EVENTS)


def check_reserved(event: Any) -> None:
    """Raise ``ValueError('"<event>" is a reserved event name')`` for an event
    name the client reserves (the codec's ``RESERVED_EVENTS``)."""
    if event in _RESERVED:
        raise ValueError(f'"{event}" is a reserved event name')


def ack_value(args: tuple[Any, ...] | list[Any]) -> Any:
    """An ack's arguments as one result: ``None``, the value, or a tuple."""
    if not args:
        return None
    return args[0] if len(args) == 1 else tuple(args)


def event_args(data: Any) -> list[Any]:
    """python-socketio's rule for ``emit(data=...)``: a tuple is several
    arguments, ``None`` none, anything else one."""
    if isinstance(data, tuple):
        return list(data)
    if data is None:
        return []
    return [data]


def room_set(rooms: Any) -> frozenset[Hashable]:
    """One room, or a list, tuple or set of rooms, as a frozenset."""
    if isinstance(rooms, (list, tuple, set, frozenset)):
        return frozenset(rooms)
    return frozenset((rooms,))
