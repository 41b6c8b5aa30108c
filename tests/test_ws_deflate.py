"""permessage-deflate (RFC 7692) on ``socketio_rs.serve``'s WebSocket protocol: the option,
the negotiation, compressed messages both ways (raw frames, and the official JS client),
``compress(False)``, and the bound on what a compressed message inflates to. Off by default:
``tests/test_websocket_protocol.py`` checks that RSV1 is then a protocol error (1002) and
that no extension is answered."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

import socketio_rs
from server_harness import (
    SERVER_OPTIONS,
    WAIT,
    client,
    close_client,
    masked,
    node_steps,
    serve,
    steps,
    upgrade_request,
)
from socketio_rs import _core
from socketio_rs.wsserver import front_for
from socketio_rs.wsserver.deflate import DeflateOptions, deflate_options, negotiate
from socketio_rs.wsserver.protocol import WebSocketProtocol, protocol_for

TAIL = b"\x00\x00\xff\xff"
BIG = "z" * 3000  # over the default threshold (1024 bytes)
EIO_PATH = "/socket.io/?EIO=4&transport=websocket"
#: No heartbeat PING comes between the messages the raw clients read.
RAW_OPTIONS = {**SERVER_OPTIONS, "ping_interval": 25}


# ----------------------------------------------------------------------------- the option


def test_the_option_is_off_by_default_and_checked() -> None:
    assert deflate_options(False) is None
    assert deflate_options(True) == DeflateOptions(threshold=1024, level=6)
    assert deflate_options({"threshold": 0, "level": 1}) == DeflateOptions(0, 1)
    with pytest.raises(TypeError, match="did you mean 'threshold'"):
        deflate_options({"treshold": 10})
    with pytest.raises(TypeError, match="always on"):
        deflate_options({"serverNoContextTakeover": False})
    with pytest.raises(ValueError, match="level=10"):
        deflate_options({"level": 10})
    with pytest.raises(TypeError, match="False, True or a dict"):
        deflate_options("yes")
    with pytest.raises(TypeError, match="did you mean 'per_message_deflate'"):
        socketio_rs.serve(object(), perMessageDeflate=True)
    with pytest.raises(TypeError, match="use serve\\(per_message_deflate"):
        socketio_rs.serve(object(), ws_per_message_deflate=True)


def test_the_compressor_keeps_small_and_incompressible_messages_as_they_are() -> None:
    deflater = _core.WsDeflater(threshold=100)
    assert deflater.frame(1, "a" * 99) == _core.ws_frame(1, "a" * 99)  # under the threshold
    compressed = deflater.frame(1, "a" * 100)
    assert compressed[0] == 0xC1 and len(compressed) < 20
    noise = os.urandom(2000)  # does not shrink: sent as it is
    assert deflater.frame(2, noise) == _core.ws_frame(2, noise)
    assert deflater.frame(9, b"a" * 100) == _core.ws_frame(9, b"a" * 100)  # control frames


@pytest.mark.parametrize(
    ("offers", "answer"),
    [
        ([b"permessage-deflate"], b"permessage-deflate; server_no_context_takeover"),
        # What browsers and Node's ws offer.
        (
            [b"permessage-deflate; client_max_window_bits"],
            b"permessage-deflate; server_no_context_takeover",
        ),
        (
            [b"permessage-deflate; client_no_context_takeover; server_no_context_takeover"],
            b"permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        ),
        (
            [b'permessage-deflate; server_max_window_bits="15"'],
            b"permessage-deflate; server_no_context_takeover; server_max_window_bits=15",
        ),
        # Declined: a window below the server's, unknown or repeated parameters, bad values;
        # the next offer (in the same header or another) is then considered.
        ([b"permessage-deflate; server_max_window_bits=10"], None),
        (
            [b"permessage-deflate; server_max_window_bits=10, permessage-deflate", b"x"],
            b"permessage-deflate; server_no_context_takeover",
        ),
        ([b"x-webkit-deflate-frame", b"permessage-deflate; mystery"], None),
        ([b"permessage-deflate; client_max_window_bits=7"], None),
        ([b"permessage-deflate; server_no_context_takeover=1"], None),
        ([b"permessage-deflate; server_no_context_takeover; server_no_context_takeover"], None),
        ([], None),
    ],
)
def test_negotiation(offers: list[bytes], answer: bytes | None) -> None:
    agreement = negotiate(offers)
    assert (agreement and agreement.response) == answer
    if agreement is not None:
        assert agreement.client_no_context_takeover == (b"client_no" in answer)


# ----------------------------------------------------------------------------- raw frames


@contextlib.asynccontextmanager
async def served(
    app: Any, ws: type[WebSocketProtocol] | None = None, **options: Any
) -> AsyncIterator[str]:
    """``app`` as ``serve(app, per_message_deflate=True)`` runs it (``ws``: that protocol
    class, or a subclass of it); yields ``host:port``."""
    ws = ws or protocol_for(DeflateOptions())
    async with serve(app, ws=ws, http=front_for("auto", 30.0, ws), **options) as url:
        yield url.removeprefix("http://")


class RawClient:
    """A WebSocket client on a bare TCP connection that offers permessage-deflate and reads
    the server's frames as they are (RSV1 included)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.response = b""

    @classmethod
    async def open(cls, address: str, path: str = EIO_PATH) -> RawClient:
        host, port = address.split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        raw = cls(reader, writer)
        offer = "permessage-deflate; client_max_window_bits"
        writer.write(upgrade_request(path, **{"Sec-WebSocket-Extensions": offer}))
        raw.response = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), WAIT)
        assert raw.response.startswith(b"HTTP/1.1 101")
        return raw

    async def frame(self) -> tuple[int, bytes]:
        """The next server frame: its first byte (FIN, RSV, opcode) and payload."""
        b0, b1 = await asyncio.wait_for(self.reader.readexactly(2), WAIT)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack(">H", await self.reader.readexactly(2))
        elif n == 127:
            (n,) = struct.unpack(">Q", await self.reader.readexactly(8))
        return b0, await self.reader.readexactly(n)

    async def message(self) -> tuple[bool, str]:
        """The next text message, and whether it came compressed (RSV1)."""
        b0, payload = await self.frame()
        compressed = bool(b0 & 0x40)
        if compressed:
            payload = zlib.decompressobj(-15).decompress(payload + TAIL)
        return compressed, payload.decode()

    def send(self, text: str, compress: bool) -> None:
        data = text.encode()
        if compress:
            deflater = zlib.compressobj(wbits=-15)
            data = deflater.compress(data) + deflater.flush(zlib.Z_SYNC_FLUSH)
            assert data.endswith(TAIL)
            data = data[:-4]
        self.writer.write(masked(1, data, rsv=0x40 if compress else 0))

    async def join(self) -> None:
        """Engine.IO's OPEN, then the CONNECT of the default namespace."""
        assert (await self.message())[1].startswith("0{")
        self.send("40", compress=False)
        assert (await self.message())[1].startswith('40{"sid":')

    async def close_code(self) -> int:
        b0, payload = await self.frame()
        assert b0 == 0x88
        assert await asyncio.wait_for(self.reader.read(), WAIT) == b""  # then the TCP close
        code: int = struct.unpack(">H", payload[:2])[0]
        return code

    def close(self) -> None:
        self.writer.close()


def event(name: str, *args: Any) -> str:
    return "42" + json.dumps([name, *args], separators=(",", ":"))


async def test_compressed_both_ways_compress_false_and_shared_broadcast_frames() -> None:
    sio = socketio_rs.AsyncServer(**RAW_OPTIONS)

    @sio.of("/").on("connection")
    async def on_connection(socket: Any) -> None:
        await socket.emit("big", BIG)
        await socket.compress(False).emit("plain", BIG)
        await socket.emit("small", "s")

    class_based = socketio_rs.AsyncNamespace("/class")
    sio.register_namespace(class_based)

    @sio.event
    async def shout(sid: str, text: str) -> None:
        await sio.emit("all", text)
        await sio.compress(False).emit("all", text)
        await sio.emit("all", text, compress=False)
        await class_based.emit("all", text, namespace="/", compress=False)
        await class_based.send(text, namespace="/", compress=False)
        await sio.send(text, compress=False)

    async with served(socketio_rs.ASGIApp(sio)) as address:
        a, b = await RawClient.open(address), await RawClient.open(address)
        extensions = b"sec-websocket-extensions: permessage-deflate; server_no_context_takeover"
        assert extensions in a.response.lower()
        for raw in (a, b):
            await raw.join()
            assert await raw.message() == (True, event("big", BIG))
            assert await raw.message() == (False, event("plain", BIG))  # compress(False)
            assert await raw.message() == (False, event("small", "s"))  # under the threshold
        a.send(event("shout", BIG), compress=True)  # the client compresses too
        frames = {}
        for raw in (a, b):
            first = frames[raw] = await raw.frame()
            assert first[0] == 0xC1  # FIN, RSV1, text
            for _ in range(3):
                assert await raw.message() == (False, event("all", BIG))
            for _ in range(2):
                assert await raw.message() == (False, event("message", BIG))
        # No context takeover: one compressed frame, the same for every recipient.
        assert frames[a] == frames[b]
        a.close()
        b.close()


async def test_a_decompression_bomb_closes_only_its_connection_with_1009() -> None:
    sio = socketio_rs.AsyncServer(**RAW_OPTIONS)

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

    async with served(socketio_rs.ASGIApp(sio), ws_max_size=64 * 1024) as address:
        good = client()
        await good.connect(f"http://{address}", transports=["websocket"])
        deflater = zlib.compressobj(wbits=-15)
        bomb = deflater.compress(b"4" + b"0" * (16 << 20)) + deflater.flush(zlib.Z_SYNC_FLUSH)
        assert len(bomb) < 20_000  # 16 MB once inflated
        cases = [
            (masked(1, bomb[:-4], rsv=0x40), 1009),
            (masked(1, b"\xff\xff\xff", rsv=0x40), 1007),  # invalid DEFLATE data
            (masked(1, b"4", fin=False) + masked(0, b"x", rsv=0x40), 1002),  # RSV1, continuation
            (masked(9, b"", rsv=0x40), 1002),  # RSV1 on a control frame
        ]
        for frame, code in cases:
            raw = await RawClient.open(address)
            await raw.join()
            raw.writer.write(frame)
            assert await raw.close_code() == code
            raw.close()
        assert await good.call("echo", {"still": "served"}, timeout=WAIT) == {"still": "served"}
        await close_client(good)


class CountingProtocol(protocol_for(DeflateOptions())):  # type: ignore[misc]
    """Counts the bytes the server reads from its clients."""

    received = 0

    def data_received(self, data: bytes) -> None:
        CountingProtocol.received += len(data)
        super().data_received(data)


async def test_the_official_client_exchanges_compressed_messages() -> None:
    """socket.io-client 4.x on Node (whose ws offers permessage-deflate, and compresses
    messages of 1024 bytes or more) against ``serve(per_message_deflate=True)``."""
    sio = socketio_rs.AsyncServer(**SERVER_OPTIONS)
    negotiated = []
    text = "compressible " * 2000  # 26 KB each way

    @sio.of("/").on("connection")
    async def on_connection(socket: Any) -> None:
        protocol = socket.request["asgi.scope"]["extensions"]["socketio_rs.websocket"]
        negotiated.append(protocol.deflater is not None)
        await socket.emit("big", text)

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

    CountingProtocol.received = 0
    async with served(socketio_rs.ASGIApp(sio), ws=CountingProtocol) as address:
        transcript = await node_steps(
            f"http://{address}",
            "websocket",
            [["connect", "a", "/"], ["wait", "a", "big"], ["ack", "a", "echo", text]],
        )
    assert negotiated == [True]
    assert steps(transcript, "event") == [["a", "big", text]]
    assert steps(transcript, "ack") == [["a", "echo", text]]
    assert CountingProtocol.received < len(text) // 4  # what the client sent came compressed


@pytest.mark.parametrize("transport", ["websocket", "polling"])
async def test_compress_false_is_a_hint_elsewhere(transport: str) -> None:
    """Under uvicorn's own WebSocket (which compresses as it likes; or ``serve()``'s without
    the option, with SOCKETIO_RS_SERVE=1) and on polling, every form of ``compress(False)`` is
    accepted and the messages arrive."""
    sio = socketio_rs.AsyncServer(**SERVER_OPTIONS)
    got: asyncio.Queue[Any] = asyncio.Queue()

    @sio.event
    async def go(sid: str) -> None:
        socket = sio.of("/").sockets[sid]
        await socket.compress(False).emit("m", 1)
        await socket.emit("m", 2, compress=False)
        await sio.compress(False).emit("m", 3)
        await sio.emit("m", 4, to=sid, compress=False)
        await sio.of("/").to(sid).compress(False).emit("m", 5)

    async with serve(socketio_rs.ASGIApp(sio)) as url:
        c = client()
        c.on("m", got.put_nowait)
        await c.connect(url, transports=[transport])
        await c.emit("go")
        assert [await asyncio.wait_for(got.get(), WAIT) for _ in range(5)] == [1, 2, 3, 4, 5]
        await close_client(c)
