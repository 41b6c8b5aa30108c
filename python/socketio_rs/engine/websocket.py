"""Engine.IO packets as WebSocket messages."""

from __future__ import annotations

from typing import Callable

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


def ws_frames(
    pkts: list[eio_packet.Packet],
    message: Callable[[eio_packet.Packet], str | bytes] = ws_payload,
    frame: Callable[[int, str | bytes], bytes] = _ws_frame,
) -> bytes:
    """Engine.IO packets framed as WebSocket messages, ready for a direct writer
    (``WebSocketProtocol.frame_writer``); ``message`` makes each packet's message
    (``ws_payload``, Engine.IO v4's), ``frame`` frames it (``ws_frame``, or a
    ``WsDeflater``'s ``frame`` to compress it)."""
    if len(pkts) == 1:
        payload = message(pkts[0])
        return frame(1 if payload.__class__ is str else 2, payload)
    parts = []
    for pkt in pkts:
        payload = message(pkt)
        parts.append(frame(1 if payload.__class__ is str else 2, payload))
    return b"".join(parts)
