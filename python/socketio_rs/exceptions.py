"""Exceptions of socketio-rs: python-socketio's classes, plus PacketError.

Code written for python-socketio catches these under the same names.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadNamespaceError",
    "ConnectionError",
    "ConnectionRefusedError",
    "DisconnectedError",
    "PacketError",
    "PubSubError",
    "SocketIOError",
    "TimeoutError",
]


class SocketIOError(Exception):
    """Base class of every socketio-rs error."""


class ConnectionError(SocketIOError):  # python-socketio's name, shadowing the builtin
    """A connection could not be made or was lost."""


class ConnectionRefusedError(ConnectionError):  # python-socketio's name, shadowing the builtin
    """Raised by a connect handler or middleware to refuse a connection.

    The client receives CONNECT_ERROR with ``message`` (``str`` of the first
    argument, or "Connection rejected by server" without arguments) and, when
    more arguments are given, ``data``: the second argument alone, or a tuple
    of all the arguments after the first.
    """

    error_args: dict[str, Any]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        if not args:
            self.error_args = {"message": "Connection rejected by server"}
            return
        self.error_args = {"message": str(args[0])}
        if len(args) == 2:
            self.error_args["data"] = args[1]
        elif len(args) > 2:
            self.error_args["data"] = args[1:]


class TimeoutError(SocketIOError):  # python-socketio's name, shadowing the builtin
    """An acknowledgement did not arrive in time.

    After a broadcast's ``emit_with_ack``, ``responses`` holds the acks that
    did arrive.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.responses: list[Any] = []


class BadNamespaceError(SocketIOError):
    """A namespace is not connected or not known."""


class DisconnectedError(SocketIOError):
    """The connection is closed."""


class PacketError(SocketIOError, ValueError):
    """A Socket.IO packet could not be decoded or encoded.

    The message starts with the reference parser's text for the same case
    (``invalid payload``, ``Illegal attachments``, ``too many attachments``,
    ...), followed by ``": "`` and a detail where there is one.
    """


class PubSubError(SocketIOError):
    """A pub/sub manager (``AsyncRedisManager``) could not publish: the backend
    stayed unreachable for the manager's ``publish_timeout``. An emit that
    raises it has already been delivered to this process's own clients."""
