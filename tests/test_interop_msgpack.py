"""``serializer="msgpack"``: the socket.io-msgpack-parser format (DESIGN.md part 1),
with python-socketio's msgpack client and the official JS client using
socket.io-msgpack-parser 3.0.2, over each transport."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

import socketio_rs
from server_harness import SERVER_OPTIONS, TRANSPORT_NAMES, TRANSPORTS, WAIT, Inbox, run_node, serve

BINARY = bytes(range(256))


def msgpack_app(seen: Inbox) -> Any:
    sio = socketio_rs.AsyncServer(serializer="msgpack", **SERVER_OPTIONS)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        seen.put("connect", sid, auth)

    @sio.event
    async def push_me(sid: str) -> None:
        await sio.emit("pushed", {"blob": BINARY, "n": [1, 2.5, None]}, to=sid)

    @sio.event
    async def echo(sid: str, *args: Any) -> Any:
        return args

    @sio.event
    async def kick_me(sid: str) -> None:
        await sio.disconnect(sid)

    return socketio_rs.ASGIApp(sio)


@pytest.mark.parametrize("transport", TRANSPORT_NAMES)
async def test_js_client_with_the_msgpack_parser(transport: str) -> None:
    seen = Inbox()
    async with serve(msgpack_app(seen)) as url:
        transcript = await run_node(
            "msgpack.mjs", url, transport, options={"parser": "msgpack", "binary": BINARY}
        )
    assert transcript == [
        ["ack", "echo", 1, "two", BINARY],
        ["event", "pushed", {"blob": BINARY, "n": [1, 2.5, None]}],
        ["disconnect", "io server disconnect", None],  # (reason, description)
    ]
    assert (await seen.first("connect"))[1] == {"token": "t"}


@pytest.mark.parametrize("transports", TRANSPORTS)
async def test_python_socketio_msgpack_client(transports: list[str] | None) -> None:
    seen = Inbox()
    async with serve(msgpack_app(seen)) as url:
        client = socketio.AsyncClient(serializer="msgpack", reconnection=False)
        pushed = Inbox()
        client.on("pushed", lambda data: pushed.put("pushed", data))
        await client.connect(url, transports=transports, auth={"a": 1}, wait_timeout=WAIT)
        try:
            await client.emit("push_me")
            assert (await pushed.first("pushed"))[0] == {"blob": BINARY, "n": [1, 2.5, None]}
            assert await client.call("echo", ("x", BINARY), timeout=WAIT) == ("x", BINARY)
        finally:
            await client.disconnect()
            await client.shutdown()
    assert (await seen.first("connect"))[1] == {"a": 1}


def test_msgpack_decoder_rejects_what_the_js_parser_rejects() -> None:
    """The packet rules are the Rust codec's, as for the text format (P13, P15)."""
    import msgpack

    from socketio_rs._msgpack import MsgPackDecoder

    decoder = MsgPackDecoder()
    for bad, message in [
        ({"type": 5, "nsp": "/", "data": ["x"]}, "invalid packet type"),
        ({"type": 2, "nsp": 1, "data": ["x"]}, "invalid namespace"),
        ({"type": 2, "nsp": "/", "data": {"x": 1}}, "invalid payload"),
        ({"type": 2, "nsp": "/", "data": ["connect"]}, "invalid payload"),
        ({"type": 2, "nsp": "/", "data": ["x"], "id": "1"}, "invalid packet id"),
    ]:
        with pytest.raises(socketio_rs.PacketError, match=message):
            decoder.add(msgpack.packb(bad))
    with pytest.raises(socketio_rs.PacketError, match="invalid payload"):
        decoder.add(b"\xc1")  # never used in MessagePack
    with pytest.raises(socketio_rs.PacketError, match="text frame"):
        decoder.add("2[]")
    [packet] = decoder.add(msgpack.packb({"type": 2, "nsp": "/", "data": ["ok", b"\x00"], "id": 3}))
    assert (packet.type, packet.nsp, packet.data, packet.id) == (2, "/", ["ok", b"\x00"], 3)
