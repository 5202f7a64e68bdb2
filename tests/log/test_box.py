"""The ballot box beside the log: papers (a choice, no village) written in the same unit as the
roll, read back sorted by token, and kept so that neither the order of insertion nor a village
can be recovered from the raw store. Every test runs against SQLite and the real Redis."""

from __future__ import annotations

import json
import sqlite3

import pytest

from rooms.ballot import receipt_digest
from rooms.events import Paper, Stub
from rooms.log.port import EventLog, VersionConflict
from tests.log.support import MemoryStore, RedisStore, SqliteStore, Store, ev

SESSION = "musrenbang-2020-banyuwangi"
VILLAGES = [f"35.10.13.20{n:02d}" for n in range(1, 13)]


def paper(n: int, choice: str = "U-001", ballot: str = "B-01") -> Paper:
    return Paper(ballot, receipt_digest(f"paper-{n}"), (choice,))


def stub(n: int, ballot: str = "B-01") -> Stub:
    return Stub(ballot, receipt_digest(f"receipt-{n}"))


async def vote_all(log: EventLog, count: int) -> list[Paper]:
    papers = []
    for n in range(count):
        papers.append(paper(n, f"U-00{n % 3 + 1}"))
        roll = ev("ballot.voted", ballot="B-01", village=VILLAGES[n])
        await log.append(SESSION, [roll], n, papers=[papers[-1]], stubs=[stub(n)])
    return papers


async def test_papers_are_read_back_sorted_by_token_per_ballot(log: EventLog) -> None:
    papers = await vote_all(log, 6)
    await log.append(SESSION, [ev("ballot.voted", ballot="B-02", village=VILLAGES[0])], 6,
                     papers=[paper(99, "U-009", "B-02")])
    assert await log.box(SESSION, "B-01") == sorted(papers, key=lambda p: p.token)
    assert await log.box(SESSION, "B-02") == [paper(99, "U-009", "B-02")]
    assert await log.box(SESSION, "B-03") == [] and await log.box("other", "B-01") == []
    assert [r.type for r in await log.read(SESSION)] == ["ballot.voted"] * 7


async def test_stubs_are_kept_per_ballot(log: EventLog) -> None:
    await vote_all(log, 3)
    assert [await log.has_stub(SESSION, "B-01", stub(n).digest) for n in range(4)] == [True] * 3 + [False]
    assert not await log.has_stub(SESSION, "B-02", stub(0).digest)
    assert not await log.has_stub("other", "B-01", stub(0).digest)


async def test_a_refused_append_drops_no_paper(log: EventLog) -> None:
    await vote_all(log, 2)
    with pytest.raises(VersionConflict):
        await log.append(SESSION, [ev("ballot.voted", ballot="B-01", village=VILLAGES[5])], 1, papers=[paper(5)],
                         stubs=[stub(5)])
    assert len(await log.box(SESSION, "B-01")) == 2 and not await log.has_stub(SESSION, "B-01", stub(5).digest)
    second = await log.append(SESSION, [ev("ballot.voted", ballot="B-01", village=VILLAGES[5])], 2,
                              papers=[paper(5)])
    assert [r.seq for r in second] == [3] and len(await log.box(SESSION, "B-01")) == 3


async def test_papers_survive_reopening_the_store(store: Store) -> None:
    first = store.open()
    papers = await vote_all(first, 3)
    await first.close()
    again = store.open()
    try:
        assert await again.box(SESSION, "B-01") == sorted(papers, key=lambda p: p.token)
    finally:
        await again.close()


async def test_the_raw_store_holds_no_village_beside_a_choice_nor_the_order(store: Store) -> None:
    log = store.open()
    try:
        await vote_all(log, 12)
    finally:
        await log.close()
    if isinstance(store, SqliteStore):
        with sqlite3.connect(store.path) as conn:
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'box'").fetchone()[0]
            rows = conn.execute("SELECT * FROM box").fetchall()
            events = [json.loads(d) for (d,) in conn.execute("SELECT data FROM events")]
        assert "WITHOUT ROWID" in sql  # no rowid to give the order of insertion away
        cells = [str(cell) for r in rows for cell in r]
    elif isinstance(store, MemoryStore):
        assert all(isinstance(box, set) for box in store.shelf.boxes.values())  # a set keeps no order
        cells = [repr(p) for box in store.shelf.boxes.values() for p in box]
        events = [r.data for r in store.shelf.logs[SESSION]]
    else:
        assert isinstance(store, RedisStore)
        keys = [k async for k in store.client.scan_iter(match=f"{store.prefix}:*")]
        box_keys = [k for k in keys if ":box:" in k]
        assert [await store.client.type(k) for k in keys if ":stubs:" in k] == ["set"]
        assert [await store.client.type(k) for k in box_keys] == ["set"]  # a set keeps no order
        cells = list(await store.client.smembers(box_keys[0]))
        events = [json.loads(r)["data"] for r in await store.client.lrange(store.key(SESSION), 0, -1)]
    assert len(cells) >= 12
    assert not any(v in c for v in VILLAGES for c in cells)
    assert all("choice" not in e for e in events)
    # stored order is token order, not the order the papers came in
    tokens = [paper(n).token for n in range(12)]
    assert sorted(tokens) != tokens
    reader = store.open()
    try:
        assert [p.token for p in await reader.box(SESSION, "B-01")] == sorted(tokens)
    finally:
        await reader.close()
