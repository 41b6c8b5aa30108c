"""Connection state recovery: the sessions of sockets that lost their
connection, and the recent broadcasts they may have missed (the reference
server's ``SessionAwareAdapter``).

Every broadcast without an ack carries an offset as its last argument; the
client sends back the offset of the last one it saw with its session's
``pid`` when it reconnects, and gets its id, rooms, data and every packet
since. Packets are kept as the Engine.IO frames that were sent, so a replay
encodes nothing. Memory is bounded three ways: by age
(``max_disconnection_duration``), and by count and bytes of packets
(``max_packets``, ``max_bytes``) and count of sessions (``max_sessions``),
the oldest going first.
"""

from __future__ import annotations

import base64
import itertools
import os
import time
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Any, Callable

from .._rules import room_set

#: The reference server's disconnect reasons after which a session is kept.
RECOVERABLE_REASONS = frozenset(
    {
        "transport error",
        "transport close",
        "forced close",
        "ping timeout",
        "server shutting down",
        "forced server close",
    }
)

#: The options ``connection_state_recovery=`` takes, with their defaults.
DEFAULTS: dict[str, Any] = {
    "max_disconnection_duration": 120.0,
    "skip_middlewares": True,
    "max_packets": 50_000,
    "max_bytes": 32 * 1024 * 1024,
    "max_sessions": 100_000,
}


@dataclass
class Session:
    """What a socket leaves behind when its connection drops."""

    sid: str
    pid: str
    namespace: str
    rooms: list[Hashable]
    data: Any
    #: python-socketio's session dict (``sio.get_session``) in this namespace, if any.
    user_session: dict[str, Any] | None = None
    disconnected_at: float = 0.0


@dataclass
class _Packet:
    offset: str
    namespace: str
    rooms: frozenset[Hashable] | None  # None: the whole namespace
    skip: frozenset[Hashable]
    except_rooms: frozenset[Hashable]
    #: A Node-style broadcast, which skips the sockets still joining.
    skips_joining: bool
    frames: list[Any]
    size: int
    at: float


@dataclass
class Restored:
    """A session taken over, and where its client's packets stopped: the
    packets after ``after`` (a sequence number) are the ones it missed."""

    session: Session
    after: int
    #: The last packet recorded when the new socket appeared.
    joined_at: int
    #: For a stream-backed cluster: the frames of the packets read back from
    #: the stream (by entry id, in order), and the last entry id read; the
    #: packets kept here then count from that id on.
    preloaded: list[list[Any]] | None = None
    last_id: str = ""


def _stream_id(entry_id: str) -> tuple[int, int]:
    """A Redis stream entry id (``<ms>-<seq>``) as a comparable pair."""
    ms, _, seq = entry_id.partition("-")
    try:
        return int(ms), int(seq or 0)
    except ValueError:
        return (-1, -1)


def includes(rooms: Iterable[Hashable], sid: str, targets: Any, except_rooms: Any) -> bool:
    """Whether a broadcast to ``targets`` (rooms, or none for all) except
    ``except_rooms`` reaches a socket ``sid`` in ``rooms`` (the reference's
    ``shouldIncludePacket``)."""
    member_of = set(rooms)
    member_of.add(sid)
    return (not targets or not member_of.isdisjoint(targets)) and member_of.isdisjoint(
        except_rooms or ()
    )


def _as_set(rooms: Any) -> frozenset[Hashable]:
    return frozenset() if rooms is None else room_set(rooms)


class Recovery:
    """The recoverable sessions and recent packets of one server process."""

    def __init__(
        self,
        max_disconnection_duration: float = DEFAULTS["max_disconnection_duration"],
        skip_middlewares: bool = DEFAULTS["skip_middlewares"],
        max_packets: int = DEFAULTS["max_packets"],
        max_bytes: int = DEFAULTS["max_bytes"],
        max_sessions: int = DEFAULTS["max_sessions"],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, value in (
            ("max_disconnection_duration", max_disconnection_duration),
            ("max_packets", max_packets),
            ("max_bytes", max_bytes),
            ("max_sessions", max_sessions),
        ):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"connection_state_recovery: {name} must be a positive number")
        self.max_disconnection_duration = float(max_disconnection_duration)
        self.skip_middlewares = bool(skip_middlewares)
        self.max_packets = int(max_packets)
        self.max_bytes = int(max_bytes)
        self.max_sessions = int(max_sessions)
        self._clock = clock
        self._sessions: OrderedDict[str, Session] = OrderedDict()  # pid -> session, oldest first
        self._packets: deque[_Packet] = deque()
        self._seq_of: dict[str, int] = {}  # offset -> sequence number
        self._first_seq = 0  # the sequence number of _packets[0]
        self._bytes = 0
        # Offsets are unique across processes (a cluster's broadcasts carry
        # the emitter's offsets) and across restarts.
        self._prefix = base64.urlsafe_b64encode(os.urandom(6)).decode()
        self._counter = itertools.count()

    @classmethod
    def from_option(cls, option: Any) -> Recovery | None:
        """``connection_state_recovery=``: falsy for off, ``True`` for the
        defaults, or a dict of options (:data:`DEFAULTS`)."""
        if option is None or option is False:
            return None
        if option is True:
            return cls()
        if not isinstance(option, dict):
            raise TypeError(
                "connection_state_recovery must be True, False/None or a dict of options, "
                f"not {type(option).__name__}"
            )
        unknown = sorted(set(option) - set(DEFAULTS))
        if unknown:
            raise TypeError(
                f"connection_state_recovery: unknown option(s) {', '.join(unknown)}; "
                f"known: {', '.join(DEFAULTS)}"
            )
        return cls(**option)

    # -- the sending side -------------------------------------------------

    def new_pid(self) -> str:
        """A private session id, given to the client with CONNECT."""
        return base64.urlsafe_b64encode(os.urandom(15)).decode()

    def new_offset(self) -> str:
        """The offset of the next broadcast this process emits."""
        return f"{self._prefix}{next(self._counter):x}"

    def record(
        self,
        offset: str,
        namespace: str,
        rooms: Any,
        skip: Any,
        except_rooms: Iterable[Hashable] | None,
        frames: list[Any],
    ) -> None:
        """Keep one broadcast (its Engine.IO frames) for replay. ``rooms``:
        ``None`` for the whole namespace, a room or a list of rooms."""
        if offset in self._seq_of:
            return  # already recorded (a cluster message seen twice)
        size = sum(len(getattr(frame, "data", frame) or b"") for frame in frames)
        now = self._clock()
        self._packets.append(
            _Packet(
                offset,
                namespace,
                None if rooms is None else _as_set(rooms),
                _as_set(skip),
                _as_set(except_rooms),
                except_rooms is not None,
                frames,
                size,
                now,
            )
        )
        self._seq_of[offset] = self._first_seq + len(self._packets) - 1
        self._bytes += size
        self._prune_packets(now)

    # -- sessions -----------------------------------------------------------

    def persist(self, session: Session) -> None:
        """Keep the session of a socket whose connection dropped."""
        now = self._clock()
        session.disconnected_at = now
        self._sessions.pop(session.pid, None)
        self._sessions[session.pid] = session
        self._prune_sessions(now)

    def restore(self, namespace: str, pid: str, offset: str) -> Restored | None:
        """Take over the session ``pid``, whose client saw every packet up to
        ``offset``; ``None`` when it expired, is unknown, or packets it missed
        are no longer kept. A session is taken over once."""
        now = self._clock()
        self._prune_sessions(now)
        self._prune_packets(now)
        session = self._sessions.get(pid)
        if session is None or session.namespace != namespace:
            return None
        restored = self.resume(session, offset)
        if restored is not None:
            del self._sessions[pid]
        return restored

    def resume(self, session: Session, offset: str) -> Restored | None:
        """Where ``session``'s client stopped in the packets kept here, if
        ``offset`` is one of them (a session kept elsewhere, e.g. in Redis)."""
        self._prune_packets(self._clock())
        seq = self._seq_of.get(offset)
        if seq is None:
            return None  # too old (pruned), or never seen by this process
        return Restored(session, seq, self._first_seq + len(self._packets) - 1)

    def resume_after(self, session: Session, last_id: str, preloaded: list[list[Any]]) -> Restored:
        """A session restored from a stream: ``preloaded`` are the frames of
        the packets it missed up to the entry ``last_id``; the packets kept
        here with a later entry id follow them."""
        self._prune_packets(self._clock())
        last_seq = self._first_seq + len(self._packets) - 1
        return Restored(session, -1, last_seq, preloaded, last_id)

    def missed(self, restored: Restored) -> list[list[Any]]:
        """The frames of every packet the session's client missed, in order, up
        to now. A packet recorded after the new socket appeared and sent to
        every socket of the namespace or to its sid, python-socketio's way,
        reached it already (joining sockets get those), so it is not repeated."""
        session = restored.session
        sid, namespace = session.sid, session.namespace
        rooms = set(session.rooms)
        rooms.add(sid)
        start = max(0, restored.after + 1 - self._first_seq)
        out = []
        after_id = None
        if restored.preloaded is not None:
            out.extend(restored.preloaded)
            after_id = _stream_id(restored.last_id)
        packets = itertools.islice(self._packets, start, None)
        for seq, pkt in enumerate(packets, start + self._first_seq):
            if after_id is not None and _stream_id(pkt.offset) <= after_id:
                continue  # read back from the stream already
            if (
                pkt.namespace != namespace
                or (pkt.rooms is not None and pkt.rooms.isdisjoint(rooms))
                or sid in pkt.skip
                or not pkt.except_rooms.isdisjoint(rooms)
            ):
                continue
            if (
                seq > restored.joined_at
                and not pkt.skips_joining
                and (pkt.rooms is None or sid in pkt.rooms)
            ):
                continue  # delivered to the joining socket already
            out.append(pkt.frames)
        return out

    # -- bounds -------------------------------------------------------------

    def _prune_packets(self, now: float) -> None:
        packets = self._packets
        threshold = now - self.max_disconnection_duration
        while packets and (
            len(packets) > self.max_packets
            or self._bytes > self.max_bytes
            or packets[0].at < threshold
        ):
            old = packets.popleft()
            del self._seq_of[old.offset]
            self._first_seq += 1
            self._bytes -= old.size

    def _prune_sessions(self, now: float) -> None:
        sessions = self._sessions
        threshold = now - self.max_disconnection_duration
        while sessions:
            pid, oldest = next(iter(sessions.items()))
            if len(sessions) <= self.max_sessions and oldest.disconnected_at >= threshold:
                break
            del sessions[pid]

    def stats(self) -> dict[str, int]:
        """What is kept now: sessions, packets and their bytes."""
        return {
            "sessions": len(self._sessions),
            "packets": len(self._packets),
            "bytes": self._bytes,
        }
