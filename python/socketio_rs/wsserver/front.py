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
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from .protocol import WebSocketProtocol

#: A first request head longer than this goes to the HTTP protocol, which applies its limits.
_MAX_HEAD = 16 * 1024


class FrontProtocol(asyncio.Protocol):
    """The first protocol of every connection; hands it to the right one (module docstring)."""

    #: uvicorn's HTTP protocol class: set by :func:`front_for` on a subclass.
    http_class: type[asyncio.Protocol]

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

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport
        self._connections.add(self)  # uvicorn's shutdown reaches a connection still deciding

    def data_received(self, data: bytes) -> None:
        head = self._head + data
        if not head.startswith(b"GET "[: len(head)]):
            self._hand_over(self._http(), head)
            return
        end = head.find(b"\r\n\r\n")
        if end < 0:
            if len(head) > _MAX_HEAD:
                self._hand_over(self._http(), head)
            else:
                self._head = head
        elif _is_websocket_upgrade(head[:end]):
            self._hand_over(WebSocketProtocol(**self._args, _loop=self._loop), head)
        else:
            self._hand_over(self._http(), head)

    def _http(self) -> asyncio.Protocol:
        return self.http_class(**self._args, _loop=self._loop)  # type: ignore[call-arg]

    def eof_received(self) -> bool | None:
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)

    def shutdown(self) -> None:
        """uvicorn's server shutdown, before the first request was complete."""
        if self._transport is not None:
            self._transport.close()

    def _hand_over(self, protocol: asyncio.Protocol, data: bytes) -> None:
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


def front_for(http: Any) -> type[FrontProtocol]:
    """A :class:`FrontProtocol` handing HTTP to uvicorn's ``http`` protocol (name or class)."""
    if isinstance(http, str):
        from uvicorn.config import HTTP_PROTOCOLS
        from uvicorn.importer import import_from_string

        http = import_from_string(HTTP_PROTOCOLS.get(http, http))
    return type("FrontProtocol", (FrontProtocol,), {"http_class": http})
