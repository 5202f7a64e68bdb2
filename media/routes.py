"""Who receives what, as plain data: sources, and the routes a session plan implies. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LAYER = {"video": "high", "audio": "mic"}
VIDEO_LAYERS = ("high", "low", "screen")


@dataclass(frozen=True, slots=True)
class Source:
    """A published track: a participant's mic, or one of its video layers."""

    publisher: str
    kind: str  # "video" | "audio"
    layer: str = ""  # video: "high" | "low" | "screen"; audio: "mic" (the default for the kind)

    def __post_init__(self) -> None:
        if self.kind not in DEFAULT_LAYER:
            raise ValueError(f"jenis media tidak dikenal: {self.kind!r}")
        if not self.layer:
            object.__setattr__(self, "layer", DEFAULT_LAYER[self.kind])

    def as_dict(self) -> dict[str, str]:
        return {"publisher": self.publisher, "kind": self.kind, "layer": self.layer}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Source:
        return cls(str(data["publisher"]), str(data["kind"]), str(data.get("layer", "")))


Slots = dict[str, Source | None]


@dataclass(frozen=True)
class Routing:
    routes: dict[str, Slots]
    muted: frozenset[str] = field(default_factory=frozenset)


def grid_slot(index: int) -> str:
    return f"grid{index}"


def _program(plan: Mapping[str, Any]) -> tuple[str | None, str]:
    """Who is on the program, and which layer: the spotlight, else the venue's shared screen, else
    the floor holder, else the venue (the chair who presents means to be seen over a turn)."""
    venue = plan.get("venue")
    if plan.get("spotlight"):
        return plan["spotlight"], "high"
    if plan.get("screen") and venue:
        return venue, "screen"
    return plan.get("floor") or venue, "high"


def plan_routes(
    plan: Mapping[str, Any],
    roles: Mapping[str, str],
    *,
    interactive_thumbnails: bool = True,
) -> Routing:
    """Routes for every subscriber from a plan and subscriber roles.

    ``plan``: {"venue": pid, "floor": pid | None, "spotlight": pid | None, "screen": bool,
    "muted": [...], "interactive": [...]}. ``roles``: {pid: "viewonly" | "interactive" | "staff"}.

    Every role gets "program" video (see ``_program``; while the venue's screen is on it, "pip"
    carries the chair's camera, its low layer),
    "venue" video and audio, and "floor" audio. Staff get every interactive village's low layer
    in "grid0".."gridN"; interactive villages get the others' low layers when thumbnails are on.
    Nobody receives their own media (a floor holder hearing itself would echo).
    """
    venue, floor = plan.get("venue"), plan.get("floor")
    program, program_layer = _program(plan)
    interactive = list(plan.get("interactive", ()))
    routes: dict[str, Slots] = {}
    for subscriber, role in roles.items():
        if role not in ("viewonly", "interactive", "staff"):
            raise ValueError(f"peran tidak dikenal: {role!r}")

        def source(pid: str | None, kind: str, layer: str = "", sub: str = subscriber) -> Source | None:
            return Source(pid, kind, layer) if pid and pid != sub else None

        slots: Slots = {
            "program": source(program, "video", program_layer),
            "venue": source(venue, "video", "high"),
            "floor": source(floor, "audio"),
            "venue_audio": source(venue, "audio"),
        }
        if program_layer == "screen":
            slots["pip"] = source(venue, "video", "low")
        if role == "staff" or (role == "interactive" and interactive_thumbnails):
            others: Sequence[str] = [pid for pid in interactive if pid != subscriber]
            for index, pid in enumerate(others):
                slots[grid_slot(index)] = source(pid, "video", "low")
        routes[subscriber] = slots
    return Routing(routes, frozenset(plan.get("muted", ())))
