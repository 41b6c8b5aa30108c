"""The end-to-end benchmark's summary: medians and ranges per scenario and server, the ratios
socketio-rs / python-socketio, socketio-rs / Node and socketio-rs / socketioxide on the headline
figure, and the targets of issue 5, as one Markdown table (aligned, so it reads in a terminal
and pastes into the docs).

``python benches/e2e/table.py results/last.json`` prints it again from a saved run.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# scenario -> (rs/py target, stretch rs/Node target), None for no target; those of
# LOWER_IS_BETTER are ceilings, the rest floors. upgrade1: connect latency with the upgrade,
# within 1.5x of Node (python-socketio answers the client's polls during the upgrade at once
# and sends everything after it, so its connects are quick too; no target against it).
TARGETS: dict[str, tuple[float | None, float]] = {
    "echo50": (3.0, 1.0),
    "emit50": (3.0, 1.0),
    "bcast200": (4.0, 1.0),
    "connect": (2.0, 1.0),
    "upgrade1": (None, 1.5),
    "mem1000": (0.75, 1.0),
}
LOWER_IS_BETTER = {"mem1000", "upgrade1"}
UNITS = {
    "echo1": "round trips",
    "echo50": "round trips",
    "poll50": "round trips",
    "emit50": "round trips",
    "bcast200": "deliveries",
    "bcast200x1": "deliveries",
    "connect": "connections",
    "upgrade1": "connections",
}

Runs = list[dict[str, Any]]


def fmt(value: float | None) -> str:
    """Three significant digits, with k / M for thousands / millions."""
    if value is None:
        return "-"
    for scale, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            value, unit = value / scale, suffix
            break
    else:
        unit = ""
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 else 2
    return f"{value:.{digits}f}{unit}"


def spread(values: list[float], render: Callable[[float | None], str] = fmt) -> str:
    """``median [min-max]``, or the value alone for one run."""
    if not values:
        return "-"
    med = render(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} [{render(min(values))}-{render(max(values))}]"


def metrics(scenario: str) -> list[tuple[str, str, Callable[[float], float]]]:
    """(row label, run key, scale) of the rows shown for ``scenario``; the headline first."""
    if scenario == "mem1000":
        return [("KB per client", "bytes_per_client", lambda v: v / 1024)]
    unit = UNITS.get(scenario, "ops")
    if scenario == "upgrade1":
        return [
            ("connect p50 ms", "p50", float),
            ("connect p99 ms", "p99", float),
            (f"{unit}/s", "rate", float),
            ("server CPU %", "server_util", lambda v: 100 * v),
        ]
    rows: list[tuple[str, str, Callable[[float], float]]] = [
        (f"{unit} per server CPU-s", "per_cpu", float),
        (f"{unit}/s", "rate", float),
    ]
    if not scenario.startswith("bcast"):
        rows += [("p50 ms", "p50", float), ("p99 ms", "p99", float)]
    rows.append(("server CPU %", "server_util", lambda v: 100 * v))
    return rows


def values(runs: Runs, scenario: str, server: str, key: str) -> list[float]:
    return [
        r[key]
        for r in runs
        if r["scenario"] == scenario and r["server"] == server and r.get(key) is not None
    ]


def headline(scenario: str) -> str:
    return metrics(scenario)[0][1]


def summarise(runs: Runs, servers: dict[str, dict[str, str]], scenario: str) -> dict[str, Any]:
    """Medians of the headline per server, the ratios, and the targets' verdicts."""
    key = headline(scenario)
    lower = scenario in LOWER_IS_BETTER
    med = {
        name: statistics.median(v) for name in servers if (v := values(runs, scenario, name, key))
    }

    def best(family: str) -> str | None:
        names = [n for n in med if servers[n]["family"] == family]
        pick = min if lower else max
        return pick(names, key=med.__getitem__) if names else None

    ratios: dict[str, float] = {}
    for name, spec in servers.items():
        if spec["family"] != "rs" or name not in med:
            continue
        for other, other_spec in servers.items():
            same_stack = other_spec["stack"] == spec["stack"]
            if other_spec["family"] == "py" and same_stack and other in med:
                label = f"rs/py {spec['stack']}"
                if label in ratios:  # two servers of a family on one stack: name them
                    label = f"{name}/{other}"
                ratios[label] = med[name] / med[other]
    best_rs, best_py, node, oxide = best("rs"), best("py"), best("node"), best("oxide")
    if best_rs and best_py:
        ratios["best rs/py"] = med[best_rs] / med[best_py]
    if best_rs and node:
        ratios["best rs/node"] = med[best_rs] / med[node]
    if best_rs and oxide:
        ratios["best rs/socketioxide"] = med[best_rs] / med[oxide]
    out: dict[str, Any] = {
        "headline": key,
        "medians": med,
        "best": {"rs": best_rs, "py": best_py, "node": node, "socketioxide": oxide},
        "ratios": ratios,
    }
    if scenario in TARGETS:
        target, stretch = TARGETS[scenario]
        for label, bound, ratio in (
            ("target", target, ratios.get("best rs/py")),
            ("stretch", stretch, ratios.get("best rs/node")),
        ):
            if bound is None:
                continue
            ok = None if ratio is None else ratio <= bound if lower else ratio >= bound
            out[label] = {"bound": bound, "ratio": ratio, "pass": ok}
    return out


def verdict(check: dict[str, Any] | None, lower: bool) -> str:
    if not check:
        return ""
    word = {True: "PASS", False: "MISS", None: "n/a"}[check["pass"]]
    return f"{'<=' if lower else '>='}{check['bound']:g}x {word}"


def measured(results: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The servers and scenarios of a results document that have runs."""
    runs: Runs = results["runs"]
    names = [n for n in results["servers"] if any(r["server"] == n for r in runs)]
    scenarios = [s for s in results["scenarios"] if any(r["scenario"] == s for r in runs)]
    return names, scenarios


def digest(results: dict[str, Any]) -> dict[str, Any]:
    """Per scenario: median, min and max of every row per server, then ``summarise``'s
    ratios and verdicts; run.py stores it in the JSON as ``summary``."""
    runs: Runs = results["runs"]
    names, scenarios = measured(results)
    out: dict[str, Any] = {}
    for scenario in scenarios:
        cells: dict[str, Any] = {}
        for name in names:
            keys = [key for _, key, _ in metrics(scenario)] + ["errors"]
            cells[name] = {
                key: {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}
                for key in keys
                if (v := values(runs, scenario, name, key))
            }
        servers = {n: results["servers"][n] for n in names}
        out[scenario] = {"servers": cells, **summarise(runs, servers, scenario)}
    return out


def render(results: dict[str, Any]) -> str:
    """The table of a results document (as run.py writes it)."""
    runs: Runs = results["runs"]
    servers: dict[str, dict[str, str]] = results["servers"]
    names, scenarios = measured(results)
    summaries = {s: summarise(runs, {n: servers[n] for n in names}, s) for s in scenarios}
    ratio_cols: list[str] = []
    for s in summaries.values():
        ratio_cols += [c for c in s["ratios"] if c not in ratio_cols]
    header = ["scenario", "metric", *names, *ratio_cols, "target rs/py", "stretch rs/node"]
    rows: list[list[str]] = []
    for scenario in scenarios:
        summary = summaries[scenario]
        lower = scenario in LOWER_IS_BETTER
        for i, (label, key, scale) in enumerate(metrics(scenario)):
            row = [scenario if i == 0 else "", label]
            for name in names:
                vals = [scale(v) for v in values(runs, scenario, name, key)]
                row.append(spread(vals))
            if i == 0:
                row += [
                    f"{summary['ratios'][c]:.2f}x" if c in summary["ratios"] else ""
                    for c in ratio_cols
                ]
                row += [
                    verdict(summary.get("target"), lower),
                    verdict(summary.get("stretch"), lower),
                ]
            else:
                row += [""] * (len(ratio_cols) + 2)
            rows.append(row)
        errors = [sum(values(runs, scenario, n, "errors")) for n in names]
        failed = [
            sum(
                1
                for r in runs
                if r["scenario"] == scenario and r["server"] == n and r.get("failed")
            )
            for n in names
        ]
        row = ["", "errors"]
        row += [f"{int(e)}" + (f" ({f} failed)" if f else "") for e, f in zip(errors, failed)]
        rows.append(row + [""] * (len(ratio_cols) + 2))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in [header, *rows]
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    bests = "; ".join(
        f"{s} {v['best']['rs']} vs {v['best']['py']}"
        for s, v in summaries.items()
        if v["best"]["rs"] and v["best"]["py"]
    )
    notes = [
        "Cells: median [min-max] over the repeats. Ratios and targets compare medians of the "
        "headline row (per server CPU-second; lower is better for KB per client in mem1000 "
        "and for the median connect latency in upgrade1).",
        f"best rs/py pairs: {bests}" if bests else "",
    ]
    return "\n".join(lines + [""] + [n for n in notes if n])


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent / "results/last.json")
    print(render(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
