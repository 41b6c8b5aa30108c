"""socketio_rs.codec.Decoder: the state machine, its limits with exact boundaries,
JSON parity with json.loads, and is_packet_valid beyond the vectors.

Item ids (P1, P9, ...) refer to section 4 of
../shared/reference/socketio-server-behaviour.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import engineio.json  # type: ignore[import-untyped]
import pytest

from codec_helpers import (
    RESERVED_EVENTS,
    ErrorRule,
    StrictEqual,
    decode_error,
    decode_one,
    nested_lists,
    placeholder,
    short_id,
)
from socketio_rs.codec import Decoder, Packet, PacketError, PacketType, is_packet_valid

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


PH = '"_placeholder":true'


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        # Any number equal to an attachment index, as JavaScript compares it.
        (f'["ev",{{{PH},"num":0.0}}]', ["ev", b"x"]),
        (f'["ev",{{"num":0,{PH}}}]', ["ev", b"x"]),
        # A placeholder is replaced whole: what is inside it is not looked at.
        (f'["ev",{{{PH},"num":0,"in":{{{PH},"num":9}}}}]', ["ev", b"x"]),
        # Repeated keys: the last value decides, as in JSON.parse.
        (f'["ev",{{"_placeholder":1,{PH},"num":0}}]', ["ev", b"x"]),
        (f'["ev",{{{PH},"_placeholder":1,"num":0}}]', ["ev", {"_placeholder": 1, "num": 0}]),
        (f'["ev",{{{PH},"num":7,"num":0}}]', ["ev", b"x"]),
        ('["ev",{"_placeholder":false,"num":0}]', ["ev", {"_placeholder": False, "num": 0}]),
        (
            f'["ev",[[{{"a":[1,{{{PH},"num":0}},{{"b":null}}]}}]],{{"c":{{{PH},"num":0}}}}]',
            ["ev", [[{"a": [1, b"x", {"b": None}]}]], {"c": b"x"}],
        ),
    ],
)
def test_decoder_placeholder_rules(payload: str, expected: Any) -> None:
    """P7 on values the parser built: what is a placeholder, and what is left alone."""
    decoder = Decoder()
    assert decoder.add(f"51-{payload}") == []
    assert decoder.add(b"x") == [Packet(2, "/", expected)]


@pytest.mark.parametrize("num", ["0.5", "1e400", "-0.5", str(10**30), '"0"'])
def test_decoder_placeholder_numbers_that_are_not_indexes(
    num: str, reference_error: ErrorRule
) -> None:
    decoder = Decoder()
    assert decoder.add(f'51-["ev",{{{PH},"num":{num}}}]') == []
    assert reference_error(decode_error(b"x", decoder), "illegal attachments")


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
