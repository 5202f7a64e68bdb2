"""Redis-only promises: the documented key layout, and the head check that keeps nodes from interleaving."""

from __future__ import annotations

import json

import pytest

from rooms.log.chain import GENESIS, canonical, from_json, to_json, verify
from rooms.log.port import VersionConflict
from tests.log.support import RedisStore, ev

pytestmark = pytest.mark.redis


async def test_key_layout(redis_store: RedisStore) -> None:
    log = redis_store.open()
    records = await log.append("sesi-1", [ev(), ev()], 0)
    await log.append("sesi-2", [ev()], 0)

    raw = await redis_store.client.lrange(f"{redis_store.prefix}:log:sesi-1", 0, -1)
    assert raw == [canonical(to_json(r)).decode() for r in records]
    assert [from_json(json.loads(r)) for r in raw] == records
    sessions: list[tuple[str, float]] = await redis_store.client.zrange(  # type: ignore[assignment]
        f"{redis_store.prefix}:sessions", 0, -1, withscores=True
    )
    assert [s for s, _ in sessions] == ["sesi-1", "sesi-2"]
    assert 1e15 < sessions[0][1] <= sessions[1][1]  # server time of the first append, in µs
    await log.close()


async def test_a_stale_head_is_refused_even_at_the_right_length(redis_store: RedisStore) -> None:
    node_a, node_b = redis_store.open(), redis_store.open()
    await node_b.append("sesi", [ev(node="b")], 0)  # node B now caches (1, its head)
    # The log is rebuilt behind node B's back with a different first record, same length.
    await redis_store.client.delete(f"{redis_store.prefix}:log:sesi")
    (rebuilt,) = await node_a.append("sesi", [ev(node="a")], 0)

    with pytest.raises(VersionConflict) as raised:
        await node_b.append("sesi", [ev(node="b", i=2)], 1)
    assert raised.value.actual == 1

    (second,) = await node_b.append("sesi", [ev(node="b", i=2)], 1)  # the cache was dropped: re-read
    assert second.prev_hash == rebuilt.hash
    records = await node_a.read("sesi")
    assert verify(records).ok and [r.data["node"] for r in records] == ["a", "b"]
    for log in (node_a, node_b):
        await log.close()


async def test_a_node_appends_on_top_of_another_nodes_writes(redis_store: RedisStore) -> None:
    node_a, node_b = redis_store.open(), redis_store.open()
    await node_a.append("sesi", [ev()], 0)
    await node_b.append("sesi", [ev()], 1)  # B never saw this session: reads the head from Redis
    await node_a.append("sesi", [ev()], 2)  # A's cached head (1) is stale: re-read, no conflict

    records = await node_b.read("sesi")
    assert [r.seq for r in records] == [1, 2, 3] and records[0].prev_hash == GENESIS
    assert verify(records).ok
    for log in (node_a, node_b):
        await log.close()
