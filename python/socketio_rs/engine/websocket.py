"""Engine.IO packets as WebSocket messages."""

from __future__ import annotations

from engineio import packet as eio_packet

from .. import _core

_MESSAGE = eio_packet.MESSAGE
_ws_frame = _core.ws_frame


def ws_payload(pkt: eio_packet.Packet) -> str | bytes:
    """The WebSocket message of one Engine.IO packet (python-engineio's ``encode()``)."""
    if pkt.packet_type == _MESSAGE:
        data = pkt.data
        if data.__class__ is str:
            return "4" + data
        if data.__class__ is bytes:
            return data
    encoded: str | bytes = pkt.encode()
    return encoded


def ws_frames(pkts: list[eio_packet.Packet]) -> bytes:
    """Engine.IO packets framed as WebSocket messages, ready for ``write_frames``."""
    if len(pkts) == 1:
        payload = ws_payload(pkts[0])
        return _ws_frame(1 if payload.__class__ is str else 2, payload)
    parts = []
    for pkt in pkts:
        payload = ws_payload(pkt)
        parts.append(_ws_frame(1 if payload.__class__ is str else 2, payload))
    return b"".join(parts)
