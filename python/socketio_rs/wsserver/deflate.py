"""permessage-deflate (RFC 7692) for :func:`socketio_rs.serve`: the option and the
negotiation of each connection's opening handshake.

The server answers every accepted offer with ``server_no_context_takeover``
(which RFC 7692 7.1.1.1 lets it add unasked): each message it sends is
compressed on its own, so one compressor (``_core.WsDeflater``) serves every
connection, a broadcast compresses its message once for all its recipients,
and no connection holds a compressor's memory (about 300 KB each with context
takeover). What the client sends is inflated by its connection's reader, with
the client's window kept between messages unless it offered
``client_no_context_takeover``, and within the reader's size limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._options import check_options, snake_case

#: The extension's name in ``Sec-WebSocket-Extensions``.
NAME = "permessage-deflate"
#: The window the server compresses with: an offer that asks for a smaller one is declined.
_SERVER_WINDOW_BITS = 15

#: Node's ``perMessageDeflate`` settings that have a fixed value here, and why.
_FIXED = {
    "server_no_context_takeover": "always on: one compressed frame serves every recipient",
    "client_no_context_takeover": "honoured when the client offers it",
    "server_max_window_bits": "15; an offer asking for less is declined",
    "client_max_window_bits": "the client's choice: any window is inflated",
    "zlib_deflate_options": "use per_message_deflate={'level': ...}",
    "zlib_inflate_options": "not configurable: inflating is bounded by ws_max_size",
    "concurrency_limit": "not needed: compression runs inline, in Rust",
}


@dataclass(frozen=True)
class DeflateOptions:
    """``serve(per_message_deflate=...)``, checked."""

    #: Messages of fewer bytes (UTF-8 for text) are sent uncompressed (Node's default, 1024).
    threshold: int = 1024
    #: The DEFLATE level: 1 (fastest) to 9 (smallest), 0 stores; zlib's default is 6.
    level: int = 6


def deflate_options(value: Any) -> DeflateOptions | None:
    """The settings of ``serve(per_message_deflate=value)``: ``None`` when off (``False``,
    the default), the defaults for ``True``, or a dict's ``threshold`` and ``level``.
    Raises ``TypeError`` for another value or an unknown key, ``ValueError`` for a bad
    setting."""
    if value is None or value is False:
        return None
    if value is True:
        return DeflateOptions()
    if not isinstance(value, Mapping):
        raise TypeError(
            f"per_message_deflate={value!r}: False, True or a dict "
            "such as {'threshold': 1024, 'level': 6}"
        )
    for name in value:
        fixed = _FIXED.get(name) or _FIXED.get(snake_case(name))
        if fixed is not None:
            raise TypeError(f"per_message_deflate: {name!r} is not an option here: {fixed}")
    check_options("serve(per_message_deflate=...)", value, ("threshold", "level"), {})
    threshold = value.get("threshold", DeflateOptions.threshold)
    level = value.get("level", DeflateOptions.level)
    for name, setting, low, high in (("threshold", threshold, 0, None), ("level", level, 0, 9)):
        if isinstance(setting, bool) or not isinstance(setting, int):
            raise TypeError(f"per_message_deflate: {name}={setting!r}: an int")
        if setting < low or (high is not None and setting > high):
            bounds = f"{low} to {high}" if high is not None else f"{low} or more"
            raise ValueError(f"per_message_deflate: {name}={setting!r}: {bounds}")
    return DeflateOptions(threshold=threshold, level=level)


@dataclass(frozen=True)
class Agreement:
    """What a connection agreed to: the response header's value, and whether the
    client resets its compressor after each message."""

    response: bytes
    client_no_context_takeover: bool


def negotiate(headers: Iterable[bytes]) -> Agreement | None:
    """The first acceptable ``permessage-deflate`` offer among the values of the
    request's ``Sec-WebSocket-Extensions`` headers, or ``None`` (RFC 7692 5, 7).

    An offer is declined, and the next one considered, when it has an unknown or
    repeated parameter, an invalid value, or ``server_max_window_bits`` below 15
    (the server compresses with a 32 KB window)."""
    for header in headers:
        for offer in header.decode("latin-1").split(","):
            name, *params = (part.strip() for part in offer.split(";"))
            if name.lower() != NAME:
                continue
            agreement = _accept(params)
            if agreement is not None:
                return agreement
    return None


def _accept(params: list[str]) -> Agreement | None:
    seen: dict[str, str | None] = {}
    for param in params:
        key, eq, raw = param.partition("=")
        key = key.strip().lower()
        value = raw.strip().strip('"') if eq else None
        if key in seen:
            return None
        seen[key] = value
    response = [NAME, "server_no_context_takeover"]
    client_reset = False
    for key, value in seen.items():
        if key in ("server_no_context_takeover", "client_no_context_takeover"):
            if value is not None:
                return None
            client_reset = client_reset or key == "client_no_context_takeover"
        elif key == "server_max_window_bits":
            if _window_bits(value) != _SERVER_WINDOW_BITS:
                return None  # invalid, or a window smaller than the one the server uses
            response.append(f"server_max_window_bits={_SERVER_WINDOW_BITS}")
        elif key == "client_max_window_bits":
            if value is not None and _window_bits(value) is None:
                return None
        else:
            return None
    if client_reset:
        response.append("client_no_context_takeover")
    return Agreement("; ".join(response).encode("latin-1"), client_reset)


def _window_bits(value: str | None) -> int | None:
    """A window-bits value (RFC 7692 7.1.2: 8 to 15, digits only), else ``None``."""
    if value is None or not value.isdigit() or len(value) > 2:
        return None
    bits = int(value)
    return bits if 8 <= bits <= 15 else None
