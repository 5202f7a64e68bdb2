"""The embedded default event log: one SQLite file in WAL mode.

One writer thread owns the write connection and commits in groups: appends queued by many coroutines
meanwhile go into one ``BEGIN IMMEDIATE`` transaction, each checked against its own expected version
(a stale one fails alone), and every caller is answered only after ``COMMIT`` returned. Reads use a
second connection in a worker thread, so neither side blocks the event loop.

Durability: ``synchronous=FULL`` by default — each group commit fsyncs the WAL, so an acknowledged
append survives a power cut, not only a killed process. Group commit spreads that fsync over every
append in the group: bench/log_append.py measured 10,000-17,000 appends/s with FULL for 100
concurrent appenders on distinct sessions (NORMAL: 11,000-14,000, i.e. no gain at that load), well
above the 5,000 needed. ``NORMAL`` (no fsync per commit: survives a crashed process, may lose the
last commits on power loss) stays selectable for slow disks, where one appender alone is ~2x faster.

Secret ballots' papers go to the ``box`` table in the same transaction as their roll events, and
the receipts' digests to ``stubs``. Their keys are random values and they have no rowid, so a
table's order is the keys' order, not the order of arrival; no column names a village, and nothing
links a stub to its paper.

Several processes may open the same file: the busy timeout makes writers wait for each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import queue
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from rooms.errors import DomainError
from rooms.events import Event, Paper, RecordedEvent, Stub
from rooms.log.chain import GENESIS, canonical, seal_all
from rooms.log.port import EventLog, LogClosed, VersionConflict
from service.outcome import settle

Synchronous = Literal["FULL", "NORMAL"]

_BUSY_TIMEOUT_MS: Final = 10_000
_MAX_GROUP: Final = 1_000  # appends per transaction, so one huge burst cannot starve the first callers

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS sessions (
    n  INTEGER PRIMARY KEY,        -- order of first append
    id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS events (
    session_id TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    type       TEXT    NOT NULL,
    data       TEXT    NOT NULL,   -- canonical JSON
    actor      TEXT    NOT NULL,
    at         REAL    NOT NULL,
    key        TEXT,
    prev_hash  TEXT    NOT NULL,
    hash       TEXT    NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS box (
    session_id TEXT NOT NULL,
    ballot     TEXT NOT NULL,
    token      TEXT NOT NULL,      -- random
    choice     TEXT NOT NULL,      -- canonical JSON list
    PRIMARY KEY (session_id, ballot, token)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stubs (
    session_id TEXT NOT NULL,
    ballot     TEXT NOT NULL,
    digest     TEXT NOT NULL,      -- SHA-256 of a voter's receipt; nothing links it to a paper
    PRIMARY KEY (session_id, ballot, digest)
) WITHOUT ROWID;
"""

_COLUMNS: Final = "seq, type, data, actor, at, key, prev_hash, hash"


@dataclass(frozen=True, slots=True)
class _Append:
    session_id: str
    events: Sequence[Event]
    papers: Sequence[Paper]
    stubs: Sequence[Stub]
    expected: int
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[list[RecordedEvent]]


_Outcome = list[RecordedEvent] | BaseException
_STOP: Final = object()


def _connect(path: str, synchronous: Synchronous | None = None) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    if synchronous is not None:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
    return conn


def _record(row: tuple[Any, ...]) -> RecordedEvent:
    seq, type_, data, actor, at, key, prev_hash, hash_ = row
    return RecordedEvent(seq, type_, json.loads(data), actor, at, key, prev_hash, hash_)


def _head(conn: sqlite3.Connection, session_id: str) -> tuple[int, str]:
    row = conn.execute(
        "SELECT seq, hash FROM events WHERE session_id = ? ORDER BY seq DESC LIMIT 1", (session_id,)
    ).fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


class _Writer(threading.Thread):
    """Owns the write connection; turns queued appends into group commits."""

    def __init__(self, path: str, synchronous: Synchronous) -> None:
        super().__init__(name=f"sqlite-log-writer:{path}", daemon=True)
        self.jobs: queue.SimpleQueue[_Append | object] = queue.SimpleQueue()
        self._path = path
        self._synchronous: Synchronous = synchronous
        self._ready = threading.Event()
        self._failure: BaseException | None = None

    def start_and_wait(self) -> None:
        self.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure

    def run(self) -> None:
        try:
            conn = _connect(self._path, self._synchronous)
            conn.executescript(_SCHEMA)
        except BaseException as exc:  # reported to the constructor
            self._failure = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            stopping = False
            while not stopping:
                group: list[_Append] = []
                job = self.jobs.get()
                while isinstance(job, _Append):
                    group.append(job)
                    if len(group) >= _MAX_GROUP:
                        break
                    try:
                        job = self.jobs.get_nowait()
                    except queue.Empty:
                        break
                stopping = job is _STOP
                if group:
                    for append, outcome in zip(group, self._commit(conn, group), strict=True):
                        _answer(append, outcome)
        finally:
            conn.close()

    def _commit(self, conn: sqlite3.Connection, group: list[_Append]) -> list[_Outcome]:
        outcomes: list[_Outcome] = []
        heads: dict[str, tuple[int, str]] = {}  # this group's own appends, not yet visible to _head
        rows = _Rows()
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in group:
                version, head = heads.get(job.session_id) or _head(conn, job.session_id)
                if version != job.expected:
                    outcomes.append(VersionConflict(job.session_id, job.expected, version))
                    continue
                try:
                    records = seal_all(job.events, version, head)
                except DomainError as exc:
                    outcomes.append(exc)
                    continue
                if records:
                    heads[job.session_id] = (records[-1].seq, records[-1].hash)
                rows.add(job, records, new_session=version == 0 and bool(records))
                outcomes.append(records)
            rows.write(conn)
            conn.execute("COMMIT")
        except BaseException as exc:  # the whole group failed to commit: nothing of it was written
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):  # a failed COMMIT may have rolled back already
                    conn.execute("ROLLBACK")
            return [exc] * len(group)
        return outcomes


@dataclass
class _Rows:
    """What one group's transaction inserts, table by table."""

    sessions: list[tuple[str]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    papers: list[tuple[str, str, str, str]] = field(default_factory=list)
    stubs: list[tuple[str, str, str]] = field(default_factory=list)

    def add(self, job: _Append, records: Sequence[RecordedEvent], new_session: bool) -> None:
        if new_session:
            self.sessions.append((job.session_id,))
        self.events.extend((job.session_id, r.seq, r.type, canonical(r.data).decode(), r.actor, r.at, r.key,
                            r.prev_hash, r.hash) for r in records)
        self.papers.extend((job.session_id, p.ballot, p.token, canonical(list(p.choice)).decode())
                           for p in job.papers)
        self.stubs.extend((job.session_id, s.ballot, s.digest) for s in job.stubs)

    def write(self, conn: sqlite3.Connection) -> None:
        conn.executemany("INSERT OR IGNORE INTO sessions (id) VALUES (?)", self.sessions)
        conn.executemany(f"INSERT INTO events (session_id, {_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", self.events)
        conn.executemany("INSERT INTO box (session_id, ballot, token, choice) VALUES (?,?,?,?)", self.papers)
        conn.executemany("INSERT INTO stubs (session_id, ballot, digest) VALUES (?,?,?)", self.stubs)


def _answer(job: _Append, outcome: _Outcome) -> None:
    with contextlib.suppress(RuntimeError):  # that event loop is closed: nobody is waiting any more
        job.loop.call_soon_threadsafe(settle, job.future, outcome)


class SqliteLog(EventLog):
    """Session logs in one SQLite file; creates its folder and schema on first open."""

    def __init__(self, path: str | os.PathLike[str], *, synchronous: Synchronous = "FULL") -> None:
        self._path = os.fspath(path)
        Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._writer = _Writer(self._path, synchronous)
        self._writer.start_and_wait()
        self._reader = _connect(self._path)
        self._reader_lock = threading.Lock()
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise LogClosed(f"log {self._path} is closed")

    async def append(
        self, session_id: str, events: Sequence[Event], expected_version: int,
        papers: Sequence[Paper] = (), stubs: Sequence[Stub] = (),
    ) -> list[RecordedEvent]:
        self._check_open()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[RecordedEvent]] = loop.create_future()
        job = _Append(session_id, tuple(events), tuple(papers), tuple(stubs), expected_version, loop, future)
        self._writer.jobs.put(job)
        return await future

    def _query(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._reader_lock:
            return self._reader.execute(sql, args).fetchall()

    async def _fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        self._check_open()
        return await asyncio.to_thread(self._query, sql, args)

    async def read(self, session_id: str, after: int = 0) -> list[RecordedEvent]:
        rows = await self._fetch(
            f"SELECT {_COLUMNS} FROM events WHERE session_id = ? AND seq > ? ORDER BY seq", session_id, after
        )
        return [_record(row) for row in rows]

    async def box(self, session_id: str, ballot: str) -> list[Paper]:
        rows = await self._fetch(
            "SELECT token, choice FROM box WHERE session_id = ? AND ballot = ? ORDER BY token", session_id, ballot
        )
        return [Paper(ballot, token, tuple(json.loads(choice))) for token, choice in rows]

    async def has_stub(self, session_id: str, ballot: str, digest: str) -> bool:
        rows = await self._fetch(
            "SELECT 1 FROM stubs WHERE session_id = ? AND ballot = ? AND digest = ?", session_id, ballot, digest
        )
        return bool(rows)

    async def version(self, session_id: str) -> int:
        rows = await self._fetch("SELECT MAX(seq) FROM events WHERE session_id = ?", session_id)
        return int(rows[0][0] or 0)

    async def sessions(self) -> list[str]:
        return [row[0] for row in await self._fetch("SELECT id FROM sessions ORDER BY n")]

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._writer.jobs.put(_STOP)  # queued appends before it are still committed and answered
        await asyncio.to_thread(self._writer.join)
        with self._reader_lock:
            self._reader.close()
