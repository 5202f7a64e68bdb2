"""SIGKILL the hub in the middle of a stream of votes: every acknowledged vote survives.

With Redis, the Redis server is killed too and restarted from its append-only file, so
the test covers the whole path a vote takes to disk.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from harness.hubproc import HubProcess, connect, create_session, open_ballot, signer
from harness.net import free_port
from harness.sample import VENUE, small_roster
from rooms.actors import Kind


class PrivateRedis:
    """A redis-server of our own with the append-only file on (fsync always)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, check=False)
            if ping.stdout.strip() == b"PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, PrivateRedis | None]]:
    if request.param == "sqlite":
        yield "sqlite", None
        return
    redis = PrivateRedis(tmp_path)
    redis.start()
    yield "redis", redis
    redis.kill()


@pytest.mark.slow
async def test_acknowledged_votes_survive_sigkill(store: tuple[str, PrivateRedis | None], tmp_path: Path) -> None:
    kind, redis = store
    extra = ("--redis-url", redis.url) if redis else ()
    hub = await HubProcess(tmp_path / "data", *extra).start()
    try:
        sid, villages = await create_session(hub.url, small_roster(), VENUE)
        ballot, options = await open_ballot(hub.url, sid, villages[:3])
        voters = [await connect(hub.url, sid, Kind.VILLAGE, code) for code in villages[:12]]
        acked: list[tuple[int, str, str]] = []
        killed = asyncio.Event()

        async def vote(client: Any, code: str, n: int) -> None:
            i = n
            while not killed.is_set():
                i += 1
                choice = options[i % len(options)]
                try:
                    ack = await client.call("ballot.cast", {"ballot": ballot, "choice": [choice]}, timeout=2)
                except Exception:  # the hub died under us: this vote was never acknowledged
                    return
                if ack.get("ok"):
                    acked.append((ack["version"], code, choice))

        pairs = enumerate(zip(voters, villages, strict=False))
        tasks = [asyncio.create_task(vote(c, code, n)) for n, (c, code) in pairs]
        while len(acked) < 200:
            await asyncio.sleep(0.01)
        hub.kill()
        if redis:
            redis.kill()
        killed.set()
        await asyncio.gather(*tasks)
        for c in voters:
            await c.disconnect()
    finally:
        hub.kill()

    if redis:
        redis.start()
    hub = await HubProcess(tmp_path / "data", *extra).start()
    try:
        chair = signer().issue(sid, Kind.CHAIR, "chair")
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {chair}"}) as http:
            async with http.get(f"{hub.url}/api/sessions/{sid}/log") as r:
                body = await r.json()
        assert body["verification"]["ok"], body["verification"]
        by_seq = {e["seq"]: e for e in body["events"]}
        for version, code, choice in acked:
            event = by_seq[version]
            assert event["actor"] == code and event["data"]["choice"] == [choice], event
    finally:
        hub.stop()


@pytest.mark.slow
async def test_acknowledged_secret_votes_keep_roll_and_paper(store: tuple[str, PrivateRedis | None],
                                                            tmp_path: Path) -> None:
    """Each village votes once, all at once, and the hub is killed mid-stream: every acknowledged vote
    has its roll entry and its paper after the restart, and no paper is without its roll."""
    kind, redis = store
    extra = ("--redis-url", redis.url) if redis else ()
    hub = await HubProcess(tmp_path / "data", *extra).start()
    try:
        roster = small_roster(("35.10.13", "35.10.01", "35.10.02", "35.10.03", "35.10.04", "35.10.05"))
        sid, villages = await create_session(hub.url, roster, VENUE)
        ballot, options = await open_ballot(hub.url, sid, villages[:3], secret=True)
        voters = [await connect(hub.url, sid, Kind.VILLAGE, code) for code in villages]
        acked: list[tuple[int, str, str]] = []  # version, village, receipt
        enough = asyncio.Event()

        async def vote(client: Any, code: str, n: int) -> None:
            await asyncio.sleep(0.003 * n)  # a stream, not one burst
            try:
                ack = await client.call("ballot.cast", {"ballot": ballot, "choice": [options[n % 3]]}, timeout=2)
            except Exception:  # the hub died under us: this vote was never acknowledged
                return
            if ack.get("ok"):
                acked.append((ack["version"], code, ack["receipt"]))
                if len(acked) >= len(villages) // 3:
                    enough.set()

        tasks = [asyncio.create_task(vote(c, code, n))
                 for n, (c, code) in enumerate(zip(voters, villages, strict=True))]
        await asyncio.wait_for(enough.wait(), 30)
        hub.kill()
        if redis:
            redis.kill()
        await asyncio.gather(*tasks)
        for c in voters:
            await c.disconnect()
    finally:
        hub.kill()

    if redis:
        redis.start()
    hub = await HubProcess(tmp_path / "data", *extra).start()
    try:
        chair = signer().issue(sid, Kind.CHAIR, "chair")
        client = await connect(hub.url, sid, Kind.CHAIR, "chair")
        assert (await client.call("ballot.close", {"ballot": ballot}, timeout=10))["ok"]
        await client.disconnect()
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {chair}"}) as http:
            async with http.get(f"{hub.url}/api/sessions/{sid}/log") as r:
                body = await r.json()
            outcomes = []
            for _, _, receipt in acked:
                async with http.post(f"{hub.url}/s/{sid}/receipt", data={"code": receipt}) as r:
                    outcomes.append('data-outcome="counted"' in await r.text())
        assert body["verification"]["ok"], body["verification"]
        by_seq = {e["seq"]: e for e in body["events"]}
        for version, code, _ in acked:
            assert by_seq[version]["type"] == "ballot.voted" and by_seq[version]["data"]["village"] == code
        rolls = [e for e in body["events"] if e["type"] == "ballot.voted"]
        assert len(body["boxes"][ballot]) == len(rolls) >= len(acked)
        assert all(outcomes)
    finally:
        hub.stop()
