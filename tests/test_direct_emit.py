"""``AsyncServer.emit(event, data, to=sid)`` to a client on a direct WebSocket
(``_core.emit_to_one``): framed and written in one call where the manager's path would decide
nothing, and through the manager everywhere else.

The servers run on ``serve()``'s own WebSocket protocol with python-socketio's client; which
path an emit took is seen by counting the calls to ``AsyncManager.emit_local`` (the class's
method: the manager's type, which the direct path checks, stays the same).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

import socketio_rs
from server_harness import WAIT, Inbox, RecordingTransport, connected, serve
from socketio_rs import _core
from socketio_rs.codec import Packet, PacketType, encode
from socketio_rs.managers import AsyncManager
from socketio_rs.wsserver import WebSocketProtocol, front_for

OPTIONS: dict[str, Any] = {"async_mode": "asgi", "ping_interval": 20, "ping_timeout": 20}

#: Values an emit's ``data`` takes, as python-socketio's client hands them to its handler.
DATA: list[tuple[Any, tuple[Any, ...]]] = [
    ({"a": [1, 2.5, None, True]}, ({"a": [1, 2.5, None, True]},)),
    ((1, "two", [3]), (1, "two", [3])),
    (None, ()),
    ('text with \u00e9 and "quotes"', ('text with \u00e9 and "quotes"',)),
    ([], ([],)),
]


@pytest.fixture
def manager_path(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """The emits that went through the manager (``emit_local``), as ``(event, room)``."""
    seen: list[tuple[str, Any]] = []
    original = AsyncManager.emit_local

    def emit_local(self: AsyncManager, event: str, *args: Any, **kwargs: Any) -> int:
        seen.append((event, args[2] if len(args) > 2 else kwargs.get("room")))
        return original(self, event, *args, **kwargs)

    monkeypatch.setattr(AsyncManager, "emit_local", emit_local)
    return seen


@asynccontextmanager
async def served(sio: socketio_rs.AsyncServer) -> AsyncIterator[str]:
    async with serve(socketio_rs.ASGIApp(sio), ws=WebSocketProtocol, http=front_for("auto")) as url:
        yield url


def bounce_app(**options: Any) -> socketio_rs.AsyncServer:
    """``bounce(index, **how)`` emits ``DATA[index]``'s data back to the sender, ``how``
    being ``emit``'s keyword arguments (``to`` defaults to the sender's sid)."""
    sio = socketio_rs.AsyncServer(**{**OPTIONS, **options})

    @sio.event
    async def bounce(sid: str, index: int, how: dict[str, Any] | None = None) -> str:
        how = dict(how or {})
        how.setdefault("to", sid)
        await sio.emit("bounced", DATA[index][0], **how)
        return "sent"

    @sio.event
    async def join(sid: str, room: str) -> None:
        await sio.enter_room(sid, room)

    return sio


async def received(c: Any, inbox: Inbox, index: int, how: dict[str, Any] | None = None) -> Any:
    """Ask for ``DATA[index]`` back; the arguments it arrived with."""
    before = len(inbox.all("bounced"))
    assert await c.call("bounce", (index, how), timeout=WAIT) == "sent"
    return (await inbox.wait("bounced", before + 1))[before]


def recording_client(inbox: Inbox, c: Any) -> None:
    @c.on("bounced")
    def bounced(*args: Any) -> None:
        inbox.put("bounced", *args)


async def test_an_emit_to_its_sender_is_the_direct_paths_with_the_same_arguments(
    manager_path: list[tuple[str, Any]],
) -> None:
    inbox = Inbox()
    async with served(bounce_app()) as url, connected(url, ["websocket"]) as c:
        recording_client(inbox, c)
        for index, (_, expected) in enumerate(DATA):
            assert await received(c, inbox, index) == expected
        # A room of one member (not a sid) is one client too.
        await c.call("join", "mine", timeout=WAIT)
        assert await received(c, inbox, 0, {"to": "mine"}) == DATA[0][1]
        assert await received(c, inbox, 0, {"room": "mine"}) == DATA[0][1]
    assert manager_path == []


@pytest.mark.parametrize(
    "how",
    [
        pytest.param({"skip_sid": "nobody"}, id="skip_sid"),
        pytest.param({"volatile": True}, id="volatile"),
        pytest.param({"to": "two"}, id="room-of-two"),
    ],
)
async def test_emits_with_more_to_decide_take_the_managers_path(
    manager_path: list[tuple[str, Any]], how: dict[str, Any]
) -> None:
    inbox, other = Inbox(), Inbox()
    async with (
        served(bounce_app()) as url,
        connected(url, ["websocket"]) as c,
        connected(url, ["websocket"]) as d,
    ):
        recording_client(inbox, c)
        recording_client(other, d)
        await c.call("join", "two", timeout=WAIT)
        await d.call("join", "two", timeout=WAIT)
        assert await received(c, inbox, 1, how) == DATA[1][1]
        if how.get("to") == "two":
            assert await other.first("bounced") == DATA[1][1]
        assert manager_path == [("bounced", how.get("to", c.get_sid("/")))]


async def test_binary_data_takes_the_managers_path(manager_path: list[tuple[str, Any]]) -> None:
    sio = socketio_rs.AsyncServer(**OPTIONS)

    @sio.event
    async def bounce(sid: str, value: bytes) -> str:
        await sio.emit("bounced", {"blob": value, "n": 1}, to=sid)
        return "sent"

    inbox = Inbox()
    async with served(sio) as url, connected(url, ["websocket"]) as c:
        recording_client(inbox, c)
        assert await c.call("bounce", b"\x00\xff", timeout=WAIT) == "sent"
        assert await inbox.first("bounced") == ({"blob": b"\x00\xff", "n": 1},)
    assert len(manager_path) == 1


async def test_a_callback_takes_the_managers_path_and_gets_the_ack(
    manager_path: list[tuple[str, Any]],
) -> None:
    sio = socketio_rs.AsyncServer(**OPTIONS)
    acks = Inbox()

    @sio.event
    async def ask(sid: str) -> None:
        await sio.emit("question", 1, to=sid, callback=lambda *a: acks.put("ack", *a))

    async with served(sio) as url, connected(url, ["websocket"]) as c:
        c.on("question", lambda n: n + 1)
        await c.emit("ask")
        assert await acks.first("ack") == (2,)
    assert len(manager_path) == 1


async def test_a_polling_client_and_another_namespace(manager_path: list[tuple[str, Any]]) -> None:
    sio = bounce_app()

    @sio.on("bounce", namespace="/chat")
    async def chat_bounce(sid: str, value: Any) -> str:
        await sio.emit("bounced", value, to=sid, namespace="/chat")
        return "sent"

    inbox, polled = Inbox(), Inbox()
    async with (
        served(sio) as url,
        connected(url, ["websocket"], namespaces=["/", "/chat"]) as c,
        connected(url, ["polling"]) as p,
    ):
        c.on("bounced", lambda *a: inbox.put("chat", *a), namespace="/chat")
        assert await c.call("bounce", [1, 2], namespace="/chat", timeout=WAIT) == "sent"
        assert await inbox.first("chat") == ([1, 2],)
        assert manager_path == []  # the other namespace's one member, on a WebSocket
        recording_client(polled, p)
        assert await received(p, polled, 0) == DATA[0][1]
        # The polling session has no outbox: the manager's path, which the client got all the same.
        assert manager_path == [("bounced", p.get_sid("/"))]


class CountingManager(AsyncManager):
    """A manager of the user's own: it must see every emit."""

    def __init__(self) -> None:
        super().__init__()
        self.emits = 0

    async def emit(self, *args: Any, **kwargs: Any) -> None:
        self.emits += 1
        await super().emit(*args, **kwargs)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"client_manager": CountingManager()}, id="own-manager"),
        pytest.param({"connection_state_recovery": True}, id="recovery"),
        pytest.param({"json": __import__("json")}, id="json-module"),
    ],
)
async def test_servers_whose_emits_need_the_manager_keep_it(
    manager_path: list[tuple[str, Any]], options: dict[str, Any]
) -> None:
    sio = bounce_app(**options)
    inbox = Inbox()
    async with served(sio) as url, connected(url, ["websocket"]) as c:
        recording_client(inbox, c)
        got = await received(c, inbox, 1)
    if "connection_state_recovery" in options:
        got = got[:-1]  # the packet's offset, which recovery adds as the last argument
    assert got == DATA[1][1]
    assert len(manager_path) == 1
    if isinstance(sio.manager, CountingManager):
        assert sio.manager.emits == 1


async def test_an_info_logger_logs_the_direct_emit(
    manager_path: list[tuple[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    sio = bounce_app(logger=True)
    inbox = Inbox()
    async with served(sio) as url, connected(url, ["websocket"]) as c:
        recording_client(inbox, c)
        with caplog.at_level(logging.INFO, logger=sio.logger.name):
            assert await received(c, inbox, 0) == DATA[0][1]
        sid = c.get_sid("/")
    assert manager_path == []
    assert f'emitting event "bounced" to {sid} [/]' in caplog.messages


async def test_the_admin_uis_observer_sees_the_emit(manager_path: list[tuple[str, Any]]) -> None:
    sio = bounce_app()
    sio.instrument(auth=False, mode="development")
    inbox = Inbox()
    async with served(sio) as url, connected(url, ["websocket"]) as c:
        recording_client(inbox, c)
        assert await received(c, inbox, 0) == DATA[0][1]
        # (The Admin UI's own emits, to its namespace's sockets, are there too.)
        assert [(e, r) for e, r in manager_path if e == "bounced"] == [("bounced", c.get_sid("/"))]


# -- the bytes, against the manager's encoding ------------------------------------------------


async def test_the_frame_is_the_encoders_packet_as_one_websocket_message() -> None:
    manager = AsyncManager()
    manager.rooms = {"/ns": {"sid1": {"sid1": "eio1"}, "pair": {"a": "x", "b": "y"}}}
    box = _core.WsOutbox(asyncio.get_running_loop().call_soon, lambda: None)
    transport = RecordingTransport()
    box.attach(transport)
    box.open = True
    outboxes = {"eio1": box}

    def direct(namespace: Any, room: Any, event: str, data: Any) -> bool:
        return _core.emit_to_one(outboxes, manager.rooms, namespace, room, event, data)

    for data, args in DATA:
        outer = box.hold()
        assert direct("/ns", "sid1", "ev", data) is True
        box.release(outer)
        (text,) = encode(Packet(PacketType.EVENT, "/ns", ["ev", *args]))
        assert transport.writes.pop() == _core.ws_messages([text])
    # Not one member, an unknown room or namespace, an unknown session, binary data: nothing
    # is written, and the caller takes the manager's path. A closing connection drops it.
    assert direct("/ns", "pair", "ev", 1) is False
    assert direct("/ns", "nobody", "ev", 1) is False
    assert direct("/other", "sid1", "ev", 1) is False
    assert direct("/ns", "sid1", "ev", b"\x00") is False
    manager.rooms["/ns"]["lost"] = {"c": "eio-gone"}
    assert direct("/ns", "lost", "ev", 1) is False
    box.open = False
    assert direct("/ns", "sid1", "ev", 1) is True  # taken: a closing session drops it, as before
    assert direct(b"/ns", "sid1", "ev", 1) is False  # not a namespace
    await asyncio.sleep(0)  # a flush scheduled by a write would run now
    assert transport.writes == [] and len(box) == 0
