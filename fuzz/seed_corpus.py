"""Writes the fuzz seed corpus from the reference parser's vectors (decode inputs)."""

from __future__ import annotations

import json
import pathlib
import sys

here = pathlib.Path(__file__).parent
vectors = json.loads((here.parent / "tests" / "data" / "parser-vectors.json").read_text())
out = here / "corpus" / "decode"
out.mkdir(parents=True, exist_ok=True)
for i, case in enumerate(vectors["decode"]):
    chunks = []
    for frame in case["input"]:
        if isinstance(frame, str):
            chunks.append(frame.encode())
        elif isinstance(frame, dict):
            chunks.append(b"\xfe" + bytes.fromhex(frame["binary_hex"]))
    (out / f"vector-{i:03d}").write_bytes(b"\xff".join(chunks))
print(f"{len(vectors['decode'])} seeds in {out}", file=sys.stderr)
