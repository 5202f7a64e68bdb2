"""The event-log port: what the application needs from any store of session logs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rooms.errors import DomainError
from rooms.events import Event, Paper, RecordedEvent, Stub


class VersionConflict(DomainError):
    """The log moved on since the caller loaded it (or the caller is ahead of it); nothing was written."""

    code = "version_conflict"

    def __init__(self, session_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"Log sesi {session_id} ada di versi {actual}, bukan {expected}; muat ulang lalu coba lagi"
        )
        self.session_id = session_id
        self.expected = expected
        self.actual = actual


class LogClosed(RuntimeError):
    """The log was used after ``close()``: a wiring bug, not a refused command."""


class EventLog(Protocol):
    """Append-only, hash-chained logs, one per session. Every adapter passes tests/log's contract suite."""

    async def append(
        self, session_id: str, events: Sequence[Event], expected_version: int,
        papers: Sequence[Paper] = (), stubs: Sequence[Stub] = (),
    ) -> list[RecordedEvent]:
        """Durably append ``events``, drop ``papers`` in their ballots' boxes and keep ``stubs`` apart
        from them, as one unit (all or none), and return the events sealed.

        Raises :class:`VersionConflict` when the log's version is not ``expected_version``.
        """
        ...

    async def box(self, session_id: str, ballot: str) -> list[Paper]:
        """A secret ballot's papers, sorted by token (the order they came in is not kept)."""
        ...

    async def has_stub(self, session_id: str, ballot: str, digest: str) -> bool:
        """Whether a receipt with this digest was given on the ballot."""
        ...

    async def read(self, session_id: str, after: int = 0) -> list[RecordedEvent]:
        """The records with seq > ``after``, in order."""
        ...

    async def version(self, session_id: str) -> int:
        """The seq of the last record; 0 when the session has no log."""
        ...

    async def sessions(self) -> list[str]:
        """Ids of the sessions that have a log, oldest first."""
        ...

    async def close(self) -> None:
        """Release the store; closing twice is harmless."""
        ...
