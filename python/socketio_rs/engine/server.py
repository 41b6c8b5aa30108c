"""``EngineServer``: python-engineio's asyncio server, corrected where it
differs from the Engine.IO v4 specification, plus the fast paths the Socket.IO
layer uses.

This package is the only one that touches python-engineio's internals; the
Socket.IO server relies on the public python-engineio API and on
:meth:`EngineServer.enqueue` and :meth:`EngineServer.broadcast`. When set,
:attr:`EngineServer.observer` (the Admin UI) is told about sessions, HTTP and
WebSocket traffic, heartbeats and upgrades.

The corrections (the numbers are checks of the public Socket.IO v5 protocol
test-suite, reference section 6.3, which python-engineio alone fails):

- the OPEN packet advertises the ping interval in exact milliseconds
  (python-engineio truncates it to whole seconds first, so 300 ms became 0;
  #1, #5), and offers no upgrade when the websocket transport is disabled;
- a missing or unknown ``transport``, a WebSocket request for another
  transport, and any method other than GET, POST or OPTIONS get HTTP 400
  (python-engineio defaults the transport to polling and answers 405 to
  other methods; #3, #4, #7);
- a session whose PONG is overdue is closed when the ping timeout expires,
  not whenever the monitoring task next passes by, and a pending GET gets
  the CLOSE packet (#9, #11);
- a CLOSE packet received over polling answers the pending GET with a NOOP,
  as the reference server does, instead of leaving it hanging until the poll
  times out (#12); a closed WebSocket session closes its WebSocket at once;
- during a WebSocket upgrade, polling goes on as the reference server does
  it: a GET gets the packets queued meanwhile as they come (python-engineio
  answers it with a NOOP and holds them for the WebSocket); once the probe
  is answered, a GET with nothing to send is answered with a NOOP every
  100 ms, the reference server's check interval, so that the client can
  pause polling and send its UPGRADE packet; a GET still pending when the
  upgrade completes gets a NOOP, or a 400 when it came after the probe was
  answered (it races the UPGRADE packet, #15); a second WebSocket for a
  session that has one, or is probing one, is accepted and closed at once,
  as the reference server does (#16); a probe WebSocket that ends early no
  longer leaves the session "upgrading" for good;
- ``disconnect()`` of a polling session waits at most one polling cycle for
  the client to fetch the CLOSE packet, not for ever.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import inspect
import json
import os
import sys
import urllib.parse
from collections.abc import Iterable
from typing import Any, Callable

import engineio
from engineio import exceptions as eio_exceptions
from engineio import packet as eio_packet

from .. import _core
from ..wsserver import WebSocketProtocol
from . import hooks as engine_hooks
from . import refusals
from .direct import Lane, Nowait
from .eio3 import EngineSocketV3
from .environ import http_environ, websocket_environ
from .hooks import EngineHooks
from .observer import EngineObserver
from .polling import TOO_LARGE, Body, read_within
from .socket import EngineSocket, _is_upgrade_request
from .websocket import ws_frames, ws_payload

_ws_messages = _core.ws_messages

#: The refusal answered by accepting the WebSocket and closing it at once.
_SECOND_WEBSOCKET = "Session already has a WebSocket"
#: The reference server's message for a handshake in a protocol it does not serve.
_UNSUPPORTED_VERSION = "Unsupported protocol version"


def parse_query(query_string: str) -> dict[str, list[str]]:
    """``urllib.parse.parse_qs(query_string)``, taken apart directly when nothing in it is
    escaped (no ``%`` or ``+``), as in every Engine.IO client's request: ``parse_qs``
    unquotes each name and value through several Python calls."""
    if "%" in query_string or "+" in query_string:
        return urllib.parse.parse_qs(query_string)
    query: dict[str, list[str]] = {}
    for field in query_string.split("&"):
        name, _, value = field.partition("=")
        if value:  # parse_qs drops a field without "=" or with an empty value
            values = query.get(name)
            if values is None:
                query[name] = [value]
            else:
                values.append(value)
    return query


def _handshake_protocol(query: dict[str, list[str]]) -> int:
    """The Engine.IO protocol a handshake asks for: 4, or 3 for any other ``EIO`` (as the
    reference server counts it); 0 for a request within a session. ``query``: the request's
    parsed query string."""
    if "sid" in query:
        return 0
    return 4 if query.get("EIO") == ["4"] else 3


def _is_coroutine_function(handler: Callable[..., Any]) -> bool:
    """``inspect.iscoroutinefunction``, remembered for the few handlers a server has."""
    try:
        return _remembered_coroutine_function(handler)
    except TypeError:  # an unhashable callable
        return inspect.iscoroutinefunction(handler)


_remembered_coroutine_function = functools.lru_cache(maxsize=64)(inspect.iscoroutinefunction)


def _unsupported_version() -> dict[str, Any]:
    """The reference server's answer to a polling handshake in an unserved protocol."""
    return {
        "status": "400 BAD REQUEST",
        "headers": [("Content-Type", "application/json")],
        "response": b'{"code":5,"message":"Unsupported protocol version"}',
    }


async def _refuse_upgrade(environ: dict[str, Any], message: str) -> None:
    """Refuse a WebSocket handshake with HTTP 400 and ``message`` as the body, as the
    reference server writes it, where the ASGI server can send an HTTP response to a
    WebSocket request; else close it before accepting."""
    send = environ["asgi.send"]
    scope = environ["asgi.scope"]
    if "websocket.http.response" in scope.get("extensions", {}):
        headers = [(b"content-type", b"text/html"), (b"connection", b"close")]
        await send({"type": "websocket.http.response.start", "status": 400, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": message.encode()})
    else:
        await send({"type": "websocket.close", "reason": message})


#: The key of the driver's ``translate_request`` in an ``EngineServer``'s ``_async`` table.
_TRANSLATE = "socketio_rs.translate_request"


def _already_translated(environ: dict[str, Any]) -> dict[str, Any]:
    """Request translator for ``AsyncServer.handle_request``: the environ is already built."""
    return environ


async def _close_websocket(ws: Any) -> None:
    await ws.close()


#: The default of ``max_write_buffer_size``: bytes waiting for one client before it is cut off.
DEFAULT_MAX_WRITE_BUFFER_SIZE = 16 * 1024 * 1024


class EngineReason(engineio.AsyncServer.reason):
    """python-engineio's disconnect reasons, and the one of a client cut off for not reading."""

    #: More than ``max_write_buffer_size`` bytes waited for the client: it does not read them
    #: (or not as fast as they are sent), and its connection was closed to free them.
    BUFFER_FULL = "write buffer full"


class EngineServer(engineio.AsyncServer):
    """python-engineio's ``AsyncServer`` with spec corrections and fast paths.

    Takes every ``engineio.AsyncServer`` option, and ``max_write_buffer_size``: how many bytes
    may wait for one client before its connection is closed (``reason.BUFFER_FULL``); 16 MiB
    by default, ``None`` for no limit. With ``monitor_clients=False`` a session whose PONG is
    overdue is only closed when something is next sent to it, as in python-engineio.
    """

    reason = EngineReason

    # Attributes python-engineio sets without annotations, typed for mypy.
    start_service_task: bool
    sequence_number: int
    _async: dict[str, Any]

    def __init__(self, *args: Any, allow_eio3: bool = False, **kwargs: Any) -> None:
        limit = kwargs.pop("max_write_buffer_size", DEFAULT_MAX_WRITE_BUFFER_SIZE)
        if limit is None:
            limit = sys.maxsize
        elif not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
            raise ValueError(
                f"max_write_buffer_size={limit!r}: a positive number of bytes, or None"
            )
        allow_request = kwargs.pop("allow_request", None)
        super().__init__(*args, **kwargs)
        #: ``allow_request`` and the ``connection_error``/``initial_headers``/``headers`` events.
        self.hooks = EngineHooks(allow_request, self.logger)
        #: Bytes that may wait for one client before its connection is closed.
        self.max_write_buffer_size: int = limit
        #: Whether Engine.IO v3 clients (socket.io-client 2.x) are served beside v4 ones.
        self.allow_eio3 = bool(allow_eio3)
        #: The outbox of every session on a direct WebSocket without compression, by sid
        #: (``EngineSocket`` keeps it): broadcasts and one-session writes go straight to it.
        self.outboxes: dict[str, _core.WsOutbox] = {}
        #: The ``message`` handler registered with :meth:`on_message`, and its first step.
        self._message: tuple[Any, Nowait, Lane | None] | None = None
        #: Whether overdue PONGs close the session on time (python-engineio's monitor_clients).
        self.monitors_clients = bool(self.start_service_task)
        #: Told about sessions and traffic when set (the Admin UI); one check per hook point.
        self.observer: EngineObserver | None = None
        # handle_request() translates the request itself, to check it against the
        # specification before python-engineio sees it; the base class then receives the
        # finished environ. A per-instance copy: the driver's table is shared by every server;
        # the driver's own translation stays in it under a key of ours (an attribute would be
        # the 30th, see tests/test_object_layout.py).
        self._async = {
            **self._async,
            "translate_request": _already_translated,
            _TRANSLATE: self._async["translate_request"],
        }

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        """Handle an HTTP or WebSocket request; the arguments are the web framework's."""
        kind = args[0].get("type") if self.async_mode == "asgi" and args else None
        if kind == "websocket":
            environ = await websocket_environ(*args)
            if environ and self.hooks.adds_headers:
                await self._websocket_headers(environ)
        elif kind == "http":
            environ = http_environ(*args)
        else:
            environ = self._async[_TRANSLATE](*args, **kwargs)
            if inspect.isawaitable(environ):
                environ = await environ
        if environ:  # the ASGI driver returns {} for a request that ended before it began
            # Parsed once here for every check and the handshake (python-engineio parses it in
            # its handle_request, which a handshake no longer goes through).
            query = parse_query(environ.get("QUERY_STRING", ""))
            error = await self._check_request(environ, query)
            if error == _SECOND_WEBSOCKET:
                return await self._accept_and_close(environ)
            hooks = self.hooks
            if hooks.allow_request is not None or hooks.listening("connection_error"):
                refusal = await self._verify(environ, query, error is not None)
                if refusal is not None:
                    return await self._make_response(refusal, environ)
            if error is not None:
                self._log_error_once(error, "spec-" + error)
                return await self._make_response(self._bad_request(error), environ)
            method = environ.get("REQUEST_METHOD")
            if method == "POST" and not await self._read_post(environ, query):
                if hooks.listening("connection_error"):
                    context = {"name": "PAYLOAD_TOO_LARGE", "limit": self.max_http_buffer_size}
                    await hooks.refused(environ, engine_hooks.BAD_REQUEST, context)
                return await self._make_response(TOO_LARGE, environ)
            protocol = _handshake_protocol(query)
            if protocol == 3:
                return await self._handshake_v3(environ, query)
            if protocol == 4 and method == "GET":
                return await self._handshake_v4(environ, query)
        return await super().handle_request(environ)

    async def _handshake_v4(self, environ: dict[str, Any], query: dict[str, list[str]]) -> Any:
        """An Engine.IO v4 handshake (a GET without ``sid`` asking for ``EIO=4``), answered
        as python-engineio's ``handle_request`` answers it, step for step, from the query
        parsed once: the transport and the version were checked on the way here."""
        if self._origin_refused(environ):
            return await self._refuse_origin(environ)
        jsonp_index = None
        if "j" in query:
            with contextlib.suppress(ValueError, KeyError, IndexError):
                jsonp_index = int(query["j"][0])
        transport = query.get("transport", ["polling"])[0]
        upgrade = environ.get("HTTP_UPGRADE")
        if "j" in query and jsonp_index is None:
            self._log_error_once("Invalid JSONP index number", "bad-jsonp-index")
            response = self._bad_request("Invalid JSONP index number")
        elif transport == "polling" or (
            transport == "websocket" and upgrade is not None and upgrade.lower() == "websocket"
        ):
            response = await self._handle_connect(environ, transport, jsonp_index, query=query)
        else:
            self._log_error_once("Invalid websocket upgrade", "bad-upgrade")
            response = self._bad_request("Invalid websocket upgrade")
        if not isinstance(response, dict):
            return response
        if self.http_compression and len(response["response"]) >= self.compression_threshold:
            encodings = [
                e.split(";")[0].strip() for e in environ.get("HTTP_ACCEPT_ENCODING", "").split(",")
            ]
            for encoding in encodings:
                if encoding in self.compression_methods:
                    response["response"] = getattr(self, "_" + encoding)(response["response"])
                    response["headers"] += [("Content-Encoding", encoding)]
                    break
        return await self._make_response(response, environ)

    async def _refuse_origin(self, environ: dict[str, Any]) -> Any:
        """python-engineio's answer to a request whose ``Origin`` ``cors_allowed_origins``
        refuses (:meth:`_origin_refused`)."""
        message = environ["HTTP_ORIGIN"] + " is not an accepted origin."
        self._log_error_once(message, "bad-origin")
        return await self._make_response(self._bad_request(message), environ)

    async def _handshake_v3(self, environ: dict[str, Any], query: dict[str, list[str]]) -> Any:
        """A handshake that is not Engine.IO v4 (the reference server takes a missing or
        other ``EIO`` as 3): refused with the reference server's answer unless
        ``allow_eio3``, else opened as a v3 session."""
        if not self.allow_eio3:
            self._log_error_once(_UNSUPPORTED_VERSION, "bad-version")
            if _is_upgrade_request(environ) and "asgi.send" in environ:
                return await _refuse_upgrade(environ, _UNSUPPORTED_VERSION)
            return await self._make_response(_unsupported_version(), environ)
        if self._origin_refused(environ):
            return await self._refuse_origin(environ)
        if environ.get("REQUEST_METHOD") != "GET":
            return await self._make_response(self._bad_request("Bad handshake method"), environ)
        if "j" in query:
            # JSONP polling: python-engineio's JSONP framing is v4's.
            message = "JSONP polling is not available to Engine.IO v3 clients"
            return await self._make_response(self._bad_request(message), environ)
        transport = query["transport"][0]
        if transport == "websocket" and not _is_upgrade_request(environ):
            return await self._make_response(
                self._bad_request("Invalid websocket upgrade"), environ
            )
        response = await self._handle_connect(environ, transport, query=query)
        if isinstance(response, dict):
            return await self._make_response(response, environ)
        return response

    def on_message(self, handler: Any, nowait: Nowait, lane: Lane | None = None) -> None:
        """Register ``handler`` for the ``message`` event with ``nowait(sid, data)``, which
        takes a message as far as it can without awaiting and returns what is left to await
        (or ``None``): a WebSocket message then costs no coroutine unless it has to wait.
        ``lane``, when given, takes the plain events of a direct WebSocket's read before
        ``nowait`` (``_core.EventLane``, see ``direct.py``)."""
        self.on("message", handler)
        self._message = (handler, nowait, lane)

    def message_steps(self) -> tuple[Nowait, Lane | None] | None:
        """The first step of the ``message`` handler and its lane, when it is still the
        one :meth:`on_message` registered."""
        registered = self._message
        if registered is None or self.handlers.get("message") != registered[0]:
            return None
        return registered[1], registered[2]

    def on(self, event: str, handler: Any = None) -> Any:
        """python-engineio's ``on``, plus the reference server's ``connection_error``,
        ``initial_headers`` and ``headers`` events (``hooks.py``)."""
        if event not in engine_hooks.EVENTS:
            return super().on(event, handler)

        def set_handler(fn: Any) -> Any:
            self.hooks.on(event, fn)
            return fn

        return set_handler if handler is None else set_handler(handler)

    async def _verify(
        self, environ: dict[str, Any], query: dict[str, list[str]], refused: bool
    ) -> dict[str, Any] | None:
        """Tell the ``connection_error`` listeners why a request is refused, with the
        reference server's code, message and context (``refusals.py``), and ask
        ``allow_request`` about a handshake nothing else refuses. Returns the answer to
        a handshake ``allow_request`` refused (403), else ``None``: the other refusals
        are answered by the caller or python-engineio. ``refused``: whether
        ``_check_request`` already refused the request."""
        hooks = self.hooks
        refusal = refusals.verify(
            environ,
            query,
            transports=self.transports,
            sessions=self.sockets,
            origin_refused=self._origin_refused(environ),
        )
        if refusal is None and refused:
            refusal = refusals.Refusal(engine_hooks.BAD_REQUEST)  # no finer reason known
        answer = None
        if refusal is None and "sid" not in query and environ.get("REQUEST_METHOD") == "GET":
            message = await hooks.allowed(environ)
            if message is not None:
                refusal = refusals.Refusal(engine_hooks.FORBIDDEN, {"message": message})
                body = json.dumps({"code": engine_hooks.FORBIDDEN, "message": message})
                answer = {
                    "status": "403 FORBIDDEN",
                    "headers": [("Content-Type", "application/json")],
                    "response": body.encode(),
                }
            else:
                protocol = _handshake_protocol(query)
                refusal = refusals.handshake(query, protocol, self.allow_eio3)
        if refusal is not None:
            await hooks.refused(environ, refusal.code, refusal.context)
        return answer

    def _origin_refused(self, environ: dict[str, Any]) -> bool:
        """Whether ``cors_allowed_origins`` refuses the request's ``Origin``."""
        origin = environ.get("HTTP_ORIGIN")
        if not origin or self.cors_allowed_origins == []:
            return False
        allowed = self._cors_allowed_origins(environ)
        return allowed is not None and origin not in allowed

    async def _websocket_headers(self, environ: dict[str, Any]) -> None:
        """The header events' headers on the WebSocket handshake's 101 answer: python-engineio
        accepts with no headers, so they are handed to ``serve()``'s protocol, or added to the
        ``websocket.accept`` message under another ASGI server."""
        initial = "sid=" not in environ.get("QUERY_STRING", "")
        added = [
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in await self.hooks.headers(environ, initial)
        ]
        if not added:
            return
        protocol = environ["asgi.scope"].get("extensions", {}).get("socketio_rs.websocket")
        if isinstance(protocol, WebSocketProtocol):
            protocol.add_accept_headers(added)  # the send stays the protocol's own (direct path)
            return
        send = environ["asgi.send"]

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.accept":
                message = {**message, "headers": [*message.get("headers", ()), *added]}
            await send(message)

        environ["asgi.send"] = send_with_headers

    async def _make_response(self, response_dict: dict[str, Any], environ: dict[str, Any]) -> Any:
        """python-engineio's, with the headers of the ``initial_headers``/``headers`` listeners
        on every successful polling answer."""
        hooks = self.hooks
        if hooks.adds_headers and response_dict["status"].startswith("200"):
            scope = environ.get("asgi.scope")
            if scope is None or scope.get("type") == "http":
                initial = "sid=" not in environ.get("QUERY_STRING", "")
                added = await hooks.headers(environ, initial)
                if added:
                    response_dict = {**response_dict, "headers": response_dict["headers"] + added}
        return await super()._make_response(response_dict, environ)

    async def _read_post(self, environ: dict[str, Any], query: dict[str, list[str]]) -> bool:
        """Read a polling POST's body within ``max_http_buffer_size`` for python-engineio;
        ``False`` (and the session closed, without waiting for the client) when it is over."""
        sid = query.get("sid", [None])[0]
        socket = self.sockets.get(sid) if sid is not None else None
        if socket is None or not socket.connected or socket.upgraded:
            return True  # python-engineio refuses the POST itself
        body = await read_within(environ, self.max_http_buffer_size)
        if body is None:
            self.logger.info("%s: polling POST over max_http_buffer_size, answered 413", sid)
            await socket.close(wait=False, reason=self.reason.TRANSPORT_ERROR)
            self.sockets.pop(sid, None)
            return False
        environ["wsgi.input"] = Body(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return True

    async def _check_request(
        self, environ: dict[str, Any], query: dict[str, list[str]]
    ) -> str | None:
        """Why to refuse a request that python-engineio would wrongly accept, or ``None``."""
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS":
            return None  # a CORS preflight carries no Engine.IO request; python-engineio answers
        transport = query.get("transport", [None])[0]
        if transport not in self.transports:
            return "Invalid transport"
        if method not in ("GET", "POST"):
            return "Invalid request method"
        upgrade = _is_upgrade_request(environ)
        if upgrade and transport != "websocket":
            # python-engineio would answer a polling handshake to a WebSocket request and leave
            # the session it opened to time out.
            return "Invalid transport"
        sid = query.get("sid", [None])[0]
        socket = self.sockets.get(sid) if sid is not None else None
        if socket is not None and socket.closed and method == "POST":
            # python-engineio answers a GET for a closed session with 400, but fails a POST
            # with an exception (500).
            return "Session is disconnected"
        if socket is None or socket.closing or socket.closed:
            return None  # python-engineio refuses unknown and closed sessions itself
        if not await socket.check_ping_timeout():
            return None  # just closed, so refused as closed (conformance #9)
        if upgrade and (socket.upgrading or socket.upgraded):
            # A second WebSocket for the session (conformance #16). python-engineio would
            # answer 400 once upgraded (the reference server accepts, then closes) and start a
            # second upgrade, waiting forever for its probe, while upgrading.
            return _SECOND_WEBSOCKET
        return None

    async def _accept_and_close(self, environ: dict[str, Any]) -> Any:
        """Complete a WebSocket handshake only to close the WebSocket at once."""
        websocket_class = self._async["websocket"]
        if websocket_class is None:
            return await self._make_response(self._bad_request(), environ)
        self.logger.info("Closing a WebSocket for a session that already has one")
        return await websocket_class(_close_websocket, self)(environ)

    async def _handle_connect(
        self,
        environ: dict[str, Any],
        transport: str,
        jsonp_index: int | None = None,
        *,
        query: dict[str, list[str]] | None = None,
    ) -> Any:
        """Open a session: python-engineio's handshake with our socket class and OPEN values.
        ``query``: the request's parsed query string, when the caller has it."""
        if query is None:
            query = parse_query(environ.get("QUERY_STRING", ""))
        if self.start_service_task:
            # The monitoring task also drops closed sessions from ``sockets``.
            self.start_service_task = False
            self.service_task_handle = self.start_background_task(self._service_task)
        sid: str = self.generate_id()
        socket: EngineSocket
        if _handshake_protocol(query) == 3:
            socket = EngineSocketV3(self, sid, "b64" in query)
        else:
            socket = EngineSocket(self, sid)
        self.sockets[sid] = socket
        socket.send_open(self._handshake(sid, transport))
        if self.observer is not None:
            self.observer.eio_connected(sid)
        accepted = await self._connect_event(sid, environ)
        if accepted is not None and accepted is not True:
            self.sockets.pop(sid, None)
            self.logger.warning("Application rejected connection")
            return self._unauthorized(accepted or None)
        socket.schedule_ping()
        if transport == "websocket":
            response = await socket.handle_get_request(environ)
            if socket.closed:
                self.sockets.pop(sid, None)
            return response
        socket.connected = True
        try:
            packets = await socket.poll()
        except eio_exceptions.QueueEmpty:
            return self._bad_request()
        if isinstance(socket, EngineSocketV3):
            return socket.polling_response(packets, self._cookie_headers(sid))
        return self._ok(packets, headers=self._cookie_headers(sid), jsonp_index=jsonp_index)

    def _ok(
        self, packets: Any = None, headers: Any = None, jsonp_index: int | None = None
    ) -> dict[str, Any]:
        """A 200 response (a polling GET's packets, or a POST's ``OK``)."""
        response: dict[str, Any] = super()._ok(packets, headers=headers, jsonp_index=jsonp_index)
        if self.observer is not None:
            self.observer.sent(len(response["response"]))
        return response

    def generate_id(self) -> str:
        """A new session id, python-engineio's (12 random bytes and a 3-byte sequence number
        in URL-safe base64) in one encoding step, where it encodes and replaces twice."""
        sid = base64.urlsafe_b64encode(os.urandom(12) + self.sequence_number.to_bytes(3, "big"))
        self.sequence_number = (self.sequence_number + 1) & 0xFFFFFF
        return sid.decode()

    async def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
        """python-engineio's, for a coroutine handler awaited in place (a session's
        ``disconnect``), without the two closures and the coroutine it adds per call."""
        handler = self.handlers.get(event)
        if handler is None or kwargs.get("run_async") or not _is_coroutine_function(handler):
            return await super()._trigger_event(event, *args, **kwargs)
        try:
            try:
                return await handler(*args)
            except TypeError:
                if event == "disconnect" and len(args) == 2:
                    # a disconnect handler without the reason argument (python-engineio's rule)
                    return await handler(args[0])
                raise
        except asyncio.CancelledError:
            return None
        except BaseException:  # python-engineio's bare except
            self.logger.exception(event + " async handler error")
            return False if event == "connect" else None

    async def _connect_event(self, sid: str, environ: dict[str, Any]) -> Any:
        """The ``connect`` handler's verdict, as python-engineio's ``_trigger_event`` gives it
        (an exception rejects; a cancellation counts as no verdict), without the two closures
        it builds per call."""
        handler = self.handlers.get("connect")
        if handler is None:
            return None
        try:
            verdict = handler(sid, environ)
            if verdict is not None and inspect.isawaitable(verdict):
                verdict = await verdict
        except asyncio.CancelledError:
            return None
        except Exception:
            self.logger.exception("connect handler error")
            return False
        return verdict

    def _handshake(self, sid: str, transport: str) -> dict[str, Any]:
        """The OPEN packet's payload."""
        interval = self.ping_interval + self.ping_interval_grace_period
        # python-engineio offers the upgrade even when the websocket transport is disabled.
        upgrades = self._upgrades(sid, transport) if "websocket" in self.transports else []
        return {
            "sid": sid,
            "upgrades": upgrades,
            # round(), not int(): 1.001 * 1000 is 1000.9999999999999.
            "pingInterval": round(interval * 1000),
            "pingTimeout": round(self.ping_timeout * 1000),
            "maxPayload": self.max_http_buffer_size,
        }

    def _cookie_headers(self, sid: str) -> list[tuple[str, str]] | None:
        """The ``Set-Cookie`` header for the ``cookie`` option, if set."""
        if not self.cookie:
            return None
        attributes = (
            self.cookie
            if isinstance(self.cookie, dict)
            else {"name": self.cookie, "path": "/", "SameSite": "Lax"}
        )
        return [("Set-Cookie", self._generate_sid_cookie(sid, attributes))]

    def protocol(self, sid: str) -> int:
        """The Engine.IO protocol revision of session ``sid`` (3 or 4; 4 when it is gone)."""
        socket: Any = self.sockets.get(sid)
        return 4 if socket is None else int(socket.protocol)

    def session_of(self, sid: str) -> dict[str, Any] | None:
        """The user session of ``sid`` while its socket exists, closing or not
        (python-engineio's ``get_session`` refuses, and forgets, a closed one)."""
        socket: Any = self.sockets.get(sid)
        return None if socket is None else socket.session

    def enqueue(self, sid: str, pkt: eio_packet.Packet, compress: bool = True) -> bool:
        """Queue an already built Engine.IO packet for ``sid`` without awaiting.

        Returns ``False`` when the session is gone or closed. The outgoing
        queue is unbounded, so this never blocks; it lets a broadcast hand the
        same encoded packet to every recipient without a task per recipient.
        ``compress=False`` sends it uncompressed on a WebSocket of ``serve()`` that
        negotiated ``permessage-deflate`` (elsewhere it is a hint without effect).
        """
        socket: Any = self.sockets.get(sid)
        if socket is None or socket.closed or socket.closing:
            return False
        socket.send_nowait(pkt, compress)
        return True

    def send_messages(self, sid: str, messages: list[str | bytes], compress: bool = True) -> None:
        """Send Engine.IO MESSAGE packets of ``messages`` (an encoded Socket.IO packet) to
        ``sid`` without awaiting, as :meth:`enqueue` does: framed in one step for a direct
        Engine.IO v4 WebSocket without compression, else as packets. Nothing happens when
        the session is gone."""
        outbox = self.outboxes.get(sid)
        if outbox is not None:
            outbox.write(_ws_messages(messages))
            return
        socket: Any = self.sockets.get(sid)
        if socket is None or socket.closed or socket.closing:
            return
        for message in messages:
            socket.send_nowait(eio_packet.Packet(eio_packet.MESSAGE, message), compress)

    def direct_writer(self, sid: str) -> Callable[[bytes], bool] | None:
        """Where :meth:`send_messages` writes ``sid``'s messages framed (``_core.ws_messages``,
        ``_core.ws_packet``): the writer of a direct Engine.IO v4 WebSocket without
        compression, else ``None`` (then :meth:`send_messages`, which also drops what a
        closed or closing session is sent)."""
        outbox = self.outboxes.get(sid)
        return None if outbox is None else outbox.write

    def writable(self, sid: str) -> bool:
        """Whether a packet sent to ``sid`` now leaves at once (``EngineSocket.writable``)."""
        socket: Any = self.sockets.get(sid)
        return socket is not None and bool(socket.writable)

    def broadcast(
        self,
        sids: Iterable[str],
        pkts: list[eio_packet.Packet],
        volatile: bool = False,
        compress: bool = True,
    ) -> None:
        """Queue the same packets for every session in ``sids`` without awaiting.

        Sessions on a direct WebSocket (``socketio_rs.serve``) get the packets
        framed once for all of them, written to each socket in turn (compressed once
        for those that negotiated ``permessage-deflate``, unless ``compress`` is false);
        sessions on another server's WebSocket get each WebSocket message made once,
        handed to their writers. ``volatile`` packets skip the sessions whose transport
        is not ready to write.
        """
        framed: bytes | None = None
        if self.outboxes:  # the sessions on a direct WebSocket, in one Rust loop
            framed = ws_frames(pkts)
            sids = _core.broadcast_frames(self.outboxes, sids, framed, volatile)
            if not sids:
                return
        sockets = self.sockets
        shared: dict[Any, bytes] | None = None
        messages: list[str | bytes] | None = None
        for sid in sids:
            socket: Any = sockets.get(sid)
            if socket is None or socket.closed or socket.closing:
                continue
            if volatile and not socket.writable:
                continue
            write = socket.direct_frames
            if write is not None:
                if socket.own_framing:  # v3, or compressed: see EngineSocket.broadcast_frames
                    if shared is None:
                        shared = {}
                    write(socket.broadcast_frames(pkts, compress, shared))
                    continue
                if framed is None:
                    framed = ws_frames(pkts)
                write(framed)
                continue
            writer = socket.ws_writer
            if writer is not None:  # another server's WebSocket: each message made once
                if messages is None:
                    messages = [ws_payload(pkt) for pkt in pkts]
                if len(pkts) == 1:
                    writer.write(pkts[0], messages[0])
                else:
                    for pkt, message in zip(pkts, messages):
                        writer.write(pkt, message)
            else:
                queue = socket.queue
                for pkt in pkts:
                    queue.put_nowait(pkt)
