"""The environ of an ASGI request, key for key python-engineio's ASGI one.

:func:`websocket_environ` without the request-body class python-engineio defines for
every request; :func:`http_environ` with a body read only as far as it is asked for
(``polling.read_within`` reads a POST within ``max_http_buffer_size``).
"""

from __future__ import annotations

import sys
from typing import Any


class _NoBody:
    """The request body of a WebSocket upgrade: empty."""

    async def read(self, length: int | None = None) -> bytes:
        return b""


_NO_BODY = _NoBody()


class AsgiBody:
    """An HTTP request body read from ASGI ``receive`` as far as it is asked for."""

    def __init__(self, receive: Any) -> None:
        self._receive = receive
        self._rest = b""
        self._ended = False

    async def read(self, length: int | None = None) -> bytes:
        """Up to ``length`` bytes (all when ``None``); fewer only at the end of the body."""
        data = self._rest
        while not self._ended and (length is None or len(data) < length):
            event = await self._receive()
            if event["type"] != "http.request":
                self._ended = True  # http.disconnect
                break
            data += event.get("body") or b""
            self._ended = not event.get("more_body", False)
        if length is None or len(data) <= length:
            self._rest = b""
            return data
        self._rest = data[length:]
        return data[:length]


async def websocket_environ(scope: dict[str, Any], receive: Any, send: Any) -> dict[str, Any]:
    """The environ python-engineio's ASGI driver builds for a WebSocket request, key for key.

    Its ``translate_request`` defines a request-body class on every call; a WebSocket has no
    body, and the class (kept alive by the session's environ) cost each WebSocket connection
    about 2.5 KB and its creation, with the cyclic garbage it leaves, about 5% of a connect.
    """
    event = await receive()
    if event["type"] != "websocket.connect":
        return {}
    return _environ(scope, receive, send, _NO_BODY)


def http_environ(scope: dict[str, Any], receive: Any, send: Any) -> dict[str, Any]:
    """The environ of an HTTP request, python-engineio's keys, built before anything of the
    body is received: python-engineio's driver awaits the first body chunk first, so a
    request whose declared body never comes is never answered, not even with a 413."""
    return _environ(scope, receive, send, AsgiBody(receive))


def _environ(scope: dict[str, Any], receive: Any, send: Any, body: Any) -> dict[str, Any]:
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
        "wsgi.input": body,
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
    keys = _KEYS
    for raw_name, raw_value in scope["headers"]:
        key = keys.get(raw_name)
        try:
            if key is None:
                key = _key(raw_name)
            value = raw_value.decode("utf-8")
        except UnicodeDecodeError:
            continue  # as python-engineio: a header that does not decode is skipped
        if key in _CONTENT_KEYS:
            environ[key] = value
        else:
            environ[key] = f"{environ[key]},{value}" if key in environ else value
    environ["wsgi.url_scheme"] = environ.get("HTTP_X_FORWARDED_PROTO", "http")
    return environ


#: Header name (as received) -> environ key, for the names seen so far: the same few
#: names come with every request.
_KEYS: dict[bytes, str] = {}
_MAX_KEYS = 1024
#: The two headers python-engineio's environ keeps without ``HTTP_``; a repeated one is
#: replaced, not joined.
_CONTENT_KEYS = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def _key(raw_name: bytes) -> str:
    """The environ key of header ``raw_name`` (python-engineio's), remembered; raises
    ``UnicodeDecodeError`` for a name that is not UTF-8."""
    name = raw_name.upper().decode("utf-8")
    if name == "CONTENT-TYPE":
        key = "CONTENT_TYPE"
    elif name == "CONTENT-LENGTH":
        key = "CONTENT_LENGTH"
    else:
        key = "HTTP_" + name.replace("-", "_")
    if len(_KEYS) < _MAX_KEYS:
        _KEYS[raw_name] = key
    return key
