"""Attendance: which village halls are connected (from the hub) and how many people are in each."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor
from rooms.errors import Conflict, Invalid
from rooms.facts import Fact, acting_village, find

REJOIN_WINDOW = 60.0  # seconds: a hall back within a minute of leaving continues its stay (a reconnect)

if TYPE_CHECKING:
    from rooms.record import Applier, Decider, Record


@dataclass
class Presence:
    intervals: list[list[float | None]] = field(default_factory=list)  # [joined_at, left_at or None]
    total: int | None = None  # headcount entered for the hall
    women: int | None = None

    @property
    def present(self) -> bool:
        return bool(self.intervals) and self.intervals[-1][1] is None


@dataclass
class Attendance:
    halls: dict[str, Presence] = field(default_factory=dict)

    def of(self, code: str) -> Presence:
        return self.halls.setdefault(code, Presence())


def _join(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    code = find(record.villages, args["village"], "Desa").code
    if code in record.attendance.halls and record.attendance.halls[code].present:
        raise Conflict("Desa sudah hadir")
    return [("attendance.joined", {"village": code})]


def _leave(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    code = find(record.villages, args["village"], "Desa").code
    hall = record.attendance.halls.get(code)
    if hall is None or not hall.present:
        raise Conflict("Desa tidak sedang hadir")
    return [("attendance.left", {"village": code})]


def _headcount(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    code = find(record.villages, acting_village(actor, args["village"]), "Desa").code
    if args["women"] > args["total"]:
        raise Invalid("women: tidak boleh melebihi total")
    return [("attendance.headcount_set", {"village": code, "total": args["total"], "women": args["women"]})]


def _joined(record: Record, data: Mapping[str, Any], at: float) -> None:
    intervals = record.attendance.of(data["village"]).intervals
    left = intervals[-1][1] if intervals else None
    if left is not None and at - left <= REJOIN_WINDOW:
        intervals[-1][1] = None  # one interval per stay, not per reconnect: the model goes to everyone
    else:
        intervals.append([at, None])


def _left(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.attendance.of(data["village"]).intervals[-1][1] = at


def _counted(record: Record, data: Mapping[str, Any], at: float) -> None:
    hall = record.attendance.of(data["village"])
    hall.total, hall.women = data["total"], data["women"]


DECIDE: dict[str, Decider] = {
    "attendance.join": _join,
    "attendance.leave": _leave,
    "attendance.headcount": _headcount,
}
APPLY: dict[str, Applier] = {
    "attendance.joined": _joined,
    "attendance.left": _left,
    "attendance.headcount_set": _counted,
}


def view(record: Record) -> dict[str, Any]:
    rows = []
    present = total = women = 0
    for v in record.villages.values():
        hall = record.attendance.halls.get(v.code, Presence())
        present += hall.present
        total += hall.total or 0
        women += hall.women or 0
        rows.append(
            {
                "village": v.code,
                "name": v.name,
                "kecamatan": v.kecamatan_name,
                "present": hall.present,
                "joined_at": hall.intervals[0][0] if hall.intervals else None,
                "left_at": None if hall.present or not hall.intervals else hall.intervals[-1][1],
                "intervals": [list(i) for i in hall.intervals],
                "headcount": None if hall.total is None else {"total": hall.total, "women": hall.women},
            }
        )
    return {
        "villages": rows,
        "totals": {"present": present, "villages": len(rows), "people": total, "women": women},
    }
