"""``_core.WsFeed``, the read side of ``serve()``'s WebSocket connections: where each read
goes (the armed sink, the protocol's ``_after_read``, or its ``_received``) and that the
outbox holds what the read answers until the read is done.

The protocol's parts are stand-ins recording their calls, and the frames are real client
frames; over real sockets every ``serve()`` test reads through it
(``test_websocket_protocol.py``, ``test_event_lane.py``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from server_harness import RecordingTransport, masked
from socketio_rs import _core


class Protocol:
    """What the feed calls back: records ``_received`` and ``_after_read``."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.after: list[tuple[Any, Any, Any]] = []
        self.incoming: deque[Any] = deque()
        self.outbox = _core.WsOutbox(asyncio.get_running_loop().call_soon, lambda: None)
        self.transport = RecordingTransport()
        self.outbox.attach(self.transport)
        self.outbox.open = True
        self.feed = _core.WsFeed(
            outbox=self.outbox,
            incoming=self.incoming,
            received=self.received.append,
            after_read=lambda m, c, f: self.after.append((m, c, f)),
        )


def text(*messages: str) -> bytes:
    return b"".join(masked(1, m.encode()) for m in messages)


async def test_unarmed_every_read_goes_to_received() -> None:
    p = Protocol()
    p.feed(b"GET / HTTP/1.1\r\n")
    p.feed(text("4hello"))
    assert p.received == [b"GET / HTTP/1.1\r\n", text("4hello")] and p.after == []


async def test_armed_a_reads_messages_go_to_the_sink_and_its_writes_leave_together() -> None:
    p = Protocol()
    taken: list[list[Any]] = []

    def sink(messages: list[Any]) -> None:
        taken.append(messages)
        before = len(p.transport.writes)
        p.outbox.write(b"a")
        p.outbox.write(b"b")
        assert len(p.transport.writes) == before  # held until the read is done

    p.feed.arm(sink, _core.WsReader(1 << 20))
    p.feed(text("4one", "4two"))
    assert taken == [["4one", "4two"]] and p.transport.writes == [b"ab"]
    # A frame split over two reads: the first gives no message and goes nowhere.
    frame = text("4three")
    p.feed(frame[:3])
    p.feed(frame[3:])
    assert taken[1:] == [["4three"]] and p.received == []
    assert p.transport.writes == [b"ab", b"ab"]


async def test_what_the_sink_does_not_take_goes_to_after_read() -> None:
    p = Protocol()
    taken: list[list[Any]] = []
    p.feed.arm(taken.append, _core.WsReader(1 << 20))
    # A ping after a message: both to after_read, in one call.
    p.feed(text("4one") + masked(9, b"hi"))
    assert p.after == [(["4one"], [(9, b"hi")], None)]
    # Messages queued for the reader: the new ones queue behind them.
    p.incoming.append("4queued")
    p.feed(text("4two"))
    assert p.after[-1] == (["4two"], None, None)
    p.incoming.clear()
    # Not open (closing): after_read decides.
    p.outbox.open = False
    p.feed(text("4three"))
    assert p.after[-1] == (["4three"], None, None)
    p.outbox.open = True
    # A protocol error: the messages before it, and the error.
    p.feed(text("4four") + masked(1, b"\xff\xfe"))
    messages, controls, failure = p.after[-1]
    assert messages == ["4four"] and controls is None
    assert isinstance(failure, _core.WsError) and failure.code == 1007
    assert taken == []


async def test_the_sink_may_disarm_the_feed() -> None:
    p = Protocol()
    taken: list[list[Any]] = []

    def sink(messages: list[Any]) -> None:
        taken.append(messages)
        p.feed.disarm()  # the reader task takes over (DirectReader.take_rest)

    p.feed.arm(sink, _core.WsReader(1 << 20))
    p.feed(text("4one"))
    p.feed(text("4two"))
    assert taken == [["4one"]] and p.received == [text("4two")]
