"""Acknowledged votes per second through the hub, against a bare Socket.IO echo server.

One run measures, with the same load, three servers in their own processes: a bare
python-socketio echo server (the baseline: what Socket.IO alone costs), the hub on SQLite,
and the hub on Redis. The load is N village clients spread over P load processes, in two
shapes:

- **offered** (open loop): together the clients send ``--rate`` votes/s on a fixed schedule,
  whether or not earlier acks came back; latency is measured from the scheduled send time,
  so a stalled server cannot hide its queueing (no coordinated omission);
- **saturation** (closed loop): each client sends, waits for the ack, sends again.

Every vote lands in the hub's log (the ballot allows changing a vote), and every connected
village receives the coalesced tally pushes, as on the day. The server's CPU per vote comes
from /proc/PID/stat. Run: ``.venv/bin/python bench/votes.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.hubproc import HubProcess, create_session, open_ballot, signer  # noqa: E402
from harness.net import free_port  # noqa: E402
from rooms.actors import Kind  # noqa: E402
from server.provision import banyuwangi_roster  # noqa: E402

VENUE = "35.10.13.2007"
ECHO = '''
import sys, socketio
from aiohttp import web
sio = socketio.AsyncServer(async_mode="aiohttp")
count = 0
@sio.on("*")
async def any_event(event, sid, data):
    global count
    count += 1
    return {"ok": True, "version": count}
app = web.Application(); sio.attach(app)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
'''


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load_process(url: str, tokens: list[str], ballot: str, options: list[str], rate: float | None,
                  seconds: float, go: Any, out: Any) -> None:
    """One load process: its share of the voters; rate None = closed loop.

    It connects its clients, says "ready", waits for ``go``, votes, reports, and only then
    disconnects: connecting and leaving stay out of the measured window.
    """

    async def run() -> None:
        clients = []
        for token in tokens:
            c = socketio.AsyncClient()
            await c.connect(url, auth={"token": token}, transports=["websocket"])
            clients.append(c)
        latencies: list[float] = []
        errors = 0

        async def cast(c: socketio.AsyncClient, i: int, since: float) -> None:
            nonlocal errors
            ack = await c.call("ballot.cast", {"ballot": ballot, "choice": [options[i % len(options)]],
                                               "key": secrets.token_hex(8)}, timeout=30)
            if ack.get("ok"):
                latencies.append(time.perf_counter() - since)
            else:
                errors += 1

        async def closed(c: socketio.AsyncClient, n: int, end: float) -> None:
            i = n
            while time.perf_counter() < end:
                i += 1
                await cast(c, i, time.perf_counter())

        async def offered(c: socketio.AsyncClient, n: int, start: float, end: float) -> None:
            interval = len(tokens) / rate  # type: ignore[operator]
            pending = []
            k = 0
            while (due := start + (n / len(tokens) + k) * interval) < end:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                pending.append(asyncio.create_task(cast(c, n + k, due)))
                k += 1
            await asyncio.gather(*pending)

        out.put("ready")
        await asyncio.to_thread(go.wait)
        start = time.perf_counter()
        end = start + seconds
        if rate is None:
            await asyncio.gather(*[closed(c, n, end) for n, c in enumerate(clients)])
        else:
            await asyncio.gather(*[offered(c, n, start, end) for n, c in enumerate(clients)])
        out.put({"latencies": latencies, "errors": errors})
        for c in clients:
            await c.disconnect()

    asyncio.run(run())


def _measure(url: str, pid: int, tokens: list[str], ballot: str, options: list[str], procs: int,
             rate: float | None, seconds: float) -> dict[str, float]:
    queue: Any = mp.Queue()
    go = mp.Event()
    workers = [mp.Process(target=_load_process, args=(url, tokens[i::procs], ballot, options,
                                                      None if rate is None else rate / procs, seconds, go, queue))
               for i in range(procs)]
    for w in workers:
        w.start()
    for _ in workers:
        assert queue.get(timeout=120) == "ready"
    time.sleep(1.0)  # the connections' arrival (attendance, pushes) settles before the window opens
    cpu0 = _cpu_seconds(pid)
    go.set()
    results = [queue.get(timeout=seconds + 120) for _ in workers]
    cpu1 = _cpu_seconds(pid)
    for w in workers:
        w.join()
    lat = sorted(x for r in results for x in r["latencies"])
    acked = len(lat)
    return {
        "acked_per_s": acked / seconds,
        "p50_ms": 1000 * lat[len(lat) // 2] if lat else float("nan"),
        "p99_ms": 1000 * lat[int(len(lat) * 0.99)] if lat else float("nan"),
        "cpu_us_per_vote": 1e6 * (cpu1 - cpu0) / acked if acked else float("nan"),
        "errors": sum(r["errors"] for r in results),
    }


async def _hub_ballot(url: str, voters: int) -> tuple[str, list[str], list[str]]:
    sid, villages = await create_session(url, banyuwangi_roster(), VENUE)
    ballot, options = await open_ballot(url, sid, villages[:3])
    return ballot, options, [signer().issue(sid, Kind.VILLAGE, c, c) for c in villages[:voters]]


def _run_echo(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-c", ECHO, str(port)], cwd=ROOT, stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    return proc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voters", type=int, default=200, help="village clients (at most 217)")
    ap.add_argument("--procs", type=int, default=2, help="load-generator processes")
    ap.add_argument("--rate", type=float, default=2000, help="offered votes/s in the open-loop run")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--quick", action="store_true", help="3 s runs")
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    a = ap.parse_args()
    seconds = 3.0 if a.quick else a.seconds
    rows: list[tuple[str, str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        servers: dict[str, tuple[str, ...] | None] = {
            "echo (bare python-socketio)": None,
            "hub, SQLite": (),
            "hub, Redis": ("--redis-url", a.redis_url, "--redis-prefix", f"mhbench-{secrets.token_hex(3)}"),
        }
        for name, extra in servers.items():
            for load, rate in (("offered", a.rate), ("saturation", None)):
                if extra is None:
                    port = free_port()
                    proc = _run_echo(port)
                    url, pid = f"http://127.0.0.1:{port}", proc.pid
                    ballot, options, tokens = "B-01", ["U-001", "U-002", "U-003"], ["t"] * a.voters
                else:
                    hub = asyncio.run(HubProcess(Path(tmp) / secrets.token_hex(3), *extra).start())
                    url, pid = hub.url, hub.pid
                    ballot, options, tokens = asyncio.run(_hub_ballot(url, a.voters))
                try:
                    rows.append((name, load, _measure(url, pid, tokens, ballot, options, a.procs, rate, seconds)))
                finally:
                    if extra is None:
                        proc.terminate()
                        proc.wait(10)
                    else:
                        hub.stop()
    base = {load: r["cpu_us_per_vote"] for name, load, r in rows if name.startswith("echo")}
    print(f"\n{a.voters} voters in {a.procs} load processes, {seconds:.0f} s per run, offered {a.rate:.0f} votes/s; "
          f"{os.cpu_count()} cores, load avg {os.getloadavg()[0]:.2f}")
    print(f"{'server':28} {'load':11} {'acked/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU µs/vote':>12} "
          f"{'× echo':>7} {'errors':>6}")
    for name, load, r in rows:
        print(f"{name:28} {load:11} {r['acked_per_s']:8.0f} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} "
              f"{r['cpu_us_per_vote']:12.0f} {r['cpu_us_per_vote'] / base[load]:7.2f} {r['errors']:6.0f}")


if __name__ == "__main__":
    main()
