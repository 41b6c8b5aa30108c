"""``_core.WsOutbox``, the write side of ``serve()``'s WebSocket connections: when frames
leave, in how many ``transport.write`` calls, and the write limit.

The transport is a recording stand-in with asyncio's interface: what is checked is the
outbox's own contract (one write per read or per loop iteration, the 64-frame spill, the
limit). The end-to-end behaviour over real sockets is in ``test_websocket_protocol.py``,
``test_server_backpressure.py`` and every server test run on ``serve()``.
"""

from __future__ import annotations

import asyncio

from server_harness import RecordingTransport
from socketio_rs import _core

SPILL = 64


def outbox(overflows: list[int] | None = None) -> tuple[_core.WsOutbox, RecordingTransport]:
    loop = asyncio.get_running_loop()
    seen = overflows if overflows is not None else []
    box = _core.WsOutbox(loop.call_soon, lambda: seen.append(1))
    transport = RecordingTransport()
    box.attach(transport)
    box.open = True
    return box, transport


async def test_a_reads_answers_leave_in_one_write_when_it_ends() -> None:
    box, transport = outbox()
    outer = box.hold()
    assert outer is False
    assert box.write(b"a") and box.write(b"bc")
    box.push(b"d")
    assert transport.writes == [] and len(box) == 3
    # A nested read does not flush; the outer one does.
    assert box.hold() is True
    box.release(True)
    assert transport.writes == []
    box.release(outer)
    assert transport.writes == [b"abcd"] and len(box) == 0
    await asyncio.sleep(0)  # nothing was scheduled meanwhile
    assert transport.writes == [b"abcd"]


async def test_other_writes_leave_together_at_the_end_of_the_loop_iteration() -> None:
    box, transport = outbox()
    for frame in (b"1", b"2", b"3"):
        box.write(frame)
    assert transport.writes == []
    await asyncio.sleep(0)
    assert transport.writes == [b"123"]
    box.write(b"4")
    await asyncio.sleep(0)
    assert transport.writes == [b"123", b"4"]  # one frame: written as it is


async def test_every_64_frames_leave_at_once() -> None:
    box, transport = outbox()
    box.hold()
    for i in range(SPILL * 2 + 1):
        box.write(b"%d," % i)
    assert len(transport.writes) == 2 and len(box) == 1
    assert transport.writes[0] == b"".join(b"%d," % i for i in range(SPILL))
    box.release(False)
    assert len(transport.writes) == 3


async def test_writes_once_closing_are_refused_but_pushes_go_out() -> None:
    box, transport = outbox()
    box.open = False
    assert box.write(b"late") is False
    box.push(b"close frame")
    box.flush()
    assert transport.writes == [b"close frame"]


async def test_nothing_is_written_to_a_closing_transport() -> None:
    box, transport = outbox()
    transport.closing = True
    box.write(b"x")
    box.flush()
    assert transport.writes == [] and len(box) == 0


async def test_a_paused_transport_over_the_limit_overflows() -> None:
    overflows: list[int] = []
    box, transport = outbox(overflows)
    box.limit = 100
    transport.buffered = 1000
    box.write(b"x")
    box.flush()
    assert overflows == []  # not paused: the buffer is not asked
    box.paused = True
    box.write(b"y")
    box.flush()
    assert overflows == [1]
    transport.buffered = 50
    box.write(b"z")
    box.flush()
    assert overflows == [1]
    box.write(b"dropped")
    box.clear()
    box.flush()
    assert transport.writes == [b"x", b"y", b"z"]
