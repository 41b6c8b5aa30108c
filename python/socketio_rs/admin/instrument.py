"""The Socket.IO Admin UI (https://admin.socket.io): what ``AsyncServer.instrument()`` returns.

It speaks what python-socketio's ``socketio.async_admin`` sends to the admin namespace, so the
official Admin UI (socket.io-admin-ui) works against this server. python-socketio gathers its
figures by monkey-patching private methods of the server, the manager and python-engineio's
socket class (process-wide); here the server, the manager and the Engine.IO layer call this
object through explicit hook points instead, and only while it is installed:

- the server's connect flow and dispatcher (development mode only): Socket.IO connections,
  disconnections and received events;
- ``AsyncManager.observer`` (development mode only): rooms joined and left, events sent;
- ``EngineServer.observer`` (both modes): Engine.IO connections and disconnections, HTTP and
  WebSocket traffic, heartbeats and upgrades.

Setting ``AsyncServer.instrumentation`` installs these hooks and clearing it removes them.
"""

from __future__ import annotations

import asyncio
import collections
import inspect
import os
import socket
import time
from collections.abc import Awaitable
from datetime import datetime, timezone
from typing import Any, Callable, Protocol, Union
from urllib.parse import parse_qs

from .. import _eager
from ..exceptions import ConnectionRefusedError
from ..managers import AsyncManager

HOSTNAME = socket.gethostname()
PID = os.getpid()

#: What ``auth`` may be: the expected credentials, a list of them, a check, or ``False``.
Auth = Union[dict[str, Any], list[dict[str, Any]], Callable[[Any], Any], bool]


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).isoformat()


class EventBuffer:
    """Counters of Engine.IO activity per second, as the Admin UI's ``aggregatedEvents``."""

    def __init__(self) -> None:
        self.buffer: dict[str, dict[str, Any]] = {}

    def push(self, type: str, count: int = 1) -> None:
        """Add ``count`` to the counter of ``type`` for the current second."""
        timestamp = int(time.time()) * 1000
        key = f"{timestamp};{type}"
        entry = self.buffer.get(key)
        if entry is None:
            self.buffer[key] = {"timestamp": timestamp, "type": type, "count": count}
        else:
            entry["count"] += count

    def get_and_clear(self) -> list[dict[str, Any]]:
        """The counters gathered since the last call; the buffer starts empty again."""
        buffer, self.buffer = self.buffer, {}
        return list(buffer.values())


class AdminServer(Protocol):
    """The server, as the Admin UI instrumentation uses it (``AsyncServer`` meets it)."""

    manager: AsyncManager
    eio: Any
    logger: Any
    environ: dict[str, dict[str, Any]]
    handlers: dict[str, dict[Any, Callable[..., Any]]]
    namespace_handlers: dict[str, Any]
    #: The installed instrumentation; setting it installs or removes the hooks.
    instrumentation: Any

    def on(
        self, event: str, handler: Callable[..., Any] | None = None, namespace: str | None = None
    ) -> Any: ...

    async def emit(
        self, event: str, data: Any = None, to: Any = None, *, namespace: str | None = None
    ) -> None: ...

    async def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> None: ...

    async def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> None: ...

    async def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None: ...

    def start_background_task(
        self, target: Callable[..., Awaitable[Any]], *args: Any, **kwargs: Any
    ) -> asyncio.Task[Any]: ...

    async def sleep(self, seconds: float = 0) -> None: ...


class InstrumentedAsyncServer:
    """Reports a server's activity to the Socket.IO Admin UI on the admin namespace.

    Created by :meth:`socketio_rs.AsyncServer.instrument`, which documents the options. It
    starts its ``server_stats`` task with the first Engine.IO connection; :meth:`shutdown`
    (or the server's ``shutdown()``) stops it.
    """

    def __init__(
        self,
        sio: AdminServer,
        auth: Auth | None = None,
        namespace: str = "/admin",
        read_only: bool = False,
        server_id: str | None = None,
        mode: str = "development",
        server_stats_interval: float = 2,
    ) -> None:
        if auth is None:
            raise ValueError("auth must be specified")
        if auth is not False and not auth and not callable(auth):
            # python-socketio reads an empty dict or list as "no authentication", silently.
            raise ValueError(
                f"auth={auth!r} would let anyone into the Admin UI: give the expected "
                "credentials, a list of them or a check, or auth=False to turn "
                "authentication off (never on a production server)"
            )
        self.sio = sio
        self.auth = auth
        self.admin_namespace = namespace
        self.read_only = read_only
        self.server_id: str = server_id or str(getattr(sio.manager, "host_id", HOSTNAME))
        self.mode = mode
        self.server_stats_interval = server_stats_interval
        #: Room changes, sent after each ``server_stats`` (they happen mid-connect).
        self.admin_queue: collections.deque[tuple[str, tuple[Any, ...]]] = collections.deque()
        self.event_buffer = EventBuffer()
        self.stop_stats_event: asyncio.Event | None = None
        self.stats_task: asyncio.Task[Any] | None = None
        self._timestamps: dict[str, float] = {}  # sid -> connection time
        self.instrument()

    def instrument(self) -> None:
        """Register the admin namespace's handlers and install the hooks."""
        on = self.sio.on
        ns = self.admin_namespace
        on("connect", self.admin_connect, namespace=ns)
        if not self.read_only:
            on("emit", self.admin_emit, namespace=ns)
            on("join", self.admin_enter_room, namespace=ns)
            on("leave", self.admin_leave_room, namespace=ns)
            on("_disconnect", self.admin_disconnect, namespace=ns)
        self.sio.instrumentation = self

    def uninstrument(self) -> None:
        """Remove the hooks (the admin namespace's handlers stay registered)."""
        if self.sio.instrumentation is self:
            self.sio.instrumentation = None

    # -- the admin namespace ----------------------------------------------

    async def admin_connect(self, sid: str, environ: dict[str, Any], client_auth: Any) -> None:
        """Check the Admin UI's credentials, then send it ``config`` and ``all_sockets``."""
        if self.auth and not await self._authenticated(client_auth):
            raise ConnectionRefusedError("authentication failed")
        self.sio.start_background_task(self._send_config, sid)

    async def _authenticated(self, client_auth: Any) -> bool:
        auth = self.auth
        if isinstance(auth, dict):
            return bool(client_auth == auth)
        if isinstance(auth, list):
            return client_auth in auth
        if callable(auth):
            result = auth(client_auth)
            if inspect.isawaitable(result):
                result = await result
            return bool(result)
        return False

    async def _send_config(self, sid: str) -> None:
        await self.sio.sleep(0.1)  # after the CONNECT reply, as python-socketio does
        features = ["AGGREGATED_EVENTS"]
        if not self.read_only:
            features += ["EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"]
        if self.mode == "development":
            features.append("ALL_EVENTS")
        ns = self.admin_namespace
        await self.sio.emit("config", {"supportedFeatures": features}, to=sid, namespace=ns)
        if self.mode == "development":
            manager = self.sio.manager
            all_sockets = [
                self.serialize_socket(socket_sid, nsp, eio_sid)
                for nsp in list(manager.get_namespaces())
                for socket_sid, eio_sid in manager.get_participants(nsp, None)
            ]
            await self.sio.emit("all_sockets", all_sockets, to=sid, namespace=ns)

    async def admin_emit(
        self, _: str, namespace: str, room_filter: Any, event: str, *data: Any
    ) -> None:
        """The UI's ``emit`` action: emit ``event`` to a room filter of a namespace."""
        await self.sio.emit(event, data, to=room_filter, namespace=namespace)

    async def admin_enter_room(
        self, _: str, namespace: str, room: Any, room_filter: Any = None
    ) -> None:
        """The UI's ``join`` action: put the matching sockets in ``room``."""
        for sid, _eio_sid in list(self.sio.manager.get_participants(namespace, room_filter)):
            await self.sio.enter_room(sid, room, namespace=namespace)

    async def admin_leave_room(
        self, _: str, namespace: str, room: Any, room_filter: Any = None
    ) -> None:
        """The UI's ``leave`` action: take the matching sockets out of ``room``."""
        for sid, _eio_sid in list(self.sio.manager.get_participants(namespace, room_filter)):
            await self.sio.leave_room(sid, room, namespace=namespace)

    async def admin_disconnect(
        self, _: str, namespace: str, close: Any, room_filter: Any = None
    ) -> None:
        """The UI's ``_disconnect`` action: disconnect the matching sockets."""
        for sid, _eio_sid in list(self.sio.manager.get_participants(namespace, room_filter)):
            await self.sio.disconnect(sid, namespace=namespace)

    async def shutdown(self) -> None:
        """Stop the ``server_stats`` task."""
        task = self.stats_task
        if task is not None and self.stop_stats_event is not None:
            self.stop_stats_event.set()
            await asyncio.gather(task)
            self.stats_task = None
            self.stop_stats_event.clear()

    # -- hooks called by AsyncServer and AsyncManager (development mode) ---

    async def socket_connected(self, sid: str, namespace: str, eio_sid: str) -> None:
        """A client is connecting to ``namespace`` (before its connect handler runs)."""
        t = time.time()
        self._timestamps[sid] = t
        await self._emit(
            "socket_connected", (self.serialize_socket(sid, namespace, eio_sid), _iso(t))
        )

    async def socket_disconnected(self, sid: str, namespace: str, reason: str) -> None:
        """A client is leaving ``namespace`` (before its disconnect handler runs)."""
        t = time.time()
        self._timestamps.pop(sid, None)
        await self._emit("socket_disconnected", (namespace, sid, reason, _iso(t)))

    def event_received(self, namespace: str, sid: str, data: list[Any]) -> None:
        """An event arrived (before its handler runs); ``data`` is ``[event, *args]``."""
        self._emit_now("event_received", (namespace, sid, data, _iso(time.time())))

    def event_sent(self, namespace: str, sids: Any, payload: list[Any]) -> None:
        """An event (``payload`` is ``[event, *args]``) went to the sockets ``sids``."""
        if namespace == self.admin_namespace:
            return
        ts = _iso(time.time())
        for sid in sids:
            self._emit_now("event_sent", (namespace, sid, payload, ts))

    def room_joined(self, sid: str, namespace: str, room: Any) -> None:
        """``sid`` entered ``room`` (reported after the next ``server_stats``)."""
        if room:
            when = datetime.now(timezone.utc).isoformat()
            self.admin_queue.append(("room_joined", (namespace, room, sid, when)))

    def room_left(self, sid: str, namespace: str, room: Any) -> None:
        """``sid`` left ``room`` (reported after the next ``server_stats``)."""
        if room:
            when = datetime.now(timezone.utc).isoformat()
            self.admin_queue.append(("room_left", (namespace, room, sid, when)))

    # -- hooks called by the Engine.IO layer (both modes) -----------------

    def eio_connected(self, eio_sid: str) -> None:
        """An Engine.IO session opened; the first one starts the ``server_stats`` task."""
        if self.stop_stats_event is None:
            self.stop_stats_event = asyncio.Event()
        if self.stats_task is None:
            self.stats_task = self.sio.start_background_task(self._emit_server_stats)
        self.event_buffer.push("rawConnection")

    def eio_disconnected(self, eio_sid: str) -> None:
        """An Engine.IO session closed."""
        self.event_buffer.push("rawDisconnection")

    def received(self, nbytes: int) -> None:
        """A polling POST or a WebSocket message of ``nbytes`` arrived."""
        self.event_buffer.push("packetsIn")
        self.event_buffer.push("bytesIn", nbytes)

    def sent(self, nbytes: int) -> None:
        """A polling response or a WebSocket message of ``nbytes`` went out."""
        self.event_buffer.push("packetsOut")
        self.event_buffer.push("bytesOut", nbytes)

    async def pinging(self, eio_sid: str) -> None:
        """A heartbeat is due: in development mode the session's sockets are re-announced."""
        if self.mode != "development":
            return
        t = time.time()
        manager = self.sio.manager
        for namespace in list(manager.get_namespaces()):
            sid = manager.sid_from_eio_sid(eio_sid, namespace)
            if sid:
                socket = self.serialize_socket(sid, namespace, eio_sid)
                await self._emit("socket_connected", (socket, _iso(t)))

    def upgraded(self, eio_sid: str) -> None:
        """A polling session moved to WebSocket: its sockets are updated in the UI."""
        if self.mode != "development":
            return
        manager = self.sio.manager
        for namespace in list(manager.get_namespaces()):
            sid = manager.sid_from_eio_sid(eio_sid, namespace)
            if sid:
                update = {"id": sid, "nsp": namespace, "transport": "websocket"}
                self._emit_now("socket_updated", update)

    # -- reporting --------------------------------------------------------

    async def _emit(self, event: str, data: Any) -> None:
        await self.sio.emit(event, data, namespace=self.admin_namespace)

    def _emit_now(self, event: str, data: Any) -> None:
        """Emit from a synchronous hook: with the in-memory manager it completes at once, so
        the report goes out before whatever the hooked code sends next."""
        _eager.start(
            self.sio.emit(event, data, namespace=self.admin_namespace), _eager.ignore, self._failed
        )

    def _failed(self, exc: BaseException) -> None:
        self.sio.logger.error("Admin UI report failed", exc_info=exc)

    async def _emit_server_stats(self) -> None:
        start_time = time.time()
        stop = self.stop_stats_event
        assert stop is not None
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.server_stats_interval)
            except asyncio.TimeoutError:
                pass
            else:
                break
            await self._emit("server_stats", self.server_stats(start_time))
            while self.admin_queue:
                event, args = self.admin_queue.popleft()
                await self._emit(event, args)

    def server_stats(self, start_time: float) -> dict[str, Any]:
        """The ``server_stats`` payload (it clears the aggregated event counters)."""
        sio = self.sio
        sockets = sio.eio.sockets
        rooms = sio.manager.rooms
        # python-socketio's handler namespaces, and every namespace with clients: those of
        # sio.of(), dynamic children included, have no handler table entry.
        names = sorted(
            set(sio.handlers) | set(sio.namespace_handlers) | set(sio.manager.get_namespaces())
        )
        return {
            "serverId": self.server_id,
            "hostname": HOSTNAME,
            "pid": PID,
            "uptime": time.time() - start_time,
            "clientsCount": len(sockets),
            "pollingClientsCount": len([s for s in sockets.values() if not s.upgraded]),
            "aggregatedEvents": self.event_buffer.get_and_clear(),
            "namespaces": [
                {"name": nsp, "socketsCount": len(rooms.get(nsp, {}).get(None, ()))}
                for nsp in names
            ],
        }

    def serialize_socket(
        self, sid: str, namespace: str, eio_sid: str | None = None
    ) -> dict[str, Any]:
        """A socket as the Admin UI shows it."""
        if eio_sid is None:
            eio_sid = self.sio.manager.eio_sid_from_sid(sid, namespace)
        eio_socket = self.sio.eio.sockets.get(eio_sid) if eio_sid is not None else None
        environ: dict[str, Any] = self.sio.environ.get(eio_sid, {}) if eio_sid else {}
        tm = self._timestamps.get(sid, 0)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        return {
            "id": sid,
            "clientId": eio_sid,
            "transport": "websocket"
            if eio_socket is not None and eio_socket.upgraded
            else "polling",
            "nsp": namespace,
            "data": {},
            "handshake": {
                "address": environ.get("REMOTE_ADDR", ""),
                "headers": {k[5:].lower(): v for k, v in environ.items() if k.startswith("HTTP_")},
                "query": {k: v[0] if len(v) == 1 else v for k, v in query.items()},
                "secure": environ.get("wsgi.url_scheme", "") == "https",
                "url": environ.get("PATH_INFO", ""),
                "issued": tm * 1000,
                "time": _iso(tm) if tm else "",
            },
            "rooms": self.sio.manager.get_rooms(sid, namespace),
        }


__all__ = ["EventBuffer", "InstrumentedAsyncServer"]
