"""Summarise a pytest-benchmark JSON file of benches/test_codec_bench.py as one table.

Usage: ``python benches/report.py bench.json [--strict]``

For every case and direction: the median ns per operation of socketio-rs, python-socketio and
orjson, how many times faster socketio-rs is than python-socketio, socketio-rs's time relative
to orjson, and PASS/FAIL against the project's targets:

- encode: at least 10x faster than python-socketio on every case;
- decode: at least 10x faster on small, ack-id, binary and connect; on 1kb and 64kb (where JSON
  parsing dominates) no slower than 1.25x orjson.loads.

With ``--strict`` the exit status is 1 when a target fails or a measurement is missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

CASES = ["small", "1kb", "64kb", "ack-id", "binary", "connect"]
DIRECTIONS = ["encode", "decode"]
IMPLS = ["socketio-rs", "python-socketio", "orjson"]
MIN_SPEEDUP = 10.0
MAX_VS_ORJSON = 1.25
JSON_BOUND_DECODE = {"1kb", "64kb"}


def load_medians(path: Path) -> dict[tuple[str, str, str], float]:
    """(case, direction, impl) -> median seconds per operation.

    A timed call runs ``extra_info["ops"]`` operations (1 when absent): its median is divided
    by that.
    """
    report: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    medians: dict[tuple[str, str, str], float] = {}
    for bench in report["benchmarks"]:
        info = bench.get("extra_info", {})
        if {"case", "direction", "impl"} <= info.keys():
            ops = int(info.get("ops", 1))
            medians[info["case"], info["direction"], info["impl"]] = bench["stats"]["median"] / ops
    return medians


def verdict(
    case: str, direction: str, rs: float | None, sio: float | None, orj: float | None
) -> tuple[str, str]:
    """The target that applies to this row, and PASS, FAIL or MISSING."""
    if direction == "decode" and case in JSON_BOUND_DECODE:
        target = f"<= {MAX_VS_ORJSON}x orjson"
        if rs is None or orj is None:
            return target, "MISSING"
        return target, "PASS" if rs / orj <= MAX_VS_ORJSON else "FAIL"
    target = f">= {MIN_SPEEDUP:g}x python-socketio"
    if rs is None or sio is None:
        return target, "MISSING"
    return target, "PASS" if sio / rs >= MIN_SPEEDUP else "FAIL"


def _ns(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds * 1e9:,.0f}"


def render(medians: dict[tuple[str, str, str], float]) -> tuple[str, bool]:
    """The table as text, and whether every target passed."""
    header = [
        "case",
        "direction",
        "socketio-rs ns",
        "python-socketio ns",
        "orjson ns",
        "x faster",
        "rs/orjson",
        "target",
        "result",
    ]
    rows = [header]
    ok = True
    for case in CASES:
        for direction in DIRECTIONS:
            rs, sio, orj = (medians.get((case, direction, impl)) for impl in IMPLS)
            target, result = verdict(case, direction, rs, sio, orj)
            ok = ok and result == "PASS"
            rows.append(
                [
                    case,
                    direction,
                    _ns(rs),
                    _ns(sio),
                    _ns(orj),
                    "n/a" if rs is None or sio is None else f"{sio / rs:.1f}x",
                    "n/a" if rs is None or orj is None else f"{rs / orj:.2f}",
                    target,
                    result,
                ]
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            c.ljust(w) if i < 2 or i > 6 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines), ok


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--strict"]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    table, ok = render(load_medians(Path(args[0])))
    print(table)
    print()
    print("all targets met" if ok else "some targets NOT met")
    return 1 if ("--strict" in argv and not ok) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
