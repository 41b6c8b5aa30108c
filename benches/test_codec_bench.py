"""Codec micro-benchmarks: socketio-rs against python-socketio 5.18.1 and orjson, in one run.

Run with ``pytest benches --benchmark-json=bench.json`` and summarise with
``python benches/report.py bench.json``. Every case is benchmarked in both directions for the
three implementations; pytest-benchmark groups are ``<direction>-<case>`` (e.g. ``encode-small``)
and ``extra_info`` carries case, direction and implementation for the report.

orjson is the floor for the JSON part alone: it encodes/decodes only the payload text after the
Socket.IO header (for the binary case, the payload with its placeholders).

Each timed call runs the operation ``n`` times in a tight loop (``extra_info["ops"]``; the report
divides by it), the way ``timeit`` does: callables and arguments are bound to locals before the
loop, so what is timed is the operation itself plus one loop step, the same for all three
implementations. Timing one call of a closure per operation, as pytest-benchmark does by
default, adds 150-200 ns (the harness's call, the closure's attribute and global look-ups) to
every column alike, which hides most of the ratio between two sub-microsecond operations.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import orjson
import pytest
import socketio.packet as sio_packet  # type: ignore[import-untyped]
from pytest_benchmark.fixture import BenchmarkFixture

from socketio_rs.codec import Decoder, Packet, encode

IMPLEMENTATIONS = ["socketio-rs", "python-socketio", "orjson"]


@dataclass(frozen=True)
class Case:
    """One benchmarked packet."""

    name: str
    type: int
    nsp: str
    data: Any
    id: int | None = None


def _record(i: int) -> dict[str, Any]:
    """A chat-history record of about 220 bytes of JSON."""
    return {
        "id": f"msg-{i:06d}",
        "user": {"id": 1000 + i, "name": f"user number {i}", "online": i % 3 == 0},
        "text": f"message {i}: the quick brown fox jumps over the lazy dog",
        "ts": 1717171717.125 + i,
        "tags": ["general", "chat"] if i % 2 else ["random"],
        "reactions": {"+1": i % 7, "heart": i % 5},
        "reply_to": None if i % 4 else f"msg-{i - 1:06d}",
    }


KB_MESSAGE: dict[str, Any] = {
    "id": "msg_01HZX3K9Q4W8",
    "room": "engineering/general",
    "author": {
        "id": 123456,
        "name": "Ann Example",
        "roles": ["admin", "moderator"],
        "avatar": "https://cdn.example.com/avatars/123456/large.png",
        "status": {"online": True, "since": 1717171000.5},
    },
    "text": (
        "Deploy finished for the staging cluster. All 14 services are healthy, "
        "p99 latency is 38 ms and the error rate stayed below 0.01 percent during the rollout. "
        "Next step: canary to 5 percent of production traffic after lunch. "
        "Ping me if you see anything odd in the dashboards."
    ),
    "mentions": [{"id": 222, "name": "Bob"}, {"id": 333, "name": "Chen"}, {"id": 4, "name": "Dee"}],
    "client": {"app": "web", "version": "5.12.3", "locale": "en-US", "tz": "Europe/Paris"},
    "attachments": [
        {"type": "image", "url": "https://cdn.example.com/i/9f8e7d.png", "w": 800, "h": 600},
        {"type": "link", "url": "https://grafana.example.com/d/rollout?var-env=staging"},
    ],
    "reactions": {"+1": 3, "rocket": 2, "eyes": 1},
    "metrics": [0.038, 0.041, 0.035, 0.052, 0.039, 0.037],
    "ts": 1717171717.123,
    "edited": False,
    "thread": None,
}

CASES = [
    Case("small", 2, "/", ["chat", {"user": "ann", "text": "hi"}]),
    Case("1kb", 2, "/", ["message", KB_MESSAGE]),
    Case("64kb", 2, "/", ["history", [_record(i) for i in range(279)]]),
    Case("ack-id", 2, "/chat", ["chat", {"user": "ann", "text": "hi"}], 42),
    Case("binary", 2, "/", ["upload", {"name": "photo.jpg", "size": 1024}, bytes(range(256)) * 4]),
    Case("connect", 0, "/", {"token": "eyJhbGciOiJIUzI1NiJ9." + "a1B2c3D4" * 16 + ".sig"}),
]


def _wire(case: Case) -> tuple[list[Any], str, Any]:
    """The encoded frames, the JSON payload text after the header, and that payload as data.

    Checks on the way that socketio-rs and python-socketio produce the same frames (the cases
    are ASCII, so ensure_ascii makes no difference) and that the payload text is their tail.
    """
    frames = encode(Packet(case.type, case.nsp, case.data, case.id))
    theirs = sio_packet.Packet(case.type, data=case.data, namespace=case.nsp, id=case.id).encode()
    assert frames == (theirs if isinstance(theirs, list) else [theirs])
    payload, _ = sio_packet.Packet.deconstruct_binary(case.data)
    json_text = json.dumps(payload, separators=(",", ":"))
    assert isinstance(frames[0], str) and frames[0].endswith(json_text)
    return frames, json_text, payload


#: Operations per timed call: enough that the loop's own cost is a few ns per operation and a
#: round stays well above the timer's resolution.
OPS = {"1kb": 20, "64kb": 1}
DEFAULT_OPS = 200

Loop = Callable[[int], None]


def _encoder(impl: str, case: Case) -> Loop:
    _, _, payload = _wire(case)
    type_, nsp, data, id_ = case.type, case.nsp, case.data, case.id
    if impl == "socketio-rs":

        def rs_encode(n: int) -> None:
            for _ in repeat(None, n):
                encode(Packet(type_, nsp, data, id_))

        return rs_encode
    if impl == "python-socketio":
        sio_packet_type = sio_packet.Packet

        def sio_encode(n: int) -> None:
            for _ in repeat(None, n):
                sio_packet_type(type_, data=data, namespace=nsp, id=id_).encode()

        return sio_encode
    dumps = orjson.dumps

    def orjson_dumps(n: int) -> None:
        for _ in repeat(None, n):
            dumps(payload)

    return orjson_dumps


def _decoder(impl: str, case: Case) -> Loop:
    """Decoding is the whole packet: the text frame, then each attachment frame."""
    frames, json_text, _ = _wire(case)
    text, attachments = frames[0], frames[1:]
    expected = Packet(case.type, case.nsp, case.data, case.id)
    if impl == "socketio-rs":
        add = Decoder().add  # one decoder, created outside the timed loop
        assert add(text) == ([] if attachments else [expected])
        if attachments:
            assert [add(a) for a in attachments][-1] == [expected]

            def rs_decode_binary(n: int) -> None:
                for _ in repeat(None, n):
                    add(text)
                    for attachment in attachments:
                        add(attachment)

            return rs_decode_binary

        def rs_decode(n: int) -> None:
            for _ in repeat(None, n):
                add(text)

        return rs_decode
    if impl == "python-socketio":
        sio_packet_type = sio_packet.Packet
        packet = sio_packet_type(encoded_packet=text)
        for attachment in attachments:
            packet.add_attachment(attachment)
        assert packet.data == case.data
        if attachments:

            def sio_decode_binary(n: int) -> None:
                for _ in repeat(None, n):
                    packet = sio_packet_type(encoded_packet=text)
                    for attachment in attachments:
                        packet.add_attachment(attachment)

            return sio_decode_binary

        def sio_decode(n: int) -> None:
            for _ in repeat(None, n):
                sio_packet_type(encoded_packet=text)

        return sio_decode
    loads = orjson.loads

    def orjson_loads(n: int) -> None:
        for _ in repeat(None, n):
            loads(json_text)

    return orjson_loads


def _run(benchmark: BenchmarkFixture, direction: str, impl: str, case: Case) -> None:
    ops = OPS.get(case.name, DEFAULT_OPS)
    benchmark.group = f"{direction}-{case.name}"
    benchmark.extra_info.update(case=case.name, direction=direction, impl=impl, ops=ops)
    make = _encoder if direction == "encode" else _decoder
    benchmark(make(impl, case), ops)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_encode(benchmark: BenchmarkFixture, case: Case, impl: str) -> None:
    _run(benchmark, "encode", impl, case)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_decode(benchmark: BenchmarkFixture, case: Case, impl: str) -> None:
    _run(benchmark, "decode", impl, case)
