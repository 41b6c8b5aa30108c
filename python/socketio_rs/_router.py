"""Matching namespace names against the regexes of parent namespaces.

Interim pure-Python version; the Rust router replaces it.
"""

from __future__ import annotations

import re


class RegexRouter:
    """The regexes of parent namespaces, in registration order."""

    def __init__(self) -> None:
        self._patterns: list[re.Pattern[str]] = []

    def add(self, pattern: re.Pattern[str]) -> int:
        """Register ``pattern``; returns its index."""
        if not isinstance(pattern.pattern, str):
            raise TypeError("a namespace pattern must be a str pattern, not bytes")
        self._patterns.append(pattern)
        return len(self._patterns) - 1

    def first_match(self, name: str) -> int | None:
        """The lowest index whose pattern matches ``name`` (``re.search``), else ``None``."""
        for i, pattern in enumerate(self._patterns):
            if pattern.search(name):
                return i
        return None

    def engine(self, index: int) -> str:
        return "python"

    def __len__(self) -> int:
        return len(self._patterns)
