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

    # Fields are computed on first use: a namespace middleware that reads ``auth`` alone
    # should not pay for the date string, the parsed query and the header table.
    __slots__ = ("_created", "_environ", "_headers", "_query", "_scope", "_time", "auth", "issued")

    def __init__(
        self, environ: Mapping[str, Any] | None, auth: Any, created: float | None = None
    ) -> None:
        self._environ: Mapping[str, Any] = environ or {}
        self._scope = self._environ.get("asgi.scope")
        self._created = time.time() if created is None else created
        self.issued = int(self._created * 1000)
        self.auth = auth if auth is not None else {}
        self._headers: Headers | None = None
        self._query: dict[str, Any] | None = None
        self._time: str | None = None

    @property
    def headers(self) -> Headers:
        """The first request's headers."""
        if self._headers is None:
            self._headers = Headers(_headers(self._environ, self._scope))
        return self._headers

    @property
    def time(self) -> str:
        """When the socket was created, as JavaScript's ``Date`` prints it."""
        if self._time is None:
            self._time = _js_date(self._created)
        return self._time

    @property
    def address(self) -> str:
        """The client's IP address."""
        return _address(self._environ, self._scope)

    @property
    def xdomain(self) -> bool:
        """Whether the request had an ``Origin`` header."""
        return "origin" in self.headers

    @property
    def secure(self) -> bool:
        """Whether the request came over TLS."""
        if self._scope is not None:
            return self._scope.get("scheme") in ("https", "wss")
        return self._environ.get("wsgi.url_scheme") == "https" or not self._environ

    @property
    def url(self) -> str:
        """The first request's path and query."""
        environ = self._environ
        query_string = environ.get("QUERY_STRING", "")
        return str(
            environ.get("RAW_URI")
            or (environ.get("PATH_INFO", "") + ("?" + query_string if query_string else ""))
        )

    @property
    def query(self) -> dict[str, Any]:
        """The Engine.IO URL's query: a ``str`` per key, a list for a repeated key."""
        if self._query is None:
            parsed = parse_qs(self._environ.get("QUERY_STRING", ""), keep_blank_values=True)
            self._query = {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}
        return self._query

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
