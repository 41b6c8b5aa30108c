"""End-to-end benchmark (issue 5): socketio-rs against python-socketio 5.18.1 (each on uvicorn
and on aiohttp), the Node reference server (socket.io 4.8.4) and socketio-rs's own serving mode
when it exists, under the same load from the official socket.io-client.

Every run starts one server process fresh on 127.0.0.1 and one load generator process
(``load.mjs``, Node, WebSocket transport only but for ``upgrade1``, which connects with the
client's default transports); the generator warms up, then marks a window on its stdout, and
this runner reads the server's CPU time (utime + stime of its process group, from /proc) at
both marks, or its RSS (VmRSS) when the generator holds for it. Results go to
``results/last.json`` and one table (``table.py``).

Run: ``make bench-e2e`` (``E2E_ARGS="..."`` passes options), or for instance
``python benches/e2e/run.py --scenarios echo50,bcast200 --servers rs-uvicorn,py-uvicorn
--repeats 1 --seconds 3``. docs/performance.md describes the scenarios.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from procs import HOST, Child, cpu_seconds, free_port, rss_bytes, stop_all, wait_listening
from table import digest, render

HERE = Path(__file__).resolve().parent
LOAD = HERE / "load.mjs"
OXIDE = HERE / "socketioxide"
OXIDE_BIN = OXIDE / "target" / "release" / "bench-socketioxide"


@dataclass(frozen=True)
class Server:
    family: str  # "rs" (socketio-rs), "py" (python-socketio) or "node": what ratios compare
    stack: str  # what serves it: an rs and a py server on one stack are compared directly
    argv: tuple[str, ...]  # "{port}" is replaced by the port
    needs: str = ""  # an attribute of socketio_rs this server needs, else it is left out


def app(impl: str, stack: str) -> tuple[str, ...]:
    return (sys.executable, str(HERE / "app.py"), "--impl", impl, "--stack", stack)


# One line per column of the table.
SERVERS: dict[str, Server] = {
    "rs-uvicorn": Server("rs", "uvicorn", (*app("socketio_rs", "uvicorn"), "--port", "{port}")),
    "py-uvicorn": Server("py", "uvicorn", (*app("socketio", "uvicorn"), "--port", "{port}")),
    "rs-aiohttp": Server("rs", "aiohttp", (*app("socketio_rs", "aiohttp"), "--port", "{port}")),
    "py-aiohttp": Server("py", "aiohttp", (*app("socketio", "aiohttp"), "--port", "{port}")),
    "rs-serve": Server("rs", "serve", (*app("socketio_rs", "serve"), "--port", "{port}"), "serve"),
    "node": Server("node", "node", ("node", str(HERE / "server.mjs"), "{port}")),
    # socketioxide (Rust), on a current-thread tokio runtime: built from benches/e2e/socketioxide.
    "socketioxide": Server("oxide", "socketioxide", (str(OXIDE_BIN), "{port}")),
}


@dataclass(frozen=True)
class Scenario:
    kind: str  # the load.mjs scenario
    options: dict[str, Any]  # load.mjs options (warmup, seconds and deflate are added)


SCENARIOS: dict[str, Scenario] = {
    "echo1": Scenario("echo", {"clients": 1, "inflight": 8}),
    "echo50": Scenario("echo", {"clients": 50, "inflight": 8}),
    "emit50": Scenario("emit", {"clients": 50, "inflight": 8}),
    "bcast200": Scenario("bcast", {"clients": 200, "burst": 10}),
    # One broadcast per request: per-delivery cost without bursts (no target; see docs).
    "bcast200x1": Scenario("bcast", {"clients": 200, "burst": 1}),
    "connect": Scenario("connect", {"loops": 4}),
    # One client at a time, default transports (polling, then the upgrade): connect latency.
    "upgrade1": Scenario("upgrade", {"loops": 1}),
    "mem1000": Scenario("mem", {"clients": 1000}),
    # echo50 over HTTP long-polling only (corporate proxies force it): no target yet.
    "poll50": Scenario("echo", {"clients": 50, "inflight": 8, "transport": "polling"}),
}


def build_socketioxide() -> str | None:
    """Build the socketioxide server (its Cargo.lock pins every crate); why not, or None."""
    try:
        subprocess.run(
            ["cargo", "build", "--release", "--locked", "--quiet"], cwd=OXIDE, check=True
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        return f"cannot build benches/e2e/socketioxide: {exc}"
    return None


def missing(server: Server) -> str | None:
    """Why ``server`` cannot run here, or None."""
    if server.family == "oxide":
        return build_socketioxide()
    if not server.needs:
        return None
    import socketio_rs

    if not hasattr(socketio_rs, server.needs):
        return f"socketio_rs.{server.needs} is absent"
    return None


def run_one(name: str, scenario_name: str, args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    """One fresh server, one load generator, one result (``failed`` says why on failure)."""
    scenario = SCENARIOS[scenario_name]
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in SERVERS[name].argv]
    result: dict[str, Any] = {"scenario": scenario_name, "server": name, "errors": 0}
    started = time.monotonic()
    # With --deflate the servers that can compress do: serve()'s per_message_deflate=True and
    # Node's perMessageDeflate, both at a 1024-byte threshold (uvicorn's own WebSocket, under
    # the ASGI columns, negotiates it whenever a client offers).
    env = {**os.environ, "E2E_SERVER_DEFLATE": "1"} if args.deflate else None
    server = Child(argv, logs / f"{scenario_name}.{name}.server.log", cwd=HERE, env=env)
    load: Child | None = None
    try:
        wait_listening(server, port)
        result["startup_s"] = round(time.monotonic() - started, 2)
        options = {**scenario.options, "warmup": args.warmup, "seconds": args.seconds}
        options["deflate"] = args.deflate
        load = Child(
            ["node", str(LOAD), f"http://{HOST}:{port}", scenario.kind],
            logs / f"{scenario_name}.{name}.load.log",
            env={**os.environ, "E2E_OPTIONS": json.dumps(options)},
            cwd=HERE,
            pipes=True,
        )
        deadline = time.monotonic() + args.warmup + args.seconds + 120
        marks: dict[str, Any] = {}
        while True:
            line = load.readline(deadline)
            if line is None:
                raise RuntimeError(f"load generator ended without a result:\n{load.stderr_tail()}")
            what, _, rest = line.partition(" ")
            if what == "mark":  # the window opens or closes: CPU times now
                marks[rest] = (time.monotonic(), *cpu_seconds(server.pgid, load.pgid))
            elif what == "hold":  # the generator waits while RSS is read
                marks[rest] = rss_bytes(server.pgid)
                load.write("ok\n")
            elif what == "result":
                out = json.loads(rest)
                break
        if server.proc.poll() is not None:
            raise RuntimeError(f"server exited with {server.proc.returncode}")
        result["errors"] = out["errors"]
        result["error_kinds"] = out["errorKinds"]
        if "fatal" in out:
            raise RuntimeError(out["fatal"])
        if scenario.kind == "mem":
            before, after, connected = marks["before"], marks["after"], out["connected"]
            result.update(rss_before=before, rss_after=after, connected=connected)
            result["bytes_per_client"] = (after - before) / connected if connected else None
        else:
            (t0, s0, l0), (t1, s1, l1) = marks["start"], marks["stop"]
            cpu = s1 - s0
            result.update(
                ops=out["ops"],
                elapsed=out["elapsed"],
                rate=out["ops"] / out["elapsed"],
                server_cpu=cpu,
                per_cpu=out["ops"] / cpu if cpu > 0 else None,
                server_util=cpu / (t1 - t0),
                client_util=(l1 - l0) / (t1 - t0),
                p50=out["p50"],
                p99=out["p99"],
            )
    except Exception as exc:
        result["failed"] = str(exc)[-2000:]
    finally:
        stopping = time.monotonic()
        if load is not None:
            load.stop()
        server.stop()
        result["stop_s"] = round(time.monotonic() - stopping, 2)
        result["total_s"] = round(time.monotonic() - started, 2)
    return result


def describe(result: dict[str, Any]) -> str:
    if "failed" in result:
        return "FAILED: " + result["failed"].strip().splitlines()[-1]
    if "bytes_per_client" in result:
        per = result["bytes_per_client"]
        text = f"{per / 1024:.1f} KB/client" if per is not None else "no client connected"
        return f"{text}, {result['connected']} clients, errors {result['errors']}"
    per_cpu = result["per_cpu"]
    latency = f", p50 {result['p50']:.2f} ms" if result["p50"] is not None else ""
    return (
        f"{result['rate']:,.0f}/s, {per_cpu:,.0f} per server CPU-s "
        f"(server {100 * result['server_util']:.0f}%, client {100 * result['client_util']:.0f}%)"
        f"{latency}, errors {result['errors']}"
    )


def meta() -> dict[str, Any]:
    """What was measured, with what: versions, machine, commit."""

    def run(*argv: str) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
            return str(out).strip()
        except (OSError, subprocess.CalledProcessError):
            return "?"

    versions = {}
    for dist in ("socketio-rs", "python-socketio", "python-engineio", "uvicorn", "websockets"):
        versions[dist] = importlib.metadata.version(dist)
    versions["aiohttp"] = importlib.metadata.version("aiohttp")
    for pkg in ("socket.io", "socket.io-client", "ws"):
        manifest = HERE / "node_modules" / pkg / "package.json"
        versions[f"npm {pkg}"] = json.loads(manifest.read_text())["version"]
    lock = (OXIDE / "Cargo.lock").read_text().split('name = "socketioxide"\nversion = "')
    versions["crate socketioxide"] = lock[1].split('"')[0]
    from uvicorn.protocols.http.auto import AutoHTTPProtocol
    from uvicorn.protocols.websockets.auto import AutoWebSocketsProtocol

    uvloop = importlib.util.find_spec("uvloop") is not None
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "commit": run("git", "-C", str(HERE), "describe", "--always", "--dirty"),
        "python": platform.python_version(),
        "node": run("node", "--version"),
        "cpus": os.cpu_count(),
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
        "versions": versions,
        "uvicorn_defaults": {
            "http": AutoHTTPProtocol.__name__,
            "ws": getattr(AutoWebSocketsProtocol, "__name__", str(AutoWebSocketsProtocol)),
            "loop": "uvloop" if uvloop else "asyncio",
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help="comma-separated")
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each scenario x server")
    parser.add_argument("--seconds", type=float, default=3.0, help="measurement window")
    parser.add_argument("--warmup", type=float, default=1.0, help="load before the window")
    parser.add_argument(
        "--deflate",
        action="store_true",
        help="clients offer permessage-deflate, and serve() and Node accept it (default: off)",
    )
    parser.add_argument("--json", type=Path, default=HERE / "results" / "last.json")
    args = parser.parse_args()
    scenarios, servers = args.scenarios.split(","), args.servers.split(",")
    for name in scenarios:
        if name not in SCENARIOS:
            parser.error(f"unknown scenario {name!r}; choose from {', '.join(SCENARIOS)}")
    for name in servers:
        if name not in SERVERS:
            parser.error(f"unknown server {name!r}; choose from {', '.join(SERVERS)}")
    if not (HERE / "node_modules" / "socket.io-client").is_dir():
        sys.exit(f"no Node packages: run `npm ci --prefix {HERE}` (make bench-e2e does)")
    for name in list(servers):
        reason = missing(SERVERS[name])
        if reason:
            print(f"{name}: not measured ({reason})")
            servers.remove(name)
    if not servers or not scenarios:
        sys.exit("nothing to run")

    # Stop every child however this ends; 1000 clients need more descriptors than 1024.
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))

    logs = args.json.parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "meta": meta(),
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "servers": {n: asdict(SERVERS[n]) for n in servers},
        "scenarios": scenarios,
        "runs": [],
    }
    # Each repeat runs the servers in a rotated order, so drift on the machine spreads evenly.
    plan = [
        (repeat, scenario, servers[(i + repeat) % len(servers)])
        for repeat in range(args.repeats)
        for scenario in scenarios
        for i in range(len(servers))
    ]
    started = time.monotonic()
    try:
        for n, (repeat, scenario, server) in enumerate(plan, 1):
            result = run_one(server, scenario, args, logs)
            result["repeat"] = repeat
            results["runs"].append(result)
            print(
                f"[{n}/{len(plan)} {time.monotonic() - started:5.0f}s] {scenario:8} {server:10} "
                f"{describe(result)}",
                flush=True,
            )
    except KeyboardInterrupt:
        print("interrupted: the table shows the runs so far")
    finally:
        stop_all()
        results["total_seconds"] = round(time.monotonic() - started, 1)
        results["summary"] = digest(results)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n")

    m = results["meta"]
    print()
    print(
        f"socketio-rs {m['versions']['socketio-rs']} ({m['commit']}) vs python-socketio "
        f"{m['versions']['python-socketio']} vs Node socket.io {m['versions']['npm socket.io']} "
        f"vs socketioxide {m['versions']['crate socketioxide']} (tokio current-thread); "
        f"Python {m['python']}, Node {m['node']}, {m['cpus']} cores; uvicorn "
        f"{m['versions']['uvicorn']} ({', '.join(m['uvicorn_defaults'].values())}), aiohttp "
        f"{m['versions']['aiohttp']}; {args.repeats} repeats, {args.warmup:g} s warm-up + "
        f"{args.seconds:g} s window; clients: socket.io-client "
        f"{m['versions']['npm socket.io-client']}, WebSocket, permessage-deflate "
        f"{'on' if args.deflate else 'off'}"
    )
    print()
    print(render(results))
    print(f"\n{len(results['runs'])} runs in {results['total_seconds']:.0f} s; JSON: {args.json}")
    bad = [r for r in results["runs"] if r.get("failed") or r["errors"]]
    if bad:  # misses of the targets are reported, not failures; broken runs are
        sys.exit(f"{len(bad)} runs failed or counted errors: see {logs}")


if __name__ == "__main__":
    main()
