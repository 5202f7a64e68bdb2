"""Append throughput and latency of the event-log stores.

C concurrent appenders, each on its own session, each appending one event at a time and waiting for
it (as the hub does per vote). Prints appends/s, p50/p99 latency and throughput relative to the
first row of the same run (machines are noisy: compare ratios).

    .venv/bin/python bench/log_append.py [-c 1 10 100] [-n 50] [--redis-url redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import redis.asyncio as aioredis  # noqa: E402

from rooms.events import Event  # noqa: E402
from rooms.log.port import EventLog  # noqa: E402
from server.stores.redis import RedisLog  # noqa: E402
from server.stores.sqlite import SqliteLog  # noqa: E402


async def run(log: EventLog, concurrency: int, appends: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    run_id = uuid.uuid4().hex[:8]

    async def appender(session: str) -> None:
        for i in range(appends):
            event = Event("ballot.cast", {"ballot": "b1", "choice": i % 3, "desa": session}, session, 1.0 + i)
            start = time.perf_counter()
            await log.append(session, [event], i)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    await asyncio.gather(*(appender(f"bench-{run_id}-{c}") for c in range(concurrency)))
    return concurrency * appends / (time.perf_counter() - start), latencies


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--concurrency", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("-n", "--appends", type=int, default=50, help="appends per appender")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="log-bench-"))
    prefix = f"bench-log-{uuid.uuid4().hex}"
    stores: dict[str, Callable[[], EventLog]] = {
        "sqlite FULL": lambda: SqliteLog(tmp / "full.sqlite3", synchronous="FULL"),
        "sqlite NORMAL": lambda: SqliteLog(tmp / "normal.sqlite3", synchronous="NORMAL"),
        "redis": lambda: RedisLog(args.redis_url, prefix=prefix),
    }
    print(f"{'store':<14} {'C':>4} {'appends/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}")
    baseline: float | None = None
    try:
        for concurrency in args.concurrency:
            for name, open_store in stores.items():
                log = open_store()
                await run(log, min(concurrency, 10), 5)  # warm-up: schema, script load, connections
                rate, latencies = await run(log, concurrency, args.appends)
                await log.close()
                q = statistics.quantiles(latencies, n=100)
                baseline = baseline or rate
                print(f"{name:<14} {concurrency:>4} {rate:>10.0f} {q[49] * 1e3:>8.2f} {q[98] * 1e3:>8.2f}"
                      f" {rate / baseline:>6.2f}")
    finally:
        client = aioredis.Redis.from_url(args.redis_url)
        keys = [k async for k in client.scan_iter(match=f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


if __name__ == "__main__":
    asyncio.run(main())
