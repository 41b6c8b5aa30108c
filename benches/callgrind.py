"""What the benchmarks that run a whole server under valgrind's callgrind share
(``connect_bench.py``, ``delivery_bench.py``): a free port, waiting for the server to
listen, and the instruction count of one run."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_listening(port: int, proc: subprocess.Popen[bytes], what: str, timeout: float) -> None:
    """Wait until ``proc`` accepts connections on ``port``; ``what`` names it in errors."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what}: the server exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what}: the server did not start")


def instructions(run: Callable[[list[str]], None]) -> int:
    """The instructions of one run: ``run(python)`` starts its server with ``python``, this
    interpreter's command line under callgrind, and stops it when done."""
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "log")
        python = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            f"--log-file={log}",
            sys.executable,
        ]
        run(python)
        with open(log) as f:
            match = re.search(r"Collected : (\d+)", f.read())
    if match is None:
        raise SystemExit("callgrind reported no instruction count")
    return int(match.group(1))
