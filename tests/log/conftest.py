"""One store fixture, parametrized over SQLite and a real Redis, plus direct access to tamper with it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from rooms.log.port import EventLog
from tests.log.support import REDIS_URL, MemoryStore, RedisStore, SqliteStore, Store


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisStore]:
    """A unique key prefix on the real Redis; a Redis that does not answer fails the test."""
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    await client.ping()
    store = RedisStore(client, f"test-log-{uuid.uuid4().hex}")
    try:
        yield store
    finally:
        keys = [k async for k in client.scan_iter(match=f"{store.prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.fixture(params=["memory", "sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    if request.param == "memory":
        return MemoryStore()
    if request.param == "sqlite":
        return SqliteStore(tmp_path / "hub.sqlite3")
    return request.getfixturevalue("redis_store")  # type: ignore[no-any-return]


@pytest.fixture
async def open_node(store: Store) -> AsyncIterator[Callable[[], EventLog]]:
    """Opens adapters (\"nodes\") on the store; every one is closed afterwards."""
    opened: list[EventLog] = []

    def opener() -> EventLog:
        opened.append(store.open())
        return opened[-1]

    yield opener
    for log in opened:
        await log.close()


@pytest.fixture
def log(open_node: Callable[[], EventLog]) -> EventLog:
    return open_node()
