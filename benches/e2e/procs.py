"""Child processes of the end-to-end benchmark, and what /proc says about them.

Every child starts in its own session, so its process group holds it and anything it starts;
``stop`` ends the group, and ``stop_all`` (registered for exit, SIGTERM and Ctrl-C by the
runner) ends every group still running. CPU time and RSS are summed over a process group, so a
server that runs worker processes or threads is measured whole.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")

_running: list[Child] = []
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the runner dies, even by SIGKILL itself."""
    ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _group_stats() -> dict[int, list[tuple[int, int]]]:
    """pgid -> [(pid, utime + stime in ticks)] for every process on the machine."""
    groups: dict[int, list[tuple[int, int]]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # The command name may hold spaces and parentheses: the fields follow the last ")".
        fields = text.rsplit(")", 1)[1].split()
        groups.setdefault(int(fields[2]), []).append(
            (int(entry.name), int(fields[11]) + int(fields[12]))
        )
    return groups


def cpu_seconds(*pgids: int) -> list[float]:
    """User + system CPU time (all threads) of every process in each group so far, read from
    one pass over /proc."""
    groups = _group_stats()
    return [sum(ticks for _, ticks in groups.get(pgid, [])) / CLK_TCK for pgid in pgids]


def rss_bytes(pgid: int) -> int:
    """Resident set size (VmRSS) of every process in group ``pgid``, in bytes."""
    total = 0
    for pid, _ in _group_stats().get(pgid, []):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def group_alive(pgid: int) -> bool:
    return pgid in _group_stats()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Child:
    """A child process leading its own process group, with stderr kept in a log file."""

    def __init__(
        self,
        argv: Sequence[str],
        log: Path,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        pipes: bool = False,
    ) -> None:
        self.argv = list(argv)
        self.log = log
        self._log_file = log.open("wb")
        pipe = subprocess.PIPE if pipes else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            self.argv,
            stdin=pipe,
            stdout=pipe,
            stderr=self._log_file,
            env=env,
            cwd=cwd,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # the runner has no threads: preexec_fn is safe
        )
        self.pgid = self.proc.pid  # a session leader's group id is its pid
        self._buffer = b""
        _running.append(self)

    def stderr_tail(self, lines: int = 15) -> str:
        self._log_file.flush()
        text = self.log.read_text(errors="replace").strip().splitlines()
        return "\n".join(text[-lines:])

    def readline(self, deadline: float) -> str | None:
        """The next stdout line, or None at end of output; TimeoutError past ``deadline``."""
        stdout: IO[bytes] | None = self.proc.stdout
        assert stdout is not None
        fd = stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.argv[1]}: no output in time")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return None
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def write(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text.encode())
        self.proc.stdin.flush()

    def stop(self, grace: float = 2.0) -> None:
        """SIGTERM the group, SIGKILL what is left after ``grace`` seconds, reap the leader."""
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if self.proc.poll() is not None and not group_alive(self.pgid):
                break
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log_file.close()
        if self in _running:
            _running.remove(self)


def stop_all() -> None:
    """Stop every child still running (at exit, on SIGTERM, on Ctrl-C)."""
    for child in list(_running):
        child.stop(grace=0.5)


def wait_listening(child: Child, port: int, timeout: float = 30.0) -> None:
    """Wait until something accepts connections on ``port``, or fail with the child's stderr."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise RuntimeError(
                f"server exited with {child.proc.returncode}:\n{child.stderr_tail()}"
            )
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server not listening on {port} after {timeout}s:\n{child.stderr_tail()}")
