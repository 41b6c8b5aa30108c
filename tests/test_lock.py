"""The pinned environment in requirements/ covers what pyproject.toml asks for.

`make venv` installs from requirements/dev.txt, not from pyproject.toml: these tests fail when
the two drift apart (a new or changed requirement without `make lock`), and when the oldest
dependencies lock no longer pins the lower bounds pyproject.toml states.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest
import tomllib
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
REQ = ROOT / "requirements"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
# A pinned line of uv's output: `name==version \` with an optional environment marker.
_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>\S+?)(?:\s*;\s*(?P<marker>.*?))?\s*\\$"
)


def lock_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lock", ROOT / "tools" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pins(lock: str, python: str) -> dict[str, str]:
    """The versions a lock installs on Linux with the given Python (``"3.11"``)."""
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    environment |= {"sys_platform": "linux", "platform_system": "Linux"}
    found: dict[str, str] = {}
    lines = (REQ / lock).read_text().splitlines()
    for number, line in enumerate(lines):
        match = _PIN.match(line)
        if match is None:
            continue
        assert lines[number + 1].strip().startswith("--hash=sha256:"), f"{line}: no hash"
        marker = match["marker"]
        if marker is None or Marker(marker).evaluate(environment):
            name = canonicalize_name(match["name"])
            assert name not in found, f"{lock} pins {name} twice for Python {python}"
            found[name] = match["version"]
    assert found, f"{lock} pins nothing"
    return found


def requirements_in(path: Path) -> list[str]:
    lines = (line.split("#")[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def assert_covers(lock: str, python: str, requirements: list[str]) -> None:
    pinned = pins(lock, python)
    environment = {"python_version": python, "python_full_version": f"{python}.0"}
    for text in requirements:
        requirement = Requirement(text)
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{lock} lacks {text}: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{lock} pins {name}=={pinned[name]}, outside {text}: run `make lock`"
        )


@pytest.mark.parametrize("python", ["3.11", "3.13"])
def test_dev_lock_covers_the_extras_and_the_build_tools(python: str) -> None:
    extras = PROJECT["optional-dependencies"]
    wanted = [*PROJECT["dependencies"], *extras["test"], *extras["bench"], *extras["lint"]]
    assert_covers("dev.txt", python, wanted + requirements_in(REQ / "dev.in"))


@pytest.mark.parametrize("python", ["3.9", "3.13"])
def test_smoke_lock_covers_the_wheel_smoke_test(python: str) -> None:
    assert_covers("smoke.txt", python, requirements_in(REQ / "smoke.in"))


def test_oldest_lock_pins_every_lower_bound() -> None:
    tool = lock_tool()
    assert (REQ / "oldest.in").read_text() == tool.oldest_in(PROJECT), "run `make lock`"
    pinned = pins("oldest.txt", "3.11")
    runtime = tool.runtime_requirements(PROJECT)
    assert any(r.startswith("python-engineio") for r in runtime)
    for text in runtime:
        requirement = Requirement(text)
        [floor] = [s.version for s in requirement.specifier if s.operator == ">="]
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"oldest.txt lacks {name}: run `make lock`"
        assert _release(pinned[name]) == _release(floor), f"{name}: {pinned[name]} is not {floor}"


def test_floor_pins_read_each_form_of_lower_bound() -> None:
    tool = lock_tool()
    assert tool.floor_pins(["a>=1.2,<2", "b>=0.19; sys_platform != 'win32'", "c >= 3"]) == [
        "a==1.2",
        "b==0.19; sys_platform != 'win32'",
        "c==3",
    ]
    with pytest.raises(SystemExit, match="no lower bound"):
        tool.floor_pins(["d<2"])


def _release(version: str) -> tuple[int, ...]:
    """``1.0.0`` and ``1.0`` are the same release."""
    parts = [int(p) for p in version.split(".")]
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)
