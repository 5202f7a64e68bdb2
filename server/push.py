"""Pushing read models to a session's Socket.IO rooms, coalesced.

Votes can arrive thousands a second; rebuilding the board for every one would cost
more than the votes. Changes are marked dirty and flushed at most once per
``interval`` per session (the first change after a quiet spell goes out at once).
Every push carries the log version it reflects, so a client that got a newer
snapshot drops an older push, and two nodes pushing the same session cannot
move a client backwards.

Row models (the board) are pushed as the rows the changes touched, each row whole:
``rows: {"board": {"since": v, "proposals": [...]}}``, where ``v`` is the version of this
node's previous push of that model. A client holding the model at a version ≥ ``v``
(and ≤ the push's) merges the rows by id; one holding less missed a push and asks for
a snapshot. Snapshots (``sync``) always carry the whole model.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import socketio

from moderation.assembly import Assembly
from rooms.events import RecordedEvent
from service.sessions import Sessions

log = logging.getLogger(__name__)


def room(session_id: str, audience: str) -> str:
    """Socket.IO room of one audience of a session: "staff" or "public"."""
    return f"{session_id}/{audience}"


@dataclass
class _Dirty:
    since: int  # the version before the first change this node was told of
    names: set[str] = field(default_factory=set)
    rows: dict[str, set[str]] = field(default_factory=dict)  # row model → ids of the rows touched
    pushed: dict[str, int] = field(default_factory=dict)  # model → the version of its last push
    task: asyncio.Task[None] | None = None
    last: float = 0.0


class Pusher:
    def __init__(self, sio: socketio.AsyncServer, interval: float, sessions: Sessions) -> None:
        self._sio = sio
        self._sessions = sessions
        self._interval = interval
        self._dirty: dict[str, _Dirty] = {}

    def changed(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        """Mark what the records change (called under the session's lock, with every durable batch in turn)."""
        sid = assembly.session_id
        dirty = self._dirty.get(sid)
        if dirty is None:  # every batch comes in turn from here on: the rows cover all after this
            dirty = self._dirty[sid] = _Dirty(since=records[0].seq - 1)
        dirty.names |= Assembly.touched(records)
        for name, ids in Assembly.touched_rows(records).items():
            dirty.rows.setdefault(name, set()).update(ids)
        if dirty.task is None:
            delay = max(0.0, dirty.last + self._interval - time.monotonic())
            dirty.task = asyncio.get_running_loop().create_task(self._flush(sid, dirty, delay))

    async def _flush(self, sid: str, dirty: _Dirty, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            # the session's lock is held while a batch is folded ahead of its append: build
            # from durable state only (and take the marks with it), then send outside the lock
            async with self._sessions.lock(sid):
                dirty.task, dirty.last = None, time.monotonic()
                pushes = self._take(sid, dirty)
            for audience, body in pushes:
                await self._sio.emit("update", body, room=room(sid, audience))
        except Exception:  # a failed push must not kill the session's flushing; clients resync
            log.exception("push failed for session %s", sid)

    def _take(self, sid: str, dirty: _Dirty) -> list[tuple[str, dict[str, Any]]]:
        """Each audience's push of what is marked, built now; the marks are cleared once it is built."""
        assembly = self._sessions.cached(sid)
        if assembly is None:  # dropped after a failed append; its rebuild marks every model again
            return []
        version, names = assembly.version, dirty.names
        rows = {name: {"since": dirty.pushed.get(name, dirty.since), **assembly.rows(name, ids)}
                for name, ids in dirty.rows.items() if name not in names}  # a whole model has every row
        pushes = []
        for audience in ("staff", "public"):
            models = assembly.read_models(names, audience)
            if models or rows:
                pushes.append((audience, {"version": version, "models": models, **({"rows": rows} if rows else {})}))
        dirty.pushed.update(dict.fromkeys(names | set(rows), version))
        dirty.names, dirty.rows = set(), {}
        return pushes

    async def close(self) -> None:
        tasks = [d.task for d in self._dirty.values() if d.task]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

