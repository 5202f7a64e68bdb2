"""``python -m server`` on its embedded default: the demo session, its links and the links file."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

from harness.hubproc import ROOT
from harness.net import free_port


async def _start_and_list(data: Path) -> tuple[str, list[dict[str, Any]]]:
    """Start the hub, read its banner, list its sessions, stop it."""
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "server", "--port", str(port), "--data", str(data)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Kredensial operator"):
            line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), 60)
            assert line, "the hub exited"
            lines.append(line)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/api/sessions") as r:
                sessions = (await r.json())["sessions"]
        return "".join(lines), sessions
    finally:
        proc.terminate()
        proc.wait(10)


async def test_first_start_creates_the_demo_session_and_prints_its_links(tmp_path: Path) -> None:
    out, sessions = await _start_and_list(tmp_path)
    assert [(s["id"], s["title"], s["status"]) for s in sessions] == [
        ("banyuwangi", "Musrenbangdes Serentak Kabupaten Banyuwangi", "draft")]
    for label in ("Pimpinan", "Moderator", "Halaman publik", "Desa Bubuk (Rogojampi, interaktif)"):
        assert label in out, out
    assert out.count("/village#t=") == 3
    with (tmp_path / "links-banyuwangi.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    villages = [r for r in rows if r["role"] == "village"]
    assert len(villages) == 217
    assert sum(r["mode"] == "interaktif" for r in villages) == 25
    assert {r["role"] for r in rows} == {"public", "chair", "moderator", "village"}
    assert (tmp_path / "links-banyuwangi.csv").stat().st_mode & 0o777 == 0o600

    again, sessions = await _start_and_list(tmp_path)  # a restart keeps the session and its links
    chair = next(line for line in out.splitlines() if "Pimpinan" in line)
    assert chair in again and len(sessions) == 1
