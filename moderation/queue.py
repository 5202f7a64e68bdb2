"""The speaker queue: villages raise hands; a point of order goes ahead of ordinary requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor
from rooms.errors import Conflict, Invalid, NotFound
from rooms.facts import Fact, acting_village
from rooms.record import Record

if TYPE_CHECKING:
    from moderation.desk import Applier, Decider, Desk


@dataclass(frozen=True, slots=True)
class Entry:
    village: str
    point_of_order: bool
    raised_at: float


@dataclass
class SpeakerQueue:
    entries: list[Entry] = field(default_factory=list)  # front first
    waiting: dict[str, Entry] = field(default_factory=dict)  # membership in O(1)

    def drop(self, village: str) -> None:
        entry = self.waiting.pop(village, None)
        if entry is not None:
            self.entries.remove(entry)


def _waiting(desk: Desk, village: str) -> str:
    if village not in desk.queue.waiting:
        raise NotFound(f"Desa {village} tidak ada di antrean")
    return village


def _raise(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    village = acting_village(actor, None)
    if village in desk.queue.waiting:
        raise Conflict("Desa sudah ada di antrean")
    if desk.floor.holder == village:
        raise Conflict("Desa sedang memegang waktu bicara")
    return [("hand.raised", {"village": village, "point_of_order": args["point_of_order"]})]


def _lower(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    return [("hand.lowered", {"village": _waiting(desk, acting_village(actor, None))})]


def _move(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    village = _waiting(desk, args["village"])
    if args["position"] > len(desk.queue.entries):
        raise Invalid(f"position: paling besar {len(desk.queue.entries)}")
    return [("queue.moved", {"village": village, "position": args["position"]})]


def _remove(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    return [("queue.removed", {"village": _waiting(desk, args["village"])})]


def _raised(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    entry = Entry(data["village"], data["point_of_order"], at)
    entries = desk.queue.entries
    if entry.point_of_order:  # behind the points of order already at the front
        front = next((i for i, e in enumerate(entries) if not e.point_of_order), len(entries))
        entries.insert(front, entry)
    else:
        entries.append(entry)
    desk.queue.waiting[entry.village] = entry


def _moved(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    entry = desk.queue.waiting[data["village"]]
    desk.queue.entries.remove(entry)
    desk.queue.entries.insert(data["position"] - 1, entry)


def _dropped(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    desk.queue.drop(data["village"])


DECIDE: dict[str, Decider] = {
    "hand.raise": _raise,
    "hand.lower": _lower,
    "queue.move": _move,
    "queue.remove": _remove,
}
APPLY: dict[str, Applier] = {
    "hand.raised": _raised,
    "hand.lowered": _dropped,
    "queue.moved": _moved,
    "queue.removed": _dropped,
}


def view(desk: Desk, record: Record) -> list[dict[str, Any]]:
    rows = []
    for e in desk.queue.entries:
        village = record.villages[e.village]
        rows.append(
            {
                "village": e.village,
                "name": village.name,
                "kecamatan": village.kecamatan_name,
                "point_of_order": e.point_of_order,
                "raised_at": e.raised_at,
            }
        )
    return rows
