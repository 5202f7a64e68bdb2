"""Bytes pushed per board change to each client, against the whole-board push, in one run.

A hub (embedded SQLite, the full Banyuwangi roster) gets ``--proposals`` proposals at the schema's
maximum size (200-character title, 2,000-character description), spread over the villages under
their cap. Three raw Socket.IO clients (a public page, a view-only hall, the chair) count the bytes
of every ``update`` frame as it arrives. Then one change at a time (citizens' support, screening,
an edit, a new proposal), each waited for at every client, so every push holds exactly one change.

Baseline: the push the hub sent before rows (``{"version", "models": {"board": <whole board>}}``),
built from the same session at the same version and encoded by the same Socket.IO packet encoder.

    .venv/bin/python bench/board_push.py [--proposals 200] [--changes 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from socketio import packet  # noqa: E402

from harness.net import free_port  # noqa: E402
from rooms.actors import Actor, Kind  # noqa: E402
from rooms.commands import parse_command  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config import Config  # noqa: E402
from server.keys import SESSIONS, SIGNER  # noqa: E402
from server.protocol import Packet  # noqa: E402
from server.provision import banyuwangi_roster, found_session  # noqa: E402
from service.sessions import Sessions  # noqa: E402

VENUE = "35.10.13.2007"
MODERATOR = Actor(Kind.MODERATOR, "mod:1")
PER_VILLAGE = 10  # proposals per submitting village: well under the default cap of 30


def proposal(n: int) -> dict[str, Any]:
    return {"title": f"{n:04d} " + "J" * 195, "description": "D" * 2000, "bidang": "pembangunan",
            "lokasi": {"dusun": "K" * 100, "rt": "0" * 10, "rw": "0" * 10}, "volume": 200, "unit": "m" * 30,
            "cost": 150_000_000, "sumber_dana": "dd", "scale": "desa"}


@dataclass
class Reader:
    """A raw engine.io/Socket.IO client over one websocket: counts the bytes of each ``update`` frame."""

    name: str
    pushes: list[tuple[int, int]] = field(default_factory=list)  # (version, bytes)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self, http: aiohttp.ClientSession, url: str, auth: dict[str, str], ready: asyncio.Event) -> None:
        async with http.ws_connect(f"{url}/socket.io/?EIO=4&transport=websocket", max_msg_size=0) as ws:
            await ws.receive_str()  # engine.io open
            await ws.send_str("40" + json.dumps(auth))
            assert (await ws.receive_str()).startswith("40"), f"{self.name} refused"
            ready.set()
            async for msg in ws:
                text = msg.data
                if text == "2":  # engine.io ping
                    await ws.send_str("3")
                elif text.startswith('42["update"'):
                    self.pushes.append((json.loads(text[2:])[1]["version"], len(text.encode())))
                    self.arrived.set()

    async def until(self, version: int) -> None:
        while not self.pushes or self.pushes[-1][0] < version:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), 30)


async def do(sessions: Sessions, sid: str, actor: Actor, name: str, **payload: Any) -> int:
    return await sessions.execute(sid, parse_command(name, payload), actor, time.time())


def whole_board_push(sessions: Sessions, sid: str) -> int:
    """Bytes of the frame the hub pushed before rows: the whole board, at the session's version."""
    assembly = sessions.cached(sid)
    assert assembly is not None
    body = {"version": assembly.version, "models": assembly.read_models(["board"], "public")}
    return len(Packet(packet.EVENT, data=["update", body]).encode().encode())


async def bench(n_proposals: int, n_changes: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(port=port, data_dir=Path(tmp), secret="bench", demo=False)
        app = create_app(config)
        runner = web.AppRunner(app, handle_signals=False)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        url = f"http://127.0.0.1:{port}"
        try:
            await measure(app, url, n_proposals, n_changes)
        finally:
            await runner.cleanup()


async def measure(app: web.Application, url: str, n_proposals: int, n_changes: int) -> None:
    sessions, signer = app[SESSIONS], app[SIGNER]
    sid, links = await found_session(sessions, signer, url, "Bench papan usulan", banyuwangi_roster(), VENUE)
    halls = [link.village.code for link in links if link.village and not link.interactive]
    for n in range(n_proposals):
        code = halls[n // PER_VILLAGE]
        await do(sessions, sid, Actor(Kind.VILLAGE, code, code), "proposal.submit", **proposal(n))
    watcher = halls[-1]
    auths = {"public": {"session": sid},
             "view-only hall": {"token": signer.issue(sid, Kind.VILLAGE, watcher, watcher)},
             "chair (staff room)": {"token": signer.issue(sid, Kind.CHAIR, "chair")}}
    readers = [Reader(name) for name in auths]
    async with aiohttp.ClientSession() as http:
        tasks = []
        for reader in readers:
            ready = asyncio.Event()
            tasks.append(asyncio.create_task(reader.run(http, url, auths[reader.name], ready)))
            await ready.wait()
        await asyncio.sleep(1.0)  # the hall's arrival (attendance) is pushed: not a board change
        for reader in readers:
            reader.pushes.clear()
        rows = await changes(sessions, sid, halls, n_proposals, n_changes, readers)
        for task in tasks:
            task.cancel()
    report(rows, readers, n_proposals)


async def changes(sessions: Sessions, sid: str, halls: list[str], n_proposals: int, n_changes: int,
                  readers: list[Reader]) -> list[tuple[str, int, int]]:
    """One change at a time, each waited for at every client: (kind, version, baseline bytes)."""
    plan: list[tuple[str, Actor, str, dict[str, Any]]] = []
    for i in range(n_changes):
        target = f"U-{1 + (i * 37) % n_proposals:03d}"
        owner = halls[(int(target[2:]) - 1) // PER_VILLAGE]
        plan += [("support.give", Actor(Kind.PUBLIC, f"public:bench-{i:04d}-supporter"), "support.give",
                  {"proposal": target}),
                 ("proposal.edit", Actor(Kind.VILLAGE, owner, owner), "proposal.edit",
                  {"proposal": target, "cost": 100_000_000 + i}),
                 ("proposal.accept", MODERATOR, "proposal.accept", {"proposal": target}),
                 ("proposal.submit", Actor(Kind.VILLAGE, halls[-2], halls[-2]), "proposal.submit",
                  proposal(n_proposals + i))]
    rows = []
    for kind, actor, name, payload in plan:
        version = await do(sessions, sid, actor, name, **payload)
        for reader in readers:
            await reader.until(version)
        rows.append((kind, version, whole_board_push(sessions, sid)))
    return rows


def report(rows: list[tuple[str, int, int]], readers: list[Reader], n_proposals: int) -> None:
    print(f"board: {n_proposals} proposals at the maximum size; one change per push; bytes of the "
          f"Socket.IO frame per client")
    print("| change | pushes | bytes / push / client (rows) | whole-board push (baseline) | × smaller |")
    print("| --- | ---: | ---: | ---: | ---: |")
    kinds = list(dict.fromkeys(kind for kind, _, _ in rows))
    every_after, every_before = [], []
    for kind in kinds:
        versions = {v: base for k, v, base in rows if k == kind}
        after = [b for r in readers for v, b in r.pushes if v in versions]
        before = list(versions.values())
        assert len(after) == len(readers) * len(versions), (kind, len(after))  # one push per change per client
        every_after += after
        every_before += before
        a, b = statistics.mean(after), statistics.mean(before)
        print(f"| {kind} | {len(versions)} | {a:,.0f} | {b:,.0f} | {b / a:,.0f} |")
    a, b = statistics.mean(every_after), statistics.mean(every_before)
    print(f"| all | {len(rows)} | {a:,.0f} | {b:,.0f} | {b / a:,.0f} |")
    for r in readers:
        print(f"  {r.name}: {statistics.mean(size for _, size in r.pushes):,.0f} B per push over {len(r.pushes)}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--proposals", type=int, default=200)
    p.add_argument("--changes", type=int, default=10, help="changes of each kind")
    a = p.parse_args()
    asyncio.run(bench(a.proposals, a.changes))


if __name__ == "__main__":
    main()
