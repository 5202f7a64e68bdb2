"""The operator credential: printed on the first start only, re-issued on request, the old one then refused."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp

from harness.hubproc import ROOT, SECRET
from harness.net import free_port
from harness.sample import VENUE, small_roster


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("REDIS_URL", None)  # the embedded SQLite store in the data folder
    return env


class Hub:
    def __init__(self, data: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "--no-demo", "--port", str(self.port), "--data", str(data),
             "--secret", SECRET], cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

    async def banner(self) -> str:
        assert self.proc.stdout is not None
        line = ""
        while not line.startswith("Kredensial operator"):
            line = await asyncio.wait_for(asyncio.to_thread(self.proc.stdout.readline), 60)
            assert line, "the hub exited"
        return line

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


async def _create(url: str, token: str) -> int:
    body = {"title": "Uji", "roster_csv": small_roster(), "venue": VENUE}
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async with http.post(f"{url}/api/sessions", json=body) as r:
            return r.status


async def test_operator_token_is_printed_once_and_revoked_by_a_new_one(tmp_path: Path) -> None:
    hub = Hub(tmp_path)
    try:
        first = (await hub.banner()).rsplit(" ", 1)[1].strip()
        assert first.count(".") == 1
    finally:
        hub.stop()
    hub = Hub(tmp_path)  # a later start does not print it again
    try:
        later = await hub.banner()
        assert first not in later and "operator-token" in later
        assert await _create(hub.url, first) == 201
        made = subprocess.run([sys.executable, "-m", "server", "operator-token", "--data", str(tmp_path),
                               "--secret", SECRET], cwd=ROOT, env=_env(), capture_output=True, text=True, check=True)
        new = made.stdout.strip()
        assert new and new != first
        assert await _create(hub.url, first) == 401  # the running hub refuses the old one at once
        assert await _create(hub.url, new) == 201
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{hub.url}/api/sessions") as r:
                assert all(not s["id"].startswith("_") for s in (await r.json())["sessions"])
    finally:
        hub.stop()
