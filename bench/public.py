"""Citizens following the public page: polling live.json through nginx, against one Socket.IO
connection per citizen, in one run (issue 12 §5).

One hub process (embedded SQLite, the whole Banyuwangi roster, 20 proposals on an open ballot) and
the shipped nginx site in front of it (``server/deploy/nginx.conf``, via ``harness/nginx.py``). Each
phase holds its followers for ``--seconds`` while the session changes as on the day: ``--voters``
halls (Socket.IO) change their votes at ``--vote-rate`` a second in all, and the moderator moves the
floor every 5 s. The phases:

- **baseline**: no followers — what the halls, the votes and the floor cost the hub;
- **socket.io N** (``--sio``): N raw engine.io followers straight to the hub, as the public page
  was before (one connection each, the public room's pushes at up to 5 a second);
- **http+nginx N** (``--followers``): N followers polling live.json through nginx every second with
  If-None-Match, as the page does now: ``wrk`` (one thread, a Lua script) holds N − ``--sample``
  connections, and ``--sample`` asyncio followers in this process record what they see.

Figures per phase: hub CPU (cores, over the window, from /proc), nginx's and the load generators'
CPU, and the staleness of what the sampled followers see: for every change the driver made (the
version in its ack and when the ack came), how long until each sampled follower first held that
version or a later one (p50, p99, never). Then **supports**: ``wrk`` POSTs "Dukung" through nginx
with ``--support-conns`` connections for ``--support-seconds``, each request a distinct (browser,
proposal) pair, browser tokens sealed as the public page seals them: acked supports per second and
hub CPU per support.

    flock /tmp/bench.lock .venv/bin/python bench/public.py [--followers 15000] [--sio 1000 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import re
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import socketio  # noqa: E402

from harness.hubproc import SECRET, HubProcess, call_ok, connect, create_session, open_ballot, signer  # noqa: E402
from harness.nginx import Nginx  # noqa: E402
from rooms.actors import Kind  # noqa: E402
from server.provision import banyuwangi_roster  # noqa: E402

VENUE = "35.10.13.2007"
FLOOR_EVERY = 5.0  # seconds between floor moves
POLL = 1.0  # the page's poll interval (web/static/js/follow.js)
WARMUP = 5.0  # seconds the followers settle before the window opens

# wrk cannot tell its connections apart in Lua, so it sends no ETag: every poll is a full body, which
# is what each follower gets anyway while a ballot moves the version several times a second
POLL_LUA = """
n200, n304, nother = 0, 0, 0
request = function()
  return wrk.format("GET", nil, {["Accept-Encoding"] = "gzip"})
end
response = function(status, headers, body)
  if status == 200 then n200 = n200 + 1 elseif status == 304 then n304 = n304 + 1 else nother = nother + 1 end
end
delay = function() return %d end
"""

SUPPORT_LUA = """
local tokens = {%s}
local proposals = {%s}
local k = 0
n200, n304, nother = 0, 0, 0
request = function()
  k = k + 1
  local token = tokens[(k %% #tokens) + 1]
  local proposal = proposals[(math.floor(k / #tokens) %% #proposals) + 1]
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Cookie"] = "mh_browser=" .. token},
                    '{"proposal":"' .. proposal .. '"}')
end
response = function(status, headers, body)
  if status == 200 then n200 = n200 + 1 else nother = nother + 1 end
end
"""

# wrk prints the threads' counters after its own summary
DONE_LUA = """
local threads = {}
setup = function(thread) table.insert(threads, thread) end
done = function(summary, latency, requests)
  local a, b, c = 0, 0, 0
  for _, t in ipairs(threads) do a = a + t:get("n200"); b = b + t:get("n304"); c = c + t:get("nother") end
  io.write(string.format("COUNTS %d %d %d\\n", a, b, c))
end
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Seen:
    """What one sampled follower held, and since when: (time, version), versions never going back."""

    held: list[tuple[float, int]] = field(default_factory=list)

    def note(self, version: int) -> None:
        if not self.held or version > self.held[-1][1]:
            self.held.append((time.monotonic(), version))


def staleness(changes: list[tuple[float, int]], followers: list[Seen], until: float) -> dict[str, float]:
    """For every change (ack time, version) and sampled follower: seconds until it held that version."""
    delays, never = [], 0
    for at, version in changes:
        if at > until:  # too late in the window for anyone to have seen it
            continue
        for seen in followers:
            first = next((t for t, v in seen.held if v >= version), None)
            if first is None:
                never += 1
            else:
                delays.append(max(0.0, first - at))
    if not delays:
        return {"p50": float("nan"), "p99": float("nan"), "never": never, "n": 0}
    delays.sort()
    return {"p50": statistics.median(delays), "p99": delays[min(len(delays) - 1, int(len(delays) * 0.99))],
            "never": never, "n": len(delays)}


async def poller(http: aiohttp.ClientSession, url: str, seen: Seen, stop: asyncio.Event) -> None:
    """A follower as web/static/js/follow.js polls: every second, with the ETag it holds."""
    etag = None
    await asyncio.sleep(random.uniform(0, POLL))
    while not stop.is_set():
        try:
            async with http.get(url, headers={"If-None-Match": etag} if etag else {}) as r:
                if r.status == 200:
                    seen.note(json.loads(await r.read())["version"])
                    etag = r.headers.get("ETag")
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(POLL)


async def engine_follower(http: aiohttp.ClientSession, url: str, sid: str, seen: Seen | None,
                          ready: asyncio.Event | None = None) -> None:
    """A raw engine.io/Socket.IO public follower: the public room's pushes, pings answered."""
    async with http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket", max_msg_size=0) as ws:
        await ws.receive_str()  # engine.io open
        await ws.send_str("40" + json.dumps({"session": sid}))
        if not (await ws.receive_str()).startswith("40"):
            raise RuntimeError("public follower refused")
        if ready is not None:
            ready.set()
        async for msg in ws:
            text = msg.data
            if text == "2":
                await ws.send_str("3")
            elif seen is not None and text.startswith('42["update"'):
                seen.note(int(re.search(r'"version":(\d+)', text).group(1)))  # type: ignore[union-attr]


def bulk_engine(url: str, sid: str, n: int, ready: Any) -> None:
    """A load process: n raw engine.io followers, until terminated."""

    async def run() -> None:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector) as http:
            tasks, up = [], 0
            for start in range(0, n, 100):  # in steps, so the hub's accept queue keeps up
                batch = [asyncio.Event() for _ in range(min(100, n - start))]
                tasks += [asyncio.create_task(engine_follower(http, url, sid, None, e)) for e in batch]
                await asyncio.wait_for(asyncio.gather(*(e.wait() for e in batch)), 60)
                up += len(batch)
            ready.send(up)
            await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(run())


class Session:
    """The day's changes, driven over Socket.IO: halls re-voting, the moderator moving the floor."""

    def __init__(self, url: str, sid: str, ballot: str, options: list[str], voters: list[socketio.AsyncClient],
                 moderator: socketio.AsyncClient, speakers: list[str]) -> None:
        self.url, self.sid, self.ballot, self.options = url, sid, ballot, options
        self.voters, self.moderator, self.speakers = voters, moderator, speakers
        self.changes: list[tuple[float, int]] = []

    async def _ack(self, client: socketio.AsyncClient, name: str, payload: dict[str, Any]) -> None:
        reply = await client.call(name, payload, timeout=20)
        if reply.get("ok"):
            self.changes.append((time.monotonic(), int(reply["version"])))

    async def run(self, seconds: float, vote_rate: float) -> None:
        end = time.monotonic() + seconds
        pending: set[asyncio.Task[None]] = set()

        async def floor() -> None:
            n = 0
            while time.monotonic() < end:
                await self._ack(self.moderator, "floor.grant",
                                {"village": self.speakers[n % len(self.speakers)], "seconds": 240})
                n += 1
                await asyncio.sleep(FLOOR_EVERY)

        async def votes() -> None:
            n = 0
            start = time.monotonic()
            while time.monotonic() < end:
                voter = self.voters[n % len(self.voters)]
                choice = [self.options[random.randrange(len(self.options))]]
                task = asyncio.create_task(self._ack(voter, "ballot.cast", {"ballot": self.ballot, "choice": choice}))
                pending.add(task)
                task.add_done_callback(pending.discard)
                n += 1
                await asyncio.sleep(max(0.0, start + n / vote_rate - time.monotonic()))

        await asyncio.gather(floor(), votes())
        await asyncio.gather(*pending, return_exceptions=True)


@dataclass
class Phase:
    name: str
    followers: int
    hub_cores: float
    nginx_cores: float = 0.0
    load_cores: float = 0.0  # the bulk load generator (wrk or the engine.io process)
    driver_cores: float = 0.0  # this process: the halls, the moderator and the sampled followers
    stale: dict[str, float] = field(default_factory=dict)
    counts: str = ""
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)


async def measure(name: str, n: int, session: Session, hub: HubProcess, nginx: Nginx, args: argparse.Namespace,
                  start_load: Any) -> Phase:
    """Start the phase's followers (``start_load`` returns the bulk process, a reader of its result and the
    sample's coroutine factory), let them settle, then change the session for the window and measure."""
    stop = asyncio.Event()
    sample = [Seen() for _ in range(min(args.sample, n))]
    bulk, result, follow = await start_load(sample, stop)
    await asyncio.sleep(WARMUP)
    t0, hub0, ngx0, me0 = time.monotonic(), cpu_seconds(hub.pid), nginx.cpu_seconds(), cpu_seconds(os.getpid())
    bulk0 = cpu_seconds(bulk.pid) if bulk else 0.0
    await session.run(args.seconds, args.vote_rate)
    elapsed = time.monotonic() - t0
    phase = Phase(name, n, (cpu_seconds(hub.pid) - hub0) / elapsed, (nginx.cpu_seconds() - ngx0) / elapsed,
                  ((cpu_seconds(bulk.pid) - bulk0) / elapsed) if bulk else 0.0,
                  (cpu_seconds(os.getpid()) - me0) / elapsed, load=os.getloadavg())
    await asyncio.sleep(3.0)  # the last changes reach the followers
    phase.stale = staleness([c for c in session.changes if c[0] >= t0], sample, t0 + elapsed) if sample else {}
    session.changes.clear()
    stop.set()
    phase.counts = await result()
    await follow()
    return phase


def sio_load(url: str, sid: str, n: int) -> Any:
    async def start(sample: list[Seen], stop: asyncio.Event) -> tuple[Any, Any, Any]:
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        tasks = [asyncio.create_task(engine_follower(http, url, sid, seen)) for seen in sample]
        parent, child = mp.Pipe()
        proc = mp.get_context("fork").Process(target=bulk_engine, args=(url, sid, n - len(sample), child), daemon=True)
        proc.start()
        up = await asyncio.get_running_loop().run_in_executor(None, parent.recv)

        async def result() -> str:
            return f"{up + len(sample)} connected"

        async def follow() -> None:
            proc.terminate()
            proc.join(10)
            await stop_pollers(tasks, http)

        return proc, result, follow
    return start


async def stop_pollers(tasks: list[asyncio.Task[None]], http: aiohttp.ClientSession) -> None:
    """The sampled followers of a load: cancelled, then their client closed."""
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await http.close()


def http_load(url: str, n: int, folder: Path, seconds: float) -> Any:
    async def start(sample: list[Seen], stop: asyncio.Event) -> tuple[Any, Any, Any]:
        http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        tasks = [asyncio.create_task(poller(http, url, seen, stop)) for seen in sample]
        bulk = n - len(sample)
        proc = None
        if bulk:
            script = folder / "poll.lua"
            script.write_text(POLL_LUA % int(POLL * 1000) + DONE_LUA)
            proc = subprocess.Popen(["wrk", "-t1", f"-c{bulk}", f"-d{int(WARMUP + seconds + 5)}s", "--timeout", "10s",
                                     "-s", str(script), url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

        async def result() -> str:
            if proc is None:
                return ""
            out = (await asyncio.get_running_loop().run_in_executor(None, proc.communicate))[0].decode()
            counts = re.search(r"COUNTS (\d+) (\d+) (\d+)", out)
            errors = re.search(r"Socket errors:.*", out)
            return (f"wrk 200={counts.group(1)} 304={counts.group(2)} other={counts.group(3)}" if counts else out[-300:]) + (
                f"; {errors.group(0)}" if errors else "")

        async def follow() -> None:
            await stop_pollers(tasks, http)

        return proc, result, follow
    return start


async def supports(hub: HubProcess, nginx: Nginx, sid: str, options: list[str], args: argparse.Namespace,
                   folder: Path) -> dict[str, float]:
    seal = signer(SECRET).seal
    expiry = int(time.time() + 3600)
    tokens = [seal({"b": secrets.token_hex(16), "x": expiry}) for _ in range(args.support_browsers)]
    script = folder / "support.lua"
    script.write_text(SUPPORT_LUA % (",".join(f'"{t}"' for t in tokens), ",".join(f'"{o}"' for o in options))
                      + DONE_LUA)
    hub0, ngx0, t0 = cpu_seconds(hub.pid), nginx.cpu_seconds(), time.monotonic()
    out = subprocess.run(["wrk", "-t1", f"-c{args.support_conns}", f"-d{args.support_seconds}s", "--timeout", "10s",
                          "-s", str(script), f"{nginx.url}/s/{sid}/support"], capture_output=True, text=True).stdout
    elapsed = time.monotonic() - t0
    hub_s, ngx_s = cpu_seconds(hub.pid) - hub0, nginx.cpu_seconds() - ngx0
    counts = re.search(r"COUNTS (\d+) (\d+) (\d+)", out)
    latency = re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out)
    ok = int(counts.group(1)) if counts else 0
    async with aiohttp.ClientSession() as http, http.get(f"{hub.url}/s/{sid}/live.json") as r:
        board = (await r.json())["models"]["board"]["proposals"]
    return {"acked": ok, "refused": int(counts.group(3)) if counts else -1, "per_s": ok / elapsed,
            "hub_cores": hub_s / elapsed, "hub_us": 1e6 * hub_s / max(ok, 1), "nginx_cores": ngx_s / elapsed,
            "counted": sum(p["support"] for p in board), "latency": latency.group(0) if latency else "",
            "load": os.getloadavg()[0]}


async def bench(args: argparse.Namespace) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # wrk and nginx inherit it
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        hub = await HubProcess(folder / "hub", "--trusted-proxy", "127.0.0.1", "--public-per-ip", "1000000").start()
        nginx = None
        clients: list[socketio.AsyncClient] = []
        try:
            sid, villages = await create_session(hub.url, banyuwangi_roster(), VENUE)
            ballot, options = await open_ballot(hub.url, sid, [v for v in villages if v != VENUE][:20])
            nginx = Nginx(folder / "nginx", f"127.0.0.1:{hub.port}", workers=args.nginx_workers,
                          connections=max(args.followers, 1000) + 2000).start()
            moderator = await connect(hub.url, sid, Kind.MODERATOR, "mod:1")
            clients.append(moderator)
            roster = (await moderator.call("sync", {}, timeout=30))["models"]["roster"]
            speakers = [v["village"] for v in roster if v["mode"] == "interactive" and v["village"] != VENUE]
            for code in villages[:args.voters]:
                clients.append(await connect(hub.url, sid, Kind.VILLAGE, code))
            await call_ok(moderator, "agenda.add", title="Penetapan prioritas")
            session = Session(hub.url, sid, ballot, options, clients[1:], moderator, speakers)
            live = f"{nginx.url}/s/{sid}/live.json"
            phases = [await measure("baseline", 0, session, hub, nginx, args, http_load(live, 0, folder, args.seconds))]
            for n in args.sio:
                phases.append(await measure(f"socket.io {n:,}", n, session, hub, nginx, args, sio_load(hub.url, sid, n)))
            phases.append(await measure(f"http+nginx {args.followers:,}", args.followers, session, hub, nginx, args,
                                        http_load(live, args.followers, folder, args.seconds)))
            report(phases, args)
            if args.support_seconds:
                s = await supports(hub, nginx, sid, options, args, folder)
                print(f"\nsupports through nginx ({args.support_conns} connections, {args.support_seconds} s): "
                      f"{s['acked']:,} acked ({s['per_s']:,.0f}/s), {s['refused']} refused, board counts "
                      f"{s['counted']:,}; hub {s['hub_cores']:.2f} cores = {s['hub_us']:.0f} µs/support; nginx "
                      f"{s['nginx_cores']:.2f} cores; {s['latency']}; load {s['load']:.2f}")
        finally:
            for c in clients:
                await c.disconnect()
            if nginx is not None:
                nginx.stop()
            hub.stop()


def report(phases: list[Phase], args: argparse.Namespace) -> None:
    base = phases[0].hub_cores
    print(f"\n{args.seconds:.0f} s windows; {args.voters} halls re-voting {args.vote_rate:g}/s in all, floor moved "
          f"every {FLOOR_EVERY:g} s; {os.cpu_count()} cores")
    print("| phase | hub cores | hub − baseline | µs hub / follower·s | nginx cores | load-gen cores | driver cores "
          "| stale p50 s | stale p99 s | never | load avg | followers |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
    for p in phases:
        extra = p.hub_cores - base
        per = f"{1e6 * extra / p.followers:.1f}" if p.followers else "–"
        st = p.stale
        print(f"| {p.name} | {p.hub_cores:.3f} | {extra:+.3f} | {per} | {p.nginx_cores:.3f} | {p.load_cores:.2f} | "
              f"{p.driver_cores:.2f} | {st.get('p50', float('nan')):.2f} | {st.get('p99', float('nan')):.2f} | "
              f"{st.get('never', 0)}/{st.get('n', 0) + st.get('never', 0)} | "
              f"{' '.join(f'{x:.2f}' for x in p.load)} | {p.counts} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--followers", type=int, default=15_000)
    p.add_argument("--sio", type=int, nargs="*", default=[1_000, 3_000])
    p.add_argument("--sample", type=int, default=200, help="followers of each phase whose view is timed")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--voters", type=int, default=60)
    p.add_argument("--vote-rate", type=float, default=10.0)
    p.add_argument("--nginx-workers", type=int, default=1)
    p.add_argument("--support-conns", type=int, default=500)
    p.add_argument("--support-seconds", type=int, default=10)
    p.add_argument("--support-browsers", type=int, default=5_000)
    asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    main()
