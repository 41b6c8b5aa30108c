"""The options ``AsyncServer`` and ``serve()`` accept, and the refusal of any other.

python-socketio and python-engineio take unknown keyword arguments and ignore them,
so a configuration ported from the Node server (``pingInterval=10000``) or with a
typo runs on the defaults without a word. Here an unknown option is a ``TypeError``
that names the option meant: the snake_case name of a Node camelCase one, or the
closest known name.

``SERVER_OPTIONS`` and ``NOT_YET`` are the one place to add an option to (a feature
that implements one moves it from ``NOT_YET`` to ``SERVER_OPTIONS``).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: The keyword options of ``AsyncServer`` beyond its named parameters: python-engineio's
#: ``AsyncServer`` options, python-socketio's ``engineio_logger``, and socketio-rs's own.
SERVER_OPTIONS = frozenset(
    {
        # python-engineio
        "async_mode",
        "ping_interval",
        "ping_timeout",
        "max_http_buffer_size",
        "allow_upgrades",
        "http_compression",
        "compression_threshold",
        "cookie",
        "cors_allowed_origins",
        "cors_credentials",
        "logger",
        "json",
        "async_handlers",
        "monitor_clients",
        "transports",
        # python-socketio
        "engineio_logger",
        # socketio-rs
        "connect_timeout",
        "cleanup_empty_child_namespaces",
        "max_write_buffer_size",
        "allow_request",
        "connection_state_recovery",
    }
)

#: Options of the reference server that are not supported yet, and what to do meanwhile.
NOT_YET: dict[str, str] = {}

#: Node option names whose snake_case spelling is not the python-socketio name.
_NODE_NAMES = {
    "allowEIO3": "allow_eio3",
    "cors": "cors_allowed_origins",
    "adapter": "client_manager",
    "parser": "serializer",
}
#: Node options that another object takes here (by the snake_case name).
_ELSEWHERE = {
    "path": "ASGIApp(sio, socketio_path=...)",
    "per_message_deflate": "socketio_rs.serve(app, per_message_deflate=...)",
}


def snake_case(name: str) -> str:
    """``pingInterval`` -> ``ping_interval``."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def check_options(
    where: str, given: Mapping[str, Any], known: Iterable[str], not_yet: Mapping[str, str]
) -> None:
    """Raise ``TypeError`` for the first option in ``given`` that ``where`` does not take."""
    known = frozenset(known)
    for name in given:
        if name in known:
            continue
        meant = _NODE_NAMES.get(name) or snake_case(name)
        if meant in not_yet:
            raise TypeError(f"{where}: option {name!r} is not supported yet: {not_yet[meant]}")
        if meant != name and meant in known:
            raise TypeError(
                f"{where} got an unknown option {name!r}: did you mean {meant!r}? "
                "(options are spelled in snake_case here)"
            )
        if meant in _ELSEWHERE:
            raise TypeError(f"{where} got an unknown option {name!r}: use {_ELSEWHERE[meant]}")
        close = difflib.get_close_matches(meant, sorted(known), n=1, cutoff=0.75)
        hint = f": did you mean {close[0]!r}?" if close else ""
        raise TypeError(f"{where} got an unknown option {name!r}{hint}")
