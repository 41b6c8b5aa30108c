"""The server's cost of one connect, in CPU instructions, through a real server.

Usage: ``python benches/connect_bench.py [--servers rs-uvicorn,rs-serve,py-uvicorn]
[--count N] [--baseline DIR] [--profile DIR]`` (``make bench-connect``).

The connect of ``make bench-e2e``'s ``connect`` scenario, whole: the e2e application
(``benches/e2e/app.py``) runs in its own process on uvicorn (``rs-uvicorn``: ``ASGIApp``;
``py-uvicorn``: python-socketio, for the ratio) or on ``socketio_rs.serve`` (``rs-serve``),
and a client in this process does what socket.io-client does for ``io("/mw", {auth})`` over
the WebSocket transport: the upgrade request, the OPEN packet, ``40/mw,{"token":"bench"}``
(accepted by the namespace middleware), the CONNECT reply, then ``41/mw,`` and a close
frame, and it waits for the server to close the TCP connection. Connects run one after
the other, so that the server does the same steps in the same order every time.

Under valgrind (``callgrind``) the server's count is the difference between a run doing
``N`` connects and one doing none (both after the same warm-up connects), divided by ``N``:
HTTP parsing, the event loop and the WebSocket library are in it, the kernel is not.
Instructions repeat to about 1% where the e2e benchmark's spread on 2 noisy cores is
±15%. ``--baseline DIR`` runs the rs servers again against another ``python/`` tree
(with its own ``_core``) and prints the ratio. ``--profile DIR`` runs each server under
cProfile instead (no valgrind) and writes ``DIR/<server>.prof`` for ``pstats``.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import callgrind

HERE = os.path.dirname(os.path.abspath(__file__))
APP = os.path.join(HERE, "e2e", "app.py")
TREE = os.path.join(os.path.dirname(HERE), "python")
#: server name -> (implementation, stack) of the e2e application.
SERVERS = {
    "rs-uvicorn": ("socketio_rs", "uvicorn"),
    "rs-serve": ("socketio_rs", "serve"),
    "py-uvicorn": ("socketio", "uvicorn"),
}
#: Connects done before the measured ones in every run: imports, caches and specialization.
WARMUP = 20
CONNECT = b'40/mw,{"token":"bench"}'
DISCONNECT = b"41/mw,"


def _masked(opcode: int, payload: bytes) -> bytes:
    """A client frame (masked, as RFC 6455 requires; the mask is fixed: the server's work
    does not depend on it)."""
    mask = b"\x01\x02\x03\x04"
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    size = len(payload)
    if size < 126:
        head = bytes([0x80 | opcode, 0x80 | size])
    else:
        head = bytes([0x80 | opcode, 0x80 | 126]) + size.to_bytes(2, "big")
    return head + mask + body


class _Reader:
    """The server's side of one connection, as the client reads it."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = b""

    def _more(self) -> bool:
        data = self._sock.recv(65536)
        self._buf += data
        return bool(data)

    def head(self) -> bytes:
        while b"\r\n\r\n" not in self._buf:
            if not self._more():
                raise SystemExit("connect_bench: the server closed before its 101 answer")
        head, _, self._buf = self._buf.partition(b"\r\n\r\n")
        return head

    def message(self) -> bytes:
        """The next frame's payload (the server's frames are small and unmasked)."""
        while True:
            buf = self._buf
            if len(buf) >= 2:
                size, start = buf[1] & 0x7F, 2
                if size == 126 and len(buf) >= 4:
                    size, start = int.from_bytes(buf[2:4], "big"), 4
                if size < 127 and len(buf) >= start + size:
                    self._buf = buf[start + size :]
                    return buf[start : start + size]
            if not self._more():
                raise SystemExit("connect_bench: the server closed mid-frame")

    def until_closed(self) -> None:
        while self._more():
            pass


def connect_once(port: int) -> None:
    """One client's connect to ``/mw`` with auth, then its disconnect (module docstring)."""
    key = base64.b64encode(os.urandom(16))
    request = (
        b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: " + key + b"\r\n"
        b"Connection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Host: 127.0.0.1:%d\r\n\r\n" % port
    )
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = _Reader(sock)
        sock.sendall(request)
        if not reader.head().startswith(b"HTTP/1.1 101"):
            raise SystemExit("connect_bench: the upgrade was refused")
        payload = reader.message()
        if payload[:1] != b"0":
            raise SystemExit(f"connect_bench: {payload!r} where the OPEN packet was expected")
        sock.sendall(_masked(1, CONNECT))
        payload = reader.message()
        if not payload.startswith(b'40/mw,{"sid":'):
            raise SystemExit(f"connect_bench: {payload!r} where the CONNECT reply was expected")
        sock.sendall(_masked(1, DISCONNECT) + _masked(8, (1000).to_bytes(2, "big")))
        reader.until_closed()


def run_server(server: str, tree: str, count: int, python: list[str]) -> None:
    """Start ``server`` with ``python`` (the interpreter's command line, under valgrind or
    cProfile), do the warm-up and ``count`` connects, stop it."""
    impl, stack = SERVERS[server]
    port = callgrind.free_port()
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=tree)
    cmd = [*python, APP, "--impl", impl, "--stack", stack, "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    try:
        callgrind.wait_listening(port, proc, "connect_bench", 120)
        for _ in range(WARMUP + count):
            connect_once(port)
        time.sleep(0.5)  # what the last disconnect started settles before the end
    finally:
        proc.send_signal(signal.SIGINT)
        if proc.wait(timeout=120) not in (0, -signal.SIGINT):
            raise SystemExit(f"connect_bench: {server} exited with {proc.returncode}")


def instructions(server: str, tree: str, count: int) -> float:
    """The server's instructions in one run (callgrind's total)."""
    return float(callgrind.instructions(lambda python: run_server(server, tree, count, python)))


def per_connect(server: str, tree: str, count: int) -> float:
    return (instructions(server, tree, count) - instructions(server, tree, 0)) / count


def _profiled(out: str, argv: list[str]) -> None:
    """Run the script ``argv`` under cProfile, timed in CPU time (the server waits for its
    client between steps, which wall time would count), and write the stats to ``out``."""
    import cProfile
    import runpy

    sys.argv = argv
    profile = cProfile.Profile(time.process_time)
    try:
        profile.runcall(runpy.run_path, argv[0], run_name="__main__")
    finally:
        profile.dump_stats(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated")
    parser.add_argument("--count", type=int, default=200, help="measured connects per run")
    parser.add_argument("--baseline", help="another python/ tree to compare the rs servers with")
    parser.add_argument("--profile", metavar="DIR", help="cProfile each server into DIR")
    parser.add_argument("--profiled", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.profiled:
        _profiled(args.profiled[0], args.profiled[1:])
        return
    servers = [name for name in args.servers.split(",") if name]
    unknown = set(servers) - set(SERVERS)
    if unknown:
        parser.error(f"unknown servers: {', '.join(sorted(unknown))}")
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
        for name in servers:
            out = os.path.join(os.path.abspath(args.profile), f"{name}.prof")
            run_server(name, TREE, args.count, [sys.executable, __file__, "--profiled", out])
            print(f"{name}: {out}")
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("connect_bench needs valgrind (tools/ensure-valgrind.sh)")
    results = {name: per_connect(name, TREE, args.count) for name in servers}
    print("Server instructions per connect (callgrind)")
    python_socketio = results.get("py-uvicorn")
    for name in servers:
        line = f"  {name:11s} {results[name]:12.0f}"
        if python_socketio is not None and name != "py-uvicorn":
            line += f"   py-uvicorn/this {python_socketio / results[name]:.2f}x"
        if args.baseline and SERVERS[name][0] == "socketio_rs":
            base = per_connect(name, os.path.abspath(args.baseline), args.count)
            line += f"   baseline {base:12.0f}   ratio {results[name] / base:.3f}"
        print(line)


if __name__ == "__main__":
    main()
