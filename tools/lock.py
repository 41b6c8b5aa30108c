"""Regenerate the pinned development environment in requirements/ (`make lock`).

pyproject.toml keeps version ranges, for users who install socketio-rs beside their own pins.
The development and CI environments are installed from exact pins with hashes instead, so that
a new release of a test or lint tool cannot change what `make test` runs until someone refreshes
the lock on purpose. Three locks, each resolved by uv for every platform (``--universal``):

- ``dev.txt``: everything `make venv` installs (the test, bench and lint extras plus
  ``dev.in``), for the main virtualenv and the Python 3.12+ run of the server tests;
- ``smoke.txt``: what the abi3 wheel's smoke test installs on the oldest and newest Pythons;
- ``oldest.txt``: the runtime dependencies at the lowest versions pyproject.toml allows, with the
  test tools, for the server tests that prove those lower bounds true (``oldest.in`` is written
  here from pyproject.toml, so the bounds have one source).

Run through `make lock` (keeps every pin the inputs still allow) or `make lock UPGRADE=1`
(every package to the newest version allowed).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import tomllib

ROOT = Path(__file__).resolve().parent.parent
REQ = ROOT / "requirements"
UV = Path(sys.executable).parent / "uv"

# The extras that are development tools, not features a user installs.
DEV_EXTRAS = ("test", "bench", "lint")
# The lowest Python each lock serves: the main virtualenv's for dev.txt and oldest.txt, the
# lowest Python the package supports for the wheel smoke test.
DEV_PYTHON = "3.11"
SMOKE_PYTHON = "3.9"

_FLOOR = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-]+)\s*>=\s*(?P<version>[^,;\s]+)[^;]*(?P<marker>;.*)?$"
)


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9_.\-]+", requirement)
    if match is None:
        raise SystemExit(f"lock: cannot read a package name in {requirement!r}")
    return match.group(0).lower().replace("_", "-")


def runtime_requirements(project: dict[str, Any]) -> list[str]:
    """The package's own dependencies and its user-facing extras (msgpack, redis, serve...)."""
    deps = list(project["dependencies"])
    for extra, requirements in project["optional-dependencies"].items():
        if extra not in DEV_EXTRAS:
            deps.extend(requirements)
    return deps


def floor_pins(requirements: list[str]) -> list[str]:
    """Each ``name>=X`` (with or without an upper bound and a marker) as ``name==X``."""
    pins = []
    for requirement in requirements:
        match = _FLOOR.match(requirement.strip())
        if match is None:
            raise SystemExit(f"lock: {requirement!r} has no lower bound to test (name>=X)")
        pins.append(f"{match['name']}=={match['version']}{match['marker'] or ''}")
    return pins


def oldest_in(project: dict[str, Any]) -> str:
    runtime = runtime_requirements(project)
    runtime_names = {_name(r) for r in runtime}
    tools = [r for r in project["optional-dependencies"]["test"] if _name(r) not in runtime_names]
    lines = [
        "# Written by tools/lock.py from pyproject.toml (`make lock`); do not edit.",
        "# The runtime dependencies at their lowest allowed versions:",
        *floor_pins(runtime),
        "# The test tools the server tests need:",
        *tools,
    ]
    return "\n".join(lines) + "\n"


def compile_lock(
    inputs: list[str], output: str, python: str, extras: tuple[str, ...] = (), upgrade: bool = False
) -> None:
    command = [
        str(UV), "pip", "compile", *inputs,
        *[arg for extra in extras for arg in ("--extra", extra)],
        "--universal", "--python-version", python, "--generate-hashes",
        "--custom-compile-command", "make lock", "--quiet", "-o", output,
        *(["--upgrade"] if upgrade else []),
    ]  # fmt: skip
    print("lock:", output)
    subprocess.run(command, cwd=ROOT, check=True)


def main() -> None:
    # Without --upgrade, uv keeps every pin the inputs still allow and changes only what they
    # require; with it, every package goes to the newest version allowed.
    upgrade = "--upgrade" in sys.argv[1:]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    (REQ / "oldest.in").write_text(oldest_in(project))
    compile_lock(
        ["pyproject.toml", "requirements/dev.in"],
        "requirements/dev.txt",
        DEV_PYTHON,
        DEV_EXTRAS,
        upgrade,
    )
    compile_lock(["requirements/smoke.in"], "requirements/smoke.txt", SMOKE_PYTHON, upgrade=upgrade)
    compile_lock(["requirements/oldest.in"], "requirements/oldest.txt", DEV_PYTHON, upgrade=upgrade)


if __name__ == "__main__":
    main()
