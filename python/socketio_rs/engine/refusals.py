"""Why the Engine.IO server refuses a request before or at its handshake, in the
reference server's terms: the code and context of its ``connection_error`` event.

The checks follow the reference server's order (``Server.verify``, then
``allow_request``, then ``handshake``) and answer exactly for the requests this
server refuses, so that every refused request is told to the listeners once and
no served one is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .hooks import (
    BAD_HANDSHAKE_METHOD,
    BAD_REQUEST,
    UNKNOWN_SID,
    UNKNOWN_TRANSPORT,
    UNSUPPORTED_PROTOCOL_VERSION,
)
from .socket import _is_upgrade_request


@dataclass(frozen=True)
class Refusal:
    """One refusal: a reference server code and what the event's ``context`` holds."""

    code: int
    context: dict[str, Any] = field(default_factory=dict)


def _first(query: Mapping[str, list[str]], key: str) -> str | None:
    values = query.get(key)
    return values[0] if values else None


def verify(
    environ: dict[str, Any],
    query: Mapping[str, list[str]],
    *,
    transports: list[str],
    sessions: Mapping[str, Any],
    origin_refused: bool,
) -> Refusal | None:
    """The refusal of a request whatever ``allow_request`` says (the reference
    server's ``verify``), or ``None``.

    A disallowed ``Origin`` (``cors_allowed_origins``) is refused here with
    ``BAD_REQUEST`` and ``{"name": "ORIGIN_NOT_ALLOWED"}``: the reference server
    leaves CORS to its ``cors`` middleware, which refuses nothing.
    """
    method = environ.get("REQUEST_METHOD", "GET")
    if origin_refused:
        return Refusal(
            BAD_REQUEST, {"name": "ORIGIN_NOT_ALLOWED", "origin": environ["HTTP_ORIGIN"]}
        )
    if method == "OPTIONS":
        return None  # a CORS preflight
    transport = _first(query, "transport")
    if transport not in transports:
        return Refusal(UNKNOWN_TRANSPORT, {"transport": transport})
    upgrade = _is_upgrade_request(environ)
    sid = _first(query, "sid")
    if sid is None:
        if method != "GET":
            return Refusal(BAD_HANDSHAKE_METHOD, {"method": method})
        if transport == "websocket" and not upgrade:
            return Refusal(BAD_REQUEST, {"name": "TRANSPORT_HANDSHAKE_ERROR"})
        if upgrade and transport != "websocket":
            return Refusal(BAD_REQUEST, {"name": "TRANSPORT_MISMATCH", "transport": transport})
        return None
    session = sessions.get(sid)
    if session is None or session.closed:
        return Refusal(UNKNOWN_SID, {"sid": sid})
    if method not in ("GET", "POST"):
        return Refusal(BAD_REQUEST, {"name": "BAD_METHOD", "method": method})
    previous = "websocket" if session.upgraded else "polling"
    mismatch = (
        (upgrade and transport != "websocket")
        or (not upgrade and session.upgraded)
        or (method == "GET" and not upgrade and transport != "polling")
    )
    if mismatch:
        context = {"name": "TRANSPORT_MISMATCH", "transport": transport}
        return Refusal(BAD_REQUEST, {**context, "previousTransport": previous})
    if not session.connected:
        return Refusal(BAD_REQUEST, {"name": "NOT_CONNECTED"})
    return None


def handshake(query: Mapping[str, list[str]], protocol: int, allow_eio3: bool) -> Refusal | None:
    """The refusal of a handshake that passed :func:`verify` and ``allow_request``
    (the reference server's ``handshake``), or ``None``. ``protocol`` is 4, or 3
    for any other ``EIO``, as the reference server counts it."""
    if protocol == 3 and not allow_eio3:
        return Refusal(UNSUPPORTED_PROTOCOL_VERSION, {"protocol": protocol})
    jsonp = _first(query, "j")
    if jsonp is not None and (protocol == 3 or not _is_int(jsonp)):
        # JSONP polling: a v3 client's is not served, a v4 one's needs a number.
        return Refusal(BAD_REQUEST, {"name": "JSONP_REFUSED"})
    return None


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
