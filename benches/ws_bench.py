"""The WebSocket frame codec: ``WsReader.feed`` and ``ws_frame`` against wsproto, in one run.

Usage: ``python benches/ws_bench.py`` (``make bench`` runs it after the codec benchmarks).

Reading: the frames a client sends (masked, by wsproto's client ``FrameProtocol``), fed to
``WsReader.feed`` and to wsproto's server ``FrameProtocol`` (``receive_bytes`` then every
``received_frames``). Writing: one server frame from a ``str`` or ``bytes``, ``ws_frame``
against ``FrameProtocol.send_data``. Median ns per operation; calls and arguments are bound to
locals, as ``timeit`` does.
"""

from __future__ import annotations

import statistics
import sys
import timeit
from typing import Any

from wsproto.frame_protocol import FrameProtocol

from socketio_rs._core import WsReader, ws_frame

REPEATS = 7
TEXT_50 = '42["chat",{"user":"ann","text":"hello there, b!"}]'
assert len(TEXT_50) == 50


def median_ns(stmt: str, env: dict[str, Any]) -> float:
    timer = timeit.Timer(stmt, globals=env)
    number, _ = timer.autorange()
    return statistics.median(t / number for t in timer.repeat(REPEATS, number)) * 1e9


def client_frames(*payloads: str | bytes) -> bytes:
    sender = FrameProtocol(client=True, extensions=[])
    return b"".join(bytes(sender.send_data(p)) for p in payloads)


def main() -> int:
    read_cases = [
        ("50-byte text frame", [client_frames(TEXT_50)]),
        ("3 text frames in one read", [client_frames(TEXT_50, TEXT_50, TEXT_50)]),
        ("4 KiB binary frame", [client_frames(bytes(4096))]),
        ("64 KiB text frame", [client_frames("x" * 65536)]),
    ]
    single = client_frames(TEXT_50)
    read_cases.append(("50-byte text frame in 2 reads", [single[:20], single[20:]]))
    rows = [["operation", "wsproto ns", "socketio-rs ns", "wsproto / rs"]]
    for label, chunks in read_cases:
        reader = WsReader(1 << 20)
        server = FrameProtocol(client=False, extensions=[])
        ours = [item for c in chunks for item in reader.feed(c)]
        server.receive_bytes(b"".join(chunks))
        theirs = [(int(f.opcode), f.payload) for f in server.received_frames()]
        assert ours == theirs, label
        env = {"feed": reader.feed, "recv": server.receive_bytes, "frames": server.received_frames}
        env.update({f"c{i}": c for i, c in enumerate(chunks)})
        feeds = "; ".join(f"feed(c{i})" for i in range(len(chunks)))
        recvs = "; ".join(f"recv(c{i}); list(frames())" for i in range(len(chunks)))
        rs, wp = median_ns(feeds, env), median_ns(recvs, env)
        rows.append([f"read {label}", f"{wp:,.0f}", f"{rs:,.0f}", f"{wp / rs:.1f}x"])
    for label, op, payload in [
        ("50-char str", 1, TEXT_50),
        ("4 KiB bytes", 2, bytes(4096)),
    ]:
        server = FrameProtocol(client=False, extensions=[])
        assert ws_frame(op, payload) == bytes(server.send_data(payload))
        env = {"frame": ws_frame, "send": server.send_data, "op": op, "p": payload}
        rs, wp = median_ns("frame(op, p)", env), median_ns("send(p)", env)
        rows.append([f"write {label}", f"{wp:,.0f}", f"{rs:,.0f}", f"{wp / rs:.1f}x"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for k, row in enumerate(rows):
        print(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
            )
        )
        if k == 0:
            print("  ".join("-" * w for w in widths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
