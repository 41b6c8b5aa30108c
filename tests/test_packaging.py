"""The package metadata a registry page shows, as maturin wrote it for the installed package.

`make dev` installs socketio-rs with the metadata every wheel and the sdist carry (maturin
writes it from pyproject.toml and Cargo.toml alike): these tests read it back as a user's
``pip show`` would. `make wheels` checks the built artifacts themselves (tools/check_dist.py).
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import tomllib

import socketio_rs

ROOT = Path(__file__).resolve().parent.parent
CARGO_VERSION = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
META = metadata.metadata("socketio-rs")


def test_the_version_is_cargo_tomls() -> None:
    assert "version" not in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert META["Version"] == CARGO_VERSION
    assert socketio_rs.__version__ == CARGO_VERSION


def test_license() -> None:
    assert META["License-Expression"] == "MIT"
    assert "LICENSE" in META.get_all("License-File", [])
    assert "MIT License" in (ROOT / "LICENSE").read_text()


def test_classifiers() -> None:
    classifiers = set(META.get_all("Classifier", []))
    assert {
        "Framework :: AsyncIO",
        "Typing :: Typed",
        "Programming Language :: Rust",
    } <= classifiers
    # One classifier per supported minor version, from requires-python's floor on.
    assert META["Requires-Python"] == ">=3.9"
    versions = {c.rsplit(" ", 1)[1] for c in classifiers if re.fullmatch(r".*:: 3\.\d+", c)}
    assert {"3.9", "3.10", "3.11", "3.12", "3.13"} <= versions


def test_project_urls() -> None:
    urls = dict(url.split(", ", 1) for url in META.get_all("Project-URL", []))
    assert {"Homepage", "Documentation", "Changelog", "Issues"} <= set(urls)
    assert all(url.startswith("https://") for url in urls.values())


def test_the_readme_is_the_long_description() -> None:
    # Its title only: the installed copy is the README of the last `make dev`, and
    # tools/check_dist.py compares the whole text in the built artifacts.
    assert META["Description-Content-Type"].startswith("text/markdown")
    title = (ROOT / "README.md").read_text().splitlines()[0]
    assert META.get_payload().splitlines()[0] == title == "# socketio-rs"


def test_typed() -> None:
    package = Path(socketio_rs.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "_core.pyi").is_file()


def test_the_changelog_has_this_version() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    assert re.search(rf"^## \[?{re.escape(CARGO_VERSION)}\]?", changelog, re.M), changelog[:300]
