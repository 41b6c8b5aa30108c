"""Interoperability with python-socketio 5.18.1's codec (``socketio.packet.Packet``).

Both directions: python-socketio decodes what we encode, and we decode what it encodes, with the
same type, namespace, data and id. Two documented differences are normalised here: python-socketio
keeps BINARY_EVENT/BINARY_ACK as the type after decoding (we return EVENT/ACK), and it reads a
missing namespace as None (we say "/"). It also strips a ``?query`` from namespaces, so no
namespace below contains "?".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import socketio.packet as sio_packet  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from socketio_rs.codec import Decoder, Packet, PacketType, encode

StrictEqual = Callable[[object, object], bool]
Fields = tuple[int, str, Any, Any]
PRINTABLE_ASCII = re.compile("[ -~]*")

PACKETS: dict[str, Packet] = {
    "connect-auth": Packet(0, "/", {"token": "abc", "n": 1}),
    "connect-admin": Packet(0, "/admin"),
    "connect-admin-auth": Packet(0, "/admin", {"pid": "p1", "offset": "o1"}),
    "disconnect": Packet(1),
    "disconnect-admin": Packet(1, "/admin"),
    "event": Packet(2, "/", ["chat", "hi"]),
    "event-ack-id": Packet(2, "/", ["chat", {"text": "hi"}], 7),
    "event-nsp-ack-id-0": Packet(2, "/room-1", ["join", "lobby"], 0),
    "event-int-name": Packet(2, "/", [42, None, True, False]),
    "event-max-id": Packet(2, "/", ["x"], 2**53),
    "ack": Packet(3, "/", ["ok", 1], 12),
    "ack-empty": Packet(3, "/admin", [], 3),
    "connect-error-object": Packet(4, "/", {"message": "Not authorized", "data": {"code": 403}}),
    "connect-error-string": Packet(4, "/private", "Unauthorized"),
    "unicode": Packet(2, "/", ["msg", "héllo 世界 😀", "\u2028", "\x00\x1f\x7f", "\ud800"]),
    "nested": Packet(2, "/", ["ev", {"a": [1, 2.5, None, True, {"b": []}], "c": {"d": "e"}}]),
    "numbers": Packet(2, "/", ["n", 2**63, -(2**70), 1e300, 5e-324, -0.0, 0.1, 10**99]),
    "binary-1": Packet(2, "/", ["file", b"\x00\x01\xff"]),
    "binary-empty": Packet(2, "/", ["file", b""]),
    "binary-2-nested": Packet(
        2, "/upload", ["up", {"meta": {"n": "a"}, "chunk": b"ab"}, [b"c"]], 5
    ),
    "binary-3": Packet(2, "/", ["up", {"chunks": [b"a", b"bc"]}, b"d"], 9),
    "binary-ack-1": Packet(3, "/", [b"x"], 1),
    "binary-ack-3": Packet(3, "/admin", [b"x", {"y": b"z", "w": [1, {"v": b"u"}]}], 99),
}


def their_decode(frames: list[Any]) -> Fields:
    """Decode with python-socketio, feeding attachments as its server does."""
    packet = sio_packet.Packet(encoded_packet=frames[0])
    assert packet.attachment_count == len(frames) - 1
    for i, attachment in enumerate(frames[1:], start=1):
        assert packet.add_attachment(attachment) is (i == len(frames) - 1)
    kind = {sio_packet.BINARY_EVENT: 2, sio_packet.BINARY_ACK: 3}.get(
        packet.packet_type, packet.packet_type
    )
    return kind, packet.namespace or "/", packet.data, packet.id


def their_encode(packet: Packet) -> list[Any]:
    encoded = sio_packet.Packet(
        int(packet.type), data=packet.data, namespace=packet.nsp, id=packet.id
    ).encode()
    return encoded if isinstance(encoded, list) else [encoded]


def our_decode(frames: list[Any], max_attachments: int = 10) -> Fields:
    decoder = Decoder(max_attachments=max_attachments)
    decoded = [p for frame in frames for p in decoder.add(frame)]
    assert decoder.pending is False
    (packet,) = decoded
    return int(packet.type), packet.nsp, packet.data, packet.id


def is_printable_ascii(frames: list[Any]) -> bool:
    """Whether the text frame is plain printable ASCII (where ensure_ascii changes nothing)."""
    text = frames[0]
    assert isinstance(text, str)
    return PRINTABLE_ASCII.fullmatch(text) is not None


def fields(packet: Packet) -> Fields:
    return int(packet.type), packet.nsp, packet.data, packet.id


def assert_same(got: Fields, want: Fields, strict_equal: StrictEqual) -> None:
    assert got[0] == want[0] and got[1] == want[1] and got[3] == want[3], (got, want)
    assert strict_equal(got[2], want[2]), (got[2], want[2])


def test_packet_type_numbers_agree_with_python_socketio() -> None:
    assert [m.name for m in PacketType] == sio_packet.packet_names
    for member in PacketType:
        assert getattr(sio_packet, member.name) == member.value


@pytest.mark.parametrize("packet", PACKETS.values(), ids=list(PACKETS))
def test_python_socketio_decodes_our_encoding(packet: Packet, strict_equal: StrictEqual) -> None:
    assert_same(their_decode(encode(packet)), fields(packet), strict_equal)


@pytest.mark.parametrize("packet", PACKETS.values(), ids=list(PACKETS))
def test_we_decode_python_socketio_encoding(packet: Packet, strict_equal: StrictEqual) -> None:
    assert_same(our_decode(their_encode(packet)), fields(packet), strict_equal)


@pytest.mark.parametrize("packet", PACKETS.values(), ids=list(PACKETS))
def test_same_frames_as_python_socketio(packet: Packet) -> None:
    """Identical wire text, except where python-socketio's ensure_ascii escapes a character
    that we (like Node) write raw: then both texts must still parse to the same packet."""
    ours, theirs = encode(packet), their_encode(packet)
    assert ours[1:] == theirs[1:]
    if is_printable_ascii(ours):
        assert ours[0] == theirs[0]
    else:
        assert ours[0] != theirs[0]  # the table entry really exercises the difference
        assert our_decode(theirs) == our_decode(ours)


# --------------------------------------------------------------------------------------------
# Generated events and acks

SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
# Lone surrogates included; an adjacent high+low pair joins into one character when decoded.
text = st.text(alphabet=st.characters(exclude_categories=()), max_size=10).filter(
    lambda s: SURROGATE_PAIR.search(s) is None
)
keys = text.filter(lambda k: k != "_placeholder")  # the protocol's own attachment marker
leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**99 - 1), max_value=10**100 - 1)  # engineio's _safe_int limit
    | st.floats(allow_nan=False, allow_infinity=False)  # python-socketio would write NaN
    | text
    | st.binary(max_size=8)
)
values = st.recursive(
    leaves,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(keys, c, max_size=3),
    max_leaves=12,
)
namespaces = st.text(max_size=8).filter(lambda s: not set(s) & {",", "?"}).map(lambda s: "/" + s)
ack_ids = st.none() | st.integers(min_value=0, max_value=2**53)


@st.composite
def events_and_acks(draw: st.DrawFn) -> Packet:
    args = draw(st.lists(values, max_size=4))
    if draw(st.booleans()):
        name = draw(text.filter(lambda s: s not in RESERVED_EVENTS) | st.integers(-(2**60), 2**60))
        return Packet(2, draw(namespaces), [name, *args], draw(ack_ids))
    return Packet(3, draw(namespaces), args, draw(ack_ids))


@settings(max_examples=300)
@given(packet=events_and_acks())
def test_generated_packets_cross_decode(packet: Packet, strict_equal: StrictEqual) -> None:
    ours, theirs = encode(packet), their_encode(packet)
    assert_same(their_decode(ours), fields(packet), strict_equal)
    # python-socketio has no attachment limit; ours defaults to 10 (P9), tested elsewhere.
    limit = max(10, len(theirs) - 1)
    assert_same(our_decode(theirs, limit), fields(packet), strict_equal)
    assert ours[1:] == theirs[1:]
    if is_printable_ascii(ours):
        assert ours[0] == theirs[0]
