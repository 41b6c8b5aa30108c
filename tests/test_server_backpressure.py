"""A client that does not read holds at most ``max_write_buffer_size`` bytes of the server's
memory: past it the client is cut off with ``"write buffer full"`` and what was buffered for
it is freed, while the other clients keep their latency (docs/limits.md).

The non-reading client is a raw TCP socket with a small receive buffer that, after joining,
never reads again: the kernel's buffers fill and the rest waits in the server.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

import socketio_rs
from server_harness import HOST, SERVE_MODE, WAIT, Inbox, connected, serve

CAP = 16 * 1024 * 1024  # the documented default
BLOB = "x" * 1000
# No heartbeat gets in the way: a non-reading client would otherwise time out on its PONGs.
OPTIONS: dict[str, Any] = {"async_mode": "asgi", "ping_interval": 20, "ping_timeout": 20}


def flood_app(seen: Inbox, **options: Any) -> Any:
    """A server whose ``flood`` event sends the asker ``count`` 1 KB messages."""
    sio = socketio_rs.AsyncServer(**{**OPTIONS, **options})
    gone: set[str] = set()

    @sio.event
    async def disconnect(sid: str, reason: str) -> None:
        gone.add(sid)
        seen.put("disconnect", sid, reason)

    @sio.event
    async def flood(sid: str, count: int) -> None:
        for i in range(count):
            if sid in gone:
                break
            await sio.emit("blob", BLOB, to=sid)
            if i % 100 == 0:
                await asyncio.sleep(0)  # as any real loop would, between batches
        seen.put("flood-done", sid)

    class_based = socketio_rs.AsyncNamespace("/class")
    sio.register_namespace(class_based)

    @sio.event
    async def vflood(sid: str, count: int, style: str) -> None:
        socket = sio.of("/").sockets.get(sid)
        for i in range(count):
            if sid in gone:
                break
            if style == "python":
                await sio.emit("blob", BLOB, to=sid, volatile=True)
            elif style == "send":  # a "message" event
                await sio.send(BLOB, to=sid, volatile=True)
            elif style == "class":
                await class_based.emit("blob", BLOB, to=sid, namespace="/", volatile=True)
            elif style == "operator":
                await sio.volatile.to(sid).emit("blob", BLOB)
            else:
                await socket.volatile.emit("blob", BLOB)
            if i % 100 == 0:
                await asyncio.sleep(0)
        seen.put("flood-done", sid)

    @sio.event
    async def volatile_now(sid: str) -> None:
        await sio.emit("v", 1, to=sid, volatile=True)
        await sio.emit("n", 1, to=sid)

    @sio.event
    async def echo(sid: str, value: Any) -> Any:
        return value

    return socketio_rs.ASGIApp(sio)


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def masked(payload: str) -> bytes:
    """A masked client text frame (RFC 6455 5.2)."""
    data = payload.encode()
    mask = b"\x01\x02\x03\x04"
    n = len(data)
    head = b"\x81" + (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n))
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


@contextlib.asynccontextmanager
async def non_reader(url: str) -> AsyncIterator[socket.socket]:
    """A WebSocket session joined to ``/`` on a socket that, once joined, reads nothing."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    port = int(url.rsplit(":", 1)[1])
    try:
        await loop.sock_connect(sock, (HOST, port))
        key = base64.b64encode(b"0123456789abcdef").decode()
        request = (
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await loop.sock_sendall(sock, request.encode())
        await _read_until(sock, b'0{"sid"')
        await loop.sock_sendall(sock, masked("40"))
        await _read_until(sock, b'40{"sid"')
        yield sock
    finally:
        sock.close()


async def _read_until(sock: socket.socket, marker: bytes) -> None:
    loop = asyncio.get_running_loop()
    got = b""
    while marker not in got:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), WAIT)
        assert chunk, f"closed before {marker!r}: {got!r}"
        got += chunk


def server_holds(sock: socket.socket) -> bool:
    """Whether this process (the server's) still has the other end of ``sock`` open: a
    socket in ``/proc/net/tcp`` whose inode is one of our file descriptors."""
    client_port, server_port = sock.getsockname()[1], sock.getpeername()[1]
    inodes = set()
    with open("/proc/net/tcp") as f:
        for line in f.read().splitlines()[1:]:
            fields = line.split()
            local, remote, inode = fields[1], fields[2], fields[9]
            ports = (int(local.split(":")[1], 16), int(remote.split(":")[1], 16))
            if ports == (server_port, client_port) and inode != "0":
                inodes.add(f"socket:[{inode}]")
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{fd}") in inodes:
                return True
    return False


async def let_go(sock: socket.socket, timeout: float) -> bool:
    """Whether the server closes its end of ``sock`` within ``timeout``, ``sock`` reading
    nothing meanwhile."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while server_holds(sock):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


async def echo_latency(client: Any, stop: asyncio.Event) -> float:
    """The slowest echo round trip of ``client`` until ``stop``."""
    worst = 0.0
    while not stop.is_set():
        start = time.perf_counter()
        assert await client.call("echo", "ping", timeout=WAIT) == "ping"
        worst = max(worst, time.perf_counter() - start)
        await asyncio.sleep(0.01)
    return worst


async def test_a_client_that_does_not_read_is_cut_off_at_the_cap() -> None:
    seen = Inbox()
    async with serve(flood_app(seen)) as url, connected(url, ["websocket"]) as healthy:
        async with non_reader(url) as sock:
            base = rss()
            peak = base
            stop = asyncio.Event()
            latency = asyncio.ensure_future(echo_latency(healthy, stop))
            await asyncio.get_running_loop().sock_sendall(sock, masked('42["flood",400000]'))

            async def sample() -> None:
                nonlocal peak
                while not stop.is_set():
                    peak = max(peak, rss())
                    await asyncio.sleep(0.005)

            sampler = asyncio.ensure_future(sample())
            (_, reason) = await seen.first("disconnect", timeout=60)
            await seen.first("flood-done", timeout=60)
            stop.set()
            worst = await latency
            await sampler
            assert reason == "write buffer full"
            assert reason == socketio_rs.AsyncServer.reason.BUFFER_FULL
            # 400 MB were asked for; what the server held stayed near the cap.
            assert peak - base < CAP + 48 * 1024 * 1024, (peak - base) / 1e6
            assert worst < 2.0, worst  # a few ms when alone; generous for noisy machines
            if SERVE_MODE:
                # Aborted at once: nothing waits for a drain the peer never lets happen.
                assert await let_go(sock, 2.0)
        assert await healthy.call("echo", "after", timeout=WAIT) == "after"


async def test_closing_a_client_that_does_not_read_lets_go_of_it() -> None:
    # Below the cap, then the heartbeat closes the session: its close frame can never be
    # delivered, and the connection, with what it buffered, is let go after the close
    # timeout (10 s) instead of being held for ever. Under another ASGI server the TCP
    # connection is that server's to close.
    seen = Inbox()
    app = flood_app(seen, ping_interval=1, ping_timeout=1)
    async with serve(app) as url, non_reader(url) as sock:
        await asyncio.get_running_loop().sock_sendall(sock, masked('42["flood",4000]'))
        (_, reason) = await seen.first("disconnect", timeout=30)
        assert reason == "ping timeout"
        if SERVE_MODE:
            assert server_holds(sock)
            assert await let_go(sock, 10 + WAIT)


async def test_a_small_cap_is_honoured_on_every_transport_path() -> None:
    seen = Inbox()
    app = flood_app(seen, max_write_buffer_size=200_000)
    async with serve(app) as url, non_reader(url) as sock:
        await asyncio.get_running_loop().sock_sendall(sock, masked('42["flood",5000]'))
        (_, reason) = await seen.first("disconnect", timeout=30)
        assert reason == "write buffer full"


async def test_a_polling_client_that_stops_polling_is_cut_off() -> None:
    seen = Inbox()
    app = flood_app(seen, max_write_buffer_size=200_000)
    async with serve(app) as url, httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
        params = {"EIO": "4", "transport": "polling"}
        opened = await http.get("/socket.io/", params=params)
        params["sid"] = json.loads(opened.text[1:])["sid"]
        assert (await http.post("/socket.io/", params=params, content="40")).text == "OK"
        assert (await http.get("/socket.io/", params=params)).text.startswith("40")
        post = await http.post("/socket.io/", params=params, content='42["flood",5000]')
        assert post.text == "OK"
        # It never polls again.
        (_, reason) = await seen.first("disconnect", timeout=30)
        assert reason == "write buffer full"
        await seen.first("flood-done", timeout=30)
        # What was queued is gone; the client is told the session closed.
        last = await http.get("/socket.io/", params=params)
        assert "blob" not in last.text


async def test_within_the_cap_a_slow_client_gets_everything() -> None:
    seen = Inbox()
    async with serve(flood_app(seen)) as url, connected(url, ["websocket"]) as c:
        got: list[str] = []
        c.on("blob", got.append)
        await c.emit("flood", 2000)
        await seen.first("flood-done")
        deadline = time.monotonic() + WAIT
        while len(got) < 2000 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(got) == 2000
        assert not seen.all("disconnect")


def test_the_cap_is_checked() -> None:
    for bad in (0, -1, 1.5, "big", True):
        try:
            socketio_rs.AsyncServer(max_write_buffer_size=bad)
        except ValueError as exc:
            assert "max_write_buffer_size" in str(exc)
        else:
            raise AssertionError(f"{bad!r} accepted")
    assert socketio_rs.AsyncServer(max_write_buffer_size=None).eio.max_write_buffer_size > 2**40
    assert socketio_rs.AsyncServer().eio.max_write_buffer_size == CAP


VOLATILE_STYLES = ["python", "send", "class", "operator", "socket"]


@pytest.mark.parametrize("style", VOLATILE_STYLES)
async def test_volatile_emits_to_a_client_that_does_not_read_are_dropped(style: str) -> None:
    # 400 MB of volatile emits: once the client's transport is full they are dropped, so the
    # cap is never reached and the client stays connected.
    seen = Inbox()
    async with serve(flood_app(seen)) as url, non_reader(url) as sock:
        request = masked(f'42["vflood",400000,"{style}"]')
        await asyncio.get_running_loop().sock_sendall(sock, request)
        await seen.first("flood-done", timeout=120)
        assert not seen.all("disconnect")


async def test_a_volatile_emit_reaches_a_polling_client_only_while_it_polls() -> None:
    seen = Inbox()
    async with serve(flood_app(seen)) as url, httpx.AsyncClient(base_url=url, timeout=WAIT) as http:
        params = {"EIO": "4", "transport": "polling"}
        opened = await http.get("/socket.io/", params=params)
        params["sid"] = json.loads(opened.text[1:])["sid"]
        await http.post("/socket.io/", params=params, content="40")
        assert (await http.get("/socket.io/", params=params)).text.startswith("40")
        # No GET pending: the volatile emit is dropped, the plain one waits for the next GET.
        await http.post("/socket.io/", params=params, content='42["volatile_now"]')
        assert (await http.get("/socket.io/", params=params)).text == '42["n",1]'
        # A GET pending: both go out on it.
        pending = asyncio.ensure_future(http.get("/socket.io/", params=params))
        await asyncio.sleep(0.2)
        await http.post("/socket.io/", params=params, content='42["volatile_now"]')
        got = (await pending).text
        if got == '42["v",1]':  # the GET may return before the second packet is queued
            got += "\x1e" + (await http.get("/socket.io/", params=params)).text
        assert got == '42["v",1]\x1e42["n",1]'


@pytest.mark.parametrize("style", VOLATILE_STYLES)
async def test_volatile_emits_reach_a_client_that_reads(style: str) -> None:
    seen = Inbox()
    async with serve(flood_app(seen)) as url, connected(url, ["websocket"]) as c:
        got: list[str] = []
        c.on("message" if style == "send" else "blob", got.append)
        await c.emit("vflood", (20, style))  # 20 KB: under any transport's high-water mark
        await seen.first("flood-done")
        deadline = time.monotonic() + WAIT
        while len(got) < 20 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert len(got) == 20
