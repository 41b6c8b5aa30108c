"""Class-based namespaces, python-socketio style: ``on_<event>`` methods."""

from __future__ import annotations

from typing import Any, Callable, Protocol

from .handlers import call_handler
from .session import SessionContext


class NamespaceServer(Protocol):
    """The server, as a class-based namespace uses it (``AsyncServer`` meets it)."""

    async def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
        volatile: bool = False,
        compress: bool = True,
    ) -> None: ...

    async def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
        volatile: bool = False,
        compress: bool = True,
    ) -> None: ...

    async def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = 60,
        ignore_queue: bool = False,
    ) -> Any: ...

    async def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> None: ...

    async def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> None: ...

    async def close_room(self, room: Any, namespace: str | None = None) -> None: ...

    def rooms(self, sid: str, namespace: str | None = None) -> list[Any]: ...

    async def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]: ...

    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None: ...

    async def disconnect(
        self, sid: str, namespace: str | None = None, ignore_queue: bool = False
    ) -> None: ...


class AsyncNamespace:
    """Handlers for one namespace as methods named ``on_<event>``.

    Register an instance with ``sio.register_namespace(MyNamespace("/chat"))``.
    The helper methods (``emit``, ``enter_room``, ...) default to this
    namespace. Override :meth:`trigger_event` to run code around every event.
    """

    def __init__(self, namespace: str | None = None) -> None:
        self.namespace = namespace or "/"
        self.server: NamespaceServer | None = None

    def is_asyncio_based(self) -> bool:
        """Always true."""
        return True

    def _set_server(self, server: NamespaceServer) -> None:
        self.server = server

    @property
    def _server(self) -> NamespaceServer:
        if self.server is None:
            raise RuntimeError("the namespace is not registered with a server")
        return self.server

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Call ``on_<event>(*args)`` if the class has it and return its result.

        Without such a method the result is ``None``, so an ack request still
        gets an empty ack (python-socketio's behaviour).
        """
        handler = getattr(self, f"on_{event or ''}", None)
        if handler is None:
            return None
        return await call_handler(handler, event, args)

    async def emit(
        self,
        event: str,
        data: Any = None,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
        volatile: bool = False,
        compress: bool = True,
    ) -> None:
        """``AsyncServer.emit`` in this namespace (``volatile`` and ``compress`` as there)."""
        await self._server.emit(
            event,
            data=data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            ignore_queue=ignore_queue,
            volatile=volatile,
            compress=compress,
        )

    async def send(
        self,
        data: Any,
        to: Any = None,
        room: Any = None,
        skip_sid: Any = None,
        namespace: str | None = None,
        callback: Callable[..., Any] | None = None,
        ignore_queue: bool = False,
        volatile: bool = False,
        compress: bool = True,
    ) -> None:
        """``AsyncServer.send`` in this namespace."""
        await self._server.send(
            data,
            to=to,
            room=room,
            skip_sid=skip_sid,
            namespace=namespace or self.namespace,
            callback=callback,
            ignore_queue=ignore_queue,
            volatile=volatile,
            compress=compress,
        )

    async def call(
        self,
        event: str,
        data: Any = None,
        to: str | None = None,
        sid: str | None = None,
        namespace: str | None = None,
        timeout: float | None = None,
        ignore_queue: bool = False,
    ) -> Any:
        """``AsyncServer.call`` in this namespace. As in python-socketio, the
        default ``timeout`` here is ``None``: wait for ever."""
        return await self._server.call(
            event,
            data=data,
            to=to,
            sid=sid,
            namespace=namespace or self.namespace,
            timeout=timeout,
            ignore_queue=ignore_queue,
        )

    async def enter_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """``AsyncServer.enter_room`` in this namespace."""
        await self._server.enter_room(sid, room, namespace=namespace or self.namespace)

    async def leave_room(self, sid: str, room: Any, namespace: str | None = None) -> None:
        """``AsyncServer.leave_room`` in this namespace."""
        await self._server.leave_room(sid, room, namespace=namespace or self.namespace)

    async def close_room(self, room: Any, namespace: str | None = None) -> None:
        """``AsyncServer.close_room`` in this namespace."""
        await self._server.close_room(room, namespace=namespace or self.namespace)

    def rooms(self, sid: str, namespace: str | None = None) -> list[Any]:
        """``AsyncServer.rooms`` in this namespace."""
        return self._server.rooms(sid, namespace=namespace or self.namespace)

    async def get_session(self, sid: str, namespace: str | None = None) -> dict[str, Any]:
        """``AsyncServer.get_session`` in this namespace."""
        return await self._server.get_session(sid, namespace=namespace or self.namespace)

    async def save_session(
        self, sid: str, session: dict[str, Any], namespace: str | None = None
    ) -> None:
        """``AsyncServer.save_session`` in this namespace."""
        await self._server.save_session(sid, session, namespace=namespace or self.namespace)

    def session(self, sid: str, namespace: str | None = None) -> SessionContext:
        """``AsyncServer.session`` in this namespace."""
        return SessionContext(self._server, sid, namespace or self.namespace)

    async def disconnect(self, sid: str, namespace: str | None = None) -> None:
        """``AsyncServer.disconnect`` in this namespace."""
        await self._server.disconnect(sid, namespace=namespace or self.namespace)
