"""Acknowledged votes per second through the hub, against a bare Socket.IO echo server.

Runs, in one go and with the same load: a bare python-socketio echo server (the
baseline: what Socket.IO alone costs), the hub on SQLite, the hub on Redis. Each is a
separate process; the load is N village clients spread over P load processes, each
client casting votes in a closed loop (send, wait for the ack, send again). Reports
acked votes/s, p50/p99 ack latency, and the server's CPU per vote read from
/proc/PID/stat, with the hub/echo ratio. Run: ``.venv/bin/python bench/votes.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rooms.actors import Kind
from server.credentials import Signer

SECRET = "bench-secret"
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


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _wait_http(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(url) as r:
                    if r.status < 500:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def _roster_csv() -> str:
    return (ROOT / "data" / "banyuwangi_wilayah.csv").read_text(encoding="utf-8")


async def _prepare_session(url: str, n_voters: int) -> tuple[str, str, list[str], list[str]]:
    """Create a session with the full roster, open a ballot; return (session, ballot, options, voter tokens)."""
    signer = Signer(SECRET)
    admin = signer.issue("*", Kind.ADMIN, "admin")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as http:
        async with http.post(f"{url}/api/sessions", json={
                "title": "Bench", "roster_csv": _roster_csv(), "venue": "35.10.13.2007"}) as r:
            body = await r.json()
            assert r.status == 201, body
    sid = body["id"]
    villages = [link["village"] for link in body["links"] if link["role"] == "village"][:n_voters]
    chair = socketio.AsyncClient()
    await chair.connect(url, auth={"token": signer.issue(sid, Kind.CHAIR, "chair")}, transports=["websocket"])
    assert (await chair.call("session.start", {}))["ok"]
    options = []
    for code in villages[:3]:
        v = socketio.AsyncClient()
        await v.connect(url, auth={"token": signer.issue(sid, Kind.VILLAGE, code, code)}, transports=["websocket"])
        ack = await v.call("proposal.submit", {
            "title": f"Usulan {code}", "description": "Jalan desa", "bidang": "pembangunan",
            "lokasi": {"dusun": "Krajan", "rt": "001", "rw": "001"}, "volume": 100, "unit": "m",
            "cost": 50_000_000, "sumber_dana": "dd", "scale": "desa"})
        assert ack["ok"], ack
        await v.disconnect()
    board = (await chair.call("sync", {}))["models"]["board"]
    for p in board["proposals"]:
        assert (await chair.call("proposal.accept", {"proposal": p["proposal"]}))["ok"]
        options.append(p["proposal"])
    assert (await chair.call("ballot.open", {"title": "Bench", "method": "approval", "options": options,
                                              "max_choices": 1, "allow_change": True}))["ok"]
    ballot = (await chair.call("sync", {}))["models"]["ballots"][-1]["ballot"]
    await chair.disconnect()
    return sid, ballot, options, [signer.issue(sid, Kind.VILLAGE, c, c) for c in villages]


def _load_process(url: str, tokens: list[str], ballot: str, options: list[str], seconds: float,
                  start_at: float, out: Any) -> None:
    async def run() -> None:
        clients = []
        for token in tokens:
            c = socketio.AsyncClient()
            auth = {"token": token}
            await c.connect(url, auth=auth, transports=["websocket"])
            clients.append(c)
        await asyncio.sleep(max(0.0, start_at - time.time()))
        latencies: list[float] = []
        errors = 0
        end = time.monotonic() + seconds

        async def voter(c: socketio.AsyncClient, n: int) -> None:
            nonlocal errors
            i = n
            while time.monotonic() < end:
                i += 1
                t0 = time.perf_counter()
                ack = await c.call("ballot.cast", {"ballot": ballot, "choice": [options[i % len(options)]],
                                                   "key": secrets.token_hex(8)})
                if ack.get("ok"):
                    latencies.append(time.perf_counter() - t0)
                else:
                    errors += 1

        await asyncio.gather(*[voter(c, n) for n, c in enumerate(clients)])
        for c in clients:
            await c.disconnect()
        out.put({"latencies": latencies, "errors": errors})

    asyncio.run(run())


def _measure(url: str, pid: int, tokens: list[str], ballot: str, options: list[str], procs: int,
             seconds: float) -> dict[str, float]:
    queue: Any = mp.Queue()
    start_at = time.time() + 2.0 + len(tokens) * 0.01
    chunks = [tokens[i::procs] for i in range(procs)]
    workers = [mp.Process(target=_load_process, args=(url, chunk, ballot, options, seconds, start_at, queue))
               for chunk in chunks]
    for w in workers:
        w.start()
    time.sleep(max(0.0, start_at - time.time()))
    cpu0, t0 = _cpu_seconds(pid), time.monotonic()
    results = [queue.get(timeout=seconds + 120) for _ in workers]
    cpu1, t1 = _cpu_seconds(pid), time.monotonic()
    for w in workers:
        w.join()
    lat = sorted(x for r in results for x in r["latencies"])
    errors = sum(r["errors"] for r in results)
    acked = len(lat)
    wall = min(t1 - t0, seconds) if t1 - t0 > 0 else seconds
    return {
        "acked_per_s": acked / seconds,
        "p50_ms": 1000 * lat[len(lat) // 2] if lat else float("nan"),
        "p99_ms": 1000 * lat[int(len(lat) * 0.99)] if lat else float("nan"),
        "cpu_us_per_vote": 1e6 * (cpu1 - cpu0) / acked if acked else float("nan"),
        "server_cpu_share": (cpu1 - cpu0) / max(wall, 1e-9),
        "errors": errors,
        "acked": acked,
    }


def _start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--voters", type=int, default=200, help="village clients (≤ 217)")
    ap.add_argument("--procs", type=int, default=2, help="load-generator processes")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    py = sys.executable
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        targets = {
            "echo (bare python-socketio)": None,
            "hub, SQLite": [],
            "hub, Redis": ["--redis-url", a.redis_url, "--redis-prefix", f"mhbench-{secrets.token_hex(3)}"],
        }
        for name, extra in targets.items():
            port = _free_port()
            url = f"http://127.0.0.1:{port}"
            env = dict(os.environ, PYTHONPATH=str(ROOT))
            env.pop("REDIS_URL", None)
            if extra is None:
                proc = _start([py, "-c", ECHO, str(port)], env)
            else:
                data = Path(tmp) / name.replace(" ", "").replace(",", "")
                proc = _start([py, "-m", "server", "--no-demo", "--port", str(port), "--data", str(data),
                               "--secret", SECRET, "--rate", "100000", "--burst", "100000", *extra], env)
            try:
                asyncio.run(_wait_http(f"{url}/socket.io/?EIO=4&transport=polling"))
                if extra is None:
                    tokens = [f"t{i}" for i in range(a.voters)]
                    ballot, options = "B-01", ["U-001", "U-002", "U-003"]
                else:
                    _, ballot, options, tokens = asyncio.run(_prepare_session(url, a.voters))
                rows[name] = _measure(url, proc.pid, tokens, ballot, options, a.procs, a.seconds)
            finally:
                proc.terminate()
                proc.wait(10)
    base = rows["echo (bare python-socketio)"]["cpu_us_per_vote"]
    if a.json:
        print(json.dumps(rows, indent=2))
    print(f"\n{a.voters} voters in {a.procs} load processes, {a.seconds:.0f} s each, {os.cpu_count()} cores; "
          f"load avg {os.getloadavg()[0]:.2f}")
    print(f"{'server':30} {'acked/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'CPU µs/vote':>12} {'× echo':>7} {'errors':>7}")
    for name, r in rows.items():
        print(f"{name:30} {r['acked_per_s']:9.0f} {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} "
              f"{r['cpu_us_per_vote']:12.0f} {r['cpu_us_per_vote'] / base:7.2f} {r['errors']:7.0f}")


if __name__ == "__main__":
    main()
