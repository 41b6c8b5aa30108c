"""The METH_FASTCALL entry points of `encode` and `Decoder.add` (Python 3.10+).

On 3.10 and later the extension replaces PyO3's tuple-based callables for these two hot calls
by METH_FASTCALL ones, which take the usual call shapes and hand any other to PyO3's callable:
results and argument errors must be the same either way, and 3.9 keeps PyO3's.
"""

from __future__ import annotations

import inspect
import json
import sys
from typing import Any

import pytest

from socketio_rs import _core
from socketio_rs.codec import Decoder, Packet, PacketType, encode
from socketio_rs.exceptions import PacketError


def test_fast_entry_points_are_in_place_from_python_3_10() -> None:
    assert _core._FASTCALL is (sys.version_info >= (3, 10))  # type: ignore[attr-defined]


def test_signatures_and_docs_are_kept() -> None:
    assert str(inspect.signature(encode)) == "(packet, /, *, json=None)"
    assert str(inspect.signature(Decoder.add)) == "(self, frame, /)"
    assert encode.__doc__ and encode.__doc__.startswith("Encodes a packet")
    assert Decoder.add.__doc__ and Decoder.add.__doc__.startswith("Adds one frame")
    assert encode.__module__ == "socketio_rs._core"


def test_every_call_shape_gives_the_same_frames() -> None:
    packet = Packet(PacketType.EVENT, "/", ["m", "é", b"\x00"], id=3)
    want = ['51-3["m","é",{"_placeholder":true,"num":0}]', b"\x00"]
    assert encode(packet) == want
    assert encode(packet, json=None) == want
    assert encode(packet, **{"json": None}) == want
    assert packet.encode() == want
    assert encode(packet, json=json)[0] == '51-3["m","\\u00e9",{"_placeholder":true,"num":0}]'


def test_add_called_through_the_class_and_a_bound_method() -> None:
    decoder = Decoder()
    add = decoder.add
    assert Decoder.add(decoder, '2["a"]') == [Packet(PacketType.EVENT, "/", ["a"])]
    assert add('51-["up",{"_placeholder":true,"num":0}]') == []
    assert add(bytearray(b"\x01")) == [Packet(PacketType.EVENT, "/", ["up", b"\x01"])]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d: d.add(), "Decoder.add() missing 1 required positional argument: 'frame'"),
        (
            lambda d: d.add("2", "3"),
            "Decoder.add() takes 1 positional arguments but 2 were given",
        ),
        (
            lambda d: d.add(frame="2"),
            "Decoder.add() got some positional-only arguments passed as keyword arguments: 'frame'",
        ),
        (lambda d: encode(), "encode() missing 1 required positional argument: 'packet'"),
        (lambda d: encode(1), "'int' object is not an instance of 'Packet'"),
        (
            lambda d: encode(Packet(2), jsn=1),
            "encode() got an unexpected keyword argument 'jsn'",
        ),
        (
            lambda d: encode(Packet(2), 1),
            "encode() takes 1 positional arguments but 2 were given",
        ),
        (
            lambda d: Decoder.add(object(), "2"),
            "descriptor 'add' for 'socketio_rs._core.Decoder' objects doesn't apply to a "
            "'object' object",
        ),
    ],
)
def test_argument_errors_are_pyo3s(call: Any, message: str) -> None:
    with pytest.raises(TypeError) as info:
        call(Decoder())
    assert str(info.value) == message


def test_bad_input_through_the_fast_entry_point_resets_the_decoder() -> None:
    decoder = Decoder()
    assert decoder.add('51-["up",{"_placeholder":true,"num":0}]') == []
    with pytest.raises(PacketError, match="Unknown type: None"):
        decoder.add(None)
    assert not decoder.pending
    assert decoder.add("0") == [Packet(PacketType.CONNECT)]
