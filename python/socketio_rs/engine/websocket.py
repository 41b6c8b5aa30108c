"""Engine.IO packets as WebSocket messages, and the environ of a WebSocket request.

:func:`websocket_environ` builds a WebSocket request's environ, key for key
python-engineio's ASGI one, without the request-body class python-engineio
defines for every request.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from engineio import packet as eio_packet

from .. import _core

_MESSAGE = eio_packet.MESSAGE
_ws_frame = _core.ws_frame


def ws_payload(pkt: eio_packet.Packet) -> str | bytes:
    """The WebSocket message of one Engine.IO packet (python-engineio's ``encode()``)."""
    if pkt.packet_type == _MESSAGE:
        data = pkt.data
        if data.__class__ is str:
            return "4" + data
        if data.__class__ is bytes:
            return data
    encoded: str | bytes = pkt.encode()
    return encoded


def ws_frames(
    pkts: list[eio_packet.Packet],
    message: Callable[[eio_packet.Packet], str | bytes] = ws_payload,
) -> bytes:
    """Engine.IO packets framed as WebSocket messages, ready for ``write_frames``;
    ``message`` makes each packet's message (``ws_payload``, Engine.IO v4's)."""
    if len(pkts) == 1:
        payload = message(pkts[0])
        return _ws_frame(1 if payload.__class__ is str else 2, payload)
    parts = []
    for pkt in pkts:
        payload = message(pkt)
        parts.append(_ws_frame(1 if payload.__class__ is str else 2, payload))
    return b"".join(parts)


class _NoBody:
    """The request body of a WebSocket upgrade: empty."""

    async def read(self, length: int | None = None) -> bytes:
        return b""


_NO_BODY = _NoBody()


async def websocket_environ(scope: dict[str, Any], receive: Any, send: Any) -> dict[str, Any]:
    """The environ python-engineio's ASGI driver builds for a WebSocket request, key for key.

    Its ``translate_request`` defines a request-body class on every call; a WebSocket has no
    body, and the class (kept alive by the session's environ) cost each WebSocket connection
    about 2.5 KB and its creation, with the cyclic garbage it leaves, about 5% of a connect.
    """
    event = await receive()
    if event["type"] != "websocket.connect":
        return {}
    path = scope["path"]
    query_string = ""
    raw_uri = path
    if scope.get("query_string"):
        try:
            query_string = scope["query_string"].decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raw_uri += "?" + query_string
    environ: dict[str, Any] = {
        "wsgi.input": _NO_BODY,
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.async": True,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "SERVER_SOFTWARE": "asgi",
        "REQUEST_METHOD": scope.get("method", "GET"),
        "PATH_INFO": path,
        "QUERY_STRING": query_string,
        "RAW_URI": raw_uri,
        "SCRIPT_NAME": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "0",
        "SERVER_NAME": "asgi",
        "SERVER_PORT": "0",
        "asgi.receive": receive,
        "asgi.send": send,
        "asgi.scope": scope,
    }
    for raw_name, raw_value in scope["headers"]:
        try:
            name = raw_name.upper().decode("utf-8")
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            continue  # as python-engineio: a header that does not decode is skipped
        if name == "CONTENT-TYPE":
            environ["CONTENT_TYPE"] = value
        elif name == "CONTENT-LENGTH":
            environ["CONTENT_LENGTH"] = value
        else:
            key = "HTTP_" + name.replace("-", "_")
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    environ["wsgi.url_scheme"] = environ.get("HTTP_X_FORWARDED_PROTO", "http")
    return environ
