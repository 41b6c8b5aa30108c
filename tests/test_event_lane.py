"""serve()'s event lane (``_core.EventLane``): a direct WebSocket's plain events are decoded,
handled and acked in one Rust call, and everything else takes the Python path as before.

The server runs on ``serve()``'s own WebSocket protocol (whatever ``SOCKETIO_RS_SERVE`` says)
and the clients are real: python-socketio's client, and a raw TCP client that puts several
Engine.IO messages in one write, so that one read holds events the lane takes and packets it
leaves to the Python path.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import socketio

import socketio_rs
from server_harness import HOST, WAIT, Inbox, connected, masked, serve, upgrade_request
from socketio_rs.server.dispatch import Dispatcher
from socketio_rs.wsserver import WebSocketProtocol, front_for

OPTIONS: dict[str, Any] = {"async_mode": "asgi", "ping_interval": 20, "ping_timeout": 20}


@pytest.fixture
def python_path(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The events that reach the dispatcher's Python first step (``eio_message_nowait``),
    as ``[event, *args]``: those the lane left. The servers must be made after it."""
    seen: list[Any] = []
    original = Dispatcher.eio_message_nowait

    def eio_message_nowait(self: Dispatcher, eio_sid: str, data: str | bytes) -> Any:
        if isinstance(data, str) and data[:1] == "2":
            seen.append(json.loads(data[data.index("[") :]))
        return original(self, eio_sid, data)

    monkeypatch.setattr(Dispatcher, "eio_message_nowait", eio_message_nowait)
    return seen


@asynccontextmanager
async def served(sio: socketio_rs.AsyncServer) -> AsyncIterator[str]:
    async with serve(socketio_rs.ASGIApp(sio), ws=WebSocketProtocol, http=front_for("auto")) as url:
        yield url


def lane_app(seen: Inbox, **options: Any) -> socketio_rs.AsyncServer:
    sio = socketio_rs.AsyncServer(**{**OPTIONS, **options})

    @sio.event
    async def echo(sid: str, *args: Any) -> Any:
        return args[0] if len(args) == 1 else args

    @sio.event
    def sync_pair(sid: str, a: Any, b: Any) -> Any:
        return a, b

    @sio.event
    async def nothing(sid: str) -> None:
        seen.put("nothing", sid)

    @sio.event
    async def no_ack(sid: str) -> Any:
        return socketio_rs.NO_ACK

    @sio.event
    async def later(sid: str, value: Any) -> Any:
        await asyncio.sleep(0.05)
        return ["later", value]

    @sio.event
    async def fails(sid: str) -> Any:
        raise RuntimeError("handler failed on purpose")

    @sio.event
    async def cancelled(sid: str) -> Any:
        raise asyncio.CancelledError()

    @sio.event
    async def binary(sid: str, value: bytes) -> Any:
        return value + b"!"

    @sio.event
    async def whoami(sid: str) -> Any:
        return sid

    return sio


async def test_acks_follow_python_socketios_rule(python_path: list[Any]) -> None:
    seen = Inbox()
    sio = lane_app(seen)
    async with served(sio) as url, connected(url, ["websocket"]) as c:
        assert await c.call("echo", {"a": [1, 2.5, None]}, timeout=WAIT) == {"a": [1, 2.5, None]}
        assert await c.call("echo", (1, "two"), timeout=WAIT) == (1, "two")
        assert await c.call("sync_pair", ("x", [1]), timeout=WAIT) == ("x", [1])
        assert await c.call("nothing", timeout=WAIT) is None
        assert await c.call("later", 7, timeout=WAIT) == ["later", 7]
        assert await c.call("binary", b"\x00\x01", timeout=WAIT) == b"\x00\x01!"
        assert await c.call("whoami", timeout=WAIT) == c.get_sid("/")
        assert await c.call("cancelled", timeout=WAIT) is None
        with pytest.raises(socketio.exceptions.TimeoutError):
            await c.call("no_ack", timeout=0.3)
    # Every one of them was the lane's (the binary event is a BINARY_EVENT, which is not).
    assert python_path == []


async def test_a_failing_handler_is_logged_and_the_next_event_answered(
    python_path: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    sio = lane_app(Inbox())
    async with served(sio) as url, connected(url, ["websocket"]) as c:
        with pytest.raises(socketio.exceptions.TimeoutError):
            await c.call("fails", timeout=0.3)
        assert await c.call("echo", "after", timeout=WAIT) == "after"
    assert python_path == []
    failures = [r for r in caplog.records if r.getMessage() == "event handler error"]
    assert len(failures) == 1 and "on purpose" in str(failures[0].exc_info[1])


# -- one read with several messages: the lane and the Python path in turn -------------------


class RawClient:
    """A WebSocket client over a plain TCP stream: several Engine.IO messages go out in one
    write, so that the server reads them together."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, url: str) -> RawClient:
        port = int(url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(upgrade_request("/socket.io/?EIO=4&transport=websocket"))
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        key = base64.b64encode(b"0123456789abcdef")
        accept = base64.b64encode(
            hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
        )
        assert head.startswith(b"HTTP/1.1 101") and accept in head, head
        client = cls(reader, writer)
        opening = await client.recv()
        assert opening.startswith("0{"), opening
        return client

    def send(self, *messages: str) -> None:
        """The Engine.IO messages ``messages`` (text), in one write."""
        self.writer.write(b"".join(masked(1, m.encode()) for m in messages))

    async def recv(self) -> str:
        """The next text message (pings answered on the way)."""
        while True:
            head = await asyncio.wait_for(self.reader.readexactly(2), WAIT)
            length = head[1] & 0x7F
            if length == 126:
                length = int.from_bytes(await self.reader.readexactly(2), "big")
            elif length == 127:
                length = int.from_bytes(await self.reader.readexactly(8), "big")
            payload = await self.reader.readexactly(length)
            assert head[0] == 0x81, head  # a whole text frame
            text = payload.decode()
            if text == "2":
                self.send("3")
                continue
            return text

    async def rest(self) -> list[str]:
        """Every text message until the server closes the connection."""
        messages = []
        try:
            while True:
                messages.append(await self.recv())
        except (asyncio.IncompleteReadError, AssertionError):
            return messages  # the end, or the close frame

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


@asynccontextmanager
async def joined(url: str) -> AsyncIterator[RawClient]:
    """A raw client connected to ``/``, closed on exit."""
    client = await RawClient.open(url)
    try:
        client.send("40")
        assert (await client.recv()).startswith("40{")
        yield client
    finally:
        await client.close()


async def test_one_read_keeps_its_order_across_the_lane_and_the_python_path(
    python_path: list[Any],
) -> None:
    sio = lane_app(Inbox())
    sio.of("/node").on("connection", lambda socket: socket.on("ping", lambda: "pong"))
    async with served(sio) as url, joined(url) as client:
        client.send(
            '421["echo",1]',  # the lane
            "40/node,",  # CONNECT: the Python path from here
            '422["echo",2]',
            '423["later",3]',
        )
        assert await client.recv() == "431[1]"
        assert (await client.recv()).startswith("40/node,{")
        assert await client.recv() == "432[2]"
        assert await client.recv() == '433[["later",3]]'
        # The next read is the lane's again; a Node-style handler's event is not.
        client.send('42/node,4["ping"]', '425["echo",5]')
        assert await client.recv() == '43/node,4["pong"]'
        assert await client.recv() == "435[5]"
        client.send('426["echo",6]', '427["echo",7]')
        assert await client.recv() == "436[6]"
        assert await client.recv() == "437[7]"
    # The lane took echo 1, 6 and 7; the Python path what followed the CONNECT in its read,
    # and the read that began with the Node-style handler's event.
    assert python_path == [["echo", 2], ["later", 3], ["ping"], ["echo", 5]]


async def test_a_listener_a_handler_adds_takes_the_next_event_of_the_same_read(
    python_path: list[Any],
) -> None:
    # Until a Node-style listener exists anywhere, the lane does not ask the socket
    # (``Socket._intercepts``); a handler that adds one makes the very next event ask.
    seen = Inbox()
    sio = lane_app(seen)

    @sio.event
    async def listen(sid: str) -> str:
        sio.of("/").sockets[sid].on("echo", lambda *args: seen.put("node", *args))
        return "listening"

    async with served(sio) as url, joined(url) as client:
        client.send('421["echo",1]', '422["listen"]', '423["echo",3]')
        assert await client.recv() == "431[1]"
        assert await client.recv() == '432["listening"]'
        assert await client.recv() == "433[3]"  # python-socketio's handler answers first
        assert await seen.first("node") == (3,)
    assert python_path == [["echo", 3]]


async def test_no_event_is_taken_from_a_socket_while_it_disconnects(
    python_path: list[Any],
) -> None:
    # The lane takes an event only from a socket that is connected and not closing
    # (``Socket._live_id``): here the server is disconnecting it, and its python-socketio
    # disconnect handler is still running, when the client's event comes.
    seen = Inbox()
    sio = lane_app(seen)
    in_handler, release = asyncio.Event(), asyncio.Event()

    @sio.on("disconnect")
    async def disconnect(sid: str, reason: str) -> None:
        in_handler.set()
        await release.wait()

    async with served(sio) as url, joined(url) as client:
        client.send('421["echo",1]')
        assert await client.recv() == "431[1]"
        [sid] = list(sio.of("/").sockets)
        closing = asyncio.ensure_future(sio.disconnect(sid))
        await asyncio.wait_for(in_handler.wait(), WAIT)
        client.send('422["nothing"]', '423["echo",3]')
        await asyncio.sleep(0.2)  # read and dropped meanwhile
        release.set()
        await closing
        assert "433[3]" not in await client.rest()
        assert seen.all("nothing") == []
    # Not the lane's: the Python path dropped them.
    assert python_path == [["nothing"], ["echo", 3]]


async def test_an_event_for_a_namespace_not_joined_is_still_a_violation(
    python_path: list[Any],
) -> None:
    sio = lane_app(Inbox())
    async with served(sio) as url, joined(url) as client:
        client.send('421["echo",1]', '42/elsewhere,2["echo",2]', '423["echo",3]')
        assert await client.recv() == "431[1]"
        # A packet for a namespace the client has not joined closes the connection, and
        # what followed it in the read is not answered.
        assert "433[3]" not in await client.rest()
    assert python_path[0] == ["echo", 2] and ["echo", 1] not in python_path


async def test_the_lane_steps_aside_for_catch_alls_info_logs_and_the_admin_ui(
    python_path: list[Any], caplog: pytest.LogCaptureFixture
) -> None:
    seen = Inbox()
    sio = lane_app(seen)

    @sio.on("*")
    async def catch_all(event: str, sid: str, *args: Any) -> Any:
        return ["caught", event]

    async with served(sio) as url, connected(url, ["websocket"]) as c:
        assert await c.call("unknown", timeout=WAIT) == ["caught", "unknown"]
        assert await c.call("echo", 1, timeout=WAIT) == 1
        # An Node-style listener on the socket: the Python path dispatches its events.
        socket = sio.of("/").sockets[c.get_sid("/")]
        socket.on_any(lambda event, *args: seen.put("any", event))
        assert await c.call("echo", 2, timeout=WAIT) == 2
        assert await seen.first("any") == ("echo",)
        socket.off_any()
        assert await c.call("echo", 3, timeout=WAIT) == 3
        # The server's logger at INFO: the Python path logs the event.
        sio.logger.setLevel(logging.INFO)
        try:
            with caplog.at_level(logging.INFO, logger=sio.logger.name):
                assert await c.call("echo", 4, timeout=WAIT) == 4
        finally:
            sio.logger.setLevel(logging.ERROR)
        assert any('received event "echo"' in r.getMessage() for r in caplog.records)
        assert await c.call("echo", 5, timeout=WAIT) == 5
        # The Admin UI in development mode sees every event: the Python path reports them.
        sio.instrument(auth=False, mode="development")
        assert await c.call("echo", 6, timeout=WAIT) == 6
    assert python_path == [["unknown"], ["echo", 2], ["echo", 4], ["echo", 6]]


def test_the_lane_is_there_only_for_the_default_encoder() -> None:
    default = socketio_rs.AsyncServer(async_mode="asgi")
    assert default.eio.message_steps()[1] is not None  # type: ignore[index]
    for options in ({"serializer": "msgpack"}, {"json": json}):
        other = socketio_rs.AsyncServer(async_mode="asgi", **options)
        assert other.eio.message_steps()[1] is None  # type: ignore[index]
