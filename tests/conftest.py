"""Shared fixtures and hypothesis settings for the socketio-rs test suite."""

from __future__ import annotations

import math
import os
from collections.abc import Callable

import pytest
from hypothesis import settings

# No deadline: timings on a loaded 2-core CI machine are noisy and a slow example is not a bug.
# No example database: tests must not leave files behind in the work tree.
settings.register_profile("socketio-rs", deadline=None, database=None, print_blob=True)
# On CI the examples are derandomized so that a run is reproducible from its logs.
settings.register_profile(
    "socketio-rs-ci", parent=settings.get_profile("socketio-rs"), derandomize=True
)
settings.load_profile("socketio-rs-ci" if os.environ.get("CI") else "socketio-rs")


def same_json(a: object, b: object) -> bool:
    """Equality that, unlike ``==``, also checks types and dict key order.

    ``True == 1``, ``1 == 1.0``, ``0.0 == -0.0`` and ``b"x" == bytearray(b"x")`` are all true in
    Python, so plain ``==`` cannot tell a decoder that turns ``1.0`` into ``1`` from a correct
    one. NaN is treated as equal to NaN, and the sign of zero must match.
    """
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        assert isinstance(b, float)
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, list):
        assert isinstance(b, list)
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(
            same_json(ka, kb) and same_json(va, vb)
            for (ka, va), (kb, vb) in zip(a.items(), b.items())
        )
    return a == b


def matches_reference_error(message: str, expected: str) -> bool:
    """The codec's messages are the reference parser's text, optionally followed by a detail."""
    return message == expected or message.startswith(expected + ": ")


@pytest.fixture(scope="session")
def strict_equal() -> Callable[[object, object], bool]:
    """:func:`same_json` as a fixture (session-scoped, so hypothesis tests may use it)."""
    return same_json


@pytest.fixture(scope="session")
def reference_error() -> Callable[[str, str], bool]:
    """:func:`matches_reference_error` as a fixture."""
    return matches_reference_error
