"""socketio_rs.codec.encode: structure, binary attachments and JSON conversion
parity with the stdlib json module.

Item ids (P1, P9, ...) refer to section 4 of
../shared/reference/socketio-server-behaviour.md.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from decimal import Decimal
from typing import Any

import pytest

from codec_helpers import nested_lists, placeholder, stdlib_text, text_of
from socketio_rs.codec import Decoder, Packet, PacketError, encode

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
