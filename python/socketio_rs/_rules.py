"""Rules that several layers apply alike, each written once."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, Final

from .codec import RESERVED_EVENTS

_RESERVED = frozenset(RESERVED_EVENTS)
#: The flags of an emit that sets none (shared: never changed).
_NO_FLAGS: dict[str, Any] = {}


class _NoAck:
    """The type of :data:`NO_ACK`."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "socketio_rs.NO_ACK"


#: Returned by an event handler, leaves the event unanswered: no ack is sent, and a client that
#: asked for one times out, as with a Node handler that never calls its callback. (``None``
#: sends an empty ack, python-socketio's rule.) Among several handlers of one event the first
#: result that is not ``None`` decides, so ``NO_ACK`` from that one means no ack.
NO_ACK: Final = _NoAck()


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


def manager_flags(volatile: bool = False, compress: bool = True) -> Mapping[str, Any]:
    """An emit's flags for its manager's ``emit``, only those that are set (``volatile``,
    ``compress=False``): a manager written for python-socketio never sees them. Empty, and
    shared, when none is."""
    if not volatile and compress:
        return _NO_FLAGS
    flags: dict[str, Any] = {}
    if volatile:
        flags["volatile"] = True
    if not compress:
        flags["compress"] = False
    return flags
