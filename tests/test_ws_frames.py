"""The WebSocket frame codec of ``socketio_rs._core`` (RFC 6455, server side).

wsproto is the independent implementation: its client-side ``FrameProtocol`` masks the frames
``WsReader`` reads, and parses the frames ``ws_frame`` builds. The protocol violations are
frames built by hand. Section numbers are RFC 6455's.
"""

from __future__ import annotations

import inspect
import os
import struct
from collections.abc import Iterable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wsproto.frame_protocol import CloseReason, Frame, FrameProtocol, Opcode
from wsproto.utilities import generate_accept_token

from socketio_rs._core import WsError, WsReader, ws_accept, ws_close_frame, ws_frame, ws_messages

Item = tuple[int, "str | bytes"]
MASK = b"\x37\xfa\x21\x3d"


def client() -> FrameProtocol:
    return FrameProtocol(client=True, extensions=[])


def masked(b0: int, payload: bytes, *, mask: bytes = MASK, length: bytes | None = None) -> bytes:
    """A client frame built by hand: ``b0`` (FIN, RSV, opcode), then the shortest length
    encoding unless ``length`` (the 7-bit field and what follows) is given, then the mask."""
    if length is None:
        n = len(payload)
        if n <= 125:
            length = bytes([n])
        elif n <= 0xFFFF:
            length = bytes([126]) + struct.pack("!H", n)
        else:
            length = bytes([127]) + struct.pack("!Q", n)
    head = bytes([b0, 0x80 | length[0]]) + length[1:] + mask
    return head + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read(data: bytes, max_message: int = 1 << 20) -> list[Item]:
    return WsReader(max_message).feed(data)


def read_chunks(chunks: Iterable[bytes], max_message: int = 1 << 20) -> list[Item]:
    reader = WsReader(max_message)
    out: list[Item] = []
    for chunk in chunks:
        out.extend(reader.feed(chunk))
    return out


def cut(data: bytes, points: Iterable[int]) -> list[bytes]:
    edges = [0, *sorted(points), len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:])]


def error_of(data: bytes, max_message: int = 1 << 20) -> WsError:
    with pytest.raises(WsError) as info:
        read(data, max_message)
    return info.value


# -- What wsproto's client sends (5.1-5.7) ---------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 50, 125, 126, 127, 65535, 65536, 100_000])
def test_text_and_binary_messages_of_every_length_encoding_5_2(size: int) -> None:
    sender = client()
    text = "é" * (size // 2) + "x" * (size % 2)
    blob = os.urandom(size)
    data = bytes(sender.send_data(text) + sender.send_data(blob))
    items = read(data)
    assert items == [(1, text), (2, blob)]
    assert [type(p) for _, p in items] == [str, bytes]


def test_fragments_with_control_frames_between_5_4() -> None:
    sender = client()
    data = bytes(
        sender.send_data("héllo ", fin=False)
        + sender.ping(b"are you there")
        + sender.send_data("wörld", fin=False)
        + sender.pong(b"")
        + sender.send_data("!", fin=True)
        + sender.send_data(b"\x00\x01", fin=False)
        + sender.send_data(b"", fin=False)
        + sender.send_data(b"\x02", fin=True)
        + sender.close(CloseReason.GOING_AWAY, "bye")
    )
    assert read(data) == [
        (9, b"are you there"),
        (10, b""),
        (1, "héllo wörld!"),
        (2, b"\x00\x01\x02"),
        (8, struct.pack("!H", 1001) + b"bye"),
    ]


def test_a_frame_split_at_every_offset_reads_the_same() -> None:
    sender = client()
    data = bytes(
        sender.send_data("a 50-byte message, mostly ascii, with one € sign.")
        + sender.send_data(b"\xff" * 200, fin=False)
        + sender.ping(b"p")
        + sender.send_data(b"\xfe" * 3)
    )
    expected = [
        (1, "a 50-byte message, mostly ascii, with one € sign."),
        (9, b"p"),
        (2, b"\xff" * 200 + b"\xfe" * 3),
    ]
    for point in range(len(data) + 1):
        assert read_chunks(cut(data, [point])) == expected, point
    assert read_chunks(data[i : i + 1] for i in range(len(data))) == expected


def test_the_rfc_example_frames_5_7() -> None:
    assert read(bytes.fromhex("818537fa213d7f9f4d5158")) == [(1, "Hello")]
    # A masked ping with "Hello".
    assert read(bytes.fromhex("898537fa213d7f9f4d5158")) == [(9, b"Hello")]


def test_bytearray_and_memoryview_input() -> None:
    data = masked(0x82, b"abc")
    assert WsReader(10).feed(bytearray(data)) == [(2, b"abc")]
    assert WsReader(10).feed(memoryview(data)) == [(2, b"abc")]
    with pytest.raises(TypeError):
        WsReader(10).feed("text")  # type: ignore[arg-type]


# -- Violations (1002 / 1007 / 1009) ---------------------------------------------------------

VIOLATIONS = [
    # 5.2: RSV1-3 are 0 without a negotiated extension.
    ("rsv1", masked(0xC1, b"x"), 1002),
    ("rsv2", masked(0xA1, b"x"), 1002),
    ("rsv3", masked(0x91, b"x"), 1002),
    # 5.2: reserved opcodes.
    *[(f"opcode {op}", masked(0x80 | op, b""), 1002) for op in (3, 4, 5, 6, 7, 11, 12, 13, 15)],
    # 5.1, 5.3: a client masks every frame.
    ("unmasked", b"\x81\x02hi", 1002),
    # 5.5: control frames are not fragmented and carry at most 125 bytes.
    ("fragmented ping", masked(0x09, b""), 1002),
    ("fragmented close", masked(0x08, b""), 1002),
    ("ping of 126 bytes", masked(0x89, b"x" * 126), 1002),
    ("pong with a 64-bit length", masked(0x8A, b"", length=b"\x7f" + struct.pack("!Q", 200)), 1002),
    # 5.4: continuation frames continue a message; messages do not interleave.
    ("lone continuation", masked(0x80, b"x"), 1002),
    ("continuation after a whole message", masked(0x81, b"a") + masked(0x80, b"b"), 1002),
    ("text inside a fragmented text", masked(0x01, b"a") + masked(0x81, b"b"), 1002),
    ("binary inside a fragmented text", masked(0x01, b"a") + masked(0x82, b"b"), 1002),
    # 5.2: the most significant bit of a 64-bit length is 0.
    ("64-bit length msb", masked(0x82, b"", length=b"\x7f" + struct.pack("!Q", 1 << 63)), 1002),
    # 8.1: text messages are UTF-8.
    ("invalid utf-8", masked(0x81, b"ok \xff"), 1007),
    ("truncated utf-8", masked(0x81, "€".encode()[:2]), 1007),
    ("surrogate in utf-8", masked(0x81, b"\xed\xa0\x80"), 1007),
    ("overlong utf-8", masked(0x81, b"\xc0\xaf"), 1007),
    ("utf-8 over fragments", masked(0x01, b"\xe2\x82") + masked(0x80, b"x"), 1007),
    # 5.5.1, 7.4: a close body is empty or a valid code and a UTF-8 reason.
    ("close of 1 byte", masked(0x88, b"\x03"), 1002),
    *[
        (f"close code {code}", masked(0x88, struct.pack("!H", code)), 1002)
        for code in (0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535)
    ],
    ("close reason not utf-8", masked(0x88, struct.pack("!H", 1000) + b"\xff"), 1007),
]


@pytest.mark.parametrize(
    ("data", "code"), [(d, c) for _, d, c in VIOLATIONS], ids=[n for n, _, _ in VIOLATIONS]
)
def test_violations_raise_wserror_with_the_close_code(data: bytes, code: int) -> None:
    err = error_of(data)
    assert isinstance(err, ValueError)
    assert err.code == code
    assert str(err)
    # Whatever the cut, the same error.
    for point in range(len(data) + 1):
        with pytest.raises(WsError) as info:
            read_chunks(cut(data, [point]))
        assert (info.value.code, str(info.value)) == (code, str(err))


def test_the_reasons_are_short_and_human() -> None:
    assert str(error_of(b"\x81\x02hi")) == "unmasked client frame"
    assert str(error_of(masked(0x81, b"\xff"))) == "invalid UTF-8 in text message"
    assert str(error_of(masked(0x88, struct.pack("!H", 1005)))) == "invalid close code 1005"


@pytest.mark.parametrize(
    "code", [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1014, 3000, 4999]
)
def test_valid_close_codes_are_returned_7_4(code: int) -> None:
    payload = struct.pack("!H", code) + "raison d'être".encode()
    assert read(masked(0x88, payload)) == [(8, payload)]


def test_an_empty_close_is_valid_5_5_1() -> None:
    assert read(masked(0x88, b"")) == [(8, b"")]


def test_longer_length_encodings_than_needed_are_accepted_5_2() -> None:
    data = masked(0x81, b"hi", length=b"\x7e\x00\x02") + masked(
        0x89, b"yo", length=b"\x7f" + struct.pack("!Q", 2)
    )
    assert read(data) == [(1, "hi"), (9, b"yo")]


def test_a_message_over_the_limit_fails_from_its_header_7_4_1() -> None:
    assert read(masked(0x82, b"x" * 10), max_message=10) == [(2, b"x" * 10)]
    # Only the first two bytes of an 11-byte frame: the length is enough.
    assert error_of(masked(0x82, b"x" * 11)[:2], max_message=10).code == 1009
    # Fragments count together.
    data = masked(0x01, b"x" * 6) + masked(0x80, b"x" * 5)
    assert error_of(data, max_message=10).code == 1009
    # A declared 2**62-byte message is not allocated: only what arrives is held.
    reader = WsReader(1 << 63)
    assert reader.feed(masked(0x82, b"", length=b"\x7f" + struct.pack("!Q", 1 << 62))) == []
    assert reader.feed(b"\x00" * 1000) == []
    assert reader.buffered == 1000


def test_an_error_poisons_the_reader() -> None:
    reader = WsReader(100)
    with pytest.raises(WsError) as first:
        reader.feed(masked(0x81, b"fine") + b"\x81\x01x")
    # 7.1.7: the connection fails after what came before the violation, which is kept.
    assert first.value.items == [(1, "fine")]
    for later in (masked(0x81, b"fine"), b""):
        with pytest.raises(WsError) as again:
            reader.feed(later)
        assert (again.value.code, str(again.value)) == (first.value.code, str(first.value))
        assert again.value.items == []
    assert reader.buffered == 0


def test_input_after_a_close_frame_is_ignored_5_5_1() -> None:
    reader = WsReader(100)
    close = masked(0x88, struct.pack("!H", 1000))
    assert reader.feed(close + masked(0x81, b"late")) == [(8, b"\x03\xe8")]
    assert reader.feed(b"\xff\xff garbage") == []
    assert reader.buffered == 0


def test_buffered_counts_a_partial_frame_and_message() -> None:
    reader = WsReader(100)
    first = masked(0x01, b"abcd")
    assert reader.feed(first[:3]) == []
    assert reader.buffered == 3
    assert reader.feed(first[3:]) == []
    assert reader.buffered == 4
    assert reader.feed(masked(0x80, b"ef")) == [(1, "abcdef")]
    assert reader.buffered == 0


def test_wserror_code_is_on_the_class_too() -> None:
    assert issubclass(WsError, ValueError)
    assert WsError.code == 1002


# -- What the server sends (5.2, 5.5.1) ------------------------------------------------------


def parsed_by_wsproto(data: bytes) -> list[Frame]:
    receiver = client()
    receiver.receive_bytes(data)
    return list(receiver.received_frames())


@pytest.mark.parametrize("size", [0, 1, 50, 125, 126, 65535, 65536, 70_000])
def test_ws_frame_is_read_by_wsproto_5_2(size: int) -> None:
    text = "ü" * (size // 2) + "x" * (size % 2)
    blob = os.urandom(size)
    frames = parsed_by_wsproto(ws_frame(1, text) + ws_frame(2, blob))
    assert [(f.opcode, f.payload, f.message_finished) for f in frames] == [
        (Opcode.TEXT, text, True),
        (Opcode.BINARY, blob, True),
    ]


def test_ws_frame_headers_are_unmasked_with_the_shortest_length_5_2() -> None:
    assert ws_frame(1, "Hello") == bytes.fromhex("810548656c6c6f")  # 5.7
    assert ws_frame(2, b"x" * 126)[:4] == b"\x82\x7e\x00\x7e"
    assert ws_frame(2, b"x" * 65536)[:10] == b"\x82\x7f" + struct.pack("!Q", 65536)
    assert ws_frame(9, b"Hello") == bytes.fromhex("890548656c6c6f")
    assert ws_frame(10, "") == b"\x8a\x00"
    assert ws_frame(2, bytearray(b"ab")) == ws_frame(2, memoryview(b"ab")) == b"\x82\x02ab"


def test_control_frames_are_read_by_wsproto_5_5() -> None:
    frames = parsed_by_wsproto(ws_frame(9, b"p" * 125) + ws_frame(10, "q") + ws_frame(8, b""))
    assert [(f.opcode, f.payload) for f in frames] == [
        (Opcode.PING, b"p" * 125),
        (Opcode.PONG, b"q"),
        (Opcode.CLOSE, (CloseReason.NO_STATUS_RCVD, "")),
    ]


@pytest.mark.parametrize("opcode", [0, 3, 7, 11, 15, 16, -1, 1 << 40])
def test_ws_frame_refuses_other_opcodes(opcode: int) -> None:
    with pytest.raises(ValueError, match="opcode"):
        ws_frame(opcode, b"")


@pytest.mark.parametrize("opcode", [8, 9, 10])
def test_ws_frame_refuses_control_payloads_over_125_bytes_5_5(opcode: int) -> None:
    with pytest.raises(ValueError, match="125"):
        ws_frame(opcode, b"x" * 126)


def test_ws_frame_argument_types() -> None:
    with pytest.raises(TypeError):
        ws_frame(1, 5)  # type: ignore[arg-type]
    with pytest.raises(UnicodeEncodeError):
        ws_frame(1, "\ud800")


def test_ws_close_frame_is_read_by_wsproto_5_5_1() -> None:
    for frame, payload in [
        (ws_close_frame(1001, "going away"), (CloseReason.GOING_AWAY, "going away")),
        (ws_close_frame(4000), (4000, "")),
    ]:
        assert [f.payload for f in parsed_by_wsproto(frame)] == [payload]
    assert ws_close_frame(1002) == b"\x88\x02\x03\xea"


def test_ws_close_frame_cuts_the_reason_on_a_character_boundary_5_5() -> None:
    assert len(ws_close_frame(1000, "a" * 200)) == 2 + 125
    # 122 bytes, then a 2-byte character that would end at byte 124 of 123.
    frame = ws_close_frame(1000, "a" * 122 + "é")
    assert frame[4:] == b"a" * 122
    frame = ws_close_frame(1011, "€" * 100)
    assert frame[4:].decode() == "€" * 41
    # Whatever is cut, what is sent reads back.
    assert read(masked(0x88, ws_close_frame(1000, "ü" * 100)[2:]))[0][0] == 8


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 2000, 5000, 65536, -1])
def test_ws_close_frame_refuses_codes_that_must_not_be_sent_7_4(code: int) -> None:
    with pytest.raises(ValueError, match="close code"):
        ws_close_frame(code)


def test_ws_accept_4_2_2() -> None:
    # The example of RFC 6455 1.3.
    assert ws_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert ws_accept(b"dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    for _ in range(20):
        key = os.urandom(16).hex()
        assert ws_accept(key) == generate_accept_token(key.encode()).decode()


# -- The METH_FASTCALL entry points (3.10+; see py/fastcall.rs) --------------------------------


def test_feed_and_ws_frame_keep_their_signatures_and_docs() -> None:
    assert str(inspect.signature(WsReader.feed)) == "(self, data, /)"
    assert str(inspect.signature(ws_frame)) == "(opcode, payload)"
    assert WsReader.feed.__doc__ and WsReader.feed.__doc__.startswith("Feeds bytes received")
    assert ws_frame.__doc__ and ws_frame.__doc__.startswith("One unmasked server frame")
    assert ws_frame.__module__ == "socketio_rs._core"


def test_every_call_shape_gives_the_same_result() -> None:
    data = masked(0x81, b"hi")
    assert WsReader.feed(WsReader(10), data) == [(1, "hi")]
    assert WsReader(10).feed(data) == [(1, "hi")]
    want = b"\x81\x02hi"
    assert ws_frame(1, "hi") == ws_frame(1, payload="hi") == want
    assert ws_frame(opcode=1, payload=b"hi") == ws_frame(1, bytearray(b"hi")) == want


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.feed(), "WsReader.feed() missing 1 required positional argument: 'data'"),
        (
            lambda r: r.feed(data=b""),
            "WsReader.feed() got some positional-only arguments passed as keyword arguments: "
            "'data'",
        ),
        (
            lambda r: r.feed(b"", b""),
            "WsReader.feed() takes 1 positional arguments but 2 were given",
        ),
        (
            lambda r: WsReader.feed(object(), b""),
            "descriptor 'feed' for 'socketio_rs._core.WsReader' objects doesn't apply to a "
            "'object' object",
        ),
        (lambda r: ws_frame(1), "ws_frame() missing 1 required positional argument: 'payload'"),
        (lambda r: ws_frame("1", b""), "'str' object cannot be interpreted as an integer"),
        (lambda r: ws_frame(1, b"", 2), "ws_frame() takes 2 positional arguments but 3 were given"),
    ],
)
def test_argument_errors_are_pyo3s(call: Any, message: str) -> None:
    with pytest.raises(TypeError) as info:
        call(WsReader(10))
    assert str(info.value) == message


# -- Properties ------------------------------------------------------------------------------

messages = st.lists(
    st.one_of(
        st.tuples(st.just(1), st.text(max_size=300)),
        st.tuples(st.just(2), st.binary(max_size=300)),
    ),
    max_size=8,
)


@given(messages, st.data())
def test_wsproto_messages_any_fragmentation_any_cuts(
    items: list[tuple[int, str | bytes]], data: st.DataObject
) -> None:
    sender = client()
    stream = bytearray()
    expected: list[Item] = []
    for opcode, payload in items:
        cuts = data.draw(st.lists(st.integers(0, len(payload)), max_size=4).map(sorted))
        parts = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)])]
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            stream += sender.send_data(part, fin=last)
            if last:
                expected.append((opcode, payload))
            if data.draw(st.booleans()):
                # A control frame, between fragments or after the message (5.4).
                ping = data.draw(st.binary(max_size=125))
                stream += sender.ping(ping)
                expected.append((9, ping))
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=6))
    assert read_chunks(cut(bytes(stream), points)) == expected


@given(messages, st.data())
def test_hand_built_fragments_split_inside_characters(
    items: list[tuple[int, str | bytes]], data: st.DataObject
) -> None:
    # Fragments cut at any byte, also inside a UTF-8 sequence (5.6), each with its own mask.
    stream = b""
    for opcode, payload in items:
        raw = payload.encode() if isinstance(payload, str) else payload
        cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=4).map(sorted))
        parts = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)])]
        for i, part in enumerate(parts):
            b0 = (0x80 if i == len(parts) - 1 else 0) | (opcode if i == 0 else 0)
            stream += masked(b0, part, mask=data.draw(st.binary(min_size=4, max_size=4)))
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=6))
    assert read_chunks(cut(stream, points)) == items


@given(st.binary(max_size=200))
def test_arbitrary_input_returns_items_or_raises_wserror(noise: bytes) -> None:
    reader = WsReader(1000)
    try:
        reader.feed(noise)
    except WsError as err:
        assert err.code in (1002, 1007, 1009)


def test_ws_messages_frames_engineio_v4_messages() -> None:
    """An encoded Socket.IO packet (text, then attachments) as Engine.IO v4 MESSAGEs on a
    WebSocket: text frames with the ``4`` type, binary frames as they are."""
    assert ws_messages(['2["a"]']) == ws_frame(1, '42["a"]')
    long = "é" * 40_000  # a 64-bit length
    assert ws_messages([long, b"\x00\x01", bytearray(b"z")]) == (
        ws_frame(1, "4" + long) + ws_frame(2, b"\x00\x01") + ws_frame(2, b"z")
    )
    assert ws_messages([]) == b""
    with pytest.raises(TypeError):
        ws_messages([1])  # type: ignore[list-item]


@given(messages, st.data())
def test_read_splits_what_feed_gives_into_messages_and_control_frames(
    items: list[tuple[int, str | bytes]], data: st.DataObject
) -> None:
    """``read`` gives ``feed``'s items of the same input: the messages' payloads in order,
    and the control frames in order (``None`` when there are none)."""
    sender = client()
    stream = bytearray()
    for _opcode, payload in items:
        stream += sender.send_data(payload, fin=True)
        if data.draw(st.booleans()):
            stream += sender.ping(data.draw(st.binary(max_size=125)))
    points = data.draw(st.lists(st.integers(0, len(stream)), max_size=6))
    feeding, reading = WsReader(1 << 20), WsReader(1 << 20)
    for chunk in cut(bytes(stream), points):
        fed = feeding.feed(chunk)
        messages, controls = reading.read(chunk)
        assert messages == [payload for opcode, payload in fed if opcode in (1, 2)]
        control = [item for item in fed if item[0] not in (1, 2)]
        assert controls == (control or None)


def test_read_gives_the_messages_before_a_violation_as_its_items() -> None:
    sender = client()
    good = bytes(sender.send_data("one", fin=True) + sender.ping(b"p"))
    reader = WsReader(100)
    with pytest.raises(WsError) as caught:
        reader.read(good + masked(0x83, b"x"))  # opcode 3 is reserved (5.2)
    assert caught.value.code == 1002
    assert caught.value.items == ["one"]
    with pytest.raises(WsError):
        reader.read(b"")  # poisoned, as with feed


def test_read_after_a_close_frame_ignores_the_rest() -> None:
    sender = client()
    data = bytes(
        sender.send_data(b"\x01", fin=True)
        + sender.close(CloseReason.NORMAL_CLOSURE, "")
        + sender.send_data("late", fin=True)
    )
    assert WsReader(100).read(data) == ([b"\x01"], [(8, struct.pack("!H", 1000))])
