"""Property tests: encode/decode round trips and a no-crash fuzz of the decoder."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socketio_rs.codec import Decoder, Packet, PacketError, PacketType, encode

StrictEqual = Callable[[object, object], bool]

RESERVED_EVENTS = frozenset(
    {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}
)
MAX_ID = 2**53
SURROGATE_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")

# Any code point, lone surrogates included. A high surrogate followed by a low one is excluded:
# the encoder escapes each as \uXXXX and JSON decoding (json.loads too) joins such a pair into
# one character, so that string cannot round-trip by design.
text = st.text(alphabet=st.characters(exclude_categories=()), max_size=12).filter(
    lambda s: SURROGATE_PAIR.search(s) is None
)
# {"_placeholder": true, "num": N} is how the protocol spells an attachment, so a user dict of
# that shape is ambiguous on the wire; keep the key out of generated data.
keys = text.filter(lambda k: k != "_placeholder")
# Integer literals up to 100 characters, sign included (the decoder's default limit).
ints = st.integers(min_value=-(10**99 - 1), max_value=10**100 - 1)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)
json_leaves = st.none() | st.booleans() | ints | finite_floats | text


def nested(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """JSON-able values built from ``leaves``; lists, not tuples (decoding gives lists)."""
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4)
        ),
        max_leaves=16,
    )


json_values = nested(json_leaves)
json_or_binary = nested(json_leaves | st.binary(max_size=16))
event_names = text.filter(lambda s: s not in RESERVED_EVENTS) | ints
namespaces = st.text(max_size=10).filter(lambda s: "," not in s).map(lambda s: "/" + s)
ack_ids = st.none() | st.integers(min_value=0, max_value=MAX_ID)


@st.composite
def packets(draw: st.DrawFn) -> Packet:
    """Any packet the reference decoder accepts (section 4.1 payload rules)."""
    kind = draw(st.sampled_from([0, 1, 2, 3, 4]))
    data: Any
    if kind == PacketType.EVENT:
        data = [draw(event_names), *draw(st.lists(json_or_binary, max_size=5))]
    elif kind == PacketType.ACK:
        data = draw(st.lists(json_or_binary, max_size=5))
    elif kind == PacketType.CONNECT:
        data = draw(st.none() | st.dictionaries(keys, json_values, max_size=4))
    elif kind == PacketType.CONNECT_ERROR:
        data = draw(text | st.dictionaries(keys, json_values, max_size=4))
    else:
        data = None
    return Packet(kind, draw(namespaces), data, draw(ack_ids))


def count_binary(value: Any) -> int:
    if isinstance(value, bytes):
        return 1
    if isinstance(value, list):
        return sum(count_binary(v) for v in value)
    if isinstance(value, dict):
        return sum(count_binary(v) for v in value.values())
    return 0


@settings(max_examples=800, suppress_health_check=[HealthCheck.too_slow])
@given(packet=packets())
def test_decode_of_encode_is_identity(packet: Packet, strict_equal: StrictEqual) -> None:
    frames = encode(packet)
    attachments = count_binary(packet.data)
    assert len(frames) == 1 + attachments
    header = frames[0]
    assert isinstance(header, str)
    header.encode("utf-8")  # always sendable as a WebSocket text frame
    assert all(type(f) is bytes for f in frames[1:])
    if attachments:
        assert header.startswith(("5", "6"))
        assert header[1:].startswith(f"{attachments}-")

    # More attachments than the default limit may be generated; the limit is tested elsewhere.
    decoder = Decoder(max_attachments=max(attachments, 1))
    decoded: list[Packet] = []
    for i, frame in enumerate(frames):
        decoded.extend(decoder.add(frame))
        assert decoder.pending is (i < len(frames) - 1)
    assert decoded == [packet]
    (result,) = decoded
    assert result.type is packet.type
    assert strict_equal(result.data, packet.data)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(stream=st.lists(packets(), min_size=2, max_size=8))
def test_one_decoder_decodes_a_stream(stream: list[Packet], strict_equal: StrictEqual) -> None:
    """A connection keeps one Decoder for its lifetime: state must not leak between packets."""
    decoder = Decoder(max_attachments=1000)
    for packet in stream:
        frames = encode(packet)
        decoded = [p for frame in frames for p in decoder.add(frame)]
        assert decoded == [packet]
        assert strict_equal(decoded[0].data, packet.data)
    assert decoder.pending is False


@settings(max_examples=100)
@given(
    st.sampled_from([PacketType.EVENT, PacketType.ACK]),
    st.lists(
        st.binary(max_size=8) | st.builds(bytearray, st.binary(max_size=8)), min_size=1, max_size=4
    ),
)
def test_bytes_like_attachments_round_trip_as_bytes(kind: PacketType, blobs: list[Any]) -> None:
    def wrap(args: list[Any]) -> list[Any]:
        return ["ev", *args] if kind == PacketType.EVENT else args

    frames = encode(Packet(kind, "/", wrap(blobs)))
    decoder = Decoder()
    decoded = [p for frame in frames for p in decoder.add(frame)]
    assert decoded == [Packet(kind, "/", wrap([bytes(b) for b in blobs]))]
    assert all(type(v) is bytes for v in decoded[0].data[-len(blobs) :])


# --------------------------------------------------------------------------------------------
# Fuzz: anything fed to a Decoder raises PacketError or nothing.

any_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)
digits = st.text(alphabet="0123456789", max_size=3)


@st.composite
def packetish(draw: st.DrawFn) -> str:
    """Text shaped like a packet header plus a JSON-ish payload, to get past the first checks."""
    kind = draw(st.sampled_from(list("0123456a9 -")))
    attachments = draw(st.sampled_from(["", "-"]) | digits.map(lambda d: d + "-"))
    nsp = draw(
        st.sampled_from(["", "/", "/a,", "/a?x=1,"]) | st.text(alphabet="/ab,-?", max_size=5)
    )
    ack = draw(st.sampled_from(["", " ", "0", str(MAX_ID), str(MAX_ID + 2)]) | digits)
    num = draw(st.sampled_from(["0", "1", "-1", "0.5", '"0"', "null", "1e400", "9" * 30]))
    payload = draw(
        st.sampled_from(["", "[]", "{}", '""', "null", "[", '["x"', "[1,]", "NaN", "-"])
        | st.just(f'["ev",{{"_placeholder":true,"num":{num}}}]')
        | st.builds(lambda n: "[" * n + "]" * n, st.integers(0, 400))
        | st.builds(lambda n: "[" * n, st.integers(0, 400))
        | st.builds(lambda n: "[" + "9" * n + "]", st.integers(95, 105))
        | any_text
    )
    return kind + attachments + nsp + ack + payload


@st.composite
def mutated_encodings(draw: st.DrawFn) -> list[Any]:
    """A valid encoding with one frame cut or with a character inserted."""
    frames: list[Any] = list(encode(draw(packets())))
    i = draw(st.integers(0, len(frames) - 1))
    frame = frames[i]
    at = draw(st.integers(0, len(frame)))
    if draw(st.booleans()):
        frames[i] = frame[:at]
    elif isinstance(frame, str):
        frames[i] = frame[:at] + draw(st.sampled_from(list('[]{}",:-/0 \\'))) + frame[at:]
    else:
        frames[i] = frame[:at] + b"\x00" + frame[at:]
    return frames


frames_strategy: st.SearchStrategy[list[Any]] = (
    st.lists(
        any_text
        | st.binary(max_size=16)
        | packetish()
        | st.binary(max_size=2).map(bytearray)
        | st.binary(max_size=2).map(lambda b: memoryview(b)),
        max_size=8,
    )
    | mutated_encodings()
)


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow])
@given(frames_strategy)
def test_decoder_only_ever_raises_packet_error(frames: list[Any]) -> None:
    decoder = Decoder()
    for frame in frames:
        try:
            out = decoder.add(frame)
        except PacketError:
            assert decoder.pending is False  # reset after any error
        except BaseException as exc:  # PanicException derives from BaseException
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            pytest.fail(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc!r} on {frame!r}")
        else:
            assert isinstance(out, list)
            assert all(isinstance(p, Packet) for p in out)
    decoder.reset()
    assert decoder.add('2["still working"]') == [Packet(2, "/", ["still working"])]
