"""The application layer: one command through decide → durable append → fold → notify.

Per session, commands run one at a time under a lock against a cached Assembly. The
cache may lag the log when other nodes write to it (Redis): the append carries the
expected version, so a stale node gets a conflict, catches up from the log and decides
again — two nodes never interleave one session's log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from rooms.actors import Actor
from rooms.commands import Command
from rooms.errors import NotFound
from rooms.events import Event, RecordedEvent
from rooms.log.port import EventLog, VersionConflict
from server.assembly import Assembly

Listener = Callable[[Assembly, Sequence[RecordedEvent]], None]

_ATTEMPTS = 5  # conflicts in a row before giving up: only under a storm of writes from other nodes


class Sessions:
    def __init__(self, log: EventLog, listener: Listener | None = None) -> None:
        self.log = log
        self._listener = listener
        self._cache: dict[str, Assembly] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def listen(self, listener: Listener) -> None:
        self._listener = listener

    def _lock(self, session_id: str) -> asyncio.Lock:
        return self._locks.setdefault(session_id, asyncio.Lock())

    async def _catch_up(self, assembly: Assembly) -> None:
        records = await self.log.read(assembly.session_id, after=assembly.version)
        for record in records:
            assembly.apply(record)
        if records and self._listener:
            self._listener(assembly, records)

    async def get(self, session_id: str, fresh: bool = True) -> Assembly:
        """The session's state; ``fresh`` reads what other nodes appended since."""
        assembly = self._cache.get(session_id)
        if assembly is None:
            async with self._lock(session_id):
                assembly = self._cache.get(session_id)
                if assembly is None:
                    assembly = Assembly(session_id)
                    await self._catch_up(assembly)
                    if assembly.version == 0:
                        raise NotFound(f"Sesi {session_id!r} tidak ditemukan")
                    self._cache[session_id] = assembly
                    return assembly
        if fresh:
            async with self._lock(session_id):
                await self._catch_up(assembly)
        return assembly

    async def create(self, session_id: str, events: Sequence[Event]) -> Assembly:
        """Open a new session's log with the events that create it."""
        assembly = Assembly(session_id)
        async with self._lock(session_id):
            records = await self.log.append(session_id, events, expected_version=0)
            for record in records:
                assembly.apply(record)
            self._cache[session_id] = assembly
        if self._listener:
            self._listener(assembly, records)
        return assembly

    async def execute(self, session_id: str, cmd: Command, actor: Actor, now: float) -> int:
        """Apply one command; returns the log version that holds it (also for a retried key)."""
        assembly = await self.get(session_id, fresh=False)
        async with self._lock(session_id):
            for _ in range(_ATTEMPTS):
                if cmd.key is not None:
                    done = assembly.applied_key(actor.id, cmd.key)
                    if done is not None:
                        return done
                events = assembly.decide(cmd, actor, now)
                try:
                    records = await self.log.append(session_id, events, expected_version=assembly.version)
                except VersionConflict:
                    await self._catch_up(assembly)
                    continue
                for record in records:
                    assembly.apply(record)
                break
            else:
                raise VersionConflict("Sesi sedang sibuk, coba lagi")
        if self._listener:
            self._listener(assembly, records)
        return assembly.version

    async def ids(self) -> list[str]:
        return await self.log.sessions()
