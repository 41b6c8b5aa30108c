"""A user-supplied JSON module (python-socketio's ``json=`` option) in the codec.

``encode(packet, json=m)`` / ``packet.encode(json=m)`` write the payload with
``m.dumps(data, separators=(",", ":"))`` and ``Decoder(json=m)`` reads it with ``m.loads(text)``;
the header, the binary attachments and the payload rules stay the codec's. The reference vectors
are replayed through the stdlib ``json`` module: every packet must come out as with the Rust
parser, and every frame the Rust parser refuses must be refused too.
"""

from __future__ import annotations

import datetime
import gc
import json
import weakref
from collections.abc import Callable
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from codec_helpers import VECTORS, frame_from_json, packet_from_json
from socketio_rs.codec import RESERVED_EVENTS, Decoder, Packet, PacketError, PacketType, encode

StrictEqual = Callable[[object, object], bool]
COMPACT = (",", ":")


class Counting:
    """A JSON module that records every call and delegates to the stdlib."""

    def __init__(self) -> None:
        self.dumps_calls: list[tuple[Any, dict[str, Any]]] = []
        self.loads_calls: list[str] = []

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        self.dumps_calls.append((obj, kwargs))
        return json.dumps(obj, **kwargs)

    def loads(self, text: str) -> Any:
        self.loads_calls.append(text)
        return json.loads(text)


class OrjsonAdapter:
    """orjson's ``dumps`` takes no ``separators`` (its output is compact) and returns bytes."""

    @staticmethod
    def dumps(obj: Any, separators: tuple[str, str] | None = None) -> bytes:
        return orjson.dumps(obj)

    loads = staticmethod(orjson.loads)


class Returns:
    """A module whose ``dumps`` returns a fixed value and whose ``loads`` returns a fixed value."""

    def __init__(self, dumped: Any = "[]", loaded: Any = None) -> None:
        self.dumped = dumped
        self.loaded = loaded

    def dumps(self, obj: Any, separators: tuple[str, str] | None = None) -> Any:
        return self.dumped

    def loads(self, text: str) -> Any:
        return self.loaded


class Raises:
    """A module whose ``dumps`` and ``loads`` raise the given exception."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def dumps(self, obj: Any, separators: tuple[str, str] | None = None) -> str:
        raise self.exc

    def loads(self, text: str) -> Any:
        raise self.exc


def decode_all(decoder: Decoder, frames: list[str | bytes]) -> list[Packet]:
    packets: list[Packet] = []
    for frame in frames:
        packets.extend(decoder.add(frame))
    return packets


# Packets the default encoder and the stdlib module write identically (ASCII text, no NaN).
ASCII_PACKETS = [
    Packet(PacketType.CONNECT, "/"),
    Packet(PacketType.CONNECT, "/admin", {"token": "abc", "n": [1, 2.5, None, True]}),
    Packet(PacketType.DISCONNECT, "/admin"),
    Packet(PacketType.EVENT, "/", ["chat", "hi", {"a": {"b": [False]}}]),
    Packet(PacketType.EVENT, "/admin", ["delete user", 42], id=7),
    Packet(PacketType.EVENT, "/", [1, 2**70, -0.0, 1e16]),
    Packet(PacketType.ACK, "/", ["ok"], id=0),
    Packet(PacketType.ACK, "/x", [], id=2**53),
    Packet(PacketType.CONNECT_ERROR, "/", "Not authorized"),
    Packet(PacketType.CONNECT_ERROR, "/a", {"message": "no", "data": {"code": 4}}),
]


# --- the stdlib module ---------------------------------------------------------------------


@pytest.mark.parametrize("packet", ASCII_PACKETS, ids=repr)
def test_stdlib_json_writes_what_the_default_encoder_writes(packet: Packet) -> None:
    assert encode(packet, json=json) == encode(packet)
    assert packet.encode(json=json) == encode(packet)


@pytest.mark.parametrize("packet", ASCII_PACKETS, ids=repr)
def test_stdlib_json_round_trip(packet: Packet, strict_equal: StrictEqual) -> None:
    decoder = Decoder(json=json)
    (got,) = decode_all(decoder, encode(packet, json=json))
    assert got == packet
    assert strict_equal(got.data, packet.data)


def test_stdlib_json_output_is_python_socketios() -> None:
    # ensure_ascii escapes, NaN written as the stdlib writes it (the default encoder writes null).
    packet = Packet(PacketType.EVENT, "/", ["é", float("nan")])
    assert encode(packet, json=json) == ['2["\\u00e9",NaN]']
    assert encode(packet) == ['2["é",null]']


# --- a recording module ----------------------------------------------------------------------


def test_dumps_is_called_once_with_compact_separators_and_the_data_itself() -> None:
    module = Counting()
    data = ["chat", {"x": [1, 2]}]
    frames = encode(Packet(PacketType.EVENT, "/room", data, id=3), json=module)
    assert frames == ['2/room,3["chat",{"x":[1,2]}]']
    assert len(module.dumps_calls) == 1
    obj, kwargs = module.dumps_calls[0]
    assert kwargs == {"separators": COMPACT}
    assert obj is data  # no binary: the user's object, not a copy


def test_dumps_is_not_called_without_data() -> None:
    module = Counting()
    assert encode(Packet(PacketType.CONNECT, "/a"), json=module) == ["0/a,"]
    assert encode(Packet(PacketType.DISCONNECT), json=module) == ["1"]
    assert module.dumps_calls == []


def test_loads_gets_the_payload_text_only() -> None:
    module = Counting()
    decoder = Decoder(json=module)
    assert decoder.add('2/room,12["chat",{"x":[1,2]}]') == [
        Packet(PacketType.EVENT, "/room", ["chat", {"x": [1, 2]}], id=12)
    ]
    assert module.loads_calls == ['["chat",{"x":[1,2]}]']
    # No payload, no call.
    assert decoder.add("0/room,") == [Packet(PacketType.CONNECT, "/room")]
    assert module.loads_calls == ['["chat",{"x":[1,2]}]']


def test_decoder_exposes_its_module() -> None:
    module = Counting()
    assert Decoder().json is None
    assert Decoder(json=module).json is module
    with pytest.raises(AttributeError):
        Decoder().json = module  # type: ignore[misc]


def test_json_is_keyword_only() -> None:
    packet = Packet(PacketType.EVENT, "/", ["x"])
    with pytest.raises(TypeError):
        encode(packet, json)  # type: ignore[misc]
    with pytest.raises(TypeError):
        packet.encode(json)  # type: ignore[misc]
    with pytest.raises(TypeError):
        Decoder(10, 256, 100, json)  # type: ignore[misc]


def test_a_module_without_loads_or_dumps_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="loads") as info:
        Decoder(json=object())
    assert isinstance(info.value.__cause__, AttributeError)
    no_loads = type("NoLoads", (), {"loads": 42})
    with pytest.raises(TypeError, match="not callable"):
        Decoder(json=no_loads)
    with pytest.raises(TypeError, match="dumps"):
        encode(Packet(PacketType.EVENT, "/", ["x"]), json=object())


# --- an orjson adapter (dumps returns bytes) ---------------------------------------------------


def test_orjson_adapter_round_trip(strict_equal: StrictEqual) -> None:
    packet = Packet(PacketType.EVENT, "/", ["msg", "héllo 世界 😀", {"n": 1.5, "i": -3}], id=9)
    frames = encode(packet, json=OrjsonAdapter)
    assert frames == ['29["msg","héllo 世界 😀",{"n":1.5,"i":-3}]']
    assert type(frames[0]) is str
    (got,) = Decoder(json=OrjsonAdapter).add(frames[0])
    assert got == packet
    assert strict_equal(got.data, packet.data)
    # The default decoder reads what orjson wrote, and the other way round.
    assert Decoder().add(frames[0]) == [packet]
    assert Decoder(json=OrjsonAdapter).add(encode(packet)[0]) == [packet]


def test_dumps_bytes_must_be_utf8() -> None:
    with pytest.raises(UnicodeDecodeError):
        encode(Packet(PacketType.EVENT, "/", ["x"]), json=Returns(dumped=b'["\xff"]'))


def test_dumps_must_return_str_or_bytes() -> None:
    for bad in (None, 42, bytearray(b"[]"), ["x"]):
        with pytest.raises(TypeError, match="str or bytes"):
            encode(Packet(PacketType.EVENT, "/", ["x"]), json=Returns(dumped=bad))


def test_dumps_str_with_a_lone_surrogate_cannot_go_on_the_wire() -> None:
    with pytest.raises(UnicodeEncodeError):
        encode(Packet(PacketType.EVENT, "/", ["x"]), json=Returns(dumped='["\ud800"]'))


# --- binary attachments ----------------------------------------------------------------------


def test_binary_placeholders_are_numbered_depth_first_before_dumps() -> None:
    module = Counting()
    data = [
        "upload",
        {"thumb": b"\x01", "parts": [bytearray(b"\x02"), {"deep": memoryview(b"\x03")}]},
        (b"\x04",),
        b"\x05",
    ]
    frames = encode(Packet(PacketType.EVENT, "/files", data, id=1), json=module)
    assert frames == [
        '55-/files,1["upload",{"thumb":{"_placeholder":true,"num":0},'
        '"parts":[{"_placeholder":true,"num":1},{"deep":{"_placeholder":true,"num":2}}]},'
        '[{"_placeholder":true,"num":3}],{"_placeholder":true,"num":4}]',
        b"\x01",
        b"\x02",
        b"\x03",
        b"\x04",
        b"\x05",
    ]
    assert all(type(f) is bytes for f in frames[1:])
    # The same frames as the default encoder.
    assert frames == encode(Packet(PacketType.EVENT, "/files", data, id=1))
    (obj, kwargs), *_ = module.dumps_calls
    assert kwargs == {"separators": COMPACT}
    assert obj[1]["thumb"] == {"_placeholder": True, "num": 0}
    assert obj[2] == ({"_placeholder": True, "num": 3},)
    # dumps saw a copy: the user's data still holds its bytes.
    assert data[1]["thumb"] == b"\x01"  # type: ignore[index]
    assert type(data[1]["parts"][0]) is bytearray  # type: ignore[index]
    assert data[3] == b"\x05"


def test_binary_copy_shares_the_parts_without_binary() -> None:
    module = Counting()
    untouched = {"big": list(range(10))}
    data = ["e", untouched, b"\x00"]
    encode(Packet(PacketType.EVENT, "/", data), json=module)
    obj = module.dumps_calls[0][0]
    assert obj is not data
    assert obj[1] is untouched


def test_binary_ack_with_a_custom_module_round_trips() -> None:
    packet = Packet(PacketType.ACK, "/", ["ok", {"img": b"\x89PNG", "list": [b"a", b"b"]}], id=4)
    frames = encode(packet, json=OrjsonAdapter)
    assert frames[0] == (
        '63-4["ok",{"img":{"_placeholder":true,"num":0},'
        '"list":[{"_placeholder":true,"num":1},{"_placeholder":true,"num":2}]}]'
    )
    decoder = Decoder(json=OrjsonAdapter)
    assert decoder.add(frames[0]) == []
    assert decoder.pending
    assert decoder.add(frames[1]) == []
    assert decoder.add(frames[2]) == []
    assert decoder.add(frames[3]) == [packet]
    assert not decoder.pending


def test_binary_event_decoded_through_loads_puts_attachments_back() -> None:
    module = Counting()
    decoder = Decoder(json=module)
    text = '52-/a,["m",{"_placeholder":true,"num":1},{"x":{"_placeholder":true,"num":0}}]'
    assert decoder.add(text) == []
    assert decoder.add(b"first") == []
    (got,) = decoder.add(bytearray(b"second"))
    assert got == Packet(PacketType.EVENT, "/a", ["m", b"second", {"x": b"first"}])
    assert type(got.data[1]) is bytes
    assert module.loads_calls == [text[len("52-/a,") :]]


def test_binary_is_refused_where_the_default_encoder_refuses_it() -> None:
    with pytest.raises(PacketError, match="CONNECT packets do not support binary payload"):
        encode(Packet(PacketType.CONNECT, "/", {"x": b"\x00"}), json=json)


def test_circular_data_is_refused_before_dumps() -> None:
    module = Counting()
    data: list[Any] = ["e"]
    data.append(data)
    with pytest.raises(PacketError, match="nested deeper"):
        encode(Packet(PacketType.EVENT, "/", data), json=module)
    assert module.dumps_calls == []


def test_a_circular_value_from_loads_is_refused_not_a_crash() -> None:
    loaded: list[Any] = ["m", {"_placeholder": True, "num": 0}]
    loaded.append(loaded)
    decoder = Decoder(json=Returns(loaded=loaded))
    decoder.add("51-x")
    with pytest.raises(PacketError, match="nested deeper than 256"):
        decoder.add(b"\x00")
    assert not decoder.pending


def test_placeholder_rules_apply_to_the_value_from_loads() -> None:
    decoder = Decoder(json=json)
    decoder.add('51-["m",{"_placeholder":true,"num":1}]')
    with pytest.raises(PacketError, match=r"^illegal attachments"):
        decoder.add(b"\x00")
    # "_placeholder" must be the JSON true.
    decoder.add('51-["m",{"_placeholder":1,"num":0}]')
    assert decoder.add(b"\x00") == [
        Packet(PacketType.EVENT, "/", ["m", {"_placeholder": 1, "num": 0}])
    ]


# --- payload rules and errors ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("frame", "detail"),
    [
        ('2["connect"]', "reserved event name"),
        ('2["disconnecting",1]', "reserved event name"),
        ("2{}", "EVENT payload must be an array"),
        ("2[]", "EVENT payload must start with an event name"),
        ("2[null]", "event name must be a string or a number"),
        ("0[]", "CONNECT payload must be an object"),
        ("1{}", "DISCONNECT packets carry no payload"),
        ("3{}", "ACK payload must be an array"),
        ("4[]", "CONNECT_ERROR payload must be a string or an object"),
        ('51-{"_placeholder":true,"num":0}', "EVENT payload must be an array"),
    ],
)
def test_payload_rules_still_apply(frame: str, detail: str) -> None:
    module = Counting()
    decoder = Decoder(json=module)
    with pytest.raises(PacketError) as info:
        decoder.add(frame)
    assert str(info.value) == f"invalid payload: {detail}"
    assert info.value.__cause__ is None
    assert len(module.loads_calls) == 1
    assert not decoder.pending
    assert decoder.add('2["ok"]') == [Packet(PacketType.EVENT, "/", ["ok"])]


def test_a_tuple_from_loads_is_an_array() -> None:
    decoder = Decoder(json=Returns(loaded=("chat", 1)))
    assert decoder.add("2x") == [Packet(PacketType.EVENT, "/", ("chat", 1))]
    with pytest.raises(PacketError, match="reserved event name"):
        Decoder(json=Returns(loaded=("connect",))).add("2x")


def test_loads_error_becomes_packet_error_with_the_cause() -> None:
    decoder = Decoder(json=json)
    with pytest.raises(PacketError) as info:
        decoder.add('2["unterminated')
    cause = info.value.__cause__
    assert isinstance(cause, json.JSONDecodeError)
    assert str(info.value) == f"invalid payload: {cause}"
    assert isinstance(info.value, ValueError)
    assert decoder.add('2["ok"]') == [Packet(PacketType.EVENT, "/", ["ok"])]


def test_any_exception_from_loads_is_wrapped() -> None:
    class Custom(Exception):
        pass

    exc = Custom("no thanks")
    decoder = Decoder(json=Raises(exc))
    with pytest.raises(PacketError, match=r"^invalid payload: no thanks$") as info:
        decoder.add('2["x"]')
    assert info.value.__cause__ is exc
    # An exception without a message is named by its type.
    with pytest.raises(PacketError, match=r"^invalid payload: RuntimeError$"):
        Decoder(json=Raises(RuntimeError())).add('2["x"]')


def test_a_base_exception_from_loads_passes_unchanged() -> None:
    class Stop(BaseException):
        pass

    exc = Stop()
    decoder = Decoder(json=Raises(exc))
    with pytest.raises(Stop) as info:
        decoder.add('2["x"]')
    assert info.value is exc


def test_a_loads_error_drops_nothing_but_the_frame() -> None:
    decoder = Decoder(json=json)
    with pytest.raises(PacketError):
        decoder.add("2[1,")
    assert not decoder.pending
    # A binary packet still completes normally afterwards.
    assert decoder.add('51-["m",{"_placeholder":true,"num":0}]') == []
    assert decoder.add(b"\x00") == [Packet(PacketType.EVENT, "/", ["m", b"\x00"])]


def test_dumps_exceptions_propagate_unchanged() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        encode(Packet(PacketType.EVENT, "/", ["x", object()]), json=json)
    exc = TypeError("mine")
    with pytest.raises(TypeError) as info:
        encode(Packet(PacketType.EVENT, "/", ["x"]), json=Raises(exc))
    assert info.value is exc
    with pytest.raises(TypeError) as info:
        Packet(PacketType.EVENT, "/", ["x"]).encode(json=Raises(exc))
    assert info.value is exc


def test_the_module_decides_what_it_can_serialise() -> None:
    # orjson writes what the default encoder refuses (e.g. datetime).
    when = datetime.datetime(2024, 1, 2, 3, 4, 5)
    frames = encode(Packet(PacketType.EVENT, "/", ["at", when]), json=OrjsonAdapter)
    assert frames == ['2["at","2024-01-02T03:04:05"]']
    with pytest.raises(TypeError):
        encode(Packet(PacketType.EVENT, "/", ["at", when]))


def test_limits_are_the_modules_in_this_mode() -> None:
    # Documented: max_depth and max_int_digits bound the Rust parser, not loads.
    deep = "[" * 300 + "]" * 300
    digits = "1" * 150
    with pytest.raises(PacketError):
        Decoder().add(f'2["x",{deep}]')
    with pytest.raises(PacketError):
        Decoder().add(f'2["x",{digits}]')
    decoder = Decoder(json=json)
    assert len(decoder.add(f'2["x",{deep}]')) == 1
    assert decoder.add(f'2["x",{digits}]') == [Packet(PacketType.EVENT, "/", ["x", int(digits)])]


# --- the reference vectors, through the stdlib module -----------------------------------------


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [f"{i:02d}-{case['desc']}" for i, case in enumerate(cases)]


def _replay(case: dict[str, Any], **options: Any) -> tuple[list[Packet], str | None, bool]:
    """The packets a decoder gives for a vector's frames, its first error, its pending state."""
    vector_options = case.get("options", {})
    if vector_options:
        options["max_attachments"] = vector_options["maxAttachments"]
    decoder = Decoder(**options)
    packets: list[Packet] = []
    for frame in case["input"]:
        try:
            packets.extend(decoder.add(frame_from_json(frame)))
        except PacketError as exc:
            return packets, str(exc), decoder.pending
    return packets, None, decoder.pending


@pytest.mark.parametrize("case", VECTORS["decode"], ids=_ids(VECTORS["decode"]))
def test_decode_vector_through_stdlib_json(case: dict[str, Any], strict_equal: StrictEqual) -> None:
    rust_packets, rust_error, rust_pending = _replay(case)
    json_packets, json_error, json_pending = _replay(case, json=json)
    assert json_packets == rust_packets
    for a, b in zip(json_packets, rust_packets):
        assert strict_equal(a.data, b.data), (a.data, b.data)
    assert json_pending is rust_pending
    if rust_error is None:
        assert json_error is None
    elif rust_error.startswith("invalid payload: "):
        # Bad JSON: the stdlib's message replaces the Rust parser's.
        assert json_error is not None and json_error.startswith("invalid payload: ")
    else:
        assert json_error == rust_error


@pytest.mark.parametrize("case", VECTORS["encode"], ids=_ids(VECTORS["encode"]))
def test_encode_vector_through_stdlib_json(case: dict[str, Any]) -> None:
    """Same frames up to JSON spelling (ensure_ascii): both decode to the same packet."""
    packet = packet_from_json(case["packet"])
    frames = encode(packet, json=json)
    expected = [frame_from_json(f) for f in case["encoded"]]
    if str(expected[0]).isascii():
        assert frames == expected
    else:
        assert frames[0] != expected[0]  # "\u00e9" for "é"
        assert frames[1:] == expected[1:]
        assert decode_all(Decoder(), frames) == decode_all(Decoder(), expected)


# --- property: any packet, either module, either direction ------------------------------------

text = st.text(max_size=8).filter(lambda s: not any("\ud800" <= c <= "\udfff" for c in s))
keys = text.filter(lambda k: k != "_placeholder")
leaves = (
    st.none()
    | st.booleans()
    # orjson holds 64-bit integers only.
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text
    | st.binary(max_size=4)
)
values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(keys, children, max_size=3),
    max_leaves=12,
)
events = st.builds(
    lambda name, args, nsp, ack: Packet(PacketType.EVENT, nsp, [name, *args], ack),
    text.filter(lambda s: s not in RESERVED_EVENTS),
    st.lists(values, max_size=4),
    st.sampled_from(["/", "/admin", "/é"]),
    st.none() | st.integers(min_value=0, max_value=2**53),
)
MODULES = [json, OrjsonAdapter]


@given(packet=events, writer=st.sampled_from(MODULES), reader=st.sampled_from([*MODULES, None]))
def test_round_trip_across_modules(
    packet: Packet, writer: Any, reader: Any, strict_equal: StrictEqual
) -> None:
    frames = encode(packet, json=writer)
    assert frames[1:] == encode(packet)[1:]
    (got,) = decode_all(Decoder(json=reader), frames)
    assert got == packet
    assert strict_equal(got.data, packet.data)


# --- the decoder holding a module ------------------------------------------------------------


def test_a_loads_that_reenters_its_decoder_is_an_error_not_a_crash() -> None:
    class Reentrant:
        decoder: Decoder

        def loads(self, text: str) -> Any:
            return self.decoder.add('2["inner"]')

    module = Reentrant()
    module.decoder = Decoder(json=module)
    with pytest.raises(PacketError, match=r"^invalid payload") as info:
        module.decoder.add('2["outer"]')
    assert isinstance(info.value.__cause__, RuntimeError)


def test_a_decoder_in_a_cycle_with_its_module_is_collected() -> None:
    class Holder:
        decoder: Decoder

        def loads(self, text: str) -> Any:
            return json.loads(text)

    module = Holder()
    module.decoder = Decoder(json=module)
    ref = weakref.ref(module)
    del module
    gc.collect()
    assert ref() is None
