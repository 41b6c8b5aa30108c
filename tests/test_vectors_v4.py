"""Socket.IO protocol v4 (socket.io-client 2.x): socket.io-parser 3.3.6's vectors, replayed
against ``socketio_rs.codec`` with ``Decoder(protocol=4)``.

``tests/data/parser-v4-vectors.json`` is written by ``tests/node/parser_v4_vectors.mjs``: the
inputs of ``parser-vectors.json`` (socket.io-parser 4.2.7) and the cases only a v4 peer
produces, through the 3.x parser, in the same format. Two forms differ from the packets
socketio-rs reports, in both protocols, and are mapped here:

- 3.x keeps a reconstructed binary packet's type (5, 6); ``Decoder`` reports EVENT and ACK;
- 3.x emits an ERROR packet ``"parser error: <reason>"`` for an unknown type where 4.x throws;
  ``Decoder`` raises ``PacketError(<reason>)`` in both protocols (bad input is an error).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from codec_helpers import feed, frame_from_json, packet_from_json, vector_ids
from socketio_rs.codec import Decoder, Packet, PacketError, encode

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "parser-v4-vectors.json").read_text(encoding="utf-8")
)
PARSER_ERROR = "parser error: "


def test_vector_file() -> None:
    assert VECTORS["parser_version"] == "3.3.6"
    assert len(VECTORS["encode"]) == 49
    assert len(VECTORS["decode"]) == 84


@pytest.mark.parametrize("case", VECTORS["encode"], ids=vector_ids(VECTORS["encode"]))
def test_encode_vector(case: dict[str, Any]) -> None:
    """The encoding is the same in both protocols: ``encode`` needs no option for v4."""
    expected = [frame_from_json(f) for f in case["encoded"]]
    assert encode(packet_from_json(case["packet"])) == expected


def _reported(obj: dict[str, Any]) -> dict[str, Any]:
    return {**obj, "type": {5: 2, 6: 3}.get(obj["type"], obj["type"])}


@pytest.mark.parametrize("case", VECTORS["decode"], ids=vector_ids(VECTORS["decode"]))
def test_decode_vector(
    case: dict[str, Any],
    reference_error: Callable[[str, str], bool],
    strict_equal: Callable[[object, object], bool],
) -> None:
    options = case.get("options", {})
    extra = {"max_attachments": options["maxAttachments"]} if options else {}
    decoder = Decoder(protocol=4, **extra)
    result = case["result"]
    expected_error = result.get("error")
    expected_packets = result.get("decoded", result.get("decodedBeforeError"))
    if expected_error is None and any("nsp" not in p for p in expected_packets):
        # 3.x's error packet: the reason is PacketError's message here.
        (error_packet,) = expected_packets
        assert error_packet["type"] == 4 and error_packet["data"].startswith(PARSER_ERROR)
        expected_error, expected_packets = error_packet["data"][len(PARSER_ERROR) :], []
    decoded, error = feed(decoder, case["input"])
    expected = [packet_from_json(_reported(p)) for p in expected_packets]
    assert decoded == expected
    for got, want in zip(decoded, expected):
        assert strict_equal(got.data, want.data), (got.data, want.data)
    if expected_error is not None:
        assert error is not None, f"expected PacketError {expected_error!r}"
        assert reference_error(str(error), expected_error), str(error)
    else:
        assert error is None, f"unexpected PacketError: {error}"
        assert decoder.pending is result["pending"]


def test_protocol_option() -> None:
    assert Decoder().protocol == 5
    assert Decoder(protocol=4).protocol == 4
    with pytest.raises(ValueError, match="protocol must be 5"):
        Decoder(protocol=3)
    # The option changes only the payload rules: v5 still refuses what v4 takes.
    with pytest.raises(PacketError, match="reserved event name"):
        Decoder().add('2["connect"]')
    assert Decoder(protocol=4).add('2["connect"]') == [Packet(2, "/", ["connect"])]
