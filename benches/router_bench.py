"""Connect-time namespace matching: the Rust router against a loop of ``re.search``, in one run.

Usage: ``python benches/router_bench.py`` (``make bench`` runs it after the codec benchmarks).

For 1, 100 and 10,000 regex parents (``^/tenant-<i>-\\d+$``; in the "mixed" rows every 50th
parent also needs fancy-regex: a lookahead and a backreference), the median time of one
``first_match`` for a name that matches the last parent and for one that matches none, against
``for i, p in enumerate(patterns): if p.search(name)``. Also the registration time (``add`` of
every parent, then compiling the set) and the growth of the process's peak memory.
"""

from __future__ import annotations

import re
import resource
import statistics
import sys
import time
import timeit
from collections.abc import Callable

from socketio_rs.namespaces import RegexRouter

SIZES = [1, 100, 10_000]
REPEATS = 7


def parents(n: int, *, mixed: bool) -> list[re.Pattern[str]]:
    """``n`` tenant patterns; with ``mixed``, every 50th needs fancy-regex (never the last)."""
    out = []
    for i in range(n):
        if mixed and i % 50 == 25 and i != n - 1:
            out.append(re.compile(rf"^/(?!admin)tenant-{i}-(\w)\1$"))
        else:
            out.append(re.compile(rf"^/tenant-{i}-\d+$"))
    return out


def python_loop(patterns: list[re.Pattern[str]]) -> Callable[[str], int | None]:
    def first_match(name: str) -> int | None:
        for i, p in enumerate(patterns):
            if p.search(name):
                return i
        return None

    return first_match


def median_ns(fn: Callable[[str], object], name: str) -> float:
    """Median over REPEATS runs of the time of one call, in ns."""
    timer = timeit.Timer(lambda: fn(name))
    number, _ = timer.autorange()
    return statistics.median(t / number for t in timer.repeat(REPEATS, number)) * 1e9


def peak_rss_kb() -> int:
    # ru_maxrss is in kB on Linux, in bytes on macOS.
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss // 1024 if sys.platform == "darwin" else rss


def main() -> int:
    header = ["parents", "kind", "name", "re loop ns", "router ns", "re / router"]
    rows = [header]
    setup = []
    for mixed in (False, True):
        for n in SIZES:
            if mixed and n == 1:
                continue
            patterns = parents(n, mixed=mixed)
            before = peak_rss_kb()
            started = time.perf_counter()
            router = RegexRouter()
            for p in patterns:
                router.add(p)
            router.build()
            elapsed = time.perf_counter() - started
            engines = {router.engine(i) for i in range(len(router))}
            kind = "mixed" if mixed else "regex"
            setup.append(
                f"{n:>6} {kind:<5} parents: add + build {elapsed * 1e3:,.0f} ms, "
                f"peak RSS +{(peak_rss_kb() - before) / 1024:,.1f} MB, engines {sorted(engines)}"
            )
            loop = python_loop(patterns)
            for label, name in (("last", f"/tenant-{n - 1}-42"), ("none", "/nobody")):
                assert router.first_match(name) == loop(name)
                py, rs = median_ns(loop, name), median_ns(router.first_match, name)
                rows.append([f"{n:,}", kind, label, f"{py:,.0f}", f"{rs:,.0f}", f"{py / rs:.1f}x"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for k, row in enumerate(rows):
        print(
            "  ".join(
                c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))
            )
        )
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print()
    print("\n".join(setup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
