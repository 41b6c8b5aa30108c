"""The namespace router: every answer is compared with a loop of ``re.search`` on the same names.

``RegexRouter.first_match(name)`` must equal
``next((i for i, p in enumerate(patterns) if p.search(name)), None)`` for any pattern ``re``
accepts; the table also pins which engine runs each construct.
"""

from __future__ import annotations

import re
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from socketio_rs.namespaces import RegexRouter

# Names that hit the edges: final "\n", "\r", non-ASCII letters and digits, case-folding
# specials (Kelvin sign, long s, dotted/dotless i, sharp s), marks, Python-only whitespace,
# digits the regex crate knows but Python 3.11's Unicode does not (U+1E4F0), a lone surrogate.
NAMES = [
    "",
    "/",
    "/a",
    "/admin",
    "/ADMIN",
    "/Admin\n",
    "/admin\n",
    "/admin\n\n",
    "/admin\r\n",
    "\n/admin",
    "a\nb",
    "/tenant-42",
    "/tenant-42\n",
    "/tenant-٤٢",
    "/tenant-\U0001e4f0",
    "/tenant-²",
    "/k",
    "/K",
    "/\u212a",
    "/s",
    "/\u017f",
    "/ß",
    "/SS",
    "/ẞ",
    "/i",
    "/I",
    "/İ",
    "/\u0131",
    "/é",
    "/É",
    "/e\u0301",
    "/_",
    "/\x1c",
    "/\u2028",
    "/\u00a0",
    "/x y",
    "/aa",
    "/abab",
    "/abba",
    "/foo/bar",
    "/foo.bar",
    "/\ud800",
]


def _expected(patterns: list[re.Pattern[str]], name: str) -> int | None:
    return next((i for i, p in enumerate(patterns) if p.search(name)), None)


def _check(patterns: list[re.Pattern[str]], names: list[str]) -> RegexRouter:
    router = RegexRouter()
    for i, p in enumerate(patterns):
        assert router.add(p) == i
    assert len(router) == len(patterns)
    for name in names:
        assert router.first_match(name) == _expected(patterns, name), (patterns, name)
    return router


# (pattern, flags, engine)
CASES: list[tuple[str, int, str]] = [
    # anchors, $ versus \Z, MULTILINE
    (r"^/admin$", 0, "regex"),
    (r"^/admin\Z", 0, "regex"),
    (r"\A/admin\Z", 0, "regex"),
    (r"^/admin$", re.M, "regex"),
    (r"^b", re.M, "regex"),
    (r"a$", re.M, "regex"),
    (r"(?:x|/admin$)", 0, "regex"),
    (r"/admin$\n", 0, "fancy"),  # `$` not at the end needs a lookahead
    (r"(?:/admin$)+", 0, "fancy"),
    (r"$", 0, "regex"),
    (r"^$", 0, "regex"),
    # alternation, repeats, dots
    (r"^/(?:admin|tenant-\d+)$", 0, "regex"),
    (r"^/foo.bar$", 0, "regex"),
    (r"^/foo.*$", 0, "regex"),
    (r"^/admin.", re.S, "regex"),
    (r"^/admin.", 0, "regex"),
    (r"^/a{2,}$", 0, "regex"),
    (r"^/(?:ab){1,2}?$", 0, "regex"),
    # Unicode classes (Python's definitions, not the regex crate's)
    (r"^/tenant-\d+$", 0, "regex"),
    (r"^/tenant-\d+$", re.A, "regex"),
    (r"^/\w+$", 0, "regex"),
    (r"^/\w+$", re.A, "regex"),
    (r"/\W", 0, "regex"),
    (r"/\s", 0, "regex"),
    (r"/\S+$", 0, "regex"),
    (r"[^\d\s]$", 0, "regex"),
    (r"^/(?a:\w)+$", 0, "regex"),
    (r"(?a:\W)", 0, "regex"),  # re reads a leading class with the outer flags too
    (r"(?u:\W)", re.A, "regex"),
    # IGNORECASE: Kelvin sign, long s, dotted and dotless i, sharp s
    (r"^/admin$", re.I, "regex"),
    (r"/k", re.I, "regex"),
    (r"/\u212a", re.I, "regex"),
    (r"/s$", re.I, "regex"),
    (r"/i$", re.I, "regex"),
    (r"/İ", re.I, "regex"),
    (r"/\u0131", re.I, "regex"),
    (r"/ß", re.I, "regex"),
    (r"/ẞ", re.I, "regex"),
    (r"/[a-z]+$", re.I, "regex"),
    (r"/[^k]$", re.I, "regex"),
    (r"/É", re.I, "regex"),
    (r"(?i:/ADMIN)$", 0, "regex"),
    (r"(?i)/admin(?-i:$)", 0, "regex"),
    (r"/[\wé]$", re.I, "regex"),
    (r"/k", re.I | re.A, "regex"),
    # VERBOSE: comments and whitespace, which inside a class are literal
    (r"^ /tenant- \d+ # the tenant id\n $", re.X, "regex"),
    (r"^/x[ ]y$", re.X, "regex"),
    (r"(?x) ^ / a  \# ", 0, "regex"),
    # word boundaries: Unicode ones need lookarounds
    (r"\badmin\b", 0, "fancy"),
    (r"\Badmin", 0, "fancy"),
    (r"\B", 0, "fancy"),
    (r"\bé", 0, "fancy"),
    (r"\badmin\b", re.A, "regex"),
    (r"\B", re.A, "fancy"),  # \B never matches an empty name before Python 3.14
    # lookarounds and backreferences
    (r"^/(?!admin)\w+$", 0, "fancy"),
    (r"^/(?=a)", 0, "fancy"),
    (r"(?<=/)a", 0, "fancy"),
    (r"(?<!/)a", 0, "fancy"),
    (r"^/(\w)\1", 0, "fancy"),
    (r"^/(?P<x>ab)(?P=x)$", 0, "fancy"),
    (r"^/(a)(b)\2\1$", 0, "fancy"),
    (r"^/(?:(a)|b)\1", 0, "fancy"),
    # what only Python's re runs exactly
    (r"^/(\w)\1", re.I, "python"),  # case-insensitive backreference
    (r"^/(a)?(?(1)b|c)", 0, "python"),
]
if sys.version_info >= (3, 11):  # atomic groups and possessive repeats
    CASES += [(r"^/(?>a+)a", 0, "python"), (r"^/a++a", 0, "python"), (r"^/(?>a|ab)c", 0, "python")]


@pytest.mark.parametrize(("source", "flags", "engine"), CASES)
def test_case_matches_re_search(source: str, flags: int, engine: str) -> None:
    router = _check([re.compile(source, flags)], NAMES)
    assert router.engine(0) == engine


def test_all_cases_together_keep_registration_order() -> None:
    patterns = [re.compile(source, flags) for source, flags, _ in CASES]
    router = _check(patterns, NAMES)
    assert [router.engine(i) for i in range(len(router))] == [e for _, _, e in CASES]


def test_first_registered_wins() -> None:
    patterns = [
        re.compile(r"^/tenant-\d+$"),
        re.compile(r"^/(?!x)tenant"),
        re.compile(r"tenant"),
        re.compile(r"(t)(?(1)enant)"),
    ]
    router = _check(patterns, ["/tenant-1", "/tenant-x", "a-tenant", "x"])
    assert router.first_match("/tenant-1") == 0
    assert router.first_match("/tenant-x") == 1
    assert router.first_match("a-tenant") == 2
    assert router.first_match("x") is None


def test_python_fallback_below_a_rust_match_wins() -> None:
    patterns = [re.compile(r"^/(a)(?(1)b)"), re.compile(r"^/a"), re.compile(r"(c)(?(1)c)")]
    router = _check(patterns, ["/ab", "/a", "cc", "/ac", "/acc"])
    assert [router.engine(i) for i in range(3)] == ["python", "regex", "python"]
    assert router.first_match("/ab") == 0
    assert router.first_match("/ac") == 1


def test_adding_after_matching_rebuilds() -> None:
    router = RegexRouter()
    router.add(re.compile(r"^/a$"))
    assert router.first_match("/b") is None
    router.add(re.compile(r"^/b$"))
    assert router.first_match("/b") == 1
    assert router.first_match("/a") == 0


def test_empty_router() -> None:
    router = RegexRouter()
    assert len(router) == 0
    assert router.first_match("/") is None


def test_bytes_pattern_is_a_type_error() -> None:
    router = RegexRouter()
    with pytest.raises(TypeError, match="namespace name, which is a str"):
        router.add(re.compile(rb"^/admin$"))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"re\.Pattern"):
        router.add("^/admin$")  # type: ignore[arg-type]
    assert len(router) == 0


def test_engine_index_out_of_range() -> None:
    router = RegexRouter()
    router.add(re.compile("a"))
    with pytest.raises(IndexError):
        router.engine(1)
    with pytest.raises(IndexError):
        router.engine(-1)


def test_lone_surrogate_names_are_decided_by_re() -> None:
    patterns = [re.compile(r"^/\w$"), re.compile(r"[\ud800-\udbff]"), re.compile(r".")]
    _check(patterns, ["/\ud800", "\udc00", "/a"])


def test_catastrophic_backtracking_still_answers_like_re() -> None:
    # fancy-regex gives up after a million steps; re then decides that pattern.
    patterns = [re.compile(r"^(a|a)*(?=b)c"), re.compile(r"a")]
    router = _check(patterns, ["a" * 21, "a" * 21 + "b"])
    assert router.engine(0) == "fancy"


def test_pattern_too_big_for_the_regex_crate_falls_back() -> None:
    pattern = re.compile(r"\w{2000}\w{2000}")
    router = _check([pattern], ["a" * 4000, "a"])
    assert router.engine(0) == "python"


def test_ten_thousand_parents() -> None:
    patterns = [re.compile(rf"^/tenant-{i}-\d+$") for i in range(10_000)]
    patterns.insert(5_000, re.compile(r"^/(?!x)(\w)\1tenant$"))
    router = RegexRouter()
    started = time.perf_counter()
    for p in patterns:
        router.add(p)
    router.build()
    elapsed = time.perf_counter() - started
    assert elapsed < 30, elapsed
    for name in ["/tenant-9999-1", "/tenant-0-7", "/aatenant", "/tenant-x", "/tenant-5-"]:
        assert router.first_match(name) == _expected(patterns, name), name


# Property test: random patterns from a small grammar, random names, several parents at once.
_ATOMS = [
    "a", "b", "A", "k", "K", "\u212a", "s", "\u017f", "ß", "i", "İ", "\u0131", "é", "1", "٣", "_",
    "-", "/", r"\n", ".", r"\w", r"\W", r"\d", r"\D", r"\s", r"\S", "[ab]", "[^ab]", "[a-z]",
    r"[^\w]", r"[\d_]", "[é-ü]", r"\b", r"\B", "^", "$", r"\A", r"\Z", "(?=a)", "(?!b)",
    "(?<=a)", "(?<!b)", "x", " ", "#", "[ #]", "²", "\u0345", "\u03b9",
]  # fmt: skip
_NAME_CHARS = "abAkK\u212ass\u017fßẞiIİ\u0131éÉ1٣_-/\n\r x#²\u0345\u03b9\u0300\x1c\u2028"


def _patterns() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, inner).map("".join),
            inner.map(lambda p: f"({p})"),
            st.tuples(inner, inner).map(lambda t: f"(?:{t[0]}|{t[1]})"),
            st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{1,3}", "*?", "??"])).map(
                lambda t: f"(?:{t[0]}){t[1]}"
            ),
            st.tuples(st.sampled_from(["i", "m", "s", "a", "x", "-i", "i-m"]), inner).map(
                lambda t: f"(?{t[0]}:{t[1]})"
            ),
            inner.map(lambda p: f"({p})\\1"),
        )

    return st.recursive(st.sampled_from(_ATOMS), extend, max_leaves=6)


def _compiled(source: str, flags: int) -> re.Pattern[str] | None:
    try:
        return re.compile(source, flags)
    except re.error:
        return None


_FLAGS = st.sampled_from([0, re.I, re.M, re.S, re.A, re.X, re.I | re.M, re.I | re.A])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(_patterns(), _FLAGS), min_size=1, max_size=4),
    st.lists(st.text(alphabet=_NAME_CHARS, max_size=6), min_size=1, max_size=10),
)
def test_property_same_answer_as_re_loop(sources: list[tuple[str, int]], names: list[str]) -> None:
    patterns = [p for p in (_compiled(s, f) for s, f in sources) if p is not None]
    _check(patterns, names)
