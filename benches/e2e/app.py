"""The end-to-end benchmark's Python application, one file for both implementations.

Run by ``benches/e2e/run.py`` as
``python app.py --impl socketio_rs|socketio --stack uvicorn|aiohttp|serve --port N``.
``--impl socketio`` is python-socketio (``import socketio``), ``--impl socketio_rs`` is the
same code after ``import socketio_rs as socketio``. ``server.mjs`` is the same application for
the Node reference server; keep the two in step.

- ``/``: ``echo(data)`` acks ``data``; ``bounce(data)`` emits ``bounced`` with ``data`` back to
  the sender (no ack).
- ``/ctl``: ``bcast(n, payload)`` emits ``tick`` with ``payload`` to every client of ``/``,
  ``n`` times one after the other, then acks ``n``.
- ``/mw``: accepts a connection only with ``auth == {"token": TOKEN}``. socketio-rs and Node
  check it in a namespace middleware (``sio.of("/mw").use(...)``); python-socketio has no
  namespace middleware, so there the namespace's ``connect`` handler does the same check.
"""

from __future__ import annotations

import argparse
import importlib
import os
import resource
from typing import Any

TOKEN = "bench"


def build(impl: str, async_mode: str) -> Any:
    """The server of ``impl`` (module name) with the benchmark's handlers."""
    socketio: Any = importlib.import_module(impl)
    sio = socketio.AsyncServer(async_mode=async_mode)

    @sio.event
    async def echo(sid: str, data: Any) -> Any:
        return data

    @sio.event
    async def bounce(sid: str, data: Any) -> None:
        await sio.emit("bounced", data, to=sid)

    @sio.on("bcast", namespace="/ctl")
    async def bcast(sid: str, n: int, payload: Any) -> int:
        for _ in range(n):
            await sio.emit("tick", payload)
        return n

    if impl == "socketio_rs":  # Node-style namespace middleware

        def check(socket: Any, next: Any) -> None:
            if (socket.handshake.auth or {}).get("token") == TOKEN:
                next()
            else:
                next(socketio.exceptions.ConnectionRefusedError("forbidden"))

        sio.of("/mw").use(check)
    else:  # python-socketio: the namespace's connect handler does the middleware's check

        @sio.on("connect", namespace="/mw")
        def mw_connect(sid: str, environ: Any, auth: Any) -> None:
            if (auth or {}).get("token") != TOKEN:
                raise socketio.exceptions.ConnectionRefusedError("forbidden")

    return sio, socketio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--impl", choices=["socketio_rs", "socketio"], required=True)
    parser.add_argument("--stack", choices=["uvicorn", "aiohttp", "serve"], required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # 1000 clients need more descriptors than a default soft limit of 1024 leaves.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    if args.stack == "aiohttp":
        from aiohttp import web

        sio, _ = build(args.impl, "aiohttp")
        web_app = web.Application()
        sio.attach(web_app)
        web.run_app(web_app, host=args.host, port=args.port, access_log=None, print=None)
        return

    sio, socketio = build(args.impl, "asgi")
    app = socketio.ASGIApp(sio)
    # The same options for every uvicorn-based server; loop and http stay uvicorn's defaults
    # (uvloop, installed by the bench extra, for all of them).
    options = {"host": args.host, "port": args.port, "log_level": "warning", "access_log": False}
    if args.stack == "serve":
        if os.environ.get("E2E_SERVER_DEFLATE"):  # run.py --deflate
            options["per_message_deflate"] = True
        socketio.serve(app, **options)
    else:
        import uvicorn

        uvicorn.run(app, **options)


if __name__ == "__main__":
    main()
