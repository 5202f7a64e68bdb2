"""The recording's chapters, from the session's log: each agenda item while it was open, and each
floor turn (from its grant to its end) with its village. Pure: the log's entries, the villages' names
and the recording's timeline come in as arguments.

A chapter's duration is its length in the recording (end minus start on the clock), pauses included:
it is what a viewer watches, not the speaking time the speakers sheet totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from recordings.timeline import Timeline

AGENDA, TURN = "agenda", "turn"


class Logged(Protocol):
    """One entry of the session's log, as far as chapters read it."""

    @property
    def type(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any]: ...
    @property
    def at(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Chapter:
    kind: str  # AGENDA or TURN
    ref: str  # the agenda item's id, or the village's code
    title: str  # the item's title, or the village's name
    start: float  # unix seconds
    end: float | None  # None: still running when the recording ended

    def view(self, timeline: Timeline, ended_at: float | None) -> dict[str, Any]:
        offset = timeline.offset(self.start)
        end = self.end if self.end is not None else ended_at
        until = timeline.offset(end) if end is not None else timeline.length
        return {"kind": self.kind, "ref": self.ref, "title": self.title, "start": self.start, "end": self.end,
                "offset": round(offset, 3), "duration": round(max(0.0, until - offset), 3)}


def chapters(entries: Iterable[Logged], villages: Mapping[str, str]) -> list[Chapter]:
    """Chapters in the order they began; ``villages`` maps a code to its name."""
    titles: dict[str, str] = {}
    found: list[Chapter] = []
    running: dict[tuple[str, str], int] = {}  # (kind, ref) → its index in found, while open

    def begin(kind: str, ref: str, title: str, at: float) -> None:
        running[(kind, ref)] = len(found)
        found.append(Chapter(kind, ref, title, at, None))

    def finish(kind: str, ref: str, at: float) -> None:
        index = running.pop((kind, ref), None)
        if index is not None:
            c = found[index]
            found[index] = Chapter(c.kind, c.ref, c.title, c.start, at)

    for e in entries:
        if e.type == "agenda.item_added":
            titles[e.data["item"]] = e.data["title"]
        elif e.type == "agenda.item_opened":
            begin(AGENDA, e.data["item"], titles.get(e.data["item"], e.data["item"]), e.at)
        elif e.type == "agenda.item_closed":
            finish(AGENDA, e.data["item"], e.at)
        elif e.type == "floor.granted":
            begin(TURN, e.data["village"], villages.get(e.data["village"], e.data["village"]), e.at)
        elif e.type == "floor.ended":
            finish(TURN, e.data["village"], e.at)
        elif e.type == "session.closed":
            for kind, ref in list(running):
                finish(kind, ref, e.at)
    return found
