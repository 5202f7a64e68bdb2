"""Ballots over accepted proposals: approval or Borda, one vote per village, ranked results.

Scoring. Approval: each chosen option gets 1 point; a voter picks 1..max_choices options.
Borda: with n options, a voter ranks 1..n of them; rank r (1 = first) earns n - r points,
unranked options earn 0. Tallies are kept running as votes arrive (a changed vote is
subtracted first), so casting costs O(size of the choice).

Result: options ordered by points (desc), then by how many voters chose/ranked them (desc),
then by proposal id (asc) — so ties always break the same way. With a pagu (budget ceiling),
walk that order adding costs: an option "fits" while the running total stays ≤ pagu; the
first that overshoots and every option after it fall below the line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor
from rooms.errors import AlreadyVoted, Conflict, Invalid
from rooms.facts import Audience, Fact, acting_village, find
from rooms.proposal import ACCEPTED

if TYPE_CHECKING:
    from rooms.record import Applier, Decider, Record

OPEN, CLOSED = "open", "closed"
APPROVAL, BORDA = "approval", "borda"


@dataclass
class Ballot:
    id: str
    title: str
    method: str
    options: list[str]
    max_choices: int
    allow_change: bool
    secret: bool
    pagu: int | None
    opened_at: float
    status: str = OPEN
    closed_at: float | None = None
    votes: dict[str, list[str]] = field(default_factory=dict)  # village → choice (in rank order)
    points: dict[str, int] = field(init=False)
    mentions: dict[str, int] = field(init=False)  # voters who chose/ranked the option
    result: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.points = dict.fromkeys(self.options, 0)
        self.mentions = dict.fromkeys(self.options, 0)

    def count(self, choice: list[str], sign: int) -> None:
        n = len(self.options)
        for rank, option in enumerate(choice):
            self.points[option] += sign * (1 if self.method == APPROVAL else n - 1 - rank)
            self.mentions[option] += sign


@dataclass
class Ballots:
    by_id: dict[str, Ballot] = field(default_factory=dict)

    def open_ones(self) -> list[Ballot]:
        return [b for b in self.by_id.values() if b.status == OPEN]

    def closing_fact(self, ballot: Ballot, record: Record) -> Fact:
        return ("ballot.closed", {"ballot": ballot.id, "result": _result(ballot, record)})


def _result(ballot: Ballot, record: Record) -> list[dict[str, Any]]:
    order = sorted(ballot.options, key=lambda o: (-ballot.points[o], -ballot.mentions[o], o))
    rows, cumulative, below = [], 0, False
    for rank, option in enumerate(order, start=1):
        cost = record.board.proposals[option].cost
        cumulative += cost
        below = below or (ballot.pagu is not None and cumulative > ballot.pagu)
        rows.append(
            {
                "proposal": option,
                "rank": rank,
                "points": ballot.points[option],
                "voters": ballot.mentions[option],
                "cost": cost,
                "cumulative_cost": cumulative,
                "fits": None if ballot.pagu is None else not below,
            }
        )
    return rows


def _open(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    options: list[str] = args["options"]
    proposals = [find(record.board.proposals, o, "Usulan") for o in options]
    not_accepted = [p.id for p in proposals if p.status != ACCEPTED]
    if not_accepted:
        raise Conflict(f"Hanya usulan yang diterima dapat dipilih: {', '.join(not_accepted)}")
    max_choices = args["max_choices"]
    if args["method"] == BORDA:
        if max_choices is not None:
            raise Invalid("max_choices: hanya untuk metode approval")
        max_choices = len(options)
    elif max_choices is None:
        max_choices = len(options)
    elif max_choices > len(options):
        raise Invalid(f"max_choices: paling besar {len(options)}")
    pagu = args["pagu"]
    villages = {p.village for p in proposals}
    if pagu is None and len(villages) == 1:
        pagu = record.villages[villages.pop()].pagu
    data = {
        "ballot": f"B-{len(record.ballots.by_id) + 1:02d}",
        "title": args["title"],
        "method": args["method"],
        "options": options,
        "max_choices": max_choices,
        "allow_change": args["allow_change"],
        "secret": args["secret"],
        "pagu": pagu,
    }
    return [("ballot.opened", data)]


def _cast(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    ballot = find(record.ballots.by_id, args["ballot"], "Pemungutan suara")
    if ballot.status != OPEN:
        raise Conflict("Pemungutan suara sudah ditutup")
    choice: list[str] = args["choice"]
    if len(choice) > ballot.max_choices:
        raise Invalid(f"choice: paling banyak {ballot.max_choices} pilihan")
    options = ballot.points  # keyed by option: O(1) membership
    strangers = [c for c in choice if c not in options]
    if strangers:
        raise Invalid(f"choice: bukan pilihan pada pemungutan ini: {', '.join(strangers[:5])}")
    village = acting_village(actor, None)
    if village in ballot.votes and not ballot.allow_change:
        raise AlreadyVoted("Desa ini sudah memberikan suara")
    return [("ballot.cast", {"ballot": ballot.id, "village": village, "choice": choice})]


def _close(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    ballot = find(record.ballots.by_id, args["ballot"], "Pemungutan suara")
    if ballot.status != OPEN:
        raise Conflict("Pemungutan suara sudah ditutup")
    return [record.ballots.closing_fact(ballot, record)]


def _opened(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.ballots.by_id[data["ballot"]] = Ballot(
        data["ballot"],
        data["title"],
        data["method"],
        list(data["options"]),
        data["max_choices"],
        data["allow_change"],
        data["secret"],
        data["pagu"],
        opened_at=at,
    )


def _cast_counted(record: Record, data: Mapping[str, Any], at: float) -> None:
    ballot = record.ballots.by_id[data["ballot"]]
    previous = ballot.votes.get(data["village"])
    if previous is not None:
        ballot.count(previous, -1)
    choice = list(data["choice"])
    ballot.count(choice, +1)
    ballot.votes[data["village"]] = choice


def _closed(record: Record, data: Mapping[str, Any], at: float) -> None:
    ballot = record.ballots.by_id[data["ballot"]]
    ballot.status, ballot.closed_at, ballot.result = CLOSED, at, [dict(r) for r in data["result"]]


DECIDE: dict[str, Decider] = {"ballot.open": _open, "ballot.cast": _cast, "ballot.close": _close}
APPLY: dict[str, Applier] = {"ballot.opened": _opened, "ballot.cast": _cast_counted, "ballot.closed": _closed}


def view(record: Record, audience: Audience) -> list[dict[str, Any]]:
    """Every ballot; per-village choices for staff on non-secret ones only."""
    rows = []
    for b in record.ballots.by_id.values():
        row: dict[str, Any] = {
            "ballot": b.id,
            "title": b.title,
            "method": b.method,
            "options": list(b.options),
            "status": b.status,
            "secret": b.secret,
            "allow_change": b.allow_change,
            "max_choices": b.max_choices,
            "pagu": b.pagu,
            "opened_at": b.opened_at,
            "closed_at": b.closed_at,
            "turnout": len(b.votes),
            "voters": sorted(b.votes),  # who voted is public, even on a secret ballot
            "tallies": [{"proposal": o, "points": b.points[o], "voters": b.mentions[o]} for o in b.options],
            "result": None if b.result is None else [dict(r) for r in b.result],
        }
        if audience.staff and not b.secret:
            row["choices"] = {v: list(c) for v, c in sorted(b.votes.items())}
        rows.append(row)
    return rows


def my_votes(record: Record, audience: Audience) -> dict[str, list[str]]:
    """A village's own choice on each ballot it voted in; empty for any other audience.

    Kept apart from ``view`` so every village gets the same ballots push and only its own
    votes in a push of its own.
    """
    if audience.village is None:
        return {}
    return {b.id: list(mine) for b in record.ballots.by_id.values()
            if (mine := b.votes.get(audience.village)) is not None}
