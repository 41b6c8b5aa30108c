"""Check what `make wheels` wrote (tools/wheels.sh runs this on target/dist).

- one sdist and the four wheels, each at Cargo.toml's version, abi3 for CPython 3.9+, with the
  README as their long description;
- each wheel holds the package, its type information (``py.typed``, ``_core.pyi``) and the
  license, and ``auditwheel show`` finds it consistent with the platform tag in its name;
- ``twine check --strict`` passes on every artifact (the metadata and README a registry renders);
- the sdist builds and installs in a fresh virtualenv and its codec runs there.
"""

from __future__ import annotations

import email.parser
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
# The platform tag each wheel must carry, as auditwheel names it.
PLATFORMS = {
    "manylinux_2_17_x86_64",
    "manylinux_2_17_aarch64",
    "musllinux_1_2_x86_64",
    "musllinux_1_2_aarch64",
}
IN_EVERY_WHEEL = (
    "socketio_rs/__init__.py",
    "socketio_rs/py.typed",
    "socketio_rs/_core.pyi",
    f"socketio_rs-{VERSION}.dist-info/licenses/LICENSE",
)


def fail(message: str) -> None:
    raise SystemExit(f"check_dist: {message}")


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)
    if done.returncode != 0:
        fail(f"{' '.join(map(str, command))} failed:\n{done.stdout}{done.stderr}")
    return done.stdout + done.stderr


def check_metadata(text: str, artifact: str) -> None:
    """The metadata of an artifact (a wheel's METADATA, the sdist's PKG-INFO)."""
    metadata = email.parser.Parser().parsestr(text)
    if metadata["Version"] != VERSION:
        fail(f"{artifact}: version {metadata['Version']}, Cargo.toml says {VERSION}")
    if metadata.get_payload().strip() != (ROOT / "README.md").read_text().strip():
        fail(f"{artifact}: the long description is not the README")


def platforms_of(wheel: Path) -> set[str]:
    """The platform tags in a wheel's name (name-version-cp39-abi3-<tag>.<tag>...whl)."""
    prefix = f"socketio_rs-{VERSION}-cp39-abi3-"
    if not (wheel.name.startswith(prefix) and wheel.name.endswith(".whl")):
        fail(f"{wheel.name}: not an abi3 (cp39) wheel of version {VERSION}")
    return set(wheel.name.removeprefix(prefix).removesuffix(".whl").split("."))


def check_wheel(wheel: Path) -> str:
    """Check one wheel; return the platform tag auditwheel finds it consistent with."""
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        check_metadata(
            archive.read(f"socketio_rs-{VERSION}.dist-info/METADATA").decode(), wheel.name
        )
    missing = [name for name in IN_EVERY_WHEEL if name not in names]
    if missing or not any(re.fullmatch(r"socketio_rs/_core\.abi3\.so", n) for n in names):
        fail(f"{wheel.name} lacks {missing or 'socketio_rs/_core.abi3.so'}")
    shown = " ".join(run(sys.executable, "-m", "auditwheel", "show", wheel).split())
    match = re.search(r'consistent with the following platform tag: "([^"]+)"', shown)
    if match is None or match[1] not in platforms_of(wheel) & PLATFORMS:
        fail(f"auditwheel does not find {wheel.name} consistent with its tag:\n{shown}")
    return match[1]


def check_sdist(sdist: Path) -> None:
    """Build and install the sdist as a user without a wheel for their platform would."""
    with tarfile.open(sdist) as archive:
        info = archive.extractfile(f"socketio_rs-{VERSION}/PKG-INFO")
        assert info is not None
        check_metadata(info.read().decode(), sdist.name)
    with tempfile.TemporaryDirectory() as scratch:
        env_dir = Path(scratch) / "venv"
        venv.create(env_dir, with_pip=True)
        python = env_dir / "bin" / "python"
        # pip builds the sdist's own sources in an isolated environment with maturin from the
        # registry; the crates.io dependencies come precompiled from the work tree's target/
        # (same profile and features), which saves minutes and changes nothing about what is
        # built from the sdist.
        env = {**os.environ, "CARGO_TARGET_DIR": str(ROOT / "target")}
        run(python, "-m", "pip", "install", "--quiet", sdist, env=env)
        # From the scratch directory: the installed package, not the work tree's python/.
        out = run(python, ROOT / "examples" / "codec_demo.py", cwd=Path(scratch))
        if '0/admin,{"token":"s3cr3t"}' not in out:
            fail(f"the sdist's codec demo printed something else:\n{out}")
        print(f"check_dist: {sdist.name} builds, installs and runs in a fresh virtualenv")


def main() -> None:
    dist = Path(sys.argv[1])
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    if [s.name for s in sdists] != [f"socketio_rs-{VERSION}.tar.gz"]:
        fail(f"expected one sdist of version {VERSION}, found {[s.name for s in sdists]}")
    platforms = {check_wheel(wheel) for wheel in wheels}
    if platforms != PLATFORMS or len(wheels) != len(PLATFORMS):
        fail(f"expected one wheel each for {sorted(PLATFORMS)}, found {[w.name for w in wheels]}")
    for wheel in wheels:
        print(f"check_dist: {wheel.name}: auditwheel ok")
    run(sys.executable, "-m", "twine", "check", "--strict", *sdists, *wheels)
    print(f"check_dist: twine check passes on {len(sdists) + len(wheels)} artifacts")
    check_sdist(sdists[0])


if __name__ == "__main__":
    main()
