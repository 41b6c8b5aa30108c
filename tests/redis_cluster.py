"""A real ``redis-server`` and real server processes, for the scale-out tests and benchmark.

``RedisServer`` runs ``redis-server`` on 127.0.0.1 on a free port with persistence off;
``ServerProcess`` runs ``tests/redis_app.py`` under uvicorn in a subprocess. Both are
plain synchronous objects so pytest fixtures of any scope can own them.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import redis

HOST = "127.0.0.1"
TESTS = Path(__file__).resolve().parent
# Bounded waits for processes that start within a second or so.
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} during startup")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {port}") from None
            time.sleep(0.05)


class RedisServer:
    """``redis-server`` on 127.0.0.1, no persistence; ``kill`` and ``start`` again
    reuse the port."""

    def __init__(self, unixsocket: Path | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed: run tools/ensure-redis.sh")
        self.binary = binary
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.unixsocket = unixsocket
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [self.binary, "--bind", HOST, "--port", str(self.port)]
        args += ["--save", "", "--appendonly", "no", "--loglevel", "warning"]
        if self.unixsocket is not None:
            args += ["--unixsocket", str(self.unixsocket), "--unixsocketperm", "700"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        _wait_for_port(self.port, self.proc, "redis-server")

    def kill(self) -> None:
        """SIGKILL: every client connection drops at once."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def numsub(self, channel: str) -> int:
        """How many connections are subscribed to ``channel``."""
        with redis.Redis(host=HOST, port=self.port) as r:
            [(_, count)] = r.pubsub_numsub(channel)
            return int(count)


class ServerProcess:
    """One server process: ``redis_app:app`` under uvicorn on its own port."""

    def __init__(self, redis_url: str, *, name: str, impl: str = "socketio_rs", **env: str):
        self.name = name
        self.impl = impl
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.env = dict(os.environ, SIO_IMPL=impl, SIO_NAME=name, REDIS_URL=redis_url, **env)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, stderr: Any = None) -> None:
        args = [sys.executable, "-m", "uvicorn", "--app-dir", str(TESTS), "redis_app:app"]
        args += ["--host", HOST, "--port", str(self.port), "--log-level", "warning"]
        args += ["--lifespan", "on", "--timeout-graceful-shutdown", "2"]
        self.proc = subprocess.Popen(args, env=self.env, stderr=stderr)

    def wait_ready(self) -> None:
        assert self.proc is not None
        _wait_for_port(self.port, self.proc, f"server {self.name}")

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        """SIGINT (uvicorn's graceful shutdown, which runs ``sio.shutdown()``); the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        code = self.proc.returncode
        self.proc = None
        return code


def start_all(servers: list[ServerProcess], stderr: Any = None) -> None:
    """Start the processes together, then wait for each (startup is mostly imports)."""
    for server in servers:
        server.start(stderr)
    for server in servers:
        server.wait_ready()
