"""Session logs in Redis, shared by every hub node that points at the same server.

Key layout:

- ``{prefix}:log:{session_id}`` — LIST of records, one canonical-JSON string per event (see
  :func:`rooms.log.chain.to_json`); list index = seq - 1.
- ``{prefix}:box:{session_id}:{ballot}`` — SET of a secret ballot's papers, each the canonical JSON
  ``[token, choice]``: no village, and a set keeps no order of arrival. Dropped by the same script
  as the roll events, so the two are one unit.
- ``{prefix}:stubs:{session_id}:{ballot}`` — SET of the digests of the receipts given on the
  ballot, in the same script, with nothing that links one to its paper.
- ``{prefix}:sessions`` — ZSET of session ids scored by the server time (µs) of their first append,
  so :meth:`RedisLog.sessions` lists them oldest first.

An append is one Lua script (EVALSHA; redis-py loads it once per server): it checks that the list's
length is the expected version *and* that its last record's hash is the head the records were sealed
onto, then RPUSHes them all. Hashes are computed here (Lua has no SHA-256), from a per-session cache
of (version, head hash) that a miss refills from LLEN + LINDEX -1; the head check means two nodes
never interleave one session's log even when a cache is stale.

Persistence a deployment needs (the hub acknowledges a vote once its append returned):

- ``appendonly yes`` — RDB snapshots alone lose every append since the last snapshot.
- ``appendfsync always`` — Redis fsyncs the AOF before replying: an acknowledged append survives a
  power cut or kernel crash. Slower (every write waits for the disk).
- ``appendfsync everysec`` (Redis' default) — a killed redis-server loses nothing (the write is in the
  kernel already), but a power cut or kernel crash can lose about the last second of acknowledged
  appends; the hash chain stays sound, the log is just shorter.
- ``maxmemory-policy noeviction`` — an evicting policy would silently drop whole logs.
- With replicas, failover can lose appends not yet replicated (replication is asynchronous).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final, cast

import redis.asyncio as aioredis

from rooms.events import Event, Paper, RecordedEvent, Stub
from rooms.log.chain import GENESIS, canonical, from_json, seal_all, to_json
from rooms.log.port import EventLog, LogClosed, VersionConflict

# KEYS[1] the session's log, KEYS[2] the sessions ZSET, KEYS[3..] the set of each paper and stub.
# ARGV[1] expected version, ARGV[2] head hash sealed onto, ARGV[3] session id, ARGV[4] the number r
# of records, ARGV[5..4+r] records, ARGV[5+r..] papers and stubs (one per set key).
# Returns {1, new length} or {0, actual length}.
_APPEND: Final = """
local n = redis.call('LLEN', KEYS[1])
if n ~= tonumber(ARGV[1]) then return {0, n} end
if n > 0 and cjson.decode(redis.call('LINDEX', KEYS[1], -1))['hash'] ~= ARGV[2] then return {0, n} end
local r = tonumber(ARGV[4])
if r > 0 then
  if n == 0 then
    local t = redis.call('TIME')
    redis.call('ZADD', KEYS[2], 'NX', t[1] .. string.format('%06d', tonumber(t[2])), ARGV[3])
  end
  for i = 5, 4 + r, 1000 do  -- unpack() is bounded by Lua's stack
    redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, 4 + r)))
  end
end
for k = 3, #KEYS do
  redis.call('SADD', KEYS[k], ARGV[2 + r + k])
end
return {1, n + r}
"""


def _decode(raw: str) -> RecordedEvent:
    return from_json(json.loads(raw))


class RedisLog(EventLog):
    """Session logs in Redis at ``url``, under keys starting with ``prefix``."""

    def __init__(self, url: str, prefix: str = "mh") -> None:
        self._redis = aioredis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._append = self._redis.register_script(_APPEND)
        self._heads: dict[str, tuple[int, str]] = {}  # session id → (version, head hash) last seen
        self._closed = False

    def _log_key(self, session_id: str) -> str:
        return f"{self._prefix}:log:{session_id}"

    def _check_open(self) -> None:
        if self._closed:
            raise LogClosed(f"Redis log {self._prefix!r} is closed")

    async def _head(self, session_id: str, expected_version: int) -> tuple[int, str]:
        cached = self._heads.get(session_id)
        if cached is not None and cached[0] == expected_version:
            return cached
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.llen(self._log_key(session_id))
            pipe.lindex(self._log_key(session_id), -1)
            length, last = cast(tuple[int, str | None], tuple(await pipe.execute()))
        return (length, _decode(last).hash if last is not None else GENESIS)

    def _box_key(self, session_id: str, ballot: str) -> str:
        return f"{self._prefix}:box:{session_id}:{ballot}"

    def _stubs_key(self, session_id: str, ballot: str) -> str:
        return f"{self._prefix}:stubs:{session_id}:{ballot}"

    async def append(
        self, session_id: str, events: Sequence[Event], expected_version: int,
        papers: Sequence[Paper] = (), stubs: Sequence[Stub] = (),
    ) -> list[RecordedEvent]:
        self._check_open()
        version, head = await self._head(session_id, expected_version)
        if version != expected_version:
            self._heads.pop(session_id, None)
            raise VersionConflict(session_id, expected_version, version)
        records = seal_all(events, version, head)
        ok, length = await self._append(
            keys=[self._log_key(session_id), f"{self._prefix}:sessions",
                  *(self._box_key(session_id, p.ballot) for p in papers),
                  *(self._stubs_key(session_id, s.ballot) for s in stubs)],
            args=[expected_version, head, session_id, len(records), *(canonical(to_json(r)) for r in records),
                  *(canonical([p.token, list(p.choice)]) for p in papers), *(s.digest for s in stubs)],
        )
        if not ok:
            self._heads.pop(session_id, None)
            raise VersionConflict(session_id, expected_version, int(length))
        if records and length > self._heads.get(session_id, (0, GENESIS))[0]:
            self._heads[session_id] = (length, records[-1].hash)
        return records

    async def read(self, session_id: str, after: int = 0) -> list[RecordedEvent]:
        self._check_open()
        raws = await self._redis.lrange(self._log_key(session_id), max(after, 0), -1)
        return [_decode(cast(str, raw)) for raw in raws]

    async def box(self, session_id: str, ballot: str) -> list[Paper]:
        self._check_open()
        members = await self._redis.smembers(self._box_key(session_id, ballot))
        pairs = sorted(json.loads(m) for m in members)
        return [Paper(ballot, token, tuple(choice)) for token, choice in pairs]

    async def has_stub(self, session_id: str, ballot: str, digest: str) -> bool:
        self._check_open()
        return bool(await self._redis.sismember(self._stubs_key(session_id, ballot), digest))

    async def version(self, session_id: str) -> int:
        self._check_open()
        return await self._redis.llen(self._log_key(session_id))

    async def sessions(self) -> list[str]:
        self._check_open()
        return cast(list[str], await self._redis.zrange(f"{self._prefix}:sessions", 0, -1))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._redis.aclose()


__all__ = ["RedisLog"]

