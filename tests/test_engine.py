"""The Engine.IO transport glue (``socketio_rs.engine``) against real sockets.

Each test starts uvicorn on 127.0.0.1 in its own event loop, serving an ``EngineServer`` that
echoes messages, and talks to it with raw HTTP long-polling requests (httpx) and raw WebSocket
frames (websockets). The checks mirror the Engine.IO part of the public Socket.IO v5 protocol
test-suite (``conformance #N`` is check N of reference section 6.3), where python-engineio on
its own fails #1, #3, #4, #5, #9, #12, #15 and #16.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import engineio
import httpx
import pytest
import pytest_asyncio
import uvicorn
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server_harness import SERVE_OPTIONS
from socketio_rs.engine import EngineServer

# The suite's server: ping interval 300 ms, ping timeout 200 ms, max payload 1,000,000.
SUITE = {"ping_interval": 0.3, "ping_timeout": 0.2, "max_http_buffer_size": 1_000_000}
# Shorter heartbeats for the tests that wait for pings, to keep the module fast.
FAST = {"ping_interval": 0.1, "ping_timeout": 0.2}
# How long to wait for something that should happen within milliseconds (not a benchmark).
WAIT = 5.0
RS = "\x1e"  # the record separator between packets of a polling payload


# One event loop for the module, so that each server configuration starts once.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Served:
    """A running ``EngineServer`` and how to reach it."""

    eio: EngineServer
    url: str = ""
    disconnects: dict[str, str] = field(default_factory=dict)

    def path(self, query: str) -> str:
        return f"{self.url}/socket.io/?{query}"

    def ws_url(self, query: str) -> str:
        return self.path(query).replace("http://", "ws://", 1)

    async def disconnected(self, sid: str) -> str:
        """The reason ``sid`` was disconnected, once the server has noticed."""
        for _ in range(int(WAIT / 0.01)):
            if sid in self.disconnects:
                return self.disconnects[sid]
            await asyncio.sleep(0.01)
        raise AssertionError(f"{sid} was not disconnected")


Serve = Callable[..., Awaitable[Served]]


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def serve() -> AsyncIterator[Serve]:
    """Start (or reuse) an echoing ``EngineServer`` under uvicorn with the given options.

    ``reject=True`` adds a connect handler that refuses every connection.
    """
    running: dict[str, tuple[Served, uvicorn.Server, asyncio.Task[None]]] = {}

    async def start(reject: bool = False, **options: Any) -> Served:
        key = repr((reject, sorted(options.items())))
        if key in running:
            return running[key][0]
        eio = EngineServer(
            async_mode="asgi", async_handlers=False, cors_allowed_origins="*", **options
        )
        served = Served(eio)
        if reject:
            eio.on("connect", lambda sid, environ: False)

        @eio.on("message")
        async def message(sid: str, data: Any) -> None:
            await eio.send(sid, data)

        @eio.on("disconnect")
        async def disconnect(sid: str, reason: str) -> None:
            served.disconnects[sid] = reason

        app = engineio.ASGIApp(eio, engineio_path="socket.io")
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
            log_config=None,
            **SERVE_OPTIONS,
        )
        server = uvicorn.Server(config)
        task = asyncio.ensure_future(server.serve())
        while not server.started:
            assert not task.done(), "uvicorn did not start"
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        served.url = f"http://127.0.0.1:{port}"
        running[key] = (served, server, task)
        return served

    yield start
    for served, server, _ in running.values():
        for socket in list(served.eio.sockets.values()):
            await socket.close(wait=False, abort=True)
        await served.eio.shutdown()
        server.should_exit = True
    await asyncio.wait_for(asyncio.gather(*(task for _, _, task in running.values())), WAIT)


@pytest_asyncio.fixture(loop_scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=WAIT) as client:
        yield client


def packets(body: str) -> list[str]:
    return body.split(RS)


async def open_polling(http: httpx.AsyncClient, served: Served) -> str:
    """A polling handshake; returns the session id."""
    response = await http.get(served.path("EIO=4&transport=polling"))
    assert response.status_code == 200
    assert response.text.startswith("0")
    sid: str = json.loads(response.text[1:])["sid"]
    return sid


async def recv(ws: ClientConnection) -> str | bytes:
    return await asyncio.wait_for(ws.recv(), WAIT)


async def recv_message(ws: ClientConnection) -> str | bytes:
    """The next frame that is not a NOOP (python-engineio ends an upgrade's poll with one,
    and sends it over the WebSocket when no GET was pending)."""
    while (frame := await recv(ws)) == "6":
        pass
    return frame


async def closed(ws: ClientConnection) -> bool:
    """Whether the server closes ``ws``; frames it sends first are skipped."""
    try:
        while True:
            await recv(ws)
    except ConnectionClosed:
        return True


async def wait_until(condition: Callable[[], bool]) -> None:
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


def handshake_values(frame: str | bytes) -> dict[str, Any]:
    assert isinstance(frame, str)
    assert frame.startswith("0")
    value: dict[str, Any] = json.loads(frame[1:])
    assert set(value) == {"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}
    assert isinstance(value["sid"], str)
    return value


# --------------------------------------------------------------------------- handshake


async def test_polling_handshake_advertises_exact_milliseconds(
    serve: Serve, http: httpx.AsyncClient
) -> None:
    # conformance #1: python-engineio advertised int(0.3) * 1000 == 0
    served = await serve(**SUITE)
    response = await http.get(served.path("EIO=4&transport=polling"))
    assert response.status_code == 200
    value = handshake_values(response.text)
    assert value["upgrades"] == ["websocket"]
    assert (value["pingInterval"], value["pingTimeout"], value["maxPayload"]) == (300, 200, 10**6)


@pytest.mark.parametrize(
    ("ping_interval", "advertised"), [(25, 25000), ((0.3, 0.05), 350), (1.001, 1001)]
)
async def test_ping_interval_and_grace_period(
    serve: Serve, http: httpx.AsyncClient, ping_interval: Any, advertised: int
) -> None:
    # python-engineio's (interval, grace) tuple: the grace period is advertised, not waited
    served = await serve(ping_interval=ping_interval)
    response = await http.get(served.path("EIO=4&transport=polling"))
    assert handshake_values(response.text)["pingInterval"] == advertised


@pytest.mark.parametrize("query", ["transport=polling", "EIO=abc&transport=polling", "EIO=3"])
async def test_polling_invalid_eio(serve: Serve, http: httpx.AsyncClient, query: str) -> None:
    # conformance #2
    served = await serve(**SUITE)
    assert (await http.get(served.path(query))).status_code == 400


@pytest.mark.parametrize("query", ["EIO=4", "EIO=4&transport=abc"])
async def test_polling_invalid_transport(serve: Serve, http: httpx.AsyncClient, query: str) -> None:
    # conformance #3: python-engineio took a missing transport for polling
    served = await serve(**SUITE)
    before = set(served.eio.sockets)
    response = await http.get(served.path(query))
    assert response.status_code == 400
    assert set(served.eio.sockets) <= before


async def test_disabled_transports(serve: Serve, http: httpx.AsyncClient) -> None:
    websocket_only = await serve(transports=["websocket"])
    response = await http.get(websocket_only.path("EIO=4&transport=polling"))
    assert response.status_code == 400
    polling_only = await serve(transports=["polling"])
    response = await http.get(polling_only.path("EIO=4&transport=polling"))
    assert handshake_values(response.text)["upgrades"] == []  # python-engineio offered one


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_invalid_method(serve: Serve, http: httpx.AsyncClient, method: str) -> None:
    # conformance #4: python-engineio answered 405 to PUT
    served = await serve(**SUITE)
    response = await http.request(method, served.path("EIO=4&transport=polling"))
    assert response.status_code == 400


async def test_cors_preflight_and_cookie_still_work(serve: Serve, http: httpx.AsyncClient) -> None:
    # The spec checks leave python-engineio's own options alone.
    served = await serve(cookie="io")
    origin = {"Origin": "http://example.com"}
    preflight = await http.options(served.path("EIO=4&transport=polling"), headers=origin)
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "http://example.com"
    response = await http.get(served.path("EIO=4&transport=polling"), headers=origin)
    sid = json.loads(response.text[1:])["sid"]
    assert response.headers["set-cookie"].startswith(f"io={sid}; ")
    assert response.headers["access-control-allow-origin"] == "http://example.com"


async def test_rejected_connection(serve: Serve, http: httpx.AsyncClient) -> None:
    served = await serve(reject=True)
    response = await http.get(served.path("EIO=4&transport=polling"))
    assert response.status_code == 401
    assert served.eio.sockets == {}


async def test_websocket_handshake(serve: Serve) -> None:
    # conformance #5
    served = await serve(**SUITE)
    async with connect(served.ws_url("EIO=4&transport=websocket")) as ws:
        value = handshake_values(await recv(ws))
    assert value["upgrades"] == []
    assert (value["pingInterval"], value["pingTimeout"], value["maxPayload"]) == (300, 200, 10**6)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("transport=websocket", id="no EIO (conformance #6)"),
        pytest.param("EIO=abc&transport=websocket", id="bad EIO (conformance #6)"),
        pytest.param("EIO=4", id="no transport (conformance #7)"),
        pytest.param("EIO=4&transport=abc", id="bad transport (conformance #7)"),
        pytest.param("EIO=4&transport=polling", id="polling over a WebSocket"),
    ],
)
async def test_websocket_invalid_query_is_refused(serve: Serve, query: str) -> None:
    served = await serve(**SUITE)
    before = set(served.eio.sockets)
    with pytest.raises(InvalidStatus):
        async with connect(served.ws_url(query)):
            pass
    assert set(served.eio.sockets) <= before


# --------------------------------------------------------------------------- heartbeat


async def test_polling_ping_pong(serve: Serve, http: httpx.AsyncClient) -> None:
    # conformance #8
    served = await serve(**FAST)
    sid = await open_polling(http, served)
    for _ in range(3):
        poll = await http.get(served.path(f"EIO=4&transport=polling&sid={sid}"))
        assert (poll.status_code, poll.text) == (200, "2")
        pong = await http.post(served.path(f"EIO=4&transport=polling&sid={sid}"), content="3")
        assert pong.status_code == 200
    assert sid not in served.disconnects


async def test_polling_ping_timeout_closes_the_session(
    serve: Serve, http: httpx.AsyncClient
) -> None:
    # conformance #9: the session ends when the timeout expires, not at python-engineio's next
    # monitoring round; a pending GET gets the CLOSE packet (python-engineio dropped it).
    served = await serve(**FAST)
    sid = await open_polling(http, served)
    poll = served.path(f"EIO=4&transport=polling&sid={sid}")
    assert (await http.get(poll)).text == "2"
    assert (await http.get(poll)).text == "1"
    assert (await http.get(poll)).status_code == 400
    assert await served.disconnected(sid) == "ping timeout"


async def test_polling_request_after_the_ping_timeout(
    serve: Serve, http: httpx.AsyncClient
) -> None:
    # conformance #9 as the suite runs it: nothing pending, one request after interval + timeout
    served = await serve(**FAST)
    sid = await open_polling(http, served)
    await asyncio.sleep(0.1 + 0.2 + 0.1)
    response = await http.get(served.path(f"EIO=4&transport=polling&sid={sid}"))
    assert response.status_code == 400


async def test_websocket_ping_pong(serve: Serve) -> None:
    # conformance #10
    served = await serve(**FAST)
    async with connect(served.ws_url("EIO=4&transport=websocket")) as ws:
        sid = handshake_values(await recv(ws))["sid"]
        for _ in range(3):
            assert await recv(ws) == "2"
            await ws.send("3")
        await ws.send("4hello")
        assert await recv(ws) == "4hello"
    assert await served.disconnected(sid) == "transport close"


async def test_websocket_ping_timeout(serve: Serve) -> None:
    # conformance #11
    served = await serve(**FAST)
    async with connect(served.ws_url("EIO=4&transport=websocket")) as ws:
        sid = handshake_values(await recv(ws))["sid"]
        assert await recv(ws) == "2"
        # Anything but a PONG: python-engineio also drops a WebSocket that has been silent for
        # interval + timeout, which would race the ping timeout without this frame.
        await ws.send("4x")
        assert await recv(ws) == "4x"
        assert await recv(ws) == "1"
        assert await closed(ws)
    assert await served.disconnected(sid) == "ping timeout"


# --------------------------------------------------------------------------- close


async def test_polling_close_answers_the_pending_get(serve: Serve, http: httpx.AsyncClient) -> None:
    # conformance #12: python-engineio left the GET waiting, then answered it 400
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    poll = served.path(f"EIO=4&transport=polling&sid={sid}")
    pending = asyncio.ensure_future(http.get(poll))
    await asyncio.sleep(0.05)  # let the GET reach the server first, as the suite's does
    close = await http.post(poll, content="1")
    assert close.status_code == 200
    response = await pending
    assert (response.status_code, response.text) == (200, "6")
    assert (await http.get(poll)).status_code == 400
    assert await served.disconnected(sid) == "client disconnect"


async def test_polling_close_with_nothing_pending(serve: Serve, http: httpx.AsyncClient) -> None:
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    poll = served.path(f"EIO=4&transport=polling&sid={sid}")
    assert (await http.post(poll, content="1")).status_code == 200
    assert (await http.get(poll)).status_code == 400


async def test_websocket_close(serve: Serve) -> None:
    # conformance #13: closed at once, not when the writer's poll times out (15 s here)
    served = await serve(ping_interval=10, ping_timeout=5)
    async with connect(served.ws_url("EIO=4&transport=websocket")) as ws:
        sid = handshake_values(await recv(ws))["sid"]
        await ws.send("1")
        assert await closed(ws)
    assert await served.disconnected(sid) == "client disconnect"


async def test_an_idle_websocket_session_holds_no_task_of_its_own(serve: Serve) -> None:
    # Packets are written as they are sent: no writer task per session (python-engineio's) and
    # no heartbeat task; the server's task serving the connection is the only one.
    served = await serve(ping_interval=10, ping_timeout=5)

    def server_tasks() -> int:
        """The loop's tasks but the test's WebSocket clients' (websockets' own)."""
        codes = (task.get_coro().cr_code for task in asyncio.all_tasks())  # type: ignore[union-attr]
        return sum("websockets/asyncio/" not in code.co_filename for code in codes)

    async with connect(served.ws_url("EIO=4&transport=websocket")) as warm:
        handshake_values(await recv(warm))  # the server's own tasks start with a first session
        before = server_tasks()
        sockets = [await connect(served.ws_url("EIO=4&transport=websocket")) for _ in range(5)]
        try:
            for ws in sockets:
                handshake_values(await recv(ws))
                await ws.send("4hello")
                assert await recv(ws) == "4hello"
            assert server_tasks() - before == len(sockets)
        finally:
            for ws in sockets:
                await ws.close()


async def test_server_disconnect_closes_the_websocket(serve: Serve) -> None:
    served = await serve(ping_interval=10, ping_timeout=5)
    async with connect(served.ws_url("EIO=4&transport=websocket")) as ws:
        sid = handshake_values(await recv(ws))["sid"]
        await served.eio.disconnect(sid)
        assert await recv(ws) == "1"
        assert await closed(ws)
    assert await served.disconnected(sid) == "server disconnect"


# --------------------------------------------------------------------------- upgrade


async def upgrade(served: Served, sid: str) -> ClientConnection:
    """Upgrade polling session ``sid`` to a WebSocket; the caller closes it."""
    ws = await connect(served.ws_url(f"EIO=4&transport=websocket&sid={sid}"))
    await ws.send("2probe")
    assert await recv(ws) == "3probe"
    await ws.send("5")
    return ws


async def test_upgrade(serve: Serve, http: httpx.AsyncClient) -> None:
    # conformance #14: the pending GET is released with a NOOP, then the WebSocket carries on
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    pending = asyncio.ensure_future(http.get(served.path(f"EIO=4&transport=polling&sid={sid}")))
    ws = await upgrade(served, sid)
    async with ws:
        assert (await pending).text == "6"
        await ws.send("4over the WebSocket")
        assert await recv_message(ws) == "4over the WebSocket"
        assert served.eio.transport(sid) == "websocket"


async def test_polling_after_upgrade_is_refused(serve: Serve, http: httpx.AsyncClient) -> None:
    # conformance #15: the GET races the UPGRADE packet; python-engineio answered it 200
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    async with await upgrade(served, sid) as ws:
        poll = served.path(f"EIO=4&transport=polling&sid={sid}")
        assert (await http.get(poll)).status_code == 400
        assert (await http.post(poll, content="4late")).status_code == 400
        await ws.send("4still open")
        assert await recv_message(ws) == "4still open"


async def test_second_websocket_is_closed(serve: Serve, http: httpx.AsyncClient) -> None:
    # conformance #16: accepted, then closed (python-engineio refused it with 400 once
    # upgraded, and started a second upgrade that never ended while upgrading)
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    async with await upgrade(served, sid) as ws:
        async with connect(served.ws_url(f"EIO=4&transport=websocket&sid={sid}")) as second:
            assert await closed(second)
        await ws.send("4first one")
        assert await recv_message(ws) == "4first one"


async def test_second_websocket_during_the_upgrade_is_closed(
    serve: Serve, http: httpx.AsyncClient
) -> None:
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    async with connect(served.ws_url(f"EIO=4&transport=websocket&sid={sid}")) as probe:
        await probe.send("2probe")
        assert await recv(probe) == "3probe"
        async with connect(served.ws_url(f"EIO=4&transport=websocket&sid={sid}")) as second:
            assert await closed(second)
        await probe.send("5")
        await probe.send("4upgraded")
        assert await recv_message(probe) == "4upgraded"


async def test_polling_goes_on_when_the_probe_fails(serve: Serve, http: httpx.AsyncClient) -> None:
    # A GET during an upgrade that never completes is served as any other poll.
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    poll = served.path(f"EIO=4&transport=polling&sid={sid}")
    async with connect(served.ws_url(f"EIO=4&transport=websocket&sid={sid}")):
        await wait_until(lambda: served.eio.sockets[sid].upgrading)
        pending = asyncio.ensure_future(http.get(poll))
        await asyncio.sleep(0.05)
        await served.eio.send(sid, "during the probe")
        assert (await pending).text == "4during the probe"
    await wait_until(lambda: not served.eio.sockets[sid].upgrading)
    await http.post(poll, content="4after")
    assert (await http.get(poll)).text == "4after"


async def test_packets_go_out_on_polling_during_the_probe(
    serve: Serve, http: httpx.AsyncClient
) -> None:
    # The pending GET carries what is queued while the WebSocket waits for its probe, in order
    # (python-engineio answered it with a NOOP and kept the packets for the WebSocket).
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    poll = served.path(f"EIO=4&transport=polling&sid={sid}")
    async with connect(served.ws_url(f"EIO=4&transport=websocket&sid={sid}")) as ws:
        await wait_until(lambda: served.eio.sockets[sid].upgrading)
        pending = asyncio.ensure_future(http.get(poll))
        await asyncio.sleep(0.05)  # the GET is waiting
        await served.eio.send(sid, "one")
        await served.eio.send(sid, b"\x01\x02")
        assert packets((await pending).text) == ["4one", "bAQI="]
        await served.eio.send(sid, "two")
        assert (await http.get(poll)).text == "4two"
        await ws.send("2probe")
        assert await recv(ws) == "3probe"
        # Polling goes on until the UPGRADE packet: this GET gets the packet queued now.
        pending = asyncio.ensure_future(http.get(poll))
        await served.eio.send(sid, "three")
        assert (await pending).text == "4three"
        # With nothing to send, a GET is answered with a NOOP (the reference server's check).
        assert (await http.get(poll)).text == "6"
        await ws.send("5")
        await wait_until(lambda: served.eio.transport(sid) == "websocket")
        await served.eio.send(sid, "four")
        assert await recv(ws) == "4four"  # nothing else before it: no NOOP, no duplicate


async def test_packets_queued_at_the_switch_go_out_once_in_order(
    serve: Serve, http: httpx.AsyncClient
) -> None:
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    poll = served.path(f"EIO=4&transport=polling&sid={sid}")
    async with connect(served.ws_url(f"EIO=4&transport=websocket&sid={sid}")) as ws:
        await ws.send("2probe")
        assert await recv(ws) == "3probe"
        assert (await http.get(poll)).text == "6"  # the client's last GET; polling pauses
        for n in range(5):
            await served.eio.send(sid, f"queued {n}")
        await ws.send("5")
        for n in range(5):
            assert await recv(ws) == f"4queued {n}"
        await served.eio.send(sid, "direct")
        assert await recv(ws) == "4direct"


async def test_get_pending_when_the_upgrade_completes_is_released(
    serve: Serve, http: httpx.AsyncClient
) -> None:
    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    poll = served.path(f"EIO=4&transport=polling&sid={sid}")
    async with connect(served.ws_url(f"EIO=4&transport=websocket&sid={sid}")) as ws:
        await wait_until(lambda: served.eio.sockets[sid].upgrading)
        pending = asyncio.ensure_future(http.get(poll))
        # The GET waits on the server before the upgrade goes on (else it would come too late).
        await wait_until(lambda: served.eio.sockets[sid]._waiting_get is not None)
        await ws.send("2probe")
        assert await recv(ws) == "3probe"
        await ws.send("5")
        assert (await pending).text == "6"
        await served.eio.send(sid, "after")
        assert await recv(ws) == "4after"


# --------------------------------------------------------------------------- enqueue


async def test_enqueue(serve: Serve, http: httpx.AsyncClient) -> None:
    from engineio import packet as eio_packet

    served = await serve(ping_interval=10, ping_timeout=5)
    sid = await open_polling(http, served)
    pkt = eio_packet.Packet(eio_packet.MESSAGE, "queued")
    assert served.eio.enqueue(sid, pkt)
    assert served.eio.enqueue(sid, pkt)
    assert not served.eio.enqueue("no such sid", pkt)
    poll = served.path(f"EIO=4&transport=polling&sid={sid}")
    assert packets((await http.get(poll)).text) == ["4queued", "4queued"]
    await http.post(poll, content="1")
    assert not served.eio.enqueue(sid, pkt)


async def test_server_disconnect_of_an_idle_polling_session(
    serve: Serve, http: httpx.AsyncClient
) -> None:
    # python-engineio's disconnect() waited for the next GET without a limit (for ever if the
    # client is gone); now for at most one polling cycle (interval + timeout).
    served = await serve(**FAST)
    sid = await open_polling(http, served)
    await asyncio.wait_for(served.eio.disconnect(sid), WAIT)
    assert await served.disconnected(sid) == "server disconnect"
    assert sid not in served.eio.sockets


async def test_websocket_environ_is_python_engineio_s() -> None:
    """A WebSocket request's environ is built by socketio-rs (without python-engineio's
    per-request body class) and must stay key for key what python-engineio's ASGI driver
    builds, since applications read it in their connect handlers."""
    from engineio.async_drivers import asgi as engineio_asgi

    from socketio_rs.engine import websocket_environ

    scope = {
        "type": "websocket",
        "path": "/socket.io/",
        "query_string": b"EIO=4&transport=websocket&x=%C3%A9",
        "headers": [
            (b"host", b"127.0.0.1:9"),
            (b"x-dup", b"a"),
            (b"X-Dup", b"b"),
            (b"content-type", b"text/plain"),
            (b"content-length", b"0"),
            (b"x-forwarded-proto", b"https"),
            (b"x-bad", b"\xff"),
            (b"x-\xff", b"bad name"),
        ],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: dict[str, Any]) -> None:
        raise AssertionError("nothing is sent while translating")

    ours = await websocket_environ(scope, receive, send)
    theirs = await engineio_asgi.translate_request(scope, receive, send)
    # No body either way (python-engineio's reader returns None for a WebSocket, ours b"").
    assert not await ours.pop("wsgi.input").read()
    assert not await theirs.pop("wsgi.input").read()
    assert ours == theirs
    assert ours["HTTP_X_DUP"] == "a,b" and ours["wsgi.url_scheme"] == "https"

    async def disconnected() -> dict[str, Any]:
        return {"type": "websocket.disconnect"}

    assert await websocket_environ(scope, disconnected, send) == {}


async def test_session_fields_are_python_engineio_s() -> None:
    """``EngineSocket`` sets python-engineio's session fields itself (without the
    ``asyncio.Queue`` python-engineio makes and it replaces): every field python-engineio's
    ``AsyncSocket`` has must be there, with the same starting value."""
    from engineio.async_socket import AsyncSocket

    from socketio_rs.engine import EngineSocket

    eio = EngineServer(async_mode="asgi")
    ours, theirs = EngineSocket(eio, "a"), AsyncSocket(eio, "a")
    for name, value in vars(theirs).items():
        if name == "queue":
            assert isinstance(ours.queue, asyncio.Queue)
        elif name == "last_ping":
            assert ours.last_ping == pytest.approx(value, abs=5)
        else:
            assert getattr(ours, name) == value, name


async def test_session_ids_are_python_engineio_s() -> None:
    """``EngineServer.generate_id`` makes python-engineio's ids: 20 URL-safe base64
    characters whose last four count up (its sequence number)."""
    from engineio.base_server import BaseServer

    eio = EngineServer(async_mode="asgi")
    eio.sequence_number = 0xFFFFFE
    ours = [eio.generate_id() for _ in range(3)]
    theirs = BaseServer.generate_id(eio)
    assert [sid[-4:] for sid in ours] == ["___-", "____", "AAAA"]
    assert theirs[-4:] == "AAAB"  # the same counter, and the same encoding
    for sid in [*ours, theirs]:
        assert len(sid) == 20 and set(sid) <= set(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        )


@pytest.mark.parametrize(
    "handshake",
    [
        {"sid": "a-b_c", "upgrades": [], "pingInterval": 25000, "pingTimeout": 20000},
        {"sid": "x", "upgrades": ["websocket"], "pingInterval": 1, "pingTimeout": 2},
        {"sid": 'é"\\\n', "upgrades": ["a", "b"], "pingInterval": 0, "pingTimeout": -1},
        {"sid": "x", "upgrades": [], "pingInterval": 1.5, "pingTimeout": 2},
        {"sid": "x", "upgrades": [], "pingInterval": True, "pingTimeout": 2},
    ],
)
async def test_open_packet_payload_is_python_engineio_s(handshake: dict[str, Any]) -> None:
    """The OPEN packet's payload, formatted by socketio-rs for the usual types, is what
    python-engineio's ``Packet.encode`` writes (``json.dumps`` with compact separators)."""
    from engineio import packet as eio_packet

    from socketio_rs.engine.socket import _open_json

    for max_payload in (1_000_000, 10**30, 1e6):
        full = {**handshake, "maxPayload": max_payload}
        expected = eio_packet.Packet(eio_packet.OPEN, full).encode()
        assert eio_packet.Packet(eio_packet.OPEN, _open_json(full)).encode() == expected


async def test_query_parsing_is_parse_qs_s() -> None:
    """The engine's query parsing (direct when nothing is escaped) is ``parse_qs``'s."""
    import random
    import urllib.parse

    from socketio_rs.engine.server import parse_query

    cases = ["", "EIO=4&transport=websocket", "EIO=4&transport=polling&t=Nx&sid=a-b_c"]
    cases += ["a=1&a=2&b=&c", "&&=x&y=", "a==b&=&x=%41+%2B", "b64=1;c=2"]
    rng = random.Random(11)
    alphabet = "ab=&;%2+ é"
    cases += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(14))) for _ in range(5000)]
    for query in cases:
        assert parse_query(query) == urllib.parse.parse_qs(query), query


@pytest.mark.parametrize(
    ("query", "headers", "options"),
    [
        ("EIO=4&transport=polling&j=0", [], {}),
        ("EIO=4&transport=polling&j=x", [], {}),
        ("EIO=4&transport=websocket", [], {}),  # a WebSocket handshake without the upgrade
        (
            "EIO=4&transport=polling",
            [(b"accept-encoding", b"gzip")],
            {"http_compression": True, "compression_threshold": 0},
        ),
        (
            "EIO=4&transport=polling",
            [(b"origin", b"http://a")],
            {"cors_allowed_origins": "http://b"},
        ),
        (
            "EIO=4&transport=polling&t=x",
            [(b"origin", b"http://a")],
            {"cors_allowed_origins": "http://a", "cookie": "io"},
        ),
    ],
)
async def test_v4_handshake_answers_as_python_engineio(
    query: str, headers: list[tuple[bytes, bytes]], options: dict[str, Any]
) -> None:
    """EngineServer answers a v4 handshake itself (``_handshake_v4``), from the query it
    parsed once; the answer is python-engineio's: status, headers, body (JSONP, compression,
    origin refusal, cookie), the session id aside."""
    import gzip
    import re

    async def answer(server: Any) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        sent: list[dict[str, Any]] = []
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/socket.io/",
            "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1:9"), *headers],
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await server.handle_request(scope, receive, send)
        for socket in list(server.sockets.values()):
            await socket.close(wait=False, abort=True)
        start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
        fields = list(start["headers"])
        if (b"Content-Encoding", b"gzip") in fields:
            body = gzip.decompress(body)
        sid = re.compile(rb"[A-Za-z0-9_-]{20}")
        fields = [(name, sid.sub(b"SID", value)) for name, value in fields]
        fields = [f for f in fields if f[0].lower() != b"content-length"]  # gzip's size varies
        # The OPEN's keys come in the reference server's order, pingInterval first.
        body = re.sub(rb'(\\?"pingTimeout\\?":\d+),(\\?"pingInterval\\?":\d+)', rb"\2,\1", body)
        return start["status"], sorted(fields), sid.sub(b"SID", body)

    common = {"async_mode": "asgi", "monitor_clients": False, **options}
    ours = await answer(EngineServer(**common))
    theirs = await answer(engineio.AsyncServer(**common))
    assert ours == theirs


@pytest.mark.parametrize("eio", ["3", "4"])
async def test_refused_origin_opens_no_session(eio: str) -> None:
    """A handshake whose ``Origin`` is refused gets python-engineio's 400 and nothing else:
    no session, no OPEN packet after the refusal."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/socket.io/",
        "query_string": f"EIO={eio}&transport=polling".encode(),
        "headers": [(b"host", b"127.0.0.1:9"), (b"origin", b"http://a")],
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    eio_server = EngineServer(
        async_mode="asgi", monitor_clients=False, allow_eio3=True, cors_allowed_origins="http://b"
    )
    await eio_server.handle_request(scope, receive, send)
    assert sent[0]["status"] == 400
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert body == b'"http://a is not an accepted origin."'
    assert not eio_server.sockets
