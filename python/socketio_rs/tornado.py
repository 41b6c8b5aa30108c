"""Serving on tornado, as python-socketio does: ``socketio_rs.get_tornado_handler(sio)``."""

from __future__ import annotations

from typing import Any

from .engine.tornado import tornado_handler
from .server import AsyncServer


def get_tornado_handler(socketio_server: AsyncServer) -> Any:
    """The tornado request handler class that serves ``socketio_server``.

    The server is created with ``async_mode="tornado"``; the application routes the Socket.IO
    path to the handler: ``tornado.web.Application([(r"/socket.io/", get_tornado_handler(sio))])``.
    """
    return tornado_handler(socketio_server.eio)
