"""The pieces of the pub/sub manager that travel with a message: the binary
form of arguments (python-socketio's placeholders plus base64 attachments)
and the ack routers of emits with a callback."""

from __future__ import annotations

import base64
from typing import Any, Protocol


class AckRouter(Protocol):
    """The pub/sub manager, as the ack routers use it."""

    host_id: str

    async def trigger_callback(self, sid: str, id: int, data: list[Any]) -> None: ...

    async def _publish_message(
        self, message: dict[str, Any], binary_field: str = "", channel: str | None = None
    ) -> None: ...


class LocalAck:
    """The ack of a local client for an emit made here: resolves the emit's
    callback, registered under ``(room, ack_id)`` as python-socketio does."""

    __slots__ = ("ack_id", "manager", "room")

    def __init__(self, manager: AckRouter, room: str, ack_id: int) -> None:
        self.manager, self.room, self.ack_id = manager, room, ack_id

    async def __call__(self, *args: Any) -> None:
        await self.manager.trigger_callback(self.room, self.ack_id, list(args))


class RemoteAck:
    """The ack of a local client for an emit made by another host: published
    back to that host as a ``callback`` message."""

    __slots__ = ("ack_id", "host_id", "manager", "namespace", "room")

    def __init__(
        self, manager: AckRouter, host_id: Any, room: Any, namespace: Any, ack_id: Any
    ) -> None:
        self.manager, self.host_id = manager, host_id
        self.room, self.namespace, self.ack_id = room, namespace, ack_id

    async def __call__(self, *args: Any) -> None:
        manager = self.manager
        if self.host_id == manager.host_id:
            await manager.trigger_callback(self.room, self.ack_id, list(args))
            return
        message = {
            "method": "callback",
            "host_id": self.host_id,
            "sid": self.room,
            "namespace": self.namespace,
            "id": self.ack_id,
            "args": list(args),
        }
        # Binary ack arguments get the emit's binary form and a "binary" flag,
        # which python-socketio hosts ignore (they cannot carry bytes here at all).
        await manager._publish_message(message, "args")


def deconstruct(data: Any, attachments: list[bytes]) -> Any:
    """Replace bytes with placeholders, depth first (python-socketio's numbering)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        attachments.append(bytes(data))
        return {"_placeholder": True, "num": len(attachments) - 1}
    if isinstance(data, (list, tuple)):
        return [deconstruct(item, attachments) for item in data]
    if isinstance(data, dict):
        return {key: deconstruct(value, attachments) for key, value in data.items()}
    return data


def reconstruct(data: Any, attachments: list[bytes]) -> Any:
    """Put the attachments back in place of their placeholders."""
    if isinstance(data, list):
        return [reconstruct(item, attachments) for item in data]
    if isinstance(data, dict):
        if data.get("_placeholder") is True and isinstance(data.get("num"), int):
            return attachments[data["num"]]
        return {key: reconstruct(value, attachments) for key, value in data.items()}
    return data


def unpack(message: dict[str, Any], field: str) -> list[Any]:
    """The argument list in ``message[field]``, its binary form undone."""
    data = message.get(field)
    if not isinstance(data, list):
        return [data]
    if message.get("binary") and data:
        return list(reconstruct(data[0], [base64.b64decode(a) for a in data[1:]]))
    return data
