"""Who is seen and heard: interactive seats, server-side mute, the spotlight, the chair's shared screen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor
from rooms.errors import Conflict, InteractiveLimit
from rooms.facts import Fact, find
from rooms.record import Record
from rooms.roster import MAX_INTERACTIVE

if TYPE_CHECKING:
    from moderation.desk import Applier, Decider, Desk


@dataclass
class Stage:
    interactive: set[str] = field(default_factory=set)
    muted: set[str] = field(default_factory=set)
    spotlight: str | None = None
    screen: bool = False  # the chair is presenting its screen (slides) on the program


def _toggle(event: str, add: bool, attr: str, refusal: str) -> Decider:
    """A decider that adds a roster village to (or removes it from) one of the stage's sets."""

    def decide(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
        village = find(record.villages, args["village"], "Desa").code
        members: set[str] = getattr(desk.stage, attr)
        if (village in members) == add:
            raise Conflict(refusal)
        if add and attr == "interactive" and len(members) >= MAX_INTERACTIVE:
            raise InteractiveLimit(f"Paling banyak {MAX_INTERACTIVE} desa interaktif")
        return [(event, {"village": village})]

    return decide


def _spotlight(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    village = args["village"]
    if village is not None:
        village = find(record.villages, village, "Desa").code
    if village == desk.stage.spotlight:
        raise Conflict("Sorotan sudah pada desa itu")
    return [("spotlight.set", {"village": village})]


def _screen(start: bool) -> Decider:
    def decide(desk: Desk, record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
        if desk.stage.screen == start:
            raise Conflict("Layar sudah dibagikan" if start else "Layar tidak sedang dibagikan")
        return [("screen.started" if start else "screen.stopped", {})]

    return decide


def _shared(start: bool) -> Applier:
    def apply(desk: Desk, data: Mapping[str, Any], at: float) -> None:
        desk.stage.screen = start

    return apply


def _set_applier(attr: str, add: bool) -> Applier:
    def apply(desk: Desk, data: Mapping[str, Any], at: float) -> None:
        members: set[str] = getattr(desk.stage, attr)
        (members.add if add else members.discard)(data["village"])

    return apply


def _created(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    desk.stage.interactive = set(data["interactive"])


def _spotlit(desk: Desk, data: Mapping[str, Any], at: float) -> None:
    desk.stage.spotlight = data["village"]


# (command, event, stage set, added?, refusal when already so)
_TOGGLES = (
    ("participant.mute", "participant.muted", "muted", True, "Desa sudah dibisukan"),
    ("participant.unmute", "participant.unmuted", "muted", False, "Desa tidak sedang dibisukan"),
    ("village.promote", "village.promoted", "interactive", True, "Desa sudah interaktif"),
    ("village.demote", "village.demoted", "interactive", False, "Desa sudah hanya menonton"),
)
DECIDE: dict[str, Decider] = {
    **{cmd: _toggle(event, add, attr, refusal) for cmd, event, attr, add, refusal in _TOGGLES},
    "spotlight.set": _spotlight,
    "screen.start": _screen(True),
    "screen.stop": _screen(False),
}
APPLY: dict[str, Applier] = {
    **{event: _set_applier(attr, add) for _, event, attr, add, _ in _TOGGLES},
    "session.created": _created,
    "spotlight.set": _spotlit,
    "screen.started": _shared(True),
    "screen.stopped": _shared(False),
}


def roster_view(desk: Desk, record: Record) -> list[dict[str, Any]]:
    stage = desk.stage
    return [
        {
            "village": v.code,
            "name": v.name,
            "kecamatan_code": v.kecamatan_code,
            "kecamatan": v.kecamatan_name,
            "type": v.type,
            "pagu": v.pagu,
            "mode": "interactive" if v.code in stage.interactive else "viewonly",
            "muted": v.code in stage.muted,
        }
        for v in record.villages.values()
    ]
