"""The application of one server process in the Redis cluster tests and benchmark.

Run as ``uvicorn --app-dir tests redis_app:app`` with the environment:
``SIO_IMPL`` (``socketio_rs``, or ``socketio`` for python-socketio), ``REDIS_URL``,
``SIO_CHANNEL``, ``SIO_NAME`` (how this process names itself), and for socketio-rs
``SIO_PUBLISH_TIMEOUT`` / ``SIO_RECONNECT_DELAY`` (``first,max``), ``SIO_MANAGER=streams``
(``AsyncRedisStreamsManager``, on the stream named by ``SIO_CHANNEL``) and ``SIO_RECOVERY=1``
(connection state recovery on).

The handlers let a test client drive server-side operations that cross processes:
``do_emit`` (emit with ``to``/``skip_sid``/``volatile``), ``do_call`` (emit with a callback to a
client that may be on another process; returns the ack), ``do_enter``/``do_leave``
(room changes of any sid), ``do_close``, ``do_disconnect`` and ``burst`` (the benchmark).
"""

from __future__ import annotations

import asyncio
import importlib
import os
import time
from typing import Any

IMPL = os.environ.get("SIO_IMPL", "socketio_rs")
NAME = os.environ.get("SIO_NAME", IMPL)
sio_module: Any = importlib.import_module(IMPL)

_options: dict[str, Any] = {"channel": os.environ.get("SIO_CHANNEL", "socketio")}
if IMPL == "socketio_rs":
    if "SIO_PUBLISH_TIMEOUT" in os.environ:
        _options["publish_timeout"] = float(os.environ["SIO_PUBLISH_TIMEOUT"])
    if "SIO_RECONNECT_DELAY" in os.environ:
        first, maximum = os.environ["SIO_RECONNECT_DELAY"].split(",")
        _options["reconnect_delay"] = (float(first), float(maximum))
_server_options: dict[str, Any] = {}
if os.environ.get("SIO_MANAGER") == "streams":  # socketio-rs's Redis Streams manager
    manager = sio_module.AsyncRedisStreamsManager(
        os.environ["REDIS_URL"], stream_name=_options["channel"]
    )
else:
    manager = sio_module.AsyncRedisManager(os.environ["REDIS_URL"], **_options)
if os.environ.get("SIO_RECOVERY") == "1":
    _server_options["connection_state_recovery"] = True
sio = sio_module.AsyncServer(
    client_manager=manager, async_mode="asgi", ping_interval=5, ping_timeout=5, **_server_options
)
app = sio_module.ASGIApp(sio, on_shutdown=sio.shutdown)


def _result(exc: BaseException | None = None) -> dict[str, Any]:
    if exc is None:
        return {"ok": True, "host": NAME}
    return {"ok": False, "host": NAME, "error": f"{type(exc).__name__}: {exc}"}


@sio.event
async def whoami(sid: str) -> dict[str, Any]:
    return {"host": NAME, "sid": sid, "impl": IMPL}


@sio.event
async def join(sid: str, room: str) -> bool:
    await sio.enter_room(sid, room)
    return True


@sio.event
async def rooms(sid: str) -> list[Any]:
    return sorted(r for r in sio.rooms(sid) if r != sid)


@sio.event
async def do_emit(sid: str, spec: dict[str, Any]) -> dict[str, Any]:
    skip = spec.get("skip_sid")
    extra = {"volatile": True} if spec.get("volatile") else {}  # socketio-rs's only
    try:
        await sio.emit(
            spec["event"],
            tuple(spec.get("args", ())),
            to=spec.get("to"),
            skip_sid=sid if skip == "self" else skip,
            **extra,
        )
    except Exception as exc:  # a Redis outage: the caller sees it
        return _result(exc)
    return _result()


@sio.event
async def do_call(sid: str, target: str, payload: Any) -> Any:
    """Emit ``question`` to ``target`` with a callback; return what its ack carried."""
    got: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def on_ack(*args: Any) -> None:
        if not got.done():
            got.set_result(args)

    await sio.emit("question", payload, to=target, callback=on_ack)
    return list(await asyncio.wait_for(got, 10))


@sio.event
async def do_enter(sid: str, target: str, room: str) -> dict[str, Any]:
    await sio.enter_room(target, room)
    return _result()


@sio.event
async def do_leave(sid: str, target: str, room: str) -> dict[str, Any]:
    await sio.leave_room(target, room)
    return _result()


@sio.event
async def do_close(sid: str, room: str) -> dict[str, Any]:
    await sio.close_room(room)
    return _result()


@sio.event
async def do_disconnect(sid: str, target: str) -> dict[str, Any]:
    await sio.disconnect(target)
    return _result()


@sio.event
async def burst(sid: str, count: int, payload: Any) -> dict[str, Any]:
    """Broadcast ``tick`` ``count`` times, one emit after the other (the benchmark)."""
    started = time.perf_counter()
    for n in range(count):
        await sio.emit("tick", (n, payload))
    return {"seconds": time.perf_counter() - started}


if IMPL == "socketio_rs":

    @sio.event
    async def do_node(sid: str, spec: dict[str, Any]) -> dict[str, Any]:
        """A Node-style operator action: ``sio.of(nsp).to(...).except_(...).<op>(...)``."""
        operator = sio.of(spec.get("nsp", "/"))._operator()
        if spec.get("to"):
            operator = operator.to(spec["to"])
        if spec.get("except"):
            operator = operator.except_(spec["except"])
        op = spec["op"]
        if op == "emit":
            await operator.emit(spec["event"], *spec.get("args", ()))
        elif op == "join":
            await operator.sockets_join(spec["rooms"])
        elif op == "leave":
            await operator.sockets_leave(spec["rooms"])
        elif op == "disconnect":
            await operator.disconnect_sockets(spec.get("close", False))
        elif op == "fetch":
            return {
                "ok": True,
                "sockets": [
                    {
                        "id": s.id,
                        "remote": type(s).__name__ == "RemoteSocket",
                        "rooms": sorted(str(r) for r in s.rooms if r != s.id),
                        "data": s.data,
                        "eio": s.handshake.query["EIO"],
                    }
                    for s in await operator.fetch_sockets()
                ],
            }
        elif op == "fetch_emit":
            for s in await operator.fetch_sockets():
                await s.emit(spec["event"], s.id)
            for s in await operator.fetch_sockets():
                if spec.get("join"):
                    await s.join(spec["join"])
        return _result()

    @sio.event
    async def set_data(sid: str, data: Any) -> bool:
        sio.sockets.sockets[sid].data.update(data)
        return True
