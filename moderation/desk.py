"""The moderation desk: speaker queue, floor and stage together, with their decide/fold tables."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from moderation import floor, queue, stage
from moderation.floor import Floor
from moderation.queue import SpeakerQueue
from moderation.stage import Stage
from rooms.actors import Actor
from rooms.facts import Fact
from rooms.record import Record

Decider = Callable[["Desk", Record, Mapping[str, Any], Actor, float], list[Fact]]  # never mutates
Applier = Callable[["Desk", Mapping[str, Any], float], None]


@dataclass
class Desk:
    queue: SpeakerQueue = field(default_factory=SpeakerQueue)
    floor: Floor = field(default_factory=Floor)
    stage: Stage = field(default_factory=Stage)

    def wind_up(self) -> list[Fact]:
        """What closing the session ends here: the current turn."""
        return self.floor.ending(floor.SESSION_CLOSED)


_MODULES = (queue, floor, stage)
DECIDE: dict[str, Decider] = {name: fn for m in _MODULES for name, fn in m.DECIDE.items()}
APPLY: dict[str, Applier] = {name: fn for m in _MODULES for name, fn in m.APPLY.items()}
