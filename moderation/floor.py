"""The floor: one village speaks at a time, with a countdown, and speaking time is totalled.

The countdown is derived, not ticked: its end is granted_at + seconds + the time paused. A
turn's length is the ``at`` of the event that ends it minus granted_at minus the time paused, so
a replayed log gives the same totals. The hub pauses the turn (``floor.pause``, a system command)
while the holder's media is gone — a reload, a lost connection — and resumes it on its return.
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
    paused_at: float | None = None  # the running pause's start, if the turn is paused
    paused: float = 0.0  # seconds of this turn spent in finished pauses

    def stopped(self, at: float) -> float:
        """Seconds of this turn spent paused up to ``at``."""
        return self.paused + (at - self.paused_at if self.paused_at is not None else 0.0)

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


def _holding(desk: Desk, args: Mapping[str, Any], pausing: bool) -> str:
    """The holder a pause (or resume) names; refused if it is not the holder or nothing would change."""
    holder = desk.floor.holder
    if holder is None or holder != args["village"]:
        raise Conflict("Desa ini tidak sedang memegang waktu bicara")
    if (desk.floor.paused_at is not None) == pausing:
        raise Conflict("Waktu bicara sudah dijeda" if pausing else "Waktu bicara tidak sedang dijeda")
    return holder


def _pause(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    return [("floor.paused", {"village": _holding(desk, args, True)})]


def _resume(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    return [("floor.resumed", {"village": _holding(desk, args, False)})]


def _extend(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    return [("floor.extended", {"village": _held(desk), "seconds": args["seconds"]})]


def _granted(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    desk.queue.drop(data["village"])
    desk.floor.holder, desk.floor.granted_at, desk.floor.seconds = data["village"], at, data["seconds"]
    desk.floor.paused_at, desk.floor.paused = None, 0.0


def _ended(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    floor, village = desk.floor, data["village"]
    floor.spoken[village] = floor.spoken.get(village, 0.0) + max(0.0, at - floor.granted_at - floor.stopped(at))
    floor.turns[village] = floor.turns.get(village, 0) + 1
    floor.holder, floor.paused_at, floor.paused = None, None, 0.0


def _paused(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    desk.floor.paused_at = at


def _resumed(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    desk.floor.paused, desk.floor.paused_at = desk.floor.stopped(at), None


def _extended(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    desk.floor.seconds += data["seconds"]


DECIDE: dict[str, Decider] = {
    "floor.grant": _grant,
    "floor.yield": _yield,
    "floor.revoke": _revoke,
    "floor.extend": _extend,
    "floor.pause": _pause,
    "floor.resume": _resume,
}
APPLY: dict[str, Applier] = {
    "floor.granted": _granted,
    "floor.ended": _ended,
    "floor.extended": _extended,
    "floor.paused": _paused,
    "floor.resumed": _resumed,
}


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
        # the running pause is not in the deadline: while paused_at is set, the time left is deadline − paused_at
        "deadline": floor.granted_at + floor.seconds + floor.paused if holder else None,
        "paused_at": floor.paused_at if holder else None,
        "spotlight": stage.spotlight,
        "screen": stage.screen,
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
