"""Shared helpers of the codec API tests (test_codec_packet/encode/decode)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from socketio_rs.codec import Decoder, Packet, PacketError, PacketType, encode

StrictEqual = Callable[[object, object], bool]
ErrorRule = Callable[[str, str], bool]

# fmt: off
RESERVED_EVENTS = [
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
]
# fmt: on


def placeholder(num: int) -> str:
    return f'{{"_placeholder":true,"num":{num}}}'


def text_of(data: Any) -> str:
    """The JSON part of an EVENT on "/" without id: everything after the type digit."""
    frames = encode(Packet(PacketType.EVENT, "/", data))
    assert len(frames) == 1 and frames[0][:1] == "2"
    text = frames[0]
    assert isinstance(text, str)
    return text[1:]


def stdlib_text(data: Any) -> str:
    """What python-socketio sends, except for ensure_ascii (we write UTF-8 raw, like Node)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def nested_lists(depth: int) -> list[Any]:
    """``depth`` lists, each inside the previous one: nested_lists(2) == [[]]."""
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def decode_one(text: str, **options: int) -> Packet:
    """Decode a single non-binary text frame with a fresh decoder."""
    packets = Decoder(**options).add(text)
    assert len(packets) == 1
    return packets[0]


def decode_error(frame: Any, decoder: Decoder | None = None) -> str:
    """Feed one frame that must fail; return the PacketError message."""
    with pytest.raises(PacketError) as info:
        (decoder or Decoder()).add(frame)
    return str(info.value)


def short_id(value: object) -> str | None:
    """Readable test ids for long parameters (thousand-character literals)."""
    if isinstance(value, str) and len(value) > 40:
        return f"{value[:12]}...{value[-6:]}({len(value)}chars)"
    return None  # pytest's own id


# The reference parser's vectors (../shared/reference/parser-vectors.json, copied).
DATA_FILE = Path(__file__).parent / "data" / "parser-vectors.json"
# The shared folder lies beside the repository (``../shared``), on developer machines and in CI.
REFERENCE_FILE = Path(__file__).resolve().parents[2] / "shared/reference/parser-vectors.json"
VECTORS: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))


def from_hex(value: Any) -> Any:
    """Replace ``{"__binary_hex": h}`` anywhere in packet data with ``bytes``."""
    if isinstance(value, dict):
        if set(value) == {"__binary_hex"}:
            return bytes.fromhex(value["__binary_hex"])
        return {k: from_hex(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_hex(v) for v in value]
    return value


def frame_from_json(frame: Any) -> Any:
    """A frame is a str, ``{"binary_hex": h}`` (bytes), or anything else (fed as is, e.g. 999)."""
    if isinstance(frame, dict) and set(frame) == {"binary_hex"}:
        return bytes.fromhex(frame["binary_hex"])
    return frame


def packet_from_json(obj: dict[str, Any]) -> Packet:
    """The parser's object form; missing ``data`` and ``id`` mean None (``attachments`` unused)."""
    return Packet(obj["type"], obj["nsp"], from_hex(obj.get("data")), obj.get("id"))


def vector_ids(cases: list[dict[str, Any]]) -> list[str]:
    """Test ids of vector cases; several share a desc ("Illegal attachments"), so ids carry
    the index."""
    return [f"{i:02d}-{case['desc']}" for i, case in enumerate(cases)]


def feed(decoder: Decoder, frames: list[Any]) -> tuple[list[Packet], PacketError | None]:
    """Feed a vector's input frames to ``decoder`` in order, stopping at the first error as
    the reference parser does (it throws); the packets decoded, and the error if any."""
    decoded: list[Packet] = []
    for frame in frames:
        try:
            decoded.extend(decoder.add(frame_from_json(frame)))
        except PacketError as exc:
            return decoded, exc
    return decoded, None
