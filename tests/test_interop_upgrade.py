"""The polling-to-WebSocket upgrade with the official JavaScript client's default transports.

The client polls first and probes a WebSocket at once; what the server sends meanwhile (the
CONNECT reply, events from the connection handler, acks, a middleware's CONNECT_ERROR) goes out
on polling while the probe runs, and whatever is still queued when the upgrade completes goes
out on the WebSocket. ``tests/node/upgrade.mjs`` records every Socket.IO packet the client
receives and sends: each must appear exactly once, in order, whichever transport carried it.
(How long the upgrade takes is measured by ``make bench-e2e``, not asserted here.)
"""

from __future__ import annotations

from typing import Any

import pytest

import socketio_rs
from server_harness import SERVER_OPTIONS, run_node, serve

BLOB = b"\x00\x01\xff"


def app(events: int) -> Any:
    """A server whose connection handler sends ``events`` events (every third one binary)."""
    sio = socketio_rs.AsyncServer(**SERVER_OPTIONS)

    @sio.sockets.on("connection")
    async def connection(socket: socketio_rs.Socket) -> None:
        for n in range(events):
            if n % 3 == 2:
                await socket.emit("blob", n, BLOB)
            else:
                await socket.emit("text", n)

    @sio.sockets.on("echo")
    def echo(socket: socketio_rs.Socket, *args: Any) -> Any:
        return args  # a tuple: the ack carries every argument

    @sio.on("shout")
    async def shout(sid: str, text: str) -> str:  # python-socketio's way
        return text.upper()

    @sio.of("/no").use
    def refuse(socket: socketio_rs.Socket, next: Any) -> None:
        next(socketio_rs.ConnectionRefusedError("Auth failed", {"code": 7}))

    return socketio_rs.ASGIApp(sio)


def server_events(events: int) -> tuple[list[Any], list[Any]]:
    """The packets and the recorded events of the connection handler's ``events`` events."""
    packets: list[Any] = []
    recorded: list[Any] = []
    for n in range(events):
        if n % 3 == 2:
            packets += [f'51-["blob",{n},{{"_placeholder":true,"num":0}}]', BLOB]
            recorded.append(["event", "blob", n, BLOB])
        else:
            packets.append(f'2["text",{n}]')
            recorded.append(["event", "text", n])
    return packets, recorded


def without_sid(transcript: list[Any]) -> list[Any]:
    """The transcript with the CONNECT reply's random sid replaced (the recorded packets are
    the Socket.IO packets inside Engine.IO MESSAGE packets: ``0{...}`` is the CONNECT reply)."""
    out = []
    for entry in transcript:
        if entry[0] == "received" and isinstance(entry[1], str) and entry[1].startswith("0{"):
            entry = ["received", "0{sid}"]
        out.append(entry)
    return out


def of_kind(transcript: list[Any], *kinds: str) -> list[Any]:
    return [entry for entry in transcript if entry[0] in kinds]


@pytest.mark.parametrize("events", [1, 12], ids=["one-event", "several-events"])
async def test_packets_queued_during_the_upgrade_arrive_once_in_order(events: int) -> None:
    async with serve(app(events)) as url:
        transcript = without_sid(
            await run_node(
                "upgrade.mjs",
                url,
                "upgrade",
                options={
                    "emits": [["echo", "x"], ["echo", BLOB, 2], ["shout", "hi"]],
                    "events": events,
                },
            )
        )
    assert not of_kind(transcript, "error"), transcript
    packets, recorded = server_events(events)
    assert [entry[1:] for entry in of_kind(transcript, "received")] == [
        ["0{sid}"],
        *([p] for p in packets),
        ['30["x"]'],
        ['61-1[{"_placeholder":true,"num":0},2]'],
        [BLOB],
        ['32["HI"]'],
        ['33["after"]'],
    ], transcript
    assert [entry[1:] for entry in of_kind(transcript, "sent")] == [
        ["0"],
        ['20["echo","x"]'],
        ['51-1["echo",{"_placeholder":true,"num":0},2]'],
        [BLOB],
        ['22["shout","hi"]'],
        ['23["echo","after"]'],
        ["1"],
    ], transcript
    assert of_kind(transcript, "event") == recorded
    assert of_kind(transcript, "ack") == [
        ["ack", "echo", "x"],
        ["ack", "echo", BLOB, 2],
        ["ack", "shout", "HI"],
    ]
    assert of_kind(transcript, "upgrade") == [["upgrade"]]
    assert of_kind(transcript, "after") == [["after", "after"]]


async def test_middleware_refusal_arrives_once() -> None:
    async with serve(app(0)) as url:
        transcript = await run_node("upgrade.mjs", url, "upgrade", options={"nsp": "/no"})
    # The CONNECT_ERROR goes out on polling, or on the WebSocket when the probe was quicker.
    assert of_kind(transcript, "sent", "received", "connect_error", "error") == [
        ["sent", "0/no,"],
        ["received", '4/no,{"message":"Auth failed","data":{"code":7}}'],
        ["connect_error", {"message": "Auth failed", "data": {"code": 7}}],
    ]
