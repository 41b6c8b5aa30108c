"""``socket.handshake``: what the first HTTP request of a connection carried (S2)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs


class Headers(Mapping[str, str]):
    """Request headers, looked up case-insensitively; repeated headers are
    joined with ``", "``."""

    __slots__ = ("_items",)

    def __init__(self, items: dict[str, str]) -> None:
        self._items = items  # lower-case name -> value

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"


class Handshake:
    """The reference server's nine handshake fields.

    :ivar headers: the first request's headers (:class:`Headers`).
    :ivar time: when the socket was created, as JavaScript's ``Date`` prints it.
    :ivar address: the client's IP address.
    :ivar xdomain: whether the request had an ``Origin`` header.
    :ivar secure: whether it came over TLS.
    :ivar issued: when the socket was created, in milliseconds since the epoch.
    :ivar url: the first request's path and query.
    :ivar query: the Engine.IO URL's query: a ``str`` per key, a list for a repeated key.
    :ivar auth: the CONNECT payload, or ``{}``.
    """

    __slots__ = (
        "address",
        "auth",
        "headers",
        "issued",
        "query",
        "secure",
        "time",
        "url",
        "xdomain",
    )

    def __init__(
        self, environ: Mapping[str, Any] | None, auth: Any, created: float | None = None
    ) -> None:
        environ = environ or {}
        scope = environ.get("asgi.scope")
        self.headers = Headers(_headers(environ, scope))
        now = time.time() if created is None else created
        self.time = _js_date(now)
        self.issued = int(now * 1000)
        self.address = _address(environ, scope)
        self.xdomain = "origin" in self.headers
        if scope is not None:
            self.secure = scope.get("scheme") in ("https", "wss")
        else:
            self.secure = environ.get("wsgi.url_scheme") == "https" or not environ
        query_string = environ.get("QUERY_STRING", "")
        self.url = environ.get("RAW_URI") or (
            environ.get("PATH_INFO", "") + ("?" + query_string if query_string else "")
        )
        self.query = {
            k: v[0] if len(v) == 1 else v
            for k, v in parse_qs(query_string, keep_blank_values=True).items()
        }
        self.auth = auth if auth is not None else {}

    def as_dict(self) -> dict[str, Any]:
        """The fields in the reference server's order, headers as a plain dict."""
        return {
            "headers": dict(self.headers),
            "time": self.time,
            "address": self.address,
            "xdomain": self.xdomain,
            "secure": self.secure,
            "issued": self.issued,
            "url": self.url,
            "query": self.query,
            "auth": self.auth,
        }

    def __repr__(self) -> str:
        return f"Handshake({self.as_dict()!r})"


def _headers(environ: Mapping[str, Any], scope: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    if scope is not None and "headers" in scope:
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1")
            found[name] = f"{found[name]}, {value}" if name in found else value
        return found
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            found[key[5:].replace("_", "-").lower()] = value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            found[key.replace("_", "-").lower()] = value
    return found


def _address(environ: Mapping[str, Any], scope: Any) -> str:
    if scope is not None:
        client = scope.get("client")
        if client:
            return str(client[0])
    return str(environ.get("REMOTE_ADDR", ""))


def _js_date(seconds: float) -> str:
    """``String(new Date())``: ``Thu Nov 26 2026 13:47:12 GMT+0000 (UTC)``."""
    local = time.localtime(seconds)
    zone = time.strftime("%z", local) or "+0000"
    return time.strftime("%a %b %d %Y %H:%M:%S", local) + f" GMT{zone} ({local.tm_zone})"
