"""Session logs in memory: the port's third adapter, for service tests and one-off tools.

Nothing survives the process. Every adapter opened on one :class:`Shelf` sees the same logs, as
nodes on one SQLite file or one Redis do, so the contract suite's races run here too. An append
checks, seals and stores without awaiting in between, which makes it one unit on the event loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rooms.events import Event, Paper, RecordedEvent, Stub
from rooms.log.chain import GENESIS, seal_all
from rooms.log.port import EventLog, LogClosed, VersionConflict


@dataclass
class Shelf:
    """What a store holds: the logs (in the order they were started), the boxes and the receipts."""

    logs: dict[str, list[RecordedEvent]] = field(default_factory=dict)
    # (session, ballot) → papers: a set, so the order they came in is not kept, as in the real stores
    boxes: dict[tuple[str, str], set[Paper]] = field(default_factory=dict)
    stubs: set[tuple[str, str, str]] = field(default_factory=set)  # (session, ballot, digest)


class MemoryLog(EventLog):
    def __init__(self, shelf: Shelf | None = None) -> None:
        self.shelf = shelf if shelf is not None else Shelf()
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise LogClosed("memory log is closed")

    async def append(
        self, session_id: str, events: Sequence[Event], expected_version: int,
        papers: Sequence[Paper] = (), stubs: Sequence[Stub] = (),
    ) -> list[RecordedEvent]:
        self._check_open()
        log = self.shelf.logs.get(session_id, [])
        if len(log) != expected_version:
            raise VersionConflict(session_id, expected_version, len(log))
        records = seal_all(events, len(log), log[-1].hash if log else GENESIS)  # refuses unstorable data
        if records:
            self.shelf.logs.setdefault(session_id, log).extend(records)
        for paper in papers:
            self.shelf.boxes.setdefault((session_id, paper.ballot), set()).add(paper)
        self.shelf.stubs.update((session_id, s.ballot, s.digest) for s in stubs)
        return records

    async def box(self, session_id: str, ballot: str) -> list[Paper]:
        self._check_open()
        return sorted(self.shelf.boxes.get((session_id, ballot), ()), key=lambda paper: paper.token)

    async def has_stub(self, session_id: str, ballot: str, digest: str) -> bool:
        self._check_open()
        return (session_id, ballot, digest) in self.shelf.stubs

    async def read(self, session_id: str, after: int = 0) -> list[RecordedEvent]:
        self._check_open()
        return list(self.shelf.logs.get(session_id, [])[max(after, 0):])

    async def version(self, session_id: str) -> int:
        self._check_open()
        return len(self.shelf.logs.get(session_id, []))

    async def sessions(self) -> list[str]:
        self._check_open()
        return list(self.shelf.logs)

    async def close(self) -> None:
        self._closed = True


__all__ = ["MemoryLog", "Shelf"]
