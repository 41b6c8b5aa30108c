"""What an operator can hook into the Engine.IO layer, as the reference server's
``io.engine`` offers it: ``allow_request`` (accept or refuse a handshake from its
request, before any session exists), the ``connection_error`` event (why a request
was refused), and the ``initial_headers`` / ``headers`` events (headers added to the
handshake's answer, polling or WebSocket, and to every polling answer, e.g. a cookie).
"""

from __future__ import annotations

import inspect
import logging
from dataclasses import dataclass, field
from typing import Any, Callable

from .. import exceptions

#: The reference server's error codes (``Server.errors``) and messages.
UNKNOWN_TRANSPORT, UNKNOWN_SID, BAD_HANDSHAKE_METHOD, BAD_REQUEST, FORBIDDEN = 0, 1, 2, 3, 4
UNSUPPORTED_PROTOCOL_VERSION = 5
MESSAGES = {
    UNKNOWN_TRANSPORT: "Transport unknown",
    UNKNOWN_SID: "Session ID unknown",
    BAD_HANDSHAKE_METHOD: "Bad handshake method",
    BAD_REQUEST: "Bad request",
    FORBIDDEN: "Forbidden",
    UNSUPPORTED_PROTOCOL_VERSION: "Unsupported protocol version",
}
EVENTS = ("connection_error", "initial_headers", "headers")


@dataclass(frozen=True)
class EngineError:
    """Why a request was refused: the reference server's ``connection_error`` argument."""

    #: One of the reference server's codes (0 to 5).
    code: int
    message: str
    #: The request's environ (``environ["asgi.scope"]`` under ASGI).
    environ: dict[str, Any] = field(repr=False)
    #: More about the refusal, as the reference server gives it, e.g. ``{"sid": ...}``
    #: or ``{"name": "TRANSPORT_MISMATCH", ...}``.
    context: dict[str, Any] = field(default_factory=dict)


class EngineHooks:
    """The listeners of the Engine.IO events above, and the ``allow_request`` check."""

    def __init__(self, allow_request: Callable[..., Any] | None, logger: logging.Logger) -> None:
        if allow_request is not None and not callable(allow_request):
            raise TypeError(f"allow_request={allow_request!r}: a function of the environ")
        self.allow_request = allow_request
        self._logger = logger
        self._listeners: dict[str, list[Callable[..., Any]]] = {name: [] for name in EVENTS}
        #: Whether any header listener is registered: one check per response otherwise.
        self.adds_headers = False

    def on(self, event: str, handler: Callable[..., Any]) -> None:
        self._listeners[event].append(handler)
        self.adds_headers = bool(self._listeners["initial_headers"] or self._listeners["headers"])

    def listening(self, event: str) -> bool:
        return bool(self._listeners[event])

    async def allowed(self, environ: dict[str, Any]) -> str | None:
        """``None`` when ``allow_request`` accepts the handshake, else the refusal's message.

        It returns whether to accept (a coroutine function may be given); raising
        ``socketio_rs.exceptions.ConnectionRefusedError("why")`` refuses with that message.
        """
        check = self.allow_request
        if check is None:
            return None
        try:
            verdict = check(environ)
            if inspect.isawaitable(verdict):
                verdict = await verdict
        except (exceptions.ConnectionRefusedError, ConnectionRefusedError) as exc:
            return str(exc.args[0]) if exc.args else MESSAGES[FORBIDDEN]
        except Exception:
            self._logger.exception("allow_request error")
            return MESSAGES[FORBIDDEN]
        return None if verdict else MESSAGES[FORBIDDEN]

    async def refused(
        self, environ: dict[str, Any], code: int, context: dict[str, Any] | None = None
    ) -> None:
        """Tell the ``connection_error`` listeners: the message is the code's, as in the
        reference server (``allow_request``'s own message is ``context["message"]``)."""
        error = EngineError(code, MESSAGES[code], environ, context or {})
        for fn in self._listeners["connection_error"]:
            await self._call(fn, error)

    async def headers(self, environ: dict[str, Any], initial: bool) -> list[tuple[str, str]]:
        """The headers the listeners add to a response (``initial``: the handshake's)."""
        headers: dict[str, Any] = {}
        for event in ("initial_headers", "headers") if initial else ("headers",):
            for fn in self._listeners[event]:
                await self._call(fn, headers, environ)
        fields = []
        for name, value in headers.items():
            for one in value if isinstance(value, (list, tuple)) else [value]:
                fields.append((str(name), str(one)))
        return fields

    async def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        try:
            result = fn(*args)
            if inspect.isawaitable(result):
                await result
        except Exception:
            self._logger.exception("%s listener error", getattr(fn, "__name__", fn))
