"""The public API of socketio_rs.codec, rule by rule.

The reference vectors are replayed in test_vectors.py; this file covers what they cannot: the
Python-side contract (Packet, PacketType, errors), JSON conversion parity with the stdlib ``json``
module, and the decoder's limits with their exact boundaries. Item ids (P1, P9, ...) refer to
section 4 of ../shared/reference/socketio-server-behaviour.md.
"""

from __future__ import annotations

import enum
import json
from collections import OrderedDict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import engineio.json  # type: ignore[import-untyped]
import pytest

import socketio_rs.exceptions
from socketio_rs.codec import Decoder, Packet, PacketError, PacketType, encode, is_packet_valid

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


# --------------------------------------------------------------------------------------------
# PacketType, PacketError


def test_packet_type_is_an_int_enum_with_the_seven_protocol_types() -> None:
    """P1 / section 4.1: the seven v5 packet types and their numbers."""
    assert issubclass(PacketType, enum.IntEnum)
    assert [(m.name, m.value) for m in PacketType] == [
        ("CONNECT", 0),
        ("DISCONNECT", 1),
        ("EVENT", 2),
        ("ACK", 3),
        ("CONNECT_ERROR", 4),
        ("BINARY_EVENT", 5),
        ("BINARY_ACK", 6),
    ]


def test_packet_error_is_one_class_and_a_value_error() -> None:
    assert PacketError is socketio_rs.exceptions.PacketError
    assert issubclass(PacketError, socketio_rs.exceptions.SocketIOError)
    assert issubclass(PacketError, ValueError)


# --------------------------------------------------------------------------------------------
# Packet


def test_packet_defaults() -> None:
    packet = Packet(PacketType.CONNECT)
    assert (packet.type, packet.nsp, packet.data, packet.id) == (0, "/", None, None)


def test_packet_fields_and_keywords() -> None:
    packet = Packet(type=3, nsp="/admin", data=["a", 1], id=5)
    assert packet.type is PacketType.ACK
    assert packet.nsp == "/admin"
    assert packet.data == ["a", 1]
    assert packet.id == 5


@pytest.mark.parametrize("value", list(range(7)))
def test_packet_type_attribute_is_a_packet_type_member(value: int) -> None:
    packet = Packet(value)
    assert type(packet.type) is PacketType
    assert packet.type is PacketType(value)


@pytest.mark.parametrize("field", ["type", "nsp", "data", "id"])
def test_packet_is_frozen(field: str) -> None:
    packet = Packet(2, "/x", ["a"], 1)
    with pytest.raises(AttributeError):
        setattr(packet, field, 3)
    assert packet == Packet(2, "/x", ["a"], 1)


def test_packet_rejects_new_attributes() -> None:
    packet = Packet(2, "/", ["a"])
    with pytest.raises(AttributeError):
        packet.extra = 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("left", "right"),
    [
        (Packet(2, "/", ["a"], 1), Packet(PacketType.EVENT, "/", ["a"], 1)),
        (Packet(0), Packet(0, "/", None, None)),
        (Packet(4, "/x", {"message": "m"}), Packet(4, "/x", {"message": "m"})),
        (Packet(2, "/", ["a", b"\x00"]), Packet(2, "/", ["a", b"\x00"])),
    ],
)
def test_packet_equality(left: Packet, right: Packet) -> None:
    assert left == right
    assert not (left != right)


@pytest.mark.parametrize(
    "other",
    [
        Packet(3, "/", ["a"], 1),  # type
        Packet(2, "/b", ["a"], 1),  # nsp
        Packet(2, "/", ["b"], 1),  # data
        Packet(2, "/", None, 1),  # data absent
        Packet(2, "/", ["a"], 2),  # id
        Packet(2, "/", ["a"], None),  # id absent
    ],
)
def test_packet_inequality_on_each_field(other: Packet) -> None:
    packet = Packet(2, "/", ["a"], 1)
    assert packet != other
    assert not (packet == other)


def test_packet_compared_with_other_types_is_unequal() -> None:
    packet = Packet(2, "/", ["a"], 1)
    assert packet != (2, "/", ["a"], 1)
    assert (packet == '2["a"]') is False


def test_packet_hash_follows_equality_for_hashable_data() -> None:
    one = Packet(2, "/", ("a", 1), 3)
    two = Packet(PacketType.EVENT, "/", ("a", 1), 3)
    assert hash(one) == hash(two)
    assert len({one, two, Packet(0), Packet(0)}) == 2
    assert isinstance(hash(Packet(1, "/admin")), int)


@pytest.mark.parametrize("data", [["a"], {"a": 1}, ("a", ["b"])])
def test_packet_hash_fails_like_a_tuple_for_unhashable_data(data: Any) -> None:
    with pytest.raises(TypeError):
        hash(Packet(2, "/", data))


def test_packet_repr() -> None:
    assert (
        repr(Packet(2, data=["foo"]))
        == "Packet(type=PacketType.EVENT, nsp='/', data=['foo'], id=None)"
    )
    assert (
        repr(Packet(3, "/admin", [], 5))
        == "Packet(type=PacketType.ACK, nsp='/admin', data=[], id=5)"
    )


@pytest.mark.parametrize(
    "packet",
    [
        Packet(0),
        Packet(4, "/it's", {"message": "m", "data": [1.5, None, True]}),
        Packet(2, "/", ["ev", b"\x00\xff", {"k": "v"}], 2**53),
    ],
)
def test_packet_repr_evaluates_back_to_an_equal_packet(packet: Packet) -> None:
    assert eval(repr(packet), {"Packet": Packet, "PacketType": PacketType}) == packet


@pytest.mark.parametrize("value", [7, 8, 100, -1])
def test_packet_unknown_type(value: int, reference_error: ErrorRule) -> None:
    with pytest.raises(PacketError) as info:
        Packet(value)
    assert reference_error(str(info.value), f"unknown packet type {value}")


@pytest.mark.parametrize("nsp", [b"/", 1, ["/"]])
def test_packet_nsp_must_be_str(nsp: Any) -> None:
    with pytest.raises(TypeError):
        Packet(2, nsp, ["a"])


def test_packet_nsp_none_is_the_main_namespace() -> None:
    # As python-socketio's Packet(namespace=None).
    assert Packet(2, None, ["a"]) == Packet(2, "/", ["a"])
    assert Packet(2, None, ["a"]).nsp == "/"


@pytest.mark.parametrize("ack_id", [True, False, "1", 1.5, 1.0, b"1"])
def test_packet_id_must_be_int_not_bool(ack_id: Any) -> None:
    with pytest.raises(TypeError):
        Packet(2, "/", ["a"], ack_id)


@pytest.mark.parametrize("ack_id", [-1, 2**53 + 1, 2**64, 2**200, -(2**200)])
def test_packet_id_out_of_range(ack_id: int) -> None:
    with pytest.raises(PacketError, match="ack id out of range"):
        Packet(2, "/", ["a"], ack_id)


@pytest.mark.parametrize("ack_id", [0, 1, 2**31, 2**53])
def test_packet_id_in_range(ack_id: int) -> None:
    assert Packet(2, "/", ["a"], ack_id).id == ack_id


def test_packet_constructor_does_not_validate_data() -> None:
    """Validation happens in encode (JSON) and in is_packet_valid (P15), not in Packet()."""
    assert Packet(2, "/", {1, 2}).data == {1, 2}
    assert Packet(1, "/", ["not allowed on the wire"]).data == ["not allowed on the wire"]
    assert Packet(0, "/", [b"x"]).data == [b"x"]


# --------------------------------------------------------------------------------------------
# encode: structure, binary attachments (P1, P2, P3)


def test_encode_returns_text_then_bytes() -> None:
    frames = encode(Packet(2, "/", ["a", b"1", bytearray(b"2"), memoryview(b"345")[1:]]))
    assert frames == [
        f'53-["a",{placeholder(0)},{placeholder(1)},{placeholder(2)}]',
        b"1",
        b"2",
        b"45",
    ]
    assert [type(f) for f in frames] == [str, bytes, bytes, bytes]


def test_encode_numbers_placeholders_depth_first_in_dict_insertion_order() -> None:
    """P2: lists in order, dicts in insertion (not sorted) order, depth first."""
    data = ["ev", {"z": b"0", "a": [b"1", {"m": b"2"}], "b": b"3"}, b"4"]
    frames = encode(Packet(2, "/", data))
    assert frames[0] == (
        f'55-["ev",{{"z":{placeholder(0)},"a":[{placeholder(1)},{{"m":{placeholder(2)}}}],'
        f'"b":{placeholder(3)}}},{placeholder(4)}]'
    )
    assert frames[1:] == [b"0", b"1", b"2", b"3", b"4"]


def test_encode_sends_a_buffer_referenced_twice_twice() -> None:
    """P5: the reference sends a repeated buffer once per reference."""
    buf = b"dup"
    frames = encode(Packet(3, "/", [buf, {"again": buf}], 4))
    assert frames == [f'62-4[{placeholder(0)},{{"again":{placeholder(1)}}}]', buf, buf]


def test_encode_binary_inside_a_tuple_and_empty_binary() -> None:
    frames = encode(Packet(2, "/", ("ev", (b"",))))
    assert frames == [f'51-["ev",[{placeholder(0)}]]', b""]


@pytest.mark.parametrize(
    ("packet", "expected"),
    [
        (
            Packet(5, "/", ["x", b"a", b"b"]),
            [f'52-["x",{placeholder(0)},{placeholder(1)}]', b"a", b"b"],
        ),
        (Packet(6, "/", [b"a"], 3), [f"61-3[{placeholder(0)}]", b"a"]),
        (Packet(6, "/q", [], 3), ["60-/q,3[]"]),
        (Packet(5, "/", ["x"]), ['50-["x"]']),
    ],
)
def test_encode_explicit_binary_types_write_the_count_found(
    packet: Packet, expected: list[str | bytes]
) -> None:
    assert encode(packet) == expected


def test_encode_without_binary_keeps_event_and_ack() -> None:
    assert encode(Packet(2, "/", ["a", "b"])) == ['2["a","b"]']
    assert encode(Packet(3, "/", ["a"], 9)) == ['39["a"]']


def test_encode_does_not_mutate_the_packet() -> None:
    """P3."""
    inner = {"blob": b"x", "n": 1}
    data = ["ev", inner, [b"y"]]
    packet = Packet(2, "/", data, 1)
    encode(packet)
    assert packet.data is data
    assert data == ["ev", {"blob": b"x", "n": 1}, [b"y"]]
    assert data[1] is inner and inner["blob"] == b"x"


@pytest.mark.parametrize(
    "packet",
    [
        Packet(0, "/", {"token": b"x"}),
        Packet(0, "/", {"deep": [{"x": bytearray(b"x")}]}),
        Packet(1, "/", [memoryview(b"x")]),
        Packet(4, "/", {"message": "m", "data": b"x"}),
    ],
)
def test_encode_binary_in_connect_disconnect_or_connect_error_is_an_error(packet: Packet) -> None:
    with pytest.raises(PacketError):
        encode(packet)


@pytest.mark.parametrize(
    "packet",
    [Packet(0, "/a,b"), Packet(2, "/a,b", ["x"]), Packet(3, ",", [], 1), Packet(2, "/x,", ["x"])],
)
def test_encode_rejects_a_comma_in_the_namespace(packet: Packet) -> None:
    """P9 step 3: the decoder stops the namespace at the first comma, so it cannot round-trip."""
    with pytest.raises(PacketError, match="invalid namespace: must not contain a comma"):
        encode(packet)


def test_encode_header_parts() -> None:
    """P1: attachments only for 5/6, nsp only when not "/", id when not None, data when not None."""
    assert encode(Packet(1, "/chat")) == ["1/chat,"]
    assert encode(Packet(2, "/chat", None, 7)) == ["2/chat,7"]
    assert encode(Packet(3, "/", [], 0)) == ["30[]"]
    assert encode(Packet(4, "/", "Unauthorized")) == ['4"Unauthorized"']


# --------------------------------------------------------------------------------------------
# encode: JSON conversion


def test_encode_json_is_compact() -> None:
    assert (
        text_of(["a", {"b": [1, 2.5, None], "c": {}}, []]) == '["a",{"b":[1,2.5,null],"c":{}},[]]'
    )


@pytest.mark.parametrize(
    "value",
    [
        "".join(chr(c) for c in range(0x20)),
        '"\\/ quote, backslash, slash',
        "\x7f\x80\u2028\u2029 DEL, C1 and line separators",
        "héllo 世界 😀 raw UTF-8",
        "",
    ],
)
def test_encode_strings_like_json_stringify(value: str) -> None:
    """Escapes as JSON.stringify (== json.dumps with ensure_ascii=False); non-ASCII raw (P5)."""
    assert text_of(["s", value]) == stdlib_text(["s", value])


def test_encode_escape_spelling() -> None:
    """Two-letter escapes where JSON has them, else lowercase \\u00XX."""
    assert text_of(['"\\\b\f\n\r\t']) == '["\\"\\\\\\b\\f\\n\\r\\t"]'
    assert text_of(["\x00\x01\x0b\x1f"]) == '["\\u0000\\u0001\\u000b\\u001f"]'
    assert text_of(["é😀"]) == '["é😀"]'


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("\ud800", "\\ud800"),
        ("a\udfffb", "a\\udfffb"),
        ("😀\udc00", "😀\\udc00"),
        ("\udbff x", "\\udbff x"),
    ],
)
def test_encode_lone_surrogates_as_escapes(value: str, escaped: str) -> None:
    """A lone surrogate cannot be written as UTF-8: it goes out as a \\uXXXX escape."""
    text = text_of(["s", value])
    assert text == f'["s","{escaped}"]'
    text.encode("utf-8")  # the frame must be valid UTF-8 for the transport
    assert json.loads(text) == ["s", value]


# fmt: off
FLOATS = [
    0.1, 1.0, -1.5, 100.0, 1e16, 1e-7, 1e22, 1e21, 1e-5, 2.5e-5, 123456789.123,
    0.30000000000000004, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
    -0.0, 0.0, 4.35, 1 / 3,
]
# fmt: on


@pytest.mark.parametrize("value", FLOATS)
def test_encode_floats_like_repr(value: float) -> None:
    assert text_of(["f", value]) == f'["f",{value!r}]'


def test_encode_nan_and_infinities_as_null() -> None:
    """Not valid JSON otherwise; JavaScript does the same."""
    assert text_of(["f", float("nan"), float("inf"), float("-inf")]) == '["f",null,null,null]'


@pytest.mark.parametrize("value", [0, -1, 2**53 + 1, 2**64, -(2**200), 10**300])
def test_encode_ints_exactly(value: int) -> None:
    assert text_of(["i", value]) == f'["i",{value}]'


def test_encode_bool_and_none() -> None:
    assert text_of([True, False, None, [True]]) == "[true,false,null,[true]]"


class MyList(list):  # type: ignore[type-arg]
    pass


class MyDict(dict):  # type: ignore[type-arg]
    pass


@pytest.mark.parametrize(
    "data",
    [
        ("ev", 1, ("nested", ())),
        ["ev", MyList([1, MyList()])],
        ["ev", MyDict(a=MyDict(b=1))],
        ["ev", OrderedDict([("z", 1), ("a", 2)])],
        MyList(["ev", {"k": (1, 2)}]),
    ],
)
def test_encode_tuples_and_subclasses_as_arrays_and_objects(data: Any) -> None:
    assert text_of(data) == stdlib_text(data)


@pytest.mark.parametrize(
    "mapping",
    [
        {"s": 1, "": 2, "é": 3},
        {1: "a", -5: "b", 2**70: "c", 0: "d"},
        {1.5: "a", 1e16: "b", -0.0: "c", 1e-7: "d", 0.1: "e"},
        {True: "a", False: "b", None: "c"},
        {"mixed": 1, 2: 2, 3.5: 3, None: 4},
    ],
)
def test_encode_dict_keys_like_json_dumps(mapping: dict[Any, Any]) -> None:
    assert text_of(["ev", mapping]) == stdlib_text(["ev", mapping])


@pytest.mark.parametrize(
    ("key", "type_name"), [((1, 2), "tuple"), (b"k", "bytes"), (frozenset(), "frozenset")]
)
def test_encode_rejects_other_keys(key: Any, type_name: str) -> None:
    with pytest.raises(
        TypeError, match=f"^keys must be str, int, float, bool or None, not {type_name}$"
    ):
        encode(Packet(2, "/", ["ev", {"ok": 1, key: 2}]))


@pytest.mark.parametrize("value", [{1, 2}, frozenset(), object(), 1 + 2j, Decimal("1.5"), MyList])
def test_encode_rejects_values_json_dumps_rejects(value: Any) -> None:
    with pytest.raises(TypeError) as stdlib:
        json.dumps(value)
    with pytest.raises(TypeError) as ours:
        encode(Packet(2, "/", ["ev", {"a": [1, value]}]))
    assert str(ours.value) == str(stdlib.value)
    assert str(ours.value) == f"Object of type {type(value).__name__} is not JSON serializable"


def test_encode_nesting_up_to_256_levels() -> None:
    """The encoder accepts what the default decoder (max_depth=256) accepts, and no more."""
    data = ["ev", nested_lists(255)]  # 256 levels counting the outer list
    frames = encode(Packet(2, "/", data))
    assert frames == ["2" + stdlib_text(data)]
    assert Decoder().add(frames[0]) == [Packet(2, "/", data)]
    with pytest.raises(PacketError):
        encode(Packet(2, "/", ["ev", nested_lists(256)]))


def test_encode_nesting_counts_dicts() -> None:
    deep: dict[str, Any] = {}
    for _ in range(255):
        deep = {"k": deep}
    assert encode(Packet(0, "/", deep)) == ["0" + stdlib_text(deep)]
    with pytest.raises(PacketError):
        encode(Packet(0, "/", {"k": deep}))


def test_encode_very_deep_data_is_a_packet_error_not_a_crash() -> None:
    with pytest.raises(PacketError):
        encode(Packet(2, "/", ["ev", nested_lists(100_000)]))


def test_encode_circular_data_is_a_packet_error() -> None:
    """P3: circular data throws."""
    loop: list[Any] = ["ev"]
    loop.append(loop)
    with pytest.raises(PacketError):
        encode(Packet(2, "/", loop))
    cyclic: dict[str, Any] = {}
    cyclic["self"] = cyclic
    with pytest.raises(PacketError):
        encode(Packet(0, "/", cyclic))


# --------------------------------------------------------------------------------------------
# Decoder: state machine (P6, P7, P8, P11)


def test_decoder_options_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Decoder(10)  # type: ignore[call-arg]


def test_decoder_binary_packet_completes_with_its_last_attachment() -> None:
    decoder = Decoder()
    assert decoder.pending is False
    header = f'52-/admin,7["up",{placeholder(0)},{{"b":{placeholder(1)}}}]'
    assert decoder.add(header) == []
    assert decoder.pending is True
    assert decoder.add(b"first") == []
    assert decoder.pending is True
    packets = decoder.add(b"second")
    assert packets == [Packet(2, "/admin", ["up", b"first", {"b": b"second"}], 7)]
    assert packets[0].type is PacketType.EVENT
    assert decoder.pending is False


def test_decoder_binary_ack_comes_back_as_ack() -> None:
    decoder = Decoder()
    assert decoder.add(f"61-3[{placeholder(0)}]") == []
    assert decoder.add(b"\x00") == [Packet(PacketType.ACK, "/", [b"\x00"], 3)]


@pytest.mark.parametrize("kind", [bytes, bytearray, memoryview])
def test_decoder_attachments_come_back_as_bytes(kind: Callable[[bytes], Any]) -> None:
    decoder = Decoder()
    decoder.add(f'51-["ev",{placeholder(0)}]')
    (packet,) = decoder.add(kind(b"\x01\x02"))
    assert packet.data == ["ev", b"\x01\x02"]
    assert type(packet.data[1]) is bytes


def test_decoder_reset_drops_a_partial_binary_packet() -> None:
    """P11: destroy()/reset() drops the partial packet; decoding resumes."""
    decoder = Decoder()
    decoder.add(f'51-["ev",{placeholder(0)}]')
    assert decoder.pending is True
    decoder.reset()
    assert decoder.pending is False
    assert decoder.add('2["next"]') == [Packet(2, "/", ["next"])]
    assert decode_error(b"late", decoder) == "got binary data when not reconstructing a packet"


def test_decoder_reset_when_idle_is_harmless() -> None:
    decoder = Decoder()
    decoder.reset()
    assert decoder.pending is False
    assert decoder.add("0") == [Packet(0)]


def test_decoder_is_usable_right_after_an_error() -> None:
    decoder = Decoder()
    assert decode_error("2[]", decoder).startswith("invalid payload")
    assert decoder.add('2["ok"]') == [Packet(2, "/", ["ok"])]


def test_decoder_error_while_reconstructing_drops_the_partial_packet(
    reference_error: ErrorRule,
) -> None:
    decoder = Decoder()
    decoder.add(f'51-["ev",{placeholder(0)}]')
    message = decode_error('2["x"]', decoder)
    assert reference_error(message, "got plaintext data when reconstructing a packet")
    assert decoder.pending is False
    # The dropped packet's attachment is now unexpected.
    message = decode_error(b"att", decoder)
    assert reference_error(message, "got binary data when not reconstructing a packet")
    assert decoder.add('2["x"]') == [Packet(2, "/", ["x"])]


@pytest.mark.parametrize("num", ['"0"', "1", "-1", "null", "true", "[0]", "{}"])
def test_decoder_bad_placeholder_fails_on_the_attachment(
    num: str, reference_error: ErrorRule
) -> None:
    """P7: the header is accepted; reconstruction with the last attachment throws."""
    decoder = Decoder()
    assert decoder.add(f'51-["ev",{{"_placeholder":true,"num":{num}}}]') == []
    assert decoder.pending is True
    assert reference_error(decode_error(b"x", decoder), "illegal attachments")
    assert decoder.pending is False


def test_decoders_are_independent() -> None:
    busy, failing = Decoder(), Decoder()
    assert busy.add(f'52-["ev",{placeholder(0)},{placeholder(1)}]') == []
    assert busy.add(b"a") == []
    decode_error("9", failing)
    decode_error(b"stray", failing)
    assert busy.pending is True
    assert busy.add(b"b") == [Packet(2, "/", ["ev", b"a", b"b"])]


@pytest.mark.parametrize("frame", [None, 1.5, ["2"], {"a": 1}, 0])
def test_decoder_rejects_other_input_types(frame: Any) -> None:
    """P8: neither str nor binary."""
    assert decode_error(frame).startswith("Unknown type: ")


def test_decoder_unknown_type_message_for_a_number(reference_error: ErrorRule) -> None:
    assert reference_error(decode_error(999), "Unknown type: 999")


def test_decoder_raw_lone_surrogate_in_a_text_frame() -> None:
    """A str frame may carry a raw surrogate: decode it as json.loads does, or refuse it cleanly."""
    frame = '3["a\ud800b"]'
    try:
        packets = Decoder().add(frame)
    except PacketError:
        return
    assert packets == [Packet(3, "/", json.loads(frame[1:]))]


# --------------------------------------------------------------------------------------------
# Decoder: limits, exact boundaries


def test_decoder_attachment_limit_default_is_10() -> None:
    """P9 step 2: maxAttachments defaults to 10."""
    placeholders = ",".join(placeholder(i) for i in range(10))
    decoder = Decoder()
    assert decoder.add(f'510-["ten",{placeholders}]') == []
    for i in range(9):
        assert decoder.add(bytes([i])) == []
    assert decoder.add(b"\x09") == [Packet(2, "/", ["ten", *[bytes([i]) for i in range(10)]])]
    assert decode_error(f'511-["eleven",{placeholders}]') == "too many attachments"


@pytest.mark.parametrize("limit", [1, 3])
def test_decoder_attachment_limit_option(limit: int) -> None:
    ok = Decoder(max_attachments=limit)
    assert ok.add(f'5{limit}-["ev"]') == []
    assert ok.pending is True
    message = decode_error(f'5{limit + 1}-["ev"]', Decoder(max_attachments=limit))
    assert message == "too many attachments"


@pytest.mark.parametrize(("max_depth", "options"), [(256, {}), (4, {"max_depth": 4})])
def test_decoder_depth_limit(max_depth: int, options: dict[str, int]) -> None:
    ok = "3" + "[" * max_depth + "]" * max_depth
    assert decode_one(ok, **options).data == nested_lists(max_depth)
    too_deep = "3" + "[" * (max_depth + 1) + "]" * (max_depth + 1)
    assert decode_error(too_deep, Decoder(**options)).startswith("invalid payload")


def test_decoder_depth_limit_counts_objects() -> None:
    ok = "0" + '{"k":' * 255 + "{}" + "}" * 255
    assert decode_one(ok).data == json.loads(ok[1:])
    too_deep = "0" + '{"k":' * 256 + "{}" + "}" * 256
    assert decode_error(too_deep).startswith("invalid payload")


@pytest.mark.parametrize(
    "text", ["3" + "[" * 100_000, "3" + "[" * 100_000 + "]" * 100_000], ids=short_id
)
def test_decoder_very_deep_input_is_a_packet_error_not_a_crash(text: str) -> None:
    assert decode_error(text).startswith("invalid payload")


@pytest.mark.parametrize(
    ("literal", "max_digits", "ok"),
    [
        ("9" * 100, 100, True),
        ("9" * 101, 100, False),
        ("-" + "9" * 99, 100, True),  # the sign counts, as in python-engineio's _safe_int
        ("-" + "9" * 100, 100, False),
        ("1" * 5, 5, True),
        ("1" * 6, 5, False),
        ("-1234", 5, True),
        ("-12345", 5, False),
    ],
    ids=short_id,
)
def test_decoder_integer_literal_length_limit(literal: str, max_digits: int, ok: bool) -> None:
    options = {} if max_digits == 100 else {"max_int_digits": max_digits}
    frame = '3[{"n":[' + literal + "]}]"
    if ok:
        assert decode_one(frame, **options).data == [{"n": [int(literal)]}]
    else:
        assert decode_error(frame, Decoder(**options)).startswith("invalid payload")


@pytest.mark.parametrize(
    "literal", ["9" * 100, "9" * 101, "-" + "9" * 99, "-" + "9" * 100], ids=short_id
)
def test_decoder_integer_limit_matches_python_engineio(literal: str) -> None:
    try:
        expected = engineio.json.loads(f"[{literal}]")
    except ValueError:
        assert decode_error(f"3[{literal}]").startswith("invalid payload")
    else:
        assert decode_one(f"3[{literal}]").data == expected


@pytest.mark.parametrize(
    "literal",
    ["1" * 150 + ".5", "1" * 150 + "e2", "-" + "1" * 400 + ".0", "0." + "1" * 200],
    ids=short_id,
)
def test_decoder_integer_limit_does_not_apply_to_floats(literal: str) -> None:
    """_safe_int is json's parse_int: float literals of any length are fine, as in engineio."""
    assert decode_one(f"3[{literal}]").data == engineio.json.loads(f"[{literal}]")


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        (str(2**53), 2**53),
        (str(2**53 - 1), 2**53 - 1),
        ("9007199254740993", 2**53),  # read as a JS Number: rounds to 2**53 (vector)
        ("0" * 40 + "7", 7),  # leading zeros, as Number() reads them
    ],
    ids=short_id,
)
def test_decoder_ack_id_in_range(digits: str, expected: int) -> None:
    assert decode_one(f'2{digits}["x"]').id == expected
    assert decode_one(f"3/admin,{digits}[]").id == expected


@pytest.mark.parametrize(
    "digits",
    ["9007199254740994", "9007199254740995", "1" + "0" * 20, "9" * 400],
    ids=short_id,
)
def test_decoder_ack_id_out_of_range(digits: str, reference_error: ErrorRule) -> None:
    assert reference_error(decode_error(f'2{digits}["x"]'), "ack id out of range")


# --------------------------------------------------------------------------------------------
# Decoder: JSON parity with json.loads


# fmt: off
JSON_PARITY = [
    "[0.1]", "[1e400]", "[-1e400]", "[-0.0]", "[-0]", "[0]", "[5e-324]", "[1e-400]",
    "[1.7976931348623157e308]", "[2.2250738585072014e-308]", "[0.30000000000000004]",
    "[1E2]", "[1e-2]", "[1.5e+3]", "[-0.0e0]", "[4.35]", "[1.0]", "[100]",
    "[123456789012345678901234567890]", "[" + "9" * 100 + "]", "[-" + "9" * 99 + "]",
    "[0." + "1" * 50 + "]", "[123456789.123456789e-5]", "[" + "1" + "0" * 400 + ".0]",
    '["\\u00e9", "\\u00E9", "é"]', '["\\ud83d\\ude00", "\\uD83D\\uDE00", "😀"]',
    '["\\ud800"]', '["\\udc00"]', '["\\ud800\\u0041"]', '["\\udc00\\ud800"]',
    '["\\ud800\\ud800\\udc00"]', '["\\u0000"]', '["\\"\\\\\\/\\b\\f\\n\\r\\t"]',
    '["\\u2028\\u2029", "\u2028"]', '["\x7f"]',
    '[{"a": 1, "a": 2}]', '[{"a": 1, "b": 2, "a": 3}]', '[{"b": 1, "a": 2}]',
    '[{"\\u0061": 1, "a": 2}]', '[{"é": 1}, {"\\u00e9": 2}, {"\\u00e9": 3, "é": 4}]',
    '[{"k": 1}, {"k": 2}, {"K": 3}, {"": 0}]',
    "[true, false, null]", "[NaN]", "[Infinity, -Infinity]",
    '[ 1 ,\n2\t,\r{ "a" : [ ] } ]  \n', "[]", "[{}]", '[""]', "[[[]]]", "[1,[2,[3]]]",
]
# fmt: on


@pytest.mark.parametrize("text", JSON_PARITY, ids=short_id)
def test_decoder_json_matches_json_loads(text: str, strict_equal: StrictEqual) -> None:
    data = decode_one("3" + text).data
    expected = json.loads(text)
    assert strict_equal(data, expected), (data, expected)


def test_decoder_many_and_long_keys_through_one_decoder(strict_equal: StrictEqual) -> None:
    """Keys may be cached inside the decoder; every packet must still get its own keys."""
    decoder = Decoder()
    for round_ in range(3):
        mapping = {f"key-{i}-{'x' * (i % 70)}-é": i * round_ for i in range(1000)}
        mapping["k" * 5000] = round_
        text = json.dumps([mapping], ensure_ascii=round_ == 1)
        (packet,) = decoder.add("3" + text)
        assert strict_equal(packet.data, json.loads(text))


def test_decoder_duplicate_keys_keep_the_last_value_at_the_first_position() -> None:
    assert list(decode_one('3[{"a":1,"b":2,"a":3}]').data[0].items()) == [("a", 3), ("b", 2)]


# fmt: off
INVALID_JSON = [
    "[1,]", "[,1]", "[1,,2]", "['a']", '["a\x01"]', '["a\tb"]', '["a\nb"]', "[01]", "[-01]",
    "[+1]", "[.5]", "[1.]", "[1.e5]", "[1e]", "[1e+]", "[-]", "[--1]", "[0x10]", "[1_000]",
    "[1", '["abc', '["\\"]', '[{"a":1,}]', '[{"a"}]', "[{1:2}]", '[{"a" 1}]', '[{"a":1}}',
    "[tru]", "[True]", "[nul]", "[None]", "[nan]", "[infinity]", "[-NaN]", '["\\x41"]',
    '["\\u12"]', '["\\u12G4"]', '["\\U0041"]', "[1 2]", "[]]", "[] []", "[1]x", "[1]\x00",
    '[ "a" : 1 ]', "[\x0b1]", "[\u00a01]", "[\ufeff1]", "[\x001]", "[", "]",
]
# fmt: on


@pytest.mark.parametrize("text", INVALID_JSON, ids=short_id)
def test_decoder_rejects_invalid_json(text: str, reference_error: ErrorRule) -> None:
    """P9 step 5: a JSON.parse failure is "invalid payload"; json.loads rejects these too."""
    with pytest.raises(ValueError):
        json.loads(text)
    assert reference_error(decode_error("3" + text), "invalid payload")


def test_decoder_rejects_every_truncation_of_a_payload(reference_error: ErrorRule) -> None:
    payload = '[{"k":"v\\u00e9\\n","n":[-1.5e-3,0,12345678901234567890]},"😀",true,null,[]]'
    assert decode_one("3" + payload).data == json.loads(payload)
    for end in range(1, len(payload)):
        assert reference_error(decode_error("3" + payload[:end]), "invalid payload"), end


# --------------------------------------------------------------------------------------------
# is_packet_valid (P15) beyond the vectors


@pytest.mark.parametrize(
    ("packet", "valid"),
    [
        (Packet(0), True),
        (Packet(0, "/", {}), True),
        (Packet(0, "/x", {"token": "t"}), True),
        (Packet(0, "/", []), False),
        (Packet(0, "/", "token"), False),
        (Packet(1), True),
        (Packet(1, "/", {}), False),
        (Packet(1, "/", []), False),
        (Packet(2), False),  # the decoder accepts "2" (P12), but isPacketValid does not
        (Packet(2, "/", []), False),
        (Packet(2, "/", ["a"]), True),
        (Packet(2, "/", [1, "a"]), True),
        (Packet(2, "/", [1.5]), True),
        (Packet(2, "/", [True]), False),  # a bool is not a JS number, even if Python says int
        (Packet(2, "/", [None]), False),
        (Packet(2, "/", [["a"]]), False),
        (Packet(2, "/", ["error"]), True),
        (Packet(2, "/", ["connection"]), True),
        (Packet(2, "/", {"a": 1}), False),
        (Packet(2, "/admin", ["a"], 2**53), True),
        (Packet(3), False),
        (Packet(3, "/", []), True),
        (Packet(3, "/", [None], 1), True),
        (Packet(3, "/", {}), False),
        (Packet(4), False),
        (Packet(4, "/", "message"), True),
        (Packet(4, "/", {"message": "m"}), True),
        (Packet(4, "/", ["m"]), False),
        (Packet(5, "/", ["x", b"a"]), False),
        (Packet(6, "/", [b"a"], 1), False),
    ],
)
def test_is_packet_valid(packet: Packet, valid: bool) -> None:
    assert is_packet_valid(packet) is valid


@pytest.mark.parametrize("name", RESERVED_EVENTS)
def test_is_packet_valid_rejects_reserved_event_names(name: str) -> None:
    assert is_packet_valid(Packet(2, "/", [name, 1])) is False
    assert is_packet_valid(Packet(2, "/", [name.upper(), 1])) is True


@pytest.mark.parametrize("name", RESERVED_EVENTS)
def test_decoder_rejects_reserved_event_names(name: str) -> None:
    """P13: reserved names are an invalid payload, for EVENT and BINARY_EVENT."""
    assert decode_error(f'2["{name}"]').startswith("invalid payload")
    assert decode_error(f'51-["{name}",{placeholder(0)}]').startswith("invalid payload")
