"""The EventLog contract: every test runs against SQLite and against the real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from rooms.errors import Invalid
from rooms.events import Event, RecordedEvent
from rooms.log.chain import GENESIS, verify
from rooms.log.port import EventLog, LogClosed, VersionConflict
from tests.log.support import Store, ev

SESSION = "musrenbang-2020-banyuwangi"


async def fill(log: EventLog, n: int, session: str = SESSION) -> list[RecordedEvent]:
    return [rec for i in range(n) for rec in await log.append(session, [ev(choice=i)], i)]


async def test_append_numbers_from_one_and_read_returns_them_in_order(log: EventLog) -> None:
    first = await log.append(SESSION, [ev("session.opened", chair="bupati")], 0)
    second = await log.append(SESSION, [ev(choice="jalan"), ev(choice="irigasi")], 1)

    assert [r.seq for r in first + second] == [1, 2, 3]
    assert [r.type for r in first + second] == ["session.opened", "ballot.cast", "ballot.cast"]
    assert first[0].prev_hash == GENESIS
    assert second[0].prev_hash == first[0].hash and second[1].prev_hash == second[0].hash
    assert await log.read(SESSION) == first + second


async def test_read_after_returns_only_later_records(log: EventLog) -> None:
    records = await fill(log, 5)

    assert await log.read(SESSION, after=2) == records[2:]
    assert await log.read(SESSION, after=5) == []
    assert await log.read(SESSION, after=0) == records
    assert await log.read("no-such-session") == []


async def test_version_is_zero_without_log_then_the_last_seq(log: EventLog) -> None:
    assert await log.version(SESSION) == 0
    await fill(log, 3)
    assert await log.version(SESSION) == 3
    assert await log.version("other") == 0


async def test_multi_event_append_is_one_unit(log: EventLog) -> None:
    await fill(log, 1)
    batch = [ev("proposal.submitted", title=f"usulan {i}") for i in range(4)]

    records = await log.append(SESSION, batch, 1)

    assert [r.seq for r in records] == [2, 3, 4, 5]
    assert [r.data for r in records] == [e.data for e in batch]
    with pytest.raises(VersionConflict):
        await log.append(SESSION, [ev(), ev(), ev()], 1)
    assert await log.version(SESSION) == 5
    assert [r.seq for r in await log.read(SESSION)] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("expected", [0, 2, 4, 99])
async def test_wrong_expected_version_conflicts_and_writes_nothing(log: EventLog, expected: int) -> None:
    before = await fill(log, 3)

    with pytest.raises(VersionConflict) as raised:
        await log.append(SESSION, [ev(choice="late")], expected)

    assert raised.value.code == "version_conflict"
    assert raised.value.actual == 3 and raised.value.expected == expected
    assert await log.read(SESSION) == before
    assert await log.version(SESSION) == 3


async def test_conflict_then_retry_at_the_actual_version_chains_on(log: EventLog) -> None:
    before = await fill(log, 2)
    with pytest.raises(VersionConflict) as raised:
        await log.append(SESSION, [ev()], 1)

    (record,) = await log.append(SESSION, [ev()], raised.value.actual)

    assert record.seq == 3 and record.prev_hash == before[-1].hash
    assert verify(await log.read(SESSION)).ok


async def test_two_concurrent_appenders_with_the_same_version_exactly_one_wins(log: EventLog) -> None:
    await fill(log, 1)

    outcomes = await asyncio.gather(
        log.append(SESSION, [ev(choice="a"), ev(choice="a")], 1),
        log.append(SESSION, [ev(choice="b")], 1),
        return_exceptions=True,
    )

    wins = [o for o in outcomes if isinstance(o, list)]
    losses = [o for o in outcomes if isinstance(o, VersionConflict)]
    assert len(wins) == 1 and len(losses) == 1
    assert await log.read(SESSION, after=1) == wins[0]
    assert verify(await log.read(SESSION)).ok


async def test_two_nodes_racing_on_one_session_exactly_one_wins_each_round(
    open_node: Callable[[], EventLog],
) -> None:
    node_a, node_b = open_node(), open_node()
    for version in range(10):
        outcomes = await asyncio.gather(
            node_a.append(SESSION, [ev(node="a")], version),
            node_b.append(SESSION, [ev(node="b")], version),
            return_exceptions=True,
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["VersionConflict", "list"]

    for node in (node_a, node_b):
        records = await node.read(SESSION)
        assert [r.seq for r in records] == list(range(1, 11))
        assert verify(records).ok


async def test_optimistic_writers_on_two_nodes_lose_nothing(open_node: Callable[[], EventLog]) -> None:
    nodes = [open_node(), open_node()]

    async def writer(node: EventLog, name: str) -> None:
        for i in range(5):
            version = await node.version(SESSION)
            while True:
                try:
                    await node.append(SESSION, [ev(writer=name, i=i)], version)
                    break
                except VersionConflict as conflict:
                    version = conflict.actual

    await asyncio.gather(*(writer(nodes[w % 2], f"w{w}") for w in range(6)))

    records = await nodes[0].read(SESSION)
    assert verify(records).ok and len(records) == 30
    assert sorted((r.data["writer"], r.data["i"]) for r in records) == sorted(
        (f"w{w}", i) for w in range(6) for i in range(5)
    )


async def test_concurrent_appends_on_many_sessions_each_judged_alone(log: EventLog) -> None:
    sessions = [f"desa-{i:03}" for i in range(40)]
    for s in sessions:
        await log.append(s, [ev()], 0)

    # Even sessions append at the right version, odd ones at a stale one: in one burst, so a
    # group-committing store puts them in the same transaction.
    outcomes = await asyncio.gather(
        *(log.append(s, [ev(i=i)], 1 if i % 2 == 0 else 0) for i, s in enumerate(sessions)),
        return_exceptions=True,
    )

    for i, (s, outcome) in enumerate(zip(sessions, outcomes, strict=True)):
        if i % 2 == 0:
            assert isinstance(outcome, list) and outcome[0].seq == 2 and outcome[0].data == {"i": i}
            assert await log.version(s) == 2
        else:
            assert isinstance(outcome, VersionConflict) and outcome.actual == 1
            assert await log.version(s) == 1


async def test_unstorable_data_is_refused_alone(log: EventLog) -> None:
    await fill(log, 1)
    bad = Event("ballot.cast", {"choice": float("nan")}, "3510010001", 1.0)

    outcomes = await asyncio.gather(
        log.append(SESSION, [ev(), bad], 1), log.append("other", [ev()], 0), return_exceptions=True
    )

    assert isinstance(outcomes[0], Invalid)
    assert isinstance(outcomes[1], list)
    assert await log.version(SESSION) == 1 and await log.version("other") == 1


async def test_sessions_lists_logs_oldest_first(log: EventLog) -> None:
    assert await log.sessions() == []
    for s in ["kec-rogojampi", "kec-banyuwangi", "kec-glenmore"]:
        await log.append(s, [ev()], 0)
    await log.append("kec-rogojampi", [ev()], 1)
    with pytest.raises(VersionConflict):
        await log.append("never-written", [ev()], 1)

    assert await log.sessions() == ["kec-rogojampi", "kec-banyuwangi", "kec-glenmore"]


async def test_empty_append_checks_the_version_and_writes_nothing(log: EventLog) -> None:
    assert await log.append(SESSION, [], 0) == []
    assert await log.sessions() == [] and await log.version(SESSION) == 0
    await fill(log, 2)
    with pytest.raises(VersionConflict):
        await log.append(SESSION, [], 1)
    assert await log.append(SESSION, [], 2) == []
    assert await log.version(SESSION) == 2


async def test_reopening_sees_everything_with_the_same_hashes(
    log: EventLog, open_node: Callable[[], EventLog]
) -> None:
    records = await fill(log, 4)
    await log.append("other", [ev()], 0)
    await log.close()

    reopened = open_node()

    assert await reopened.read(SESSION) == records
    assert await reopened.version(SESSION) == 4
    assert await reopened.sessions() == [SESSION, "other"]
    (fifth,) = await reopened.append(SESSION, [ev()], 4)
    assert fifth.seq == 5 and fifth.prev_hash == records[-1].hash


async def test_verify_accepts_a_real_log(log: EventLog) -> None:
    records = await fill(log, 6)
    result = verify(await log.read(SESSION))
    assert (result.ok, result.count, result.head, result.first_bad) == (True, 6, records[-1].hash, None)


async def test_verify_detects_edited_data(log: EventLog, store: Store) -> None:
    records = await fill(log, 5)
    await store.edit_data(SESSION, 3, {"choice": "dicurangi"})

    tampered = await log.read(SESSION)
    result = verify(tampered)

    assert tampered[2].data == {"choice": "dicurangi"}  # the edit really reached the store
    assert (result.ok, result.first_bad, result.reason) == (False, 3, "hash_mismatch")
    assert (result.count, result.head) == (2, records[1].hash)


async def test_verify_detects_a_removed_record(log: EventLog, store: Store) -> None:
    await fill(log, 5)
    await store.remove(SESSION, 2)

    result = verify(await log.read(SESSION))

    assert (result.ok, result.first_bad, result.reason, result.count) == (False, 2, "seq_gap", 1)


async def test_verify_detects_reordered_records(log: EventLog, store: Store) -> None:
    await fill(log, 5)
    await store.swap(SESSION, 2, 4)

    tampered = await log.read(SESSION)
    result = verify(tampered)

    assert len(tampered) == 5
    assert not result.ok and result.first_bad == 2 and result.reason in {"seq_gap", "broken_link"}


async def test_unicode_and_nested_data_round_trip_exactly(
    log: EventLog, open_node: Callable[[], EventLog]
) -> None:
    data = {
        "judul": "Perbaikan jalan Desa Bubuk — Kec. Rogojampi",
        "catatan": "Usulan warga 👍🏽, «prioritas» 1️⃣; 中文; עברית; \"kutip\" \\ \n baris",
        "anggaran": {"rupiah": 1_250_000_000, "porsi": 0.125, "besar": 2**63 + 1, "negatif": -3.5e-9},
        "daftar": [1, "dua", 3.0, True, False, None, [], {}, [[{"dalam": ["ya"]}]]],
        "": "kunci kosong",
    }
    event = Event("proposal.submitted", data, actor="desa:Bubuk·ümlaut", at=1579590000.123456, key="kunci-✓")

    (sealed,) = await log.append(SESSION, [event], 0)
    await log.close()
    (read_back,) = await open_node().read(SESSION)

    assert read_back == sealed
    assert read_back.data == data and read_back.actor == event.actor and read_back.key == event.key
    assert read_back.at == event.at
    assert verify([read_back]).ok


async def test_close_twice_is_harmless_and_use_after_close_is_refused(log: EventLog) -> None:
    await fill(log, 1)
    await log.close()
    await log.close()
    with pytest.raises(LogClosed):
        await log.append(SESSION, [ev()], 1)
    with pytest.raises(LogClosed):
        await log.read(SESSION)
