"""Why a socket disconnected: python-socketio's reasons for its handlers, the
reference server's for Node-style ``disconnecting``/``disconnect`` handlers."""

from __future__ import annotations

from ..engine import EngineReason


class Reason(EngineReason):
    """Disconnect reasons: python-engineio's, ``"write buffer full"`` for a client cut off
    for not reading (``BUFFER_FULL``), and the reference server's ``"forced close"`` for a
    connection closed after a protocol violation."""

    #: The client broke the protocol (an undecodable packet, an event on a
    #: namespace it has not joined, ...) and its connection was closed.
    FORCED_CLOSE = "forced close"


#: The reference server's reasons (S22), given to Node-style handlers.
CLIENT_NAMESPACE_DISCONNECT = "client namespace disconnect"
SERVER_NAMESPACE_DISCONNECT = "server namespace disconnect"
SERVER_SHUTTING_DOWN = "server shutting down"
FORCED_SERVER_CLOSE = "forced server close"

#: The reference server's reason for each python-engineio reason of an Engine.IO-level close.
_NODE_REASONS = {
    "client disconnect": "transport close",  # the client sent the Engine.IO close packet
    "transport close": "transport close",
    "transport error": "transport error",
    "ping timeout": "ping timeout",
}


def node_reason(closing: str | None, reason: str, shutting_down: bool) -> str:
    """The reference server's reason for an Engine.IO-level close: the reason
    the server decided on (``closing``), else the translation of python-engineio's."""
    if closing is not None:
        return closing
    if reason == Reason.SERVER_DISCONNECT:
        return SERVER_SHUTTING_DOWN if shutting_down else FORCED_SERVER_CLOSE
    return _NODE_REASONS.get(reason, reason)
