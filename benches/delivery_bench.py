"""serve()'s cost per message, in CPU instructions, over real sockets.

Usage: ``python benches/delivery_bench.py [--baseline DIR] [--requests N]``
(``make bench-delivery``).

The end-to-end benchmark's application (``benches/e2e/app.py``) runs on ``serve()`` under
valgrind's ``callgrind``, and ``benches/e2e/fixed_load.mjs`` gives it a fixed amount of work
from official JS clients:

- ``bcast``: 200 clients, and a fixed number of broadcasts of ``tick`` to all of them (10 per
  request); the count is per delivery;
- ``echo``: 50 clients, each sending a fixed number of acked ``echo`` events with 8 in
  flight (bench-e2e's echo50); the count is per event and its ack;
- ``emit``: the same clients sending ``bounce``, which the handler emits back to the sender
  (``sio.emit(..., to=sid)``, bench-e2e's emit50); the count is per event and its emit.

A count is the difference between a run with ``N`` requests and a run with none, divided by
the messages: the whole path in the server process (reading, decoding, dispatch, the
handler, the manager, framing, the write path, the event loop, uvloop) without the kernel.
Under valgrind the server is slow and the clients keep up, so reads and writes carry fewer
messages each than at full speed; the count is for comparing trees, which see the same
conditions, and it repeats to well under 1% where ``make bench-e2e``'s rows swing by 10%.

``--baseline DIR`` runs the same against another ``python/`` tree (a ``git worktree`` of an
earlier commit with this one's compiled module copied in, or built with ``maturin``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

import callgrind

HERE = Path(__file__).resolve().parent
E2E = HERE / "e2e"
#: op: (clients, messages per request), as fixed_load.mjs does it
OPS = {"bcast": (200, 10 * 200), "echo": (50, 50), "emit": (50, 50)}


def instructions(tree: str, op: str, requests: int) -> int:
    """The server process's instruction count for a run of ``requests`` requests of ``op``."""

    def run(python: list[str]) -> None:
        port = callgrind.free_port()
        env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPATH=tree)
        cmd = [*python, str(E2E / "app.py"), "--impl", "socketio_rs", "--stack", "serve"]
        server = subprocess.Popen(
            [*cmd, "--port", str(port)], env=env, cwd=E2E, stdout=subprocess.DEVNULL
        )
        try:
            callgrind.wait_listening(port, server, "delivery_bench", 240)
            clients, per_request = OPS[op]
            url = f"http://127.0.0.1:{port}"
            load = ["node", str(E2E / "fixed_load.mjs"), url, op, str(clients), str(requests)]
            out = subprocess.run(load, cwd=E2E, check=True, capture_output=True, text=True)
            expected = per_request * requests
            if f"received {expected} of {expected}" not in out.stdout:
                raise SystemExit(f"messages missing: {out.stdout.strip()}")
        finally:
            server.send_signal(2)  # SIGINT: uvicorn stops, callgrind writes its counts
            server.wait(120)

    return callgrind.instructions(run)


def per_message(tree: str, op: str, requests: int) -> float:
    messages = OPS[op][1] * requests
    return (instructions(tree, op, requests) - instructions(tree, op, 0)) / messages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--baseline", help="another python/ tree to compare with")
    parser.add_argument("--requests", type=int, default=100, help="bcast: 10 broadcasts each")
    parser.add_argument(
        "--ops", default="bcast,echo,emit", help="comma-separated: bcast, echo, emit"
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed (tools/ensure-valgrind.sh)")
    print("serve(), instructions per message (callgrind; the server process, not the kernel)")
    for op in args.ops.split(","):
        current = per_message(str(HERE.parent / "python"), op, args.requests)
        what = {
            "bcast": "delivery, 200 clients",
            "echo": "event and ack, 50 clients",
            "emit": "event and emit back, 50 clients",
        }[op]
        line = f"  {op:6s} {current:9.0f}  per {what}"
        if args.baseline:
            base = per_message(os.path.abspath(args.baseline), op, args.requests)
            line += f"; baseline {base:.0f}, ratio {current / base:.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
