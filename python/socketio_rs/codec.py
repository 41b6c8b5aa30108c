"""The Socket.IO v5 codec, implemented in Rust.

``encode(Packet(...))`` gives the frames to send: the text first, then one
``bytes`` per binary attachment. A ``Decoder`` per connection takes frames as
they arrive and returns the packets they complete.

    >>> from socketio_rs.codec import Decoder, Packet, PacketType, encode
    >>> encode(Packet(PacketType.EVENT, "/chat", ["message", "hi"], id=7))
    ['2/chat,7["message","hi"]']
    >>> Decoder().add('2/chat,7["message","hi"]')
    [Packet(type=PacketType.EVENT, nsp='/chat', data=['message', 'hi'], id=7)]
"""

from __future__ import annotations

from enum import IntEnum

from . import _core
from .exceptions import PacketError

__all__ = [
    "MAX_ACK_ID",
    "RESERVED_EVENTS",
    "Decoder",
    "Packet",
    "PacketError",
    "PacketType",
    "encode",
    "is_packet_valid",
]

_TYPES = dict(_core.PACKET_TYPES)


class PacketType(IntEnum):
    """The seven Socket.IO packet types; the values come from the Rust codec."""

    CONNECT = _TYPES["CONNECT"]
    DISCONNECT = _TYPES["DISCONNECT"]
    EVENT = _TYPES["EVENT"]
    ACK = _TYPES["ACK"]
    CONNECT_ERROR = _TYPES["CONNECT_ERROR"]
    BINARY_EVENT = _TYPES["BINARY_EVENT"]
    BINARY_ACK = _TYPES["BINARY_ACK"]


Packet = _core.Packet
Decoder = _core.Decoder
encode = _core.encode
is_packet_valid = _core.is_packet_valid

#: Event names the protocol reserves; an EVENT carrying one is invalid.
RESERVED_EVENTS: tuple[str, ...] = tuple(_core.RESERVED_EVENTS)
#: The largest ack id (2**53): ids are JavaScript numbers on the other side.
MAX_ACK_ID: int = _core.MAX_ACK_ID
