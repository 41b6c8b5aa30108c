"""``serializer="msgpack"``: the socket.io-msgpack-parser format.

Each packet is one binary frame, the MessagePack map ``{type, data, nsp, id}``;
bytes travel natively inside it, so there are no attachments and no BINARY_*
packet types. MessagePack itself is the ``msgpack`` package (a C extension;
install ``socketio-rs[msgpack]``); the packet rules are the Rust codec's
(``is_packet_valid``), so both serializers accept the same packets.
"""

from __future__ import annotations

from typing import Any

from .codec import Packet, PacketError, PacketType, is_packet_valid

#: The packet types the msgpack parser knows (it has no BINARY_* types).
_TYPES = range(PacketType.CONNECT, PacketType.CONNECT_ERROR + 1)


def _msgpack() -> Any:
    try:
        import msgpack
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'serializer="msgpack" needs the msgpack package: pip install "socketio-rs[msgpack]"'
        ) from exc
    return msgpack


class MsgPackEncoder:
    """Encodes a packet as one MessagePack frame."""

    def __init__(self) -> None:
        self._packb = _msgpack().packb

    def __call__(self, packet: Packet) -> list[str | bytes]:
        # Absent rather than nil: the JavaScript parser rejects a DISCONNECT whose
        # data is null (it must be undefined), and drops undefined keys itself.
        frame: dict[str, Any] = {"type": int(packet.type)}
        if packet.data is not None:
            frame["data"] = packet.data
        frame["nsp"] = packet.nsp
        if packet.id is not None:
            frame["id"] = packet.id
        try:
            encoded: bytes = self._packb(frame)
        except (TypeError, ValueError, OverflowError) as exc:
            raise TypeError(f"cannot encode as MessagePack: {exc}") from exc
        return [encoded]


class MsgPackDecoder:
    """Decodes MessagePack frames; the same interface as ``codec.Decoder``."""

    def __init__(self) -> None:
        self._unpackb = _msgpack().unpackb

    def add(self, frame: str | bytes) -> list[Packet]:
        """The packet ``frame`` holds; ``PacketError`` for anything else."""
        if isinstance(frame, str):
            raise PacketError("invalid payload: a text frame with the msgpack parser")
        try:
            decoded = self._unpackb(frame, strict_map_key=False)
        except Exception as exc:
            raise PacketError(f"invalid payload: {exc}") from exc
        if not isinstance(decoded, dict):
            raise PacketError("invalid payload: not a map")
        ptype, nsp = decoded.get("type"), decoded.get("nsp")
        if type(ptype) is not int or ptype not in _TYPES:
            raise PacketError("invalid packet type")
        if not isinstance(nsp, str):
            raise PacketError("invalid namespace")
        ack_id = decoded.get("id")
        if ack_id is not None and type(ack_id) is not int:
            raise PacketError("invalid packet id")
        try:
            packet = Packet(ptype, nsp, decoded.get("data"), ack_id)
        except (TypeError, ValueError) as exc:
            raise PacketError(f"invalid packet id: {exc}") from exc
        if not is_packet_valid(packet):
            raise PacketError("invalid payload")
        return [packet]

    @property
    def pending(self) -> bool:
        """Always false: a msgpack packet is always one frame."""
        return False

    def reset(self) -> None:
        """Nothing to drop."""
