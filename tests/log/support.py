"""Helpers of the log tests: events, and each store as the adapter and as an intruder see it."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio as aioredis

from rooms.events import Event
from rooms.log.chain import canonical
from rooms.log.port import EventLog
from server.stores.memory import MemoryLog, Shelf
from server.stores.redis import RedisLog
from server.stores.sqlite import SqliteLog

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

_clock = itertools.count(1_579_590_000)  # 21 January 2020, the Banyuwangi musrenbang


def ev(type_: str = "ballot.cast", key: str | None = None, **data: Any) -> Event:
    """A fresh event with a strictly increasing clock."""
    return Event(type=type_, data=data, actor="3510010001", at=float(next(_clock)), key=key)


class Store(Protocol):
    """A store both as the adapter sees it (``open``) and as an intruder with direct access does."""

    def open(self) -> EventLog: ...
    async def edit_data(self, session_id: str, seq: int, data: dict[str, Any]) -> None: ...
    async def remove(self, session_id: str, seq: int) -> None: ...
    async def swap(self, session_id: str, a: int, b: int) -> None: ...


class SqliteStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def open(self) -> EventLog:
        return SqliteLog(self.path)

    def _run(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        with sqlite3.connect(self.path) as conn:
            for sql, args in statements:
                conn.execute(sql, args)

    async def edit_data(self, session_id: str, seq: int, data: dict[str, Any]) -> None:
        self._run(("UPDATE events SET data = ? WHERE session_id = ? AND seq = ?",
                   (json.dumps(data), session_id, seq)))

    async def remove(self, session_id: str, seq: int) -> None:
        self._run(("DELETE FROM events WHERE session_id = ? AND seq = ?", (session_id, seq)))

    async def swap(self, session_id: str, a: int, b: int) -> None:
        move = "UPDATE events SET seq = ? WHERE session_id = ? AND seq = ?"
        self._run((move, (-1, session_id, a)), (move, (a, session_id, b)), (move, (b, session_id, -1)))


class MemoryStore:
    """Every node opened here shares one shelf; the intruder edits the records on it."""

    def __init__(self) -> None:
        self.shelf = Shelf()

    def open(self) -> EventLog:
        return MemoryLog(self.shelf)

    async def edit_data(self, session_id: str, seq: int, data: dict[str, Any]) -> None:
        log = self.shelf.logs[session_id]
        log[seq - 1] = dataclasses.replace(log[seq - 1], data=data)

    async def remove(self, session_id: str, seq: int) -> None:
        del self.shelf.logs[session_id][seq - 1]

    async def swap(self, session_id: str, a: int, b: int) -> None:
        log = self.shelf.logs[session_id]
        log[a - 1], log[b - 1] = log[b - 1], log[a - 1]


class RedisStore:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def open(self) -> EventLog:
        return RedisLog(REDIS_URL, prefix=self.prefix)

    def key(self, session_id: str) -> str:
        return f"{self.prefix}:log:{session_id}"

    async def raw(self, session_id: str, seq: int) -> str:
        raw = await self.client.lindex(self.key(session_id), seq - 1)
        assert isinstance(raw, str)
        return raw

    async def edit_data(self, session_id: str, seq: int, data: dict[str, Any]) -> None:
        record = json.loads(await self.raw(session_id, seq))
        record["data"] = data
        await self.client.lset(self.key(session_id), seq - 1, canonical(record).decode())

    async def remove(self, session_id: str, seq: int) -> None:
        assert await self.client.lrem(self.key(session_id), 1, await self.raw(session_id, seq)) == 1

    async def swap(self, session_id: str, a: int, b: int) -> None:
        raw_a, raw_b = await self.raw(session_id, a), await self.raw(session_id, b)
        await self.client.lset(self.key(session_id), a - 1, raw_b)
        await self.client.lset(self.key(session_id), b - 1, raw_a)
