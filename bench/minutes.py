"""Vote acks while the berita acara of a long session is being built, against without, in one run.

One hub process (embedded SQLite) holds one session on the full Banyuwangi roster, filled first with
thousands of events: every proposer submits and gets accepted ``--proposals`` usulan, and the voters
change their votes ``--rounds`` times. Then the votes of ``bench/votes.py`` (its load processes and
measurement, offered load, latency from the scheduled send) run in three windows of the same length:

- **without**: votes only;
- **during minutes**: votes while a client downloads the session's draft minutes (``minutes.pdf``)
  again and again, one after another, so a build is under way for the whole window;
- **without, again**: votes only (the session grew by the votes before: this shows the drift).

Each build reads the whole log, checks its chain and lays out every accepted proposal, in a process
of its own (the hub gathers the sources on its loop and hands them over). Run: ``.venv/bin/python bench/minutes.py`` (``--quick`` for short windows).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from votes import VENUE, _measure  # noqa: E402  (the votes benchmark's load and measurement)

from harness.hubproc import PROPOSAL, HubProcess, call_ok, connect, create_session, signer  # noqa: E402
from rooms.actors import Kind  # noqa: E402
from server.provision import banyuwangi_roster  # noqa: E402


async def _long_session(url: str, proposers: int, per: int, voters: int, rounds: int
                        ) -> tuple[str, str, list[str], list[str], int]:
    """A session with many events; returns its id, the ballot, its options, voters' tokens, events."""
    sid, villages = await create_session(url, banyuwangi_roster(), VENUE)
    chair = await connect(url, sid, Kind.CHAIR, "chair")
    await call_ok(chair, "session.start")
    for n in range(20):
        await call_ok(chair, "agenda.add", title=f"Acara {n + 1}")

    async def propose(code: str) -> None:
        hall = await connect(url, sid, Kind.VILLAGE, code)
        for k in range(per):
            await call_ok(hall, "proposal.submit", **dict(PROPOSAL, title=f"Usulan {code} #{k}"))
        await call_ok(hall, "attendance.headcount", total=60, women=25)
        await hall.disconnect()

    await asyncio.gather(*(propose(c) for c in villages[:proposers]))
    board = (await chair.call("sync", {}, timeout=30))["models"]["board"]["proposals"]
    for p in board:
        await call_ok(chair, "proposal.accept", proposal=p["proposal"])
    options = [p["proposal"] for p in board[:3]]
    await call_ok(chair, "ballot.open", title="Prioritas", method="approval", options=options, max_choices=1,
                  allow_change=True, pagu=300_000_000)
    ballot = (await chair.call("sync", {}, timeout=30))["models"]["ballots"][-1]["ballot"]

    async def vote(code: str) -> None:
        hall = await connect(url, sid, Kind.VILLAGE, code)
        for r in range(rounds):
            await call_ok(hall, "ballot.cast", ballot=ballot, choice=[options[r % 3]])
        await hall.disconnect()

    await asyncio.gather(*(vote(c) for c in villages[:voters]))
    version = (await chair.call("sync", {}, timeout=30))["version"]
    await chair.disconnect()
    return sid, ballot, options, [signer().issue(sid, Kind.VILLAGE, c, c) for c in villages[:voters]], version


def _download_loop(url: str, sid: str, stop: Any, out: Any) -> None:
    """Download the draft minutes one after another until ``stop``; report the build times."""

    async def run() -> None:
        builds, size = [], 0
        token = signer().issue(sid, Kind.CHAIR, "chair")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
            while not stop.is_set():
                start = time.perf_counter()
                async with http.get(f"{url}/api/sessions/{sid}/minutes.pdf") as r:
                    body = await r.read()
                    assert r.status == 200, body[:200]
                builds.append(time.perf_counter() - start)
                size = len(body)
        out.put({"builds": builds, "size": size})

    asyncio.run(run())


class MinutesLoop:
    """The download loop in a process of its own: the load processes fork from a parent with no
    threads (a fork beside a running event loop thread could hang on a lock the thread held)."""

    def __init__(self, url: str, sid: str) -> None:
        self._stop, self._out = mp.Event(), mp.Queue()
        self._proc = mp.Process(target=_download_loop, args=(url, sid, self._stop, self._out))
        self.builds: list[float] = []
        self.size = 0

    def __enter__(self) -> MinutesLoop:
        self._proc.start()
        time.sleep(1.0)  # the first build is under way when the window opens
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        report = self._out.get(timeout=120)
        self._proc.join(30)
        self.builds, self.size = report["builds"], report["size"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voters", type=int, default=200)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--rate", type=float, default=500, help="offered votes/s in each window")
    ap.add_argument("--seconds", type=float, default=15.0)
    ap.add_argument("--proposers", type=int, default=150, help="villages that submit usulan in the fill")
    ap.add_argument("--proposals", type=int, default=10, help="usulan per proposer, all accepted")
    ap.add_argument("--rounds", type=int, default=10, help="votes per voter in the fill")
    ap.add_argument("--quick", action="store_true", help="5 s windows, a smaller fill")
    a = ap.parse_args()
    seconds = 5.0 if a.quick else a.seconds
    if a.quick:
        a.proposers, a.proposals, a.rounds = 60, 5, 5
    with tempfile.TemporaryDirectory() as tmp:
        hub = asyncio.run(HubProcess(Path(tmp) / "hub").start())
        try:
            t0 = time.perf_counter()
            sid, ballot, options, tokens, events = asyncio.run(
                _long_session(hub.url, a.proposers, a.proposals, a.voters, a.rounds))
            fill = time.perf_counter() - t0
            rows = [("without", _measure(hub.url, hub.pid, tokens, ballot, options, a.procs, a.rate, seconds), None)]
            with MinutesLoop(hub.url, sid) as loop:
                rows.append(("during minutes", _measure(hub.url, hub.pid, tokens, ballot, options, a.procs, a.rate,
                                                        seconds), loop))
            rows.append(("without, again", _measure(hub.url, hub.pid, tokens, ballot, options, a.procs, a.rate,
                                                    seconds), None))
        finally:
            hub.stop()
    print(f"\nsession of {events} events ({a.proposers * a.proposals} accepted usulan) filled in {fill:.0f} s; "
          f"{a.voters} voters in {a.procs} load processes, offered {a.rate:.0f} votes/s, {seconds:.0f} s windows; "
          f"{os.cpu_count()} cores, load avg {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    print(f"{'window':16} {'acked/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU µs/vote':>12} {'errors':>6}  minutes")
    for name, r, loop in rows:
        extra = (f"{len(loop.builds)} builds, {sum(loop.builds) / len(loop.builds):.2f} s each, "
                 f"{loop.size / 1024:.0f} KB") if loop and loop.builds else ""
        print(f"{name:16} {r['acked_per_s']:8.0f} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} {r['cpu_us_per_vote']:12.0f} "
              f"{r['errors']:6.0f}  {extra}")


if __name__ == "__main__":
    main()
