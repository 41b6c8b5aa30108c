"""The Python layer's cost per operation, in CPU instructions, with Engine.IO cut off.

Usage: ``python benches/layer_bench.py [--baseline DIR] [--count N]`` (``make bench-layer``).

Everything above python-engineio runs for real: the server's message handler, the Rust
decoder, dispatch, the handler, the ack's encoding. ``eio.enqueue`` and ``eio.send_messages``
only count frames, so no socket, event loop wakeup or kernel time is measured. Three operations:

- ``event``: ``21["echo",1]`` to a python-socketio-style handler returning its argument;
- ``node-event``: the same on ``/chat`` to a Node-style ``socket.on`` handler;
- ``connect``: open a connection, join ``/`` and ``/chat``, close it.

Under valgrind (``callgrind``) each operation's count is the difference between a run
doing ``N`` of it and a run doing none, divided by ``N``: instructions are stable on a
noisy machine to well under 1%, so a refactor can be compared before and after where
wall-clock benchmarks cannot tell 5% apart. Without valgrind it falls back to the median
CPU time per operation over 5 in-process runs. ``--baseline DIR`` runs the same against
another ``python/`` tree (e.g. a ``git worktree`` of the previous commit, built with
``maturin develop``) and prints the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

OPS = ("event", "node-event", "connect")


async def _drive(op: str, count: int) -> float:
    """Do ``count`` of ``op`` in this process; return the CPU seconds it took."""
    import socketio_rs

    sio = socketio_rs.AsyncServer(async_mode="asgi")
    frames = []
    sio.eio.enqueue = lambda sid, pkt: frames.append(pkt) or True
    sio.eio.send_messages = lambda sid, messages, compress=True: frames.extend(messages)
    sio.eio.transport = lambda sid: "websocket"

    @sio.on("echo")
    async def echo(sid: str, data: object) -> object:
        return data

    @sio.of("/chat").on("echo")
    async def node_echo(socket: object, data: object) -> object:
        return data

    handlers = sio.eio.handlers
    connect_handler, message = handlers["connect"], handlers["message"]
    disconnect = handlers["disconnect"]

    async def connect(sid: str, environ: dict[str, object]) -> None:
        # The engine's connect handler is a plain function (a coroutine one in older trees,
        # which --baseline may point at).
        pending = connect_handler(sid, environ)
        if pending is not None:
            await pending

    await connect("e1", {})
    await message("e1", "0")
    await message("e1", "0/chat,")
    await asyncio.sleep(0)
    start = time.process_time()
    if op == "event":
        for _ in range(count):
            await message("e1", '21["echo",1]')
    elif op == "node-event":
        for _ in range(count):
            await message("e1", '2/chat,1["echo",1]')
    else:
        for i in range(count):
            sid = f"c{i}"
            await connect(sid, {})
            await message(sid, "0")
            await message(sid, "0/chat,")
            await disconnect(sid, "transport close")
    elapsed = time.process_time() - start
    await asyncio.sleep(0)
    expected = {"event": count + 2, "node-event": count + 2, "connect": 2 * count + 2}[op]
    if len(frames) < expected:
        raise SystemExit(f"{op}: {len(frames)} frames sent, {expected} expected: harness broken")
    return elapsed


def _child(op: str, count: int) -> None:
    import gc

    gc.disable()  # a collection landing in one run and not the other is noise
    print(f"{asyncio.run(_drive(op, count)):.9f}")


def _run(tree: str, op: str, count: int, callgrind: bool) -> float:
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=tree)
    cmd = [sys.executable, os.path.abspath(__file__), "--child", op, str(count)]
    if not callgrind:
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        return float(out)
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "log")
        out = f"--callgrind-out-file={tmp}/out"
        valgrind = ["valgrind", "--tool=callgrind", out, f"--log-file={log}"]
        subprocess.run(valgrind + cmd, env=env, check=True, capture_output=True)
        with open(log) as f:
            match = re.search(r"Collected : (\d+)", f.read())
    if match is None:
        raise SystemExit("callgrind reported no instruction count")
    return float(match.group(1))


def measure(tree: str, count: int, callgrind: bool) -> dict[str, float]:
    """Per-operation cost: instructions (callgrind) or microseconds (CPU time)."""
    out = {}
    for op in OPS:
        n = count if op != "connect" else max(1, count // 4)
        if callgrind:
            out[op] = (_run(tree, op, n, True) - _run(tree, op, 0, True)) / n
        else:
            out[op] = statistics.median(_run(tree, op, n, False) for _ in range(5)) / n * 1e6
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", help="another python/ tree to compare with")
    parser.add_argument("--count", type=int, default=2000, help="per run (connect: a quarter)")
    parser.add_argument("--cpu-time", action="store_true", help="CPU time even with valgrind")
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return
    callgrind = shutil.which("valgrind") is not None and not args.cpu_time
    unit = "instructions" if callgrind else "us CPU"
    here = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python")
    current = measure(here, args.count, callgrind)
    base = measure(os.path.abspath(args.baseline), args.count, callgrind) if args.baseline else None
    print(f"Python layer cost per operation ({unit}; Engine.IO cut off)")
    for op in OPS:
        line = f"  {op:11s} {current[op]:12.1f}"
        if base is not None:
            line += f"   baseline {base[op]:12.1f}   ratio {current[op] / base[op]:.3f}"
        print(line)


if __name__ == "__main__":
    main()
