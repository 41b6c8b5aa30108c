"""``OutgoingQueue``: a session's queue of packets waiting for its client, bounded in bytes.

Polling sessions, and WebSocket sessions whose writes go through an ASGI ``send``,
hold their outgoing packets here until the client takes them. A client that stops
taking them (a poll that never comes, a WebSocket whose peer does not read) would
make it grow without end; past the session's write limit the queue stops taking
messages, drops the ones it holds and tells its owner once, which closes the session.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable

from engineio import packet as eio_packet

_MESSAGE = eio_packet.MESSAGE
#: What a packet is counted for besides its payload (and all of a packet without a string or
#: bytes payload): the order of a Python object's own size.
_OVERHEAD = 64


class OutgoingQueue(asyncio.Queue):  # type: ignore[type-arg]
    """An ``asyncio.Queue`` of Engine.IO packets that counts their bytes.

    ``asyncio.Queue`` stores through ``_put`` and takes through ``_get`` (the hooks its own
    subclasses use), so every way in and out is counted with one addition: ``put_nowait``
    from a broadcast, python-engineio's ``send``, and the polling and writer reads.
    """

    def __init__(self, limit: int, overflowed: Callable[[], None]) -> None:
        super().__init__()
        self._limit = limit
        self._overflowed = overflowed
        #: Bytes held, payloads plus a fixed overhead per packet.
        self.size = 0
        #: Set once over the limit: messages are dropped from then on.
        self.dropping = False

    @property
    def idle(self) -> bool:
        """Nothing queued, nothing taken but not done, nobody waiting for a packet: the
        queue can be let go."""
        return (
            not self._queue  # type: ignore[attr-defined]
            and not self._getters  # type: ignore[attr-defined]
            and not self._unfinished_tasks  # type: ignore[attr-defined]
            and not self.dropping
        )

    def _put(self, item: Any) -> None:
        if item is None:  # a writer's stop signal
            self._queue.append(item)  # type: ignore[attr-defined]
            return
        if item.packet_type == _MESSAGE:
            if self.dropping:
                self._discard()
                return
            data = item.data
            weight = len(data) + _OVERHEAD if data.__class__ in (str, bytes) else _OVERHEAD
            size = self.size + weight
            if size > self._limit:
                self._drop()
                self._discard()
                self._overflowed()
                return
            self.size = size
            self._queue.append(item)  # type: ignore[attr-defined]
            return
        # Control packets (PING, CLOSE, NOOP) still go out, so that a poll is answered and
        # the client learns the session closed; they are few and small.
        self.size += _OVERHEAD
        self._queue.append(item)  # type: ignore[attr-defined]

    def _get(self) -> Any:
        item = self._queue.popleft()  # type: ignore[attr-defined]
        if item is not None:
            data = item.data
            if item.packet_type == _MESSAGE and data.__class__ in (str, bytes):
                self.size -= len(data) + _OVERHEAD
            else:
                self.size -= _OVERHEAD
        return item

    def _discard(self) -> None:
        """Count the packet ``put_nowait`` is adding as done: it is dropped, and ``join()``
        must not wait for it (``put_nowait`` counts it as unfinished after ``_put``)."""
        asyncio.get_running_loop().call_soon(self.task_done)

    def _drop(self) -> None:
        """Free every queued message now; from then on messages are dropped."""
        self.dropping = True
        queue = self._queue  # type: ignore[attr-defined]
        kept = [item for item in queue if item is None or item.packet_type != _MESSAGE]
        dropped = len(queue) - len(kept)
        queue.clear()
        queue.extend(kept)
        self.size = _OVERHEAD * len(kept)
        for _ in range(dropped):
            self.task_done()
