"""``ASGIApp``: serve a Socket.IO server (plus static files or another ASGI
app) to any ASGI server such as uvicorn or hypercorn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

import engineio

if TYPE_CHECKING:
    from .server import AsyncServer


class ASGIApp(engineio.ASGIApp):
    """The ASGI application of a Socket.IO server, python-socketio's signature.

    :param socketio_server: the :class:`~socketio_rs.AsyncServer`, created
        with ``async_mode="asgi"`` (or in an environment where asgi is the
        first available mode).
    :param other_asgi_app: receives every request outside ``socketio_path``.
    :param static_files: URL path to file or folder mapping, as python-engineio's.
    :param socketio_path: the endpoint (``"socket.io"``); ``None`` sends all
        traffic to Socket.IO.
    :param on_startup: called (or awaited) at lifespan startup.
    :param on_shutdown: called (or awaited) at lifespan shutdown.
    """

    def __init__(
        self,
        socketio_server: AsyncServer,
        other_asgi_app: Any = None,
        static_files: dict[str, Any] | None = None,
        socketio_path: str | None = "socket.io",
        on_startup: Callable[[], Any] | None = None,
        on_shutdown: Callable[[], Any] | None = None,
    ) -> None:
        mode = getattr(socketio_server, "async_mode", "asgi")
        if mode != "asgi":
            # python-socketio accepts this and then fails on every request.
            raise ValueError(
                f"the server runs in async_mode={mode!r}; create it with "
                "AsyncServer(async_mode='asgi') to serve it through ASGIApp"
            )
        super().__init__(
            socketio_server,
            other_asgi_app,
            static_files=static_files,
            engineio_path=socketio_path,
            on_startup=on_startup,
            on_shutdown=on_shutdown,
        )
