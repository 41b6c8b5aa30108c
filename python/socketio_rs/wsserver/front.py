"""The front of :func:`socketio_rs.serve`'s connections: which protocol serves each.

``serve`` gives uvicorn two protocol classes:

- ``ws``: :class:`~socketio_rs.wsserver.WebSocketProtocol`, for an upgrade
  that arrives on a connection uvicorn's HTTP protocol is already serving
  (a browser reusing a keep-alive connection after polling);
- ``http``: a :class:`FrontProtocol` made for uvicorn's HTTP protocol (httptools
  or h11). A new connection whose first request is a WebSocket upgrade goes
  straight to ``WebSocketProtocol``; every other one, at its first bytes, to
  the HTTP protocol, which then serves it exactly as uvicorn alone would.
  The front only looks for the ``Upgrade`` header; the WebSocket protocol then
  parses the request once, where uvicorn's HTTP protocol would parse it,
  rebuild it as text and have it parsed again, and no HTTP protocol object is
  made for it.

The front also bounds how long a new connection may take to send its first
request head (``header_timeout``): a client that sends it a byte at a time, or
not at all, is answered 408 and closed, where uvicorn alone would wait for it
as long as it keeps sending.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from .configured import configured
from .protocol import WebSocketProtocol

logger = logging.getLogger("uvicorn.error")

#: A first request head longer than this goes to the HTTP protocol, which applies its limits.
_MAX_HEAD = 16 * 1024
#: The default of ``serve(header_timeout=...)``: seconds for a new connection's request head.
DEFAULT_HEADER_TIMEOUT = 30.0
_TIMED_OUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\nconnection: close\r\n\r\nRequest head not received in time"
)


class FrontProtocol(asyncio.Protocol):
    """The first protocol of every connection; hands it to the right one (module docstring)."""

    #: uvicorn's HTTP protocol class: set by :func:`front_for` on a subclass.
    http_class: type[asyncio.Protocol]
    #: Seconds a new connection has to send its first request head: set by :func:`front_for`.
    header_timeout: float = DEFAULT_HEADER_TIMEOUT
    #: The WebSocket protocol class (``serve``'s, with its settings): set by :func:`front_for`.
    ws_class: type[WebSocketProtocol] = WebSocketProtocol

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._args = {"config": config, "server_state": server_state, "app_state": app_state}
        self._loop = _loop
        self._connections: set[Any] = server_state.connections
        self._transport: asyncio.BaseTransport | None = None
        self._head = b""
        self._timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._connections.add(self)  # uvicorn's shutdown reaches a connection still deciding
        loop = self._loop or asyncio.get_event_loop()
        self._timer = loop.call_later(self.header_timeout, self._too_slow)

    def data_received(self, data: bytes) -> None:
        head = self._head + data
        end = head.find(b"\r\n\r\n")
        if end < 0:
            # Every request head is waited for whole, under the timer, before uvicorn sees it.
            if len(head) > _MAX_HEAD:
                self._hand_over(self._http(), head)
            else:
                self._head = head
        elif not head.startswith(b"GET "):
            self._hand_over(self._http(), head)
        elif _is_websocket_upgrade(head[:end]):
            self._hand_over(self.ws_class(**self._args, _loop=self._loop), head)
        else:
            self._hand_over(self._http(), head)

    def _http(self) -> asyncio.Protocol:
        return self.http_class(**self._args, _loop=self._loop)  # type: ignore[call-arg]

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._stop_timer()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self) -> None:
        """The request head did not arrive within ``header_timeout``: 408, then close."""
        self._timer = None
        transport = cast(asyncio.Transport, self._transport)
        if transport is not None and not transport.is_closing():
            logger.info("Request head not complete in %ss: closing", self.header_timeout)
            transport.write(_TIMED_OUT)
            transport.close()

    def shutdown(self) -> None:
        """uvicorn's server shutdown, before the first request was complete."""
        if self._transport is not None:
            self._transport.close()

    def _hand_over(self, protocol: asyncio.Protocol, data: bytes) -> None:
        self._stop_timer()
        self._connections.discard(self)
        transport = cast(asyncio.Transport, self._transport)
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        protocol.data_received(data)


def _is_websocket_upgrade(head: bytes) -> bool:
    """Whether a GET request head asks for a WebSocket (``Upgrade: websocket``)."""
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"upgrade":
            return b"websocket" in value.lower()
    return False


def front_for(
    http: Any,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    ws: type[WebSocketProtocol] = WebSocketProtocol,
) -> type[FrontProtocol]:
    """A :class:`FrontProtocol` handing HTTP to uvicorn's ``http`` protocol (name or class)
    and WebSocket upgrades to ``ws``, closing a connection whose first request head takes
    longer than ``header_timeout``."""
    if isinstance(header_timeout, bool) or not isinstance(header_timeout, (int, float)):
        raise TypeError(f"header_timeout={header_timeout!r}: a number of seconds")
    if not header_timeout > 0:
        raise ValueError(f"header_timeout={header_timeout!r}: a number of seconds above 0")
    if isinstance(http, str):
        from uvicorn.config import HTTP_PROTOCOLS
        from uvicorn.importer import import_from_string

        http = import_from_string(HTTP_PROTOCOLS.get(http, http))
    attributes = {"http_class": http, "header_timeout": float(header_timeout), "ws_class": ws}
    return configured(FrontProtocol, attributes, front_for, http, header_timeout, ws)
