"""Matching namespace names against the regular expressions of parent namespaces, in Rust.

:class:`RegexRouter` translates each ``re.Pattern`` from Python's own parse tree (so
``VERBOSE``, escapes and inline flags are already resolved) into the syntax of one engine:

- ``"regex"``: the ``regex`` crate, all such patterns in one compiled set, matched in one pass;
- ``"fancy"``: ``fancy-regex`` (backtracking) for lookarounds, backreferences and Unicode
  ``\\b``/``\\B``;
- ``"python"``: Python's ``re`` itself, for what neither expresses exactly (atomic groups,
  possessive repeats, conditionals, case-insensitive backreferences, ...).

Every character class is emitted as explicit code point ranges computed by Python's own
engine (for ``\\w``, ``\\d``, ``\\s`` and ``IGNORECASE``, by running ``re`` over every code
point once, cached), so Unicode versions and case folding never differ between the engines.
``first_match`` is the Rust method: it asks ``re`` only for "python" patterns with an index
below the Rust answer. See docs/router.md.
"""

from __future__ import annotations

import array
import functools
import re
import sys
from collections.abc import Iterator
from typing import Any, Literal

from .._core import Router

if sys.version_info >= (3, 11):
    from re import _compiler as _sc
    from re import _constants as _c
    from re import _parser as _p
else:  # pragma: no cover - exercised on 3.9/3.10
    import sre_compile as _sc
    import sre_constants as _c
    import sre_parse as _p

__all__ = ["RegexRouter"]

Ranges = tuple[tuple[int, int], ...]

_MAX = 0x10FFFF
_SURROGATES = (0xD800, 0xDFFF)
# Flags that change how a single character or anchor matches.
_I, _M, _S, _A, _U = re.IGNORECASE, re.MULTILINE, re.DOTALL, re.ASCII, re.UNICODE
_TYPE_FLAGS = re.ASCII | re.LOCALE | re.UNICODE
# Python 3.14 made `\B` match an empty string; before, it never does.
_EMPTY_NON_BOUNDARY = sys.version_info >= (3, 14)
_ANY = r"[\x{0}-\x{10FFFF}]"
_CATEGORIES = {
    _c.CATEGORY_DIGIT: r"\d",
    _c.CATEGORY_NOT_DIGIT: r"\D",
    _c.CATEGORY_SPACE: r"\s",
    _c.CATEGORY_NOT_SPACE: r"\S",
    _c.CATEGORY_WORD: r"\w",
    _c.CATEGORY_NOT_WORD: r"\W",
}
# Rust class items tried as the base of an emitted class (`[\d--[...]...]`) to keep it short:
# Python's \w is about letters, numbers and "_", the regex crate's adds marks.
_RUST_BASES = (
    r"\p{L}\p{N}_",
    r"[^\p{L}\p{N}_]",
    r"\d",
    r"\D",
    r"\s",
    r"\S",
)


class RegexRouter(Router):
    """The regexes of parent namespaces, in registration order.

    ``first_match(name)`` returns the lowest index whose pattern matches ``name`` with
    ``re.search`` semantics, else ``None``; ``engine(index)`` says which engine runs a
    pattern ("regex", "fancy" or "python"); ``len()`` counts the patterns.
    """

    def add(self, pattern: re.Pattern[str]) -> int:
        """Adds ``pattern`` and returns its index: 0, 1, 2, ... in registration order."""
        if not isinstance(pattern, re.Pattern):
            raise TypeError(f"expected a compiled re.Pattern, got {type(pattern).__name__}")
        if not isinstance(pattern.pattern, str):
            raise TypeError(
                "a bytes pattern cannot match a namespace name, which is a str: "
                "compile the pattern from a str"
            )
        plan = translate(pattern)
        if plan is not None:
            engine, source = plan
            try:
                return self.add_translated(pattern, engine=engine, source=source)
            except ValueError:
                pass  # beyond the engine's limits (size, lookbehind width): Python's re runs it
        return self.add_translated(pattern, engine="python")


class _Fallback(Exception):
    """The pattern has a construct that only Python's ``re`` runs exactly."""


class _NeedsFancy(Exception):
    """The pattern needs lookarounds or backreferences: translate again for fancy-regex."""


def translate(pattern: re.Pattern[str]) -> tuple[Literal["regex", "fancy"], str] | None:
    """``(engine, source)`` for ``pattern``, or ``None`` when only Python's ``re`` is exact."""
    if pattern.flags & (re.LOCALE | getattr(re, "TEMPLATE", 0)):
        return None
    try:
        tree = _p.parse(pattern.pattern, pattern.flags)
    except Exception:  # re accepted it, so this cannot happen; be safe rather than sorry
        return None
    flags: int = tree.state.flags
    try:
        first = _search_charset(tree, flags)
        try:
            return "regex", _Translator(fancy=False, first=first).seq(tree, flags, tail=True)
        except _NeedsFancy:
            return "fancy", _Translator(fancy=True, first=first).seq(tree, flags, tail=True)
    except _Fallback:
        return None


def _search_charset(tree: Any, flags: int) -> tuple[Any, int] | None:
    """The class node and flags of the "charset prefix" Python's ``re`` searches with.

    ``re`` skips start positions whose character is not in the class of the pattern's first
    node, but reads that class with the pattern's outer flags: under ``(?a:\\W)`` at the
    start, ``\\W`` is Unicode there. The first character must pass both readings, so the
    translation intersects them (same private helpers as ``re``'s own compiler).
    """
    try:
        if tree.getwidth()[0] == 0:
            return None
        compiler: Any = _sc  # private helpers that typeshed does not list
        prefix, _, _ = compiler._get_literal_prefix(tree, flags)
        if prefix:
            return None
        charset = compiler._get_charset_prefix(tree, flags)
    except Exception as exc:  # a Python whose compiler differs: do not guess
        raise _Fallback from exc
    return None if charset is None else (charset, flags)


def _combine_flags(flags: int, add: int, delete: int) -> int:
    """The flags inside ``(?add-delete:...)``, as Python's compiler combines them."""
    if add & _TYPE_FLAGS:
        flags &= ~_TYPE_FLAGS
    return (flags | add) & ~delete


class _Translator:
    """Emits one engine's syntax from Python's parse tree, node by node."""

    def __init__(self, *, fancy: bool, first: tuple[Any, int] | None) -> None:
        self.fancy = fancy
        self.first = first

    def seq(self, items: Any, flags: int, *, tail: bool) -> str:
        """A sequence; ``tail``: nothing that consumes text can follow it."""
        last = len(items) - 1
        return "".join(
            self.node(op, av, flags, tail=tail and k == last) for k, (op, av) in enumerate(items)
        )

    def node(self, op: Any, av: Any, flags: int, *, tail: bool) -> str:
        if op in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
            ranges = _char_ranges(op, av, flags)
            if self.first is not None and av is self.first[0]:
                outer = _c.IN if op is _c.IN else op
                ranges = _intersect(ranges, _char_ranges(outer, av, self.first[1] & ~_I))
            return _rust_class(ranges)
        if op is _c.AT:
            return self.at(av, flags, tail=tail)
        if op is _c.BRANCH:
            alts = (self.seq(alt, flags, tail=tail) for alt in av[1])
            return "(?:" + "|".join(alts) + ")"
        if op is _c.SUBPATTERN:
            group, add, delete, sub = av
            inner = self.seq(sub, _combine_flags(flags, add, delete), tail=tail)
            # Capturing groups are kept in fancy-regex (same numbers) for backreferences.
            return ("(" if self.fancy and group is not None else "(?:") + inner + ")"
        if op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            lo, hi, sub = av
            body = self.seq(sub, flags, tail=False)
            count = f"{{{lo},}}" if hi == _c.MAXREPEAT else f"{{{lo},{hi}}}"
            return "(?:" + body + ")" + count + ("?" if op is _c.MIN_REPEAT else "")
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            if not self.fancy:
                raise _NeedsFancy
            direction, sub = av
            kind = ("" if direction == 1 else "<") + ("=" if op is _c.ASSERT else "!")
            return "(?" + kind + self.seq(sub, flags, tail=False) + ")"
        if op is _c.GROUPREF:
            if flags & _I:
                raise _Fallback  # Python compares case-insensitively its own way
            if not self.fancy:
                raise _NeedsFancy
            return f"(?:\\{av})"
        # ATOMIC_GROUP, POSSESSIVE_REPEAT, GROUPREF_EXISTS and anything newer.
        raise _Fallback

    def at(self, code: Any, flags: int, *, tail: bool) -> str:
        if code is _c.AT_BEGINNING_STRING:
            return r"\A"
        if code is _c.AT_END_STRING:
            return r"\z"
        if code is _c.AT_BEGINNING:
            if not flags & _M:
                return r"\A"
            return r"(?:\A|(?<=\n))" if self.fancy else "(?m:^)"
        if code is _c.AT_END:
            if flags & _M:
                return r"(?=\n|\z)" if self.fancy else "(?m:$)"
            # Python's `$`: at the end, or before a final "\n". At the end of the pattern the
            # regex crate can consume that "\n"; elsewhere it takes a lookahead.
            if self.fancy:
                return r"(?=\n?\z)"
            if tail:
                return r"\n?\z"
            raise _NeedsFancy
        if code in (_c.AT_BOUNDARY, _c.AT_NON_BOUNDARY):
            return self.boundary(code is _c.AT_BOUNDARY, flags)
        raise _Fallback

    def boundary(self, boundary: bool, flags: int) -> str:
        """``\\b`` or ``\\B``. Python's Unicode word characters are not the regex crate's, and
        before 3.14 Python's ``\\B`` never matches an empty string: both take lookarounds."""
        ascii_only = not flags & _U
        if ascii_only and (boundary or _EMPTY_NON_BOUNDARY):
            return r"(?-u:\b)" if boundary else r"(?-u:\B)"
        if not self.fancy:
            raise _NeedsFancy
        w = _rust_class(_char_ranges(_c.IN, [(_c.CATEGORY, _c.CATEGORY_WORD)], flags & ~_I))
        if boundary:
            return f"(?:(?<={w})(?!{w})|(?<!{w})(?={w}))"
        if _EMPTY_NON_BOUNDARY:
            return f"(?:(?<={w})(?={w})|(?<!{w})(?!{w}))"
        return f"(?:(?<={w})(?={w})|(?<!{w})(?!{w})(?:(?<={_ANY})|(?={_ANY})))"


# Character classes ----------------------------------------------------------------------


def _char_ranges(op: Any, av: Any, flags: int) -> Ranges:
    """The code points (no surrogates) one character node matches under ``flags``."""
    if op is _c.ANY:
        return _without_surrogates(((0, _MAX),) if flags & _S else ((0, 9), (11, _MAX)))
    # Without IGNORECASE, and for ASCII non-letters with it, a literal is itself.
    plain = not flags & _I or (op is not _c.IN and av < 128 and not chr(av).isalpha())
    if op is _c.LITERAL and plain:
        return _without_surrogates(((av, av),))
    if op is _c.NOT_LITERAL and plain:
        return _complement(_without_surrogates(((av, av),)))
    if (
        op is _c.IN
        and not flags & _I
        and all(kind in (_c.LITERAL, _c.RANGE, _c.NEGATE) for kind, _ in av)
    ):
        ranges = _without_surrogates(
            _union(
                [
                    (v, v) if kind is _c.LITERAL else tuple(v)
                    for kind, v in av
                    if kind is not _c.NEGATE
                ]
            )
        )
        return _complement(ranges) if any(kind is _c.NEGATE for kind, _ in av) else ranges
    # Categories or IGNORECASE: ask Python's engine itself, over every code point.
    return _python_class(_python_source(op, av), flags & (_I | _A))


def _python_source(op: Any, av: Any) -> str:
    """Python syntax for one character node (escaped code points, categories)."""
    if op is _c.LITERAL:
        return f"\\U{av:08x}"
    if op is _c.NOT_LITERAL:
        return f"[^\\U{av:08x}]"
    parts = []
    for kind, v in av:
        if kind is _c.NEGATE:
            parts.append("^")
        elif kind is _c.LITERAL:
            parts.append(f"\\U{v:08x}")
        elif kind is _c.RANGE:
            parts.append(f"\\U{v[0]:08x}-\\U{v[1]:08x}")
        elif kind is _c.CATEGORY and v in _CATEGORIES:
            parts.append(_CATEGORIES[v])
        else:
            raise _Fallback
    return "[" + "".join(parts) + "]"


@functools.lru_cache(maxsize=1)
def _all_code_points() -> str:
    """Every code point but the surrogates, in order (about 4 MB, built once)."""
    points = array.array("I", range(0xD800))
    points.extend(range(0xE000, _MAX + 1))
    return points.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")


@functools.lru_cache(maxsize=1024)
def _python_class(source: str, flags: int) -> Ranges:
    """The code points Python's ``re`` matches with ``source`` (one character) under ``flags``."""
    prefix = ("a" if flags & _A else "") + ("i" if flags & _I else "")
    scoped = f"(?{prefix}:{source})" if prefix else source
    ranges = []
    for m in re.finditer(f"(?:{scoped})+", _all_code_points()):
        lo, hi = _code_point(m.start()), _code_point(m.end() - 1)
        ranges.append((lo, hi))
    return _without_surrogates(tuple(ranges))


def _code_point(position: int) -> int:
    return position if position < 0xD800 else position + 0x800


def _union(ranges: Any) -> Ranges:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def _complement(ranges: Ranges) -> Ranges:
    out, start = [], 0
    for lo, hi in ranges:
        if lo > start:
            out.append((start, lo - 1))
        start = hi + 1
    if start <= _MAX:
        out.append((start, _MAX))
    return _without_surrogates(tuple(out))


def _intersect(a: Ranges, b: Ranges) -> Ranges:
    return _complement(_union(_complement(a) + _complement(b)))


def _difference(a: Ranges, b: Ranges) -> Ranges:
    return _intersect(a, _complement(b))


def _without_surrogates(ranges: Ranges) -> Ranges:
    out = []
    for lo, hi in ranges:
        if lo < _SURROGATES[0]:
            out.append((lo, min(hi, _SURROGATES[0] - 1)))
        if hi > _SURROGATES[1]:
            out.append((max(lo, _SURROGATES[1] + 1), hi))
    return tuple(out)


def _esc(cp: int) -> str:
    ch = chr(cp)
    return ch if ch.isascii() and ch.isalnum() else f"\\x{{{cp:X}}}"


def _items(ranges: Ranges) -> Iterator[str]:
    for lo, hi in ranges:
        yield _esc(lo) if lo == hi else f"{_esc(lo)}-{_esc(hi)}"


@functools.lru_cache(maxsize=8)
def _rust_base(items: str) -> Ranges:
    return _without_surrogates(tuple(Router.class_ranges(f"[{items}]")))


@functools.lru_cache(maxsize=4096)
def _rust_class(ranges: Ranges) -> str:
    """The regex crate's syntax for exactly ``ranges``: one literal, explicit ranges, or a
    Rust class plus and minus explicit ranges when that is shorter (``[\\w--[\\x{..}]]``)."""
    if not ranges:
        return r"[^\x{0}-\x{10FFFF}]"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _esc(ranges[0][0])
    best, cost = "", len(ranges)
    if cost > 8:
        for items in _RUST_BASES:
            base = _rust_base(items)
            extra, missing = _difference(base, ranges), _difference(ranges, base)
            if len(extra) + len(missing) < cost:
                cost = len(extra) + len(missing)
                # Juxtaposition binds tighter than `--`; `missing` and `extra` are disjoint.
                best = items + "".join(_items(missing))
                best += "--[" + "".join(_items(extra)) + "]" if extra else ""
    return "[" + (best or "".join(_items(ranges))) + "]"
