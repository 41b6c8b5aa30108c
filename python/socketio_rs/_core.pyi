"""Type stubs of the native module (private: import from socketio_rs.codec)."""

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Literal, Protocol, final

from typing_extensions import disjoint_base

__all__ = [
    "DEFAULT_MAX_ATTACHMENTS",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_INT_DIGITS",
    "DEPTH_CEILING",
    "MAX_ACK_ID",
    "PACKET_TYPES",
    "RESERVED_EVENTS",
    "Decoder",
    "EventLane",
    "LaneSink",
    "Packet",
    "Router",
    "WsDeflater",
    "WsError",
    "WsFeed",
    "WsOutbox",
    "WsReader",
    "broadcast_frames",
    "emit_to_one",
    "encode",
    "is_packet_valid",
    "ws_accept",
    "ws_close_frame",
    "ws_frame",
    "ws_messages",
    "ws_packet",
]

PACKET_TYPES: list[tuple[str, int]]
RESERVED_EVENTS: list[str]
MAX_ACK_ID: int
DEFAULT_MAX_ATTACHMENTS: int
DEFAULT_MAX_DEPTH: int
DEFAULT_MAX_INT_DIGITS: int
DEPTH_CEILING: int

class _JsonModule(Protocol):
    """What ``json=`` needs: the stdlib ``json`` module, or any object alike."""

    def dumps(self, obj: Any, /, *, separators: tuple[str, str]) -> str | bytes: ...
    def loads(self, s: str, /) -> Any: ...

@final
class Packet:
    def __new__(
        cls, type: int, nsp: str | None = "/", data: Any = None, id: int | None = None
    ) -> Packet: ...
    @property
    def type(self) -> Any: ...
    @property
    def nsp(self) -> str: ...
    @property
    def data(self) -> Any: ...
    @property
    def id(self) -> int | None: ...
    def __eq__(self, value: object, /) -> bool: ...
    def __ne__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def encode(self, *, json: _JsonModule | None = None) -> list[str | bytes]: ...
    def __reduce__(self) -> tuple[Any, tuple[int, str, Any, int | None]]: ...

@final
class Decoder:
    def __new__(
        cls,
        *,
        max_attachments: int = 10,
        max_depth: int = 256,
        max_int_digits: int = 100,
        json: _JsonModule | None = None,
        protocol: int = 5,
    ) -> Decoder: ...
    def add(self, frame: str | bytes | bytearray | memoryview, /) -> list[Packet]: ...
    @property
    def pending(self) -> bool: ...
    def reset(self) -> None: ...
    @property
    def max_attachments(self) -> int: ...
    @property
    def max_depth(self) -> int: ...
    @property
    def max_int_digits(self) -> int: ...
    @property
    def json(self) -> _JsonModule | None: ...
    @property
    def protocol(self) -> int: ...

def encode(packet: Packet, /, *, json: _JsonModule | None = None) -> list[str | bytes]: ...
def is_packet_valid(packet: Packet) -> bool: ...

@disjoint_base
class Router:
    """The compiled regexes of parent namespaces (subclassed by ``_router.RegexRouter``)."""

    def __new__(cls) -> Router: ...
    def add_translated(
        self,
        pattern: re.Pattern[str],
        /,
        *,
        engine: Literal["regex", "fancy", "python"],
        source: str = "",
    ) -> int: ...
    def first_match(self, name: str, /) -> int | None: ...
    def engine(self, index: int, /) -> str: ...
    def build(self) -> None: ...
    def __len__(self) -> int: ...
    @staticmethod
    def class_ranges(class_: str, /) -> list[tuple[int, int]]: ...

@final
class EventLane:
    """The plain events of a direct WebSocket's read, decoded, handled and acked in one
    call (``server/dispatch.py`` builds it, ``engine/direct.py`` calls it)."""

    observed: bool
    #: Whether events ask their socket's ``_intercepts`` (Node-style listeners exist).
    intercepting: bool

    def __new__(
        cls,
        *,
        clients: dict[str, Any],
        outboxes: dict[str, WsOutbox],
        handlers: dict[str, dict[Any, Callable[..., Any]]],
        server: Any,
        not_handled: Any,
        no_ack: Any,
        step: Callable[[Any], Any],
        resume: Callable[[Any, Any], Any] | None,
        later: type,
        suspended: Callable[[Any, str, int | None, Any], None],
        failed: Callable[[BaseException], None],
        ack: Callable[[Any, str, int, Any], None],
    ) -> EventLane: ...
    def sink(
        self,
        *,
        sid: str,
        session: Any,
        limit: int,
        task: Any,
        rest: Callable[[list[str | bytes], int], None],
    ) -> LaneSink: ...

@final
class LaneSink:
    """A session's reader as its WebSocket protocol's sink (``EventLane.sink``)."""

    def __call__(self, messages: list[str | bytes], /) -> None: ...

@final
class WsOutbox:
    """What a ``serve()`` WebSocket connection wrote and has not yet handed to its
    transport: a read's answers leave together at ``release``, other writes at the end of
    the event-loop iteration, every 64 frames at once; past ``limit`` bytes in a paused
    transport's buffer, ``overflow()`` is called."""

    open: bool
    paused: bool
    limit: int

    def __new__(
        cls, call_soon: Callable[[Callable[[], None]], Any], overflow: Callable[[], None]
    ) -> WsOutbox: ...
    def attach(self, transport: Any) -> None: ...
    def push(self, frame: bytes) -> None: ...
    def write(self, frames: bytes) -> bool: ...
    def hold(self) -> bool: ...
    def release(self, outer: bool) -> None: ...
    def flush(self) -> None: ...
    def clear(self) -> None: ...
    def __len__(self) -> int: ...

@final
class WsFeed:
    """What a ``serve()`` WebSocket connection's transport calls with each read. Armed
    with the session reader's sink, it reads the frames and hands the messages to the sink
    within the outbox's hold; a read with control frames, a protocol error, queued messages
    or a connection not open goes to ``after_read``; unarmed, every read to ``received``."""

    def __new__(
        cls,
        *,
        outbox: WsOutbox,
        incoming: Any,
        received: Callable[[bytes], None],
        after_read: Callable[
            [list[str | bytes], list[tuple[int, str | bytes]] | None, WsError | None], None
        ],
    ) -> WsFeed: ...
    def arm(self, sink: Callable[[list[str | bytes]], None], reader: WsReader) -> None: ...
    def disarm(self) -> None: ...
    def __call__(self, data: bytes | bytearray | memoryview, /) -> None: ...

class WsError(ValueError):
    """A client broke RFC 6455; ``code`` is the close code to answer with, ``items`` what
    the call completed before the violation: ``feed``'s items, or ``read``'s messages."""

    code: int
    items: Sequence[Any]

@final
class WsReader:
    """Reads what a client sends on a WebSocket connection (RFC 6455 5); with
    ``deflate=True``, inflates permessage-deflate messages within ``max_message``."""

    def __new__(
        cls, max_message: int, *, deflate: bool = False, no_context_takeover: bool = False
    ) -> WsReader: ...
    def feed(self, data: bytes | bytearray | memoryview, /) -> list[tuple[int, str | bytes]]: ...
    def read(
        self, data: bytes | bytearray | memoryview, /
    ) -> tuple[list[str | bytes], list[tuple[int, str | bytes]] | None]: ...
    @property
    def buffered(self) -> int: ...

@final
class WsDeflater:
    """Compresses server messages for permessage-deflate (RFC 7692), each on its own."""

    def __new__(cls, *, level: int = 6, threshold: int = 1024) -> WsDeflater: ...
    def frame(self, opcode: int, payload: str | bytes | bytearray | memoryview, /) -> bytes: ...
    @property
    def level(self) -> int: ...
    @property
    def threshold(self) -> int: ...

def ws_frame(opcode: int, payload: str | bytes | bytearray | memoryview) -> bytes: ...
def ws_messages(messages: list[str | bytes], /) -> bytes: ...
def ws_packet(type: int, nsp: str, data: Any, id: int | None = None, /) -> bytes | None: ...
def broadcast_frames(
    outboxes: dict[str, WsOutbox], sids: Iterable[str], frames: bytes, volatile: bool = False, /
) -> list[str]: ...
def emit_to_one(
    outboxes: dict[str, WsOutbox],
    rooms: dict[str, dict[Any, dict[str, str]]],
    namespace: str,
    room: Any,
    event: Any,
    data: Any,
    /,
) -> bool:
    """The EVENT ``[event, *args]`` (``data`` by python-socketio's rule) to the one member of
    ``rooms[namespace][room]``, framed and written to its session's outbox; ``False``,
    having sent nothing, when the room has not exactly one member, that session has no
    outbox or the data is binary."""

def ws_close_frame(code: int, reason: str = "") -> bytes: ...
def ws_accept(key: str | bytes) -> str: ...
