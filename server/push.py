"""Pushing read models to a session's Socket.IO rooms, coalesced.

Votes can arrive thousands a second; rebuilding the board for every one would cost
more than the votes. Changes are marked dirty and flushed at most once per
``interval`` per session (the first change after a quiet spell goes out at once).
Every push carries the log version it reflects, so a client that got a newer
snapshot drops an older push, and two nodes pushing the same session cannot
move a client backwards.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import socketio

from rooms.events import RecordedEvent
from server.assembly import Assembly
from server.service import Sessions

log = logging.getLogger(__name__)


def room(session_id: str, audience: str) -> str:
    """Socket.IO room of one audience of a session: "staff" or "public"."""
    return f"{session_id}/{audience}"


@dataclass
class _Dirty:
    names: set[str] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    last: float = 0.0


class Pusher:
    def __init__(self, sio: socketio.AsyncServer, interval: float, sessions: Sessions) -> None:
        self._sio = sio
        self._sessions = sessions
        self._interval = interval
        self._dirty: dict[str, _Dirty] = {}

    def changed(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        dirty = self._dirty.setdefault(assembly.session_id, _Dirty())
        dirty.names |= Assembly.touched(records)
        if dirty.task is None:
            delay = max(0.0, dirty.last + self._interval - time.monotonic())
            dirty.task = asyncio.get_running_loop().create_task(self._flush(assembly.session_id, dirty, delay))

    async def _flush(self, sid: str, dirty: _Dirty, delay: float) -> None:
        await asyncio.sleep(delay)
        names = dirty.names
        dirty.names, dirty.task = set(), None
        dirty.last = time.monotonic()
        try:
            # the session's lock is held while a batch is folded ahead of its append: build
            # from durable state only, then send outside the lock
            async with self._sessions.lock(sid):
                assembly = self._sessions.cached(sid)
                if assembly is None:  # dropped after a failed append; the next command rebuilds it
                    return
                version = assembly.version
                pushes = [(audience, assembly.read_models(names, audience)) for audience in ("staff", "public")]
            for audience, models in pushes:
                if models:
                    await self._sio.emit("update", {"version": version, "models": models}, room=room(sid, audience))
        except Exception:  # a failed push must not kill the session's flushing; clients resync
            log.exception("push failed for session %s", sid)

    async def close(self) -> None:
        tasks = [d.task for d in self._dirty.values() if d.task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

