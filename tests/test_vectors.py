"""The reference parser's vectors (socket.io-parser 4.2.7), replayed against socketio_rs.codec.

``tests/data/parser-vectors.json`` is a byte-identical copy of
``../shared/reference/parser-vectors.json`` (section 0.4 of the behaviour catalogue explains its
format): binary frames are ``{"binary_hex": ...}`` and binary values inside packet data are
``{"__binary_hex": ...}``. Item ids (P1, P9, ...) refer to section 4 of that catalogue.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from codec_helpers import (
    DATA_FILE,
    REFERENCE_FILE,
    VECTORS,
    feed,
    frame_from_json,
    packet_from_json,
    vector_ids,
)
from socketio_rs.codec import Decoder, Packet, encode, is_packet_valid


def test_vector_file_is_complete() -> None:
    """Section 0.4 announces 46 encode, 81 decode and 13 isPacketValid vectors."""
    assert VECTORS["parser_version"] == "4.2.7"
    assert len(VECTORS["encode"]) == 46
    assert len(VECTORS["decode"]) == 81
    assert len(VECTORS["isPacketValid"]) == 13


@pytest.mark.skipif(not REFERENCE_FILE.exists(), reason="no ../shared/reference beside the repo")
def test_vector_file_is_a_byte_identical_copy_of_the_reference() -> None:
    assert DATA_FILE.read_bytes() == REFERENCE_FILE.read_bytes()


@pytest.mark.parametrize("case", VECTORS["encode"], ids=vector_ids(VECTORS["encode"]))
def test_encode_vector(case: dict[str, Any]) -> None:
    """P1, P2, P5: the encoder's output list, text first, then each attachment as bytes."""
    expected = [frame_from_json(f) for f in case["encoded"]]
    got = encode(packet_from_json(case["packet"]))
    assert type(got) is list
    assert got == expected
    assert type(got[0]) is str
    assert all(type(att) is bytes for att in got[1:])


@pytest.mark.parametrize("case", VECTORS["decode"], ids=vector_ids(VECTORS["decode"]))
def test_decode_vector(
    case: dict[str, Any],
    reference_error: Callable[[str, str], bool],
    strict_equal: Callable[[object, object], bool],
) -> None:
    """P6-P13: every input frame goes to one fresh Decoder; packets and pending state match."""
    options = case.get("options", {})
    decoder = Decoder(max_attachments=options["maxAttachments"]) if options else Decoder()
    result = case["result"]
    decoded, error = feed(decoder, case["input"])

    if "error" in result:
        assert error is not None, f"expected PacketError {result['error']!r}, got {decoded!r}"
        assert reference_error(str(error), result["error"]), str(error)
        assert decoded == [packet_from_json(p) for p in result["decodedBeforeError"]]
        # After an error the decoder is reset and usable again.
        assert decoder.pending is False
        assert decoder.add('2["ok"]') == [Packet(2, "/", ["ok"])]
    else:
        assert error is None, f"unexpected PacketError: {error}"
        expected = [packet_from_json(p) for p in result["decoded"]]
        assert decoded == expected
        # ``==`` would accept 1.0 for 1 or a bytearray for bytes: compare the data strictly too.
        for got, want in zip(decoded, expected):
            assert strict_equal(got.data, want.data), (got.data, want.data)
        assert decoder.pending is result["pending"]


def _valid_id(case: dict[str, Any]) -> str:
    return json.dumps(case["packet"], separators=(",", ":"))


@pytest.mark.parametrize("case", VECTORS["isPacketValid"], ids=_valid_id)
def test_is_packet_valid_vector(case: dict[str, Any]) -> None:
    """P15: the reference's isPacketValid; False for types 5 and 6."""
    obj = case["packet"]
    if isinstance(obj.get("id"), float):
        # The reference says "not valid" for a non-integer id; our Packet cannot even hold one:
        # the constructor's TypeError is our form of "not valid".
        assert case["valid"] is False
        with pytest.raises(TypeError):
            packet_from_json(obj)
        return
    assert is_packet_valid(packet_from_json(obj)) is case["valid"]
