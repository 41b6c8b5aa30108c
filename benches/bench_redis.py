"""Broadcast deliveries per second across two server processes joined through Redis:
socketio-rs against python-socketio 5.18.1, same setup, same run; and for socketio-rs the
pub/sub manager against the Redis Streams manager, each with connection state recovery off
and on (what keeping every broadcast for replay costs).

Setup (127.0.0.1 only): one ``redis-server``; two server processes of one implementation
(uvicorn running ``tests/redis_app.py`` with its ``AsyncRedisManager``); ``--clients``
raw Engine.IO WebSocket clients on each process (permessage-deflate off), all in this
process. One client asks process A to broadcast ``tick`` ``--count`` times (one emit
after the other, each published to Redis); the clock stops when every client on both
processes has counted every tick. Deliveries/s = count x clients / elapsed. Both server
processes' CPU time (user + system, from /proc) is measured over the same interval,
because the clients share the machine: deliveries per server CPU second is the figure
that does not depend on how much of the machine the clients took.

Run: ``make bench-redis`` (or ``python benches/bench_redis.py --runs 5``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from redis_cluster import RedisServer, ServerProcess, start_all

TICK = '42["tick"'
PAYLOAD = {"user": "alice", "text": "hello, everyone", "tags": ["a", "b"], "n": 1}
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Counter:
    """One raw WebSocket client: answers pings and counts ticks."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ticks = 0
        self.target = 0
        self.done = asyncio.Event()
        self.acks: asyncio.Queue[str] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._read())

    @classmethod
    async def open(cls, base: str) -> Counter:
        url = base.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        ws = await websockets.connect(url, compression=None, max_size=None)
        assert str(await ws.recv()).startswith("0{")
        await ws.send("40")
        assert str(await ws.recv()).startswith("40")
        return cls(ws)

    def expect(self, target: int) -> None:
        self.ticks, self.target = 0, target
        self.done.clear()

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                if not isinstance(frame, str):
                    continue
                if frame.startswith(TICK):
                    self.ticks += 1
                    if self.ticks == self.target:
                        self.done.set()
                elif frame == "2":
                    await self.ws.send("3")
                elif frame.startswith("43"):
                    self.acks.put_nowait(frame)
        except websockets.ConnectionClosed:
            pass

    async def close(self) -> None:
        await self.ws.close()
        await self.task


#: name -> (implementation, environment of its server processes)
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "python-socketio": ("socketio", {}),
    "rs pub/sub": ("socketio_rs", {}),
    "rs pub/sub+recovery": ("socketio_rs", {"SIO_RECOVERY": "1"}),
    "rs streams": ("socketio_rs", {"SIO_MANAGER": "streams"}),
    "rs streams+recovery": ("socketio_rs", {"SIO_MANAGER": "streams", "SIO_RECOVERY": "1"}),
}


async def one_run(variant: str, redis_url: str, clients: int, count: int) -> dict[str, float]:
    impl, env = VARIANTS[variant]
    channel = "bench-" + variant.replace(" ", "-").replace("/", "").replace("+", "-")
    servers = [
        ServerProcess(redis_url, name=f"{impl}-{i}", impl=impl, SIO_CHANNEL=channel, **env)
        for i in range(2)
    ]
    start_all(servers)
    counters: list[Counter] = []
    try:
        for server in servers:
            counters += [await Counter.open(server.url) for _ in range(clients)]
        driver = counters[0]

        async def burst(n: int) -> float:
            for c in counters:
                c.expect(n)
            started = time.perf_counter()
            await driver.ws.send(f'421["burst",{n},{json.dumps(PAYLOAD)}]')
            await asyncio.wait_for(asyncio.gather(*(c.done.wait() for c in counters)), 300)
            elapsed = time.perf_counter() - started
            await asyncio.wait_for(driver.acks.get(), 60)
            return elapsed

        # Warm-up: the listeners subscribe with the first client; wait until a burst
        # reaches everyone, then one more to warm the paths.
        for _ in range(100):
            try:
                await asyncio.wait_for(burst(1), 1)
                break
            except asyncio.TimeoutError:
                while not driver.acks.empty():
                    driver.acks.get_nowait()
        await burst(max(1, count // 10))
        pids = [s.proc.pid for s in servers if s.proc is not None]
        cpu_before = sum(cpu_seconds(p) for p in pids)
        elapsed = await burst(count)
        cpu = sum(cpu_seconds(p) for p in pids) - cpu_before
        deliveries = count * len(counters)
        return {
            "elapsed": elapsed,
            "rate": deliveries / elapsed,
            "cpu": cpu,
            "per_cpu": deliveries / cpu if cpu else float("inf"),
        }
    finally:
        for c in counters:
            await c.close()
        for server in servers:
            server.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=100, help="clients per process")
    parser.add_argument("--count", type=int, default=500, help="broadcasts per run")
    parser.add_argument("--runs", type=int, default=3, help="runs per implementation")
    args = parser.parse_args()
    redis_server = RedisServer()
    redis_server.start()
    results: dict[str, list[dict[str, float]]] = {variant: [] for variant in VARIANTS}
    try:
        for run in range(args.runs):
            order = list(VARIANTS) if run % 2 == 0 else list(reversed(VARIANTS))
            for variant in order:
                r = await one_run(variant, redis_server.url, args.clients, args.count)
                results[variant].append(r)
                print(
                    f"run {run + 1} {variant:20} {r['rate']:>9.0f} deliveries/s "
                    f"({r['elapsed']:.2f} s, server CPU {r['cpu']:.2f} s)",
                    flush=True,
                )
    finally:
        redis_server.stop()

    def median(variant: str, key: str) -> float:
        return statistics.median(r[key] for r in results[variant])

    total = 2 * args.clients
    print()
    print(
        f"Broadcast through Redis, 2 processes x {args.clients} WebSocket clients, "
        f"{args.count} broadcasts ({args.count * total} deliveries) per run, "
        f"median of {args.runs}; Python {platform.python_version()}, {os.cpu_count()} cores"
    )
    base = median("python-socketio", "per_cpu")
    print(
        f"{'':22}{'deliveries/s':>14}{'server CPU s':>14}{'deliveries/CPU s':>18}"
        f"{'vs python-socketio':>20}"
    )
    for variant in VARIANTS:
        per_cpu = median(variant, "per_cpu")
        print(
            f"{variant:22}{median(variant, 'rate'):>14.0f}{median(variant, 'cpu'):>14.2f}"
            f"{per_cpu:>18.0f}{per_cpu / base:>19.2f}x"
        )
    for manager in ("pub/sub", "streams"):
        off, on = median(f"rs {manager}", "per_cpu"), median(f"rs {manager}+recovery", "per_cpu")
        print(f"recovery on / off, {manager}: {on / off:.2f}x deliveries per CPU s")


if __name__ == "__main__":
    asyncio.run(main())
