"""Delegates: who carries the session's results to the next level's musrenbang, as staff enter them.

The list is set whole (``delegates.set``): the moderator's editor sends what it shows, so a
correction is one event and the log says the list as it stood each time. An empty list clears it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor
from rooms.facts import Audience, Fact, find

MAX_DELEGATES = 30  # a desa sends a handful; a kecamatan's delegation to the kabupaten is larger

if TYPE_CHECKING:
    from rooms.record import Applier, Decider, Record


def _set(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    rows = []
    for n, d in enumerate(args["delegates"]):
        if d["village"] is not None:
            find(record.villages, d["village"], f"delegates[{n}].village: Desa")
        rows.append({"name": d["name"], "village": d["village"], "role": d["role"]})
    return [("delegates.set", {"delegates": rows})]


def _on_set(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.delegates = [dict(d) for d in data["delegates"]]


DECIDE: dict[str, Decider] = {"delegates.set": _set}
APPLY: dict[str, Applier] = {"delegates.set": _on_set}


def view(record: Record, audience: Audience) -> list[dict[str, Any]] | None:
    """Staff see the delegates (names of people); other audiences get None until the minutes are out."""
    if not audience.staff:
        return None
    return [{**d, "village_name": record.villages[d["village"]].name if d["village"] else None}
            for d in record.delegates]
