"""The server's objects keep their attribute access fast: none has an instance dict of more
than 29 attributes.

CPython (3.11 to 3.13) shares the keys of instance dicts between the instances of a class,
and specializes ``self.x`` to an indexed load on them, only up to 29 keys (its
``SHARED_KEYS_MAX_SIZE`` is 30). A class whose instances get a 30th attribute silently falls
back to a dict of its own per instance (1.3 KB more each) and to the generic attribute lookup:
that is how ``WebSocketProtocol`` once made a broadcast cost 13% more instructions per
delivery without any change to its logic. A class that needs more attributes takes
``__slots__`` (as ``WebSocketProtocol`` does) or groups them into parts of its own.

Real server, real client, both serving modes: every object of this package alive while a
client is connected, evented and joined to a Node-style namespace is inspected.
"""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

import socketio_rs
from server_harness import connected, serve
from socketio_rs.wsserver import WebSocketProtocol, front_for

#: Instance-dict sizes at which CPython stops sharing keys (SHARED_KEYS_MAX_SIZE).
SHARED_KEYS_LIMIT = 30

MODES = [
    pytest.param({}, id="asgi"),
    pytest.param({"ws": WebSocketProtocol, "http": front_for("auto")}, id="serve"),
]


def crowded_objects() -> dict[str, int]:
    """The classes of this package with a live instance of too many attributes."""
    crowded: dict[str, int] = {}
    for obj in gc.get_objects():
        cls = type(obj)
        module = getattr(cls, "__module__", None)
        if not isinstance(module, str) or not module.startswith("socketio_rs"):
            continue
        attributes = getattr(obj, "__dict__", None)
        if isinstance(obj, type) or not isinstance(attributes, dict):
            continue
        if len(attributes) >= SHARED_KEYS_LIMIT:
            name = f"{module}.{cls.__qualname__}"
            crowded[name] = max(crowded.get(name, 0), len(attributes))
    return crowded


@pytest.mark.parametrize("mode", MODES)
async def test_no_object_outgrows_shared_keys(mode: dict[str, Any]) -> None:
    sio = socketio_rs.AsyncServer(async_mode="asgi")

    @sio.on("echo")
    async def echo(sid: str, data: Any) -> Any:
        await sio.enter_room(sid, "room")
        return data

    chat = sio.of("/chat")

    @chat.on("echo")
    async def chat_echo(socket: Any, data: Any) -> Any:
        await socket.join("room")
        return data

    async with serve(socketio_rs.ASGIApp(sio), **mode) as url:
        async with connected(url, ["websocket"], namespaces=["/", "/chat"]) as client:
            assert await client.call("echo", 1) == 1
            assert await client.call("echo", 2, namespace="/chat") == 2
            await sio.emit("tick", 3, room="room")
            await asyncio.sleep(0.05)
            seen = {type(obj).__name__ for obj in gc.get_objects()}
            # The inspection covers the objects that matter: the session and socket objects
            # of the mode in use are alive now.
            assert {"EngineSocket", "Socket", "EngineServer", "AsyncServer"} <= seen
            if mode:
                assert "WebSocketProtocol" in seen
            assert crowded_objects() == {}
