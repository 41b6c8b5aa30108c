"""``_core.ws_packet``: one Socket.IO packet framed as the WebSocket message of its
Engine.IO v4 MESSAGE in one step, which must be exactly what ``ws_messages(encode(Packet(
...)))`` gives (the path it replaces for acks and emits to one socket on ``serve()``)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socketio_rs._core import ws_messages, ws_packet
from socketio_rs.codec import Packet, PacketError, PacketType, encode

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(
    st.sampled_from([PacketType.EVENT, PacketType.ACK]),
    st.sampled_from(["/", "/chat", "/é"]),
    st.lists(json_values, max_size=4),
    st.none() | st.integers(0, 2**53),
)
def test_it_frames_what_encode_and_ws_messages_frame(
    ptype: PacketType, nsp: str, args: list[Any], ack_id: int | None
) -> None:
    data = ["ev", *args] if ptype == PacketType.EVENT else args
    expected = ws_messages(encode(Packet(ptype, nsp, data, ack_id)))
    assert ws_packet(ptype, nsp, data, ack_id) == expected


def test_long_payloads_take_the_longer_length_encodings() -> None:
    for size in (120, 70_000):
        data = ["ev", "x" * size]
        assert ws_packet(2, "/", data) == ws_messages(encode(Packet(2, "/", data)))


def test_binary_data_is_left_to_encode() -> None:
    """Attachments are frames of their own: ``None`` tells the caller to encode."""
    assert ws_packet(3, "/", [b"\x00"], 1) is None
    assert ws_packet(2, "/", ["ev", {"deep": [bytearray(b"x")]}]) is None


def test_bad_arguments_raise_as_packet_and_encode_do() -> None:
    with pytest.raises(PacketError):
        ws_packet(9, "/", [])
    with pytest.raises(PacketError):
        ws_packet(3, "/", [], 2**60)
    with pytest.raises(TypeError):
        ws_packet(3, "/", [object()], 1)
    with pytest.raises(TypeError):
        ws_packet(True, "/", [])  # type: ignore[arg-type]
