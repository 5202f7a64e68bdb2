"""Real hub processes for tests and benchmarks: start, wait until healthy, kill."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import socketio

from harness.net import REDIS_URL, free_port
from harness.sample import usulan
from rooms.actors import Kind
from server.credentials import Signer

ROOT = Path(__file__).resolve().parents[1]
SECRET = "test-secret"

PROPOSAL: dict[str, Any] = usulan()  # one well-formed usulan (DU-RKP Desa fields)


class HubProcess:
    """``python -m server`` in a child process on a free loopback port."""

    def __init__(self, data: Path, *extra: str, secret: str = SECRET, program: bool = False) -> None:
        # No program feed unless asked: a composer per live session would encode in every page test
        self.data, self.extra, self.secret = data, (*extra, *(() if program else ("--no-program",))), secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> HubProcess:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        env.pop("REDIS_URL", None)  # the store is what the flags say
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "--no-demo", "--port", str(self.port), "--data", str(self.data),
             "--secret", self.secret, "--rate", "100000", "--burst", "100000", *self.extra],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        async with aiohttp.ClientSession() as http:
            for _ in range(300):
                if self.proc.poll() is not None:
                    raise RuntimeError(f"hub exited: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
                try:
                    async with http.get(f"{self.url}/healthz") as r:
                        if r.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        raise RuntimeError("hub did not become healthy")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flushing — what a power cut does to the process."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def signer(secret: str = SECRET) -> Signer:
    return Signer(secret)


async def create_session(url: str, roster_csv: str, venue: str, secret: str = SECRET) -> tuple[str, list[str]]:
    """A session made through the HTTP API; returns its id and its village codes."""
    admin = signer(secret).issue("*", Kind.ADMIN, "admin")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as http:
        async with http.post(f"{url}/api/sessions", json={
                "title": "Uji", "roster_csv": roster_csv, "venue": venue}) as r:
            body = await r.json()
            assert r.status == 201, body
    return body["id"], [link["village"] for link in body["links"] if link["role"] == "village"]


async def connect(url: str, session: str, kind: Kind, ident: str, secret: str = SECRET) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    village = ident if kind is Kind.VILLAGE else None
    await client.connect(url, auth={"token": signer(secret).issue(session, kind, ident, village)},
                         transports=["websocket"], wait_timeout=10)
    return client


async def call_ok(client: socketio.AsyncClient, name: str, **payload: Any) -> dict[str, Any]:
    reply: dict[str, Any] = await client.call(name, payload, timeout=10)
    assert reply.get("ok"), (name, reply)
    return reply


async def open_ballot(url: str, session: str, proposers: list[str], key: str = SECRET,
                      **ballot: Any) -> tuple[str, list[str]]:
    """Start the session, have each proposer submit one usulan, accept them all, open a ballot."""
    chair = await connect(url, session, Kind.CHAIR, "chair", key)
    await call_ok(chair, "session.start")
    for code in proposers:
        village = await connect(url, session, Kind.VILLAGE, code, key)
        await call_ok(village, "proposal.submit", **dict(PROPOSAL, title=f"Usulan {code}"))
        await village.disconnect()
    board = (await chair.call("sync", {}, timeout=10))["models"]["board"]
    options = [p["proposal"] for p in board["proposals"]]
    for pid in options:
        await call_ok(chair, "proposal.accept", proposal=pid)
    spec = {"title": "Prioritas", "method": "approval", "options": options, "max_choices": 1,
            "allow_change": True, **ballot}
    await call_ok(chair, "ballot.open", **spec)
    ballots = (await chair.call("sync", {}, timeout=10))["models"]["ballots"]
    await chair.disconnect()
    return ballots[-1]["ballot"], options


@asynccontextmanager
async def two_nodes(folder: Path) -> AsyncIterator[tuple[HubProcess, HubProcess]]:
    """Two hub processes sharing the real Redis under a fresh prefix, stopped and cleaned up after."""
    prefix = f"mhtest-{secrets.token_hex(4)}"
    extra = ("--redis-url", REDIS_URL, "--redis-prefix", prefix)
    a = await HubProcess(folder / "a", *extra).start()
    b = await HubProcess(folder / "b", *extra).start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()
        r = aioredis.Redis.from_url(REDIS_URL)
        keys = [k async for k in r.scan_iter(f"{prefix}:*")]
        if keys:
            await r.delete(*keys)
        await r.aclose()
