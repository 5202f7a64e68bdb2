"""SQLite-only promises: WAL and durability settings, several processes on one file, acks survive SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from rooms.log.chain import verify
from rooms.log.port import VersionConflict
from server.stores.sqlite import SqliteLog
from tests.log.support import ev

ROOT = Path(__file__).resolve().parents[2]

# A second hub process: appends to the shared session (retrying on conflict) and to its own
# session, printing "ack <session> <seq>" once each append has returned.
CHILD = """
import asyncio, sys
from rooms.events import Event
from rooms.log.port import VersionConflict
from server.stores.sqlite import SqliteLog

async def appender(log, session, n, tag):
    for i in range(n):
        version = await log.version(session)
        while True:
            try:
                event = Event("ballot.cast", {"tag": tag, "i": i}, "child", 1.0)
                (rec,) = await log.append(session, [event], version)
                break
            except VersionConflict as conflict:
                version = conflict.actual
        print("ack", session, rec.seq, flush=True)

async def main(path, n, writers):
    log = SqliteLog(path)
    await asyncio.gather(*(appender(log, f"desa-{w}", n, f"child-{w}") for w in range(writers)),
                         appender(log, "shared", n, "child-shared"))
    await log.close()

asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
"""


async def spawn(path: Path, n: int, writers: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, str(path), str(n), str(writers),
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=asyncio.subprocess.PIPE,
    )


async def test_creates_its_folder_and_schema_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "data" / "hub.sqlite3"
    log = SqliteLog(path)
    await log.append("s", [ev()], 0)
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT session_id, seq FROM events").fetchall() == [("s", 1)]
    await log.close()


async def test_two_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    log = SqliteLog(path)
    child = await spawn(path, 30, 1)

    for i in range(30):
        version = await log.version("shared")
        while True:
            try:
                await log.append("shared", [ev(tag="parent", i=i)], version)
                break
            except VersionConflict as conflict:  # the other process got there first
                version = conflict.actual
    assert await child.wait() == 0

    shared = await log.read("shared")
    assert verify(shared).ok and len(shared) == 60
    assert sorted(r.data["tag"] for r in shared) == ["child-shared"] * 30 + ["parent"] * 30
    assert len(await log.read("desa-0")) == 30
    assert set(await log.sessions()) == {"shared", "desa-0"}
    await log.close()


async def test_every_acknowledged_append_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite3"
    await SqliteLog(path).close()  # the file exists before the child writes, as after a first start
    child = await spawn(path, 10_000, 20)
    assert child.stdout is not None

    acked: dict[str, int] = {}
    while sum(acked.values()) < 300:
        _, session, seq = (await child.stdout.readline()).decode().split()
        acked[session] = max(acked.get(session, 0), int(seq))
    child.send_signal(signal.SIGKILL)
    # Acks written before the kill; a line cut off by the kill was never a whole ack.
    for line in (await child.stdout.read()).decode().split("\n")[:-1]:
        _, session, seq = line.split()
        acked[session] = max(acked.get(session, 0), int(seq))
    assert await child.wait() == -signal.SIGKILL

    log = SqliteLog(path)
    for session, last in acked.items():
        records = await log.read(session)
        assert len(records) >= last, session
        assert verify(records).ok
    await log.close()
