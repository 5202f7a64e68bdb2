"""The floor: one village speaks at a time, with a countdown, and speaking time is totalled.

The countdown is derived, not ticked: its end is granted_at + seconds. A turn's length is
the ``at`` of the event that ends it minus granted_at, so a replayed log gives the same totals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor
from rooms.errors import Conflict
from rooms.facts import Fact, acting_village, find
from rooms.record import Record

if TYPE_CHECKING:
    from moderation.desk import Applier, Decider, Desk

YIELDED, REVOKED, REPLACED, SESSION_CLOSED = "yielded", "revoked", "replaced", "session_closed"


@dataclass
class Floor:
    holder: str | None = None
    granted_at: float = 0.0
    seconds: int = 0
    spoken: dict[str, float] = field(default_factory=dict)  # village → seconds spoken in total
    turns: dict[str, int] = field(default_factory=dict)

    def ending(self, reason: str) -> list[Fact]:
        """The fact that ends the current turn, if any."""
        return [("floor.ended", {"village": self.holder, "reason": reason})] if self.holder else []


def _held(desk: Desk) -> str:
    if desk.floor.holder is None:
        raise Conflict("Tidak ada yang memegang waktu bicara")
    return desk.floor.holder


def _grant(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    if args["village"] is not None:
        village = find(record.villages, args["village"], "Desa").code
    elif desk.queue.entries:
        village = desk.queue.entries[0].village
    else:
        raise Conflict("Antrean bicara kosong")
    if village == desk.floor.holder:
        raise Conflict("Desa ini sedang memegang waktu bicara")
    return [*desk.floor.ending(REPLACED), ("floor.granted", {"village": village, "seconds": args["seconds"]})]


def _yield(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    if desk.floor.holder != acting_village(actor, None):
        raise Conflict("Desa ini tidak sedang memegang waktu bicara")
    return desk.floor.ending(YIELDED)


def _revoke(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    _held(desk)
    return desk.floor.ending(REVOKED)


def _extend(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    return [("floor.extended", {"village": _held(desk), "seconds": args["seconds"]})]


def _granted(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    desk.queue.drop(data["village"])
    desk.floor.holder, desk.floor.granted_at, desk.floor.seconds = data["village"], at, data["seconds"]


def _ended(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    floor, village = desk.floor, data["village"]
    floor.spoken[village] = floor.spoken.get(village, 0.0) + max(0.0, at - floor.granted_at)
    floor.turns[village] = floor.turns.get(village, 0) + 1
    floor.holder = None


def _extended(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    desk.floor.seconds += data["seconds"]


DECIDE: dict[str, Decider] = {
    "floor.grant": _grant,
    "floor.yield": _yield,
    "floor.revoke": _revoke,
    "floor.extend": _extend,
}
APPLY: dict[str, Applier] = {"floor.granted": _granted, "floor.ended": _ended, "floor.extended": _extended}


def view(desk: Desk, record: Record) -> dict[str, Any]:
    floor, stage = desk.floor, desk.stage
    holder = None
    if floor.holder is not None:
        village = record.villages[floor.holder]
        holder = {"village": village.code, "name": village.name, "kecamatan": village.kecamatan_name}
    return {
        "holder": holder,
        "granted_at": floor.granted_at if holder else None,
        "seconds": floor.seconds if holder else None,
        "deadline": floor.granted_at + floor.seconds if holder else None,
        "spotlight": stage.spotlight,
        "muted": sorted(stage.muted),
    }


def speaking_view(desk: Desk, record: Record) -> dict[str, Any]:
    """Finished turns only; the running turn shows in "floor" (clients add now − granted_at)."""
    villages: list[dict[str, Any]] = []
    by_kecamatan: dict[str, float] = {}
    for code, seconds in desk.floor.spoken.items():
        v = record.villages[code]
        villages.append(
            {"village": code, "name": v.name, "kecamatan": v.kecamatan_name, "seconds": seconds,
             "turns": desk.floor.turns[code]}
        )  # fmt: skip
        by_kecamatan[v.kecamatan_code] = by_kecamatan.get(v.kecamatan_code, 0.0) + seconds
    names = {v.kecamatan_code: v.kecamatan_name for v in record.villages.values()}
    villages.sort(key=lambda r: (-r["seconds"], r["village"]))
    order = sorted(by_kecamatan.items(), key=lambda kv: (-kv[1], kv[0]))
    kecamatan = [{"code": c, "name": names[c], "seconds": s} for c, s in order]
    return {"villages": villages, "kecamatan": kecamatan}
