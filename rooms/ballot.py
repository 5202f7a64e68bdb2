"""Ballots over accepted proposals: approval or Borda, one vote per village, ranked results.

Scoring. Approval: each chosen option gets 1 point; a voter picks 1..max_choices options.
Borda: with n options, a voter ranks 1..n of them; rank r (1 = first) earns n - r points,
unranked options earn 0. Tallies are kept running as votes arrive (a changed vote is
subtracted first), so casting costs O(size of the choice).

Secret ballots. The log keeps the roll (``ballot.voted``: village V has voted) and never the
choice; the choice goes into the box as a :class:`~rooms.events.Paper` keyed by a random token,
stored beside the log (the shell turns each decided ``ballot.boxed`` fact into one). While the
ballot is open nobody is shown its tallies; at close the box is committed to the hash chain by a
digest of its sorted papers. A secret vote cannot be changed: that would need the very link
between village and paper that is not kept.

Electorate. Fixed when the ballot opens, as a list of village codes in ``ballot.opened``: every
village of the session, those present, the interactive ones, or those of listed kecamatan.

Result: options ordered by points (desc), then by how many voters chose/ranked them (desc),
then by proposal id (asc) — so ties always break the same way. With a pagu (budget ceiling),
walk that order adding costs: an option "fits" while the running total stays ≤ pagu; the
first that overshoots and every option after it fall below the line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor
from rooms.errors import AlreadyVoted, Conflict, Invalid, NotEligible
from rooms.events import Paper
from rooms.facts import Audience, Fact, acting_village, find
from rooms.log.chain import canonical
from rooms.proposal import ACCEPTED
from rooms.roster import Village

if TYPE_CHECKING:
    from rooms.record import Applier, Decider, Record

OPEN, CLOSED = "open", "closed"
APPROVAL, BORDA = "approval", "borda"
BOXED = "ballot.boxed"  # a decided fact that becomes a Paper in the box, never a logged event


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
    electorate: dict[str, Any]  # {"kind", "kecamatan", "villages": [codes in roster order]}
    status: str = OPEN
    closed_at: float | None = None
    roll: set[str] = field(default_factory=set)  # villages that voted
    votes: dict[str, list[str]] = field(default_factory=dict)  # nominal only: village → choice (rank order)
    box: dict[str, list[str]] = field(default_factory=dict)  # secret only: token → choice
    points: dict[str, int] = field(init=False)
    mentions: dict[str, int] = field(init=False)  # voters who chose/ranked the option
    eligible: frozenset[str] = field(init=False)  # the electorate's villages: O(1) per vote
    result: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.points = dict.fromkeys(self.options, 0)
        self.mentions = dict.fromkeys(self.options, 0)
        self.eligible = frozenset(self.electorate["villages"])

    def count(self, choice: list[str], sign: int) -> None:
        n = len(self.options)
        for rank, option in enumerate(choice):
            self.points[option] += sign * (1 if self.method == APPROVAL else n - 1 - rank)
            self.mentions[option] += sign

    def refill(self, papers: Iterable[Paper]) -> None:
        """Replace the box with the store's papers (another node may have dropped some) and recount."""
        self.box = {p.token: list(p.choice) for p in papers}
        self.points, self.mentions = dict.fromkeys(self.options, 0), dict.fromkeys(self.options, 0)
        for choice in self.box.values():
            self.count(choice, +1)


@dataclass
class Ballots:
    by_id: dict[str, Ballot] = field(default_factory=dict)

    def open_ones(self) -> list[Ballot]:
        return [b for b in self.by_id.values() if b.status == OPEN]

    def closing_fact(self, ballot: Ballot, record: Record) -> Fact:
        data: dict[str, Any] = {"ballot": ballot.id, "result": _result(ballot, record)}
        if ballot.secret:  # commit the box to the hash chain: the tally stays checkable from the log
            data["box"] = {"papers": len(ballot.box), "digest": box_digest(ballot.box.items())}
        return ("ballot.closed", data)

    def short_boxes(self) -> list[str]:
        """Open secret ballots whose box holds fewer papers than the roll names voters."""
        return [b.id for b in self.open_ones() if b.secret and len(b.box) != len(b.roll)]


def box_digest(papers: Iterable[tuple[str, Iterable[str]]]) -> str:
    """SHA-256 of the box's (token, choice) pairs sorted by token, as canonical JSON."""
    return hashlib.sha256(canonical(sorted([t, list(c)] for t, c in papers))).hexdigest()


def receipt_digest(receipt: str) -> str:
    """A receipt as its stub keeps it: the SHA-256, so the store holds no receipt a reader could show."""
    return hashlib.sha256(receipt.encode()).hexdigest()


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
        "allow_change": args["allow_change"] and not args["secret"],  # see the module's note
        "secret": args["secret"],
        "pagu": pagu,
        "electorate": electorate(record, args["electorate"], args["kecamatan"], args["interactive"]),
    }
    return [("ballot.opened", data)]


def electorate(record: Record, kind: str, kecamatan: list[str] | None, interactive: Iterable[str]
               ) -> dict[str, Any]:
    """Who may vote, resolved now to village codes (roster order); ``interactive`` comes from the desk."""
    if (kind == "kecamatan") != (kecamatan is not None):
        raise Invalid("kecamatan: wajib untuk pemilih per kecamatan, dan hanya untuk itu")
    known = {v.kecamatan_code for v in record.villages.values()}
    strangers = [k for k in kecamatan or () if k not in known]
    if strangers:
        raise Invalid(f"kecamatan: tidak ada di daftar: {', '.join(strangers[:5])}")
    seated, wanted = set(interactive), set(kecamatan or ())
    halls = record.attendance.halls

    def admits(v: Village) -> bool:
        return {"all": True, "present": v.code in halls and halls[v.code].present,
                "interactive": v.code in seated, "kecamatan": v.kecamatan_code in wanted}[kind]

    codes = [v.code for v in record.villages.values() if admits(v)]
    if not codes:
        raise Conflict("Tidak ada desa yang memenuhi syarat pemilih")
    return {"kind": kind, "kecamatan": sorted(wanted), "villages": codes}


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
    if village not in ballot.eligible:
        raise NotEligible("Desa ini tidak termasuk pemilih pada pemungutan suara ini")
    if village in ballot.roll and not ballot.allow_change:
        raise AlreadyVoted("Desa ini sudah memberikan suara")
    if ballot.secret:  # the roll in the log, the choice in the box: never side by side
        return [("ballot.voted", {"ballot": ballot.id, "village": village}),
                (BOXED, {"ballot": ballot.id, "choice": choice})]
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
        # logs from before electorates: every village of the session
        electorate=data.get("electorate") or {"kind": "all", "kecamatan": [], "villages": list(record.villages)},
    )


def _cast_counted(record: Record, data: Mapping[str, Any], at: float) -> None:
    ballot = record.ballots.by_id[data["ballot"]]
    previous = ballot.votes.get(data["village"])
    if previous is not None:
        ballot.count(previous, -1)
    choice = list(data["choice"])
    ballot.count(choice, +1)
    ballot.votes[data["village"]] = choice
    ballot.roll.add(data["village"])


def _voted(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.ballots.by_id[data["ballot"]].roll.add(data["village"])


def drop(record: Record, paper: Paper) -> None:
    """Put a paper in its ballot's box and count it (tallies stay hidden until the close)."""
    ballot = record.ballots.by_id[paper.ballot]
    ballot.box[paper.token] = list(paper.choice)
    ballot.count(ballot.box[paper.token], +1)


def _closed(record: Record, data: Mapping[str, Any], at: float) -> None:
    ballot = record.ballots.by_id[data["ballot"]]
    ballot.status, ballot.closed_at, ballot.result = CLOSED, at, [dict(r) for r in data["result"]]
    # the tallies as closed, also where the box is not loaded (a rebuilt secret ballot)
    ballot.points = {r["proposal"]: r["points"] for r in ballot.result}
    ballot.mentions = {r["proposal"]: r["voters"] for r in ballot.result}


DECIDE: dict[str, Decider] = {"ballot.open": _open, "ballot.cast": _cast, "ballot.close": _close}
APPLY: dict[str, Applier] = {
    "ballot.opened": _opened,
    "ballot.cast": _cast_counted,
    "ballot.voted": _voted,
    "ballot.closed": _closed,
}


def view(record: Record, audience: Audience) -> list[dict[str, Any]]:
    """Every ballot with its turnout and electorate; tallies of a secret one only once it is closed;
    per-village choices for staff on nominal ones only."""
    rows = []
    names = {v.kecamatan_code: v.kecamatan_name for v in record.villages.values()}
    for b in record.ballots.by_id.values():
        hidden = b.secret and b.status == OPEN
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
            "turnout": len(b.roll),
            "voters": sorted(b.roll),  # who voted is public, even on a secret ballot
            "electorate": {"kind": b.electorate["kind"], "kecamatan": list(b.electorate["kecamatan"]),
                           "kecamatan_names": [names[k] for k in b.electorate["kecamatan"] if k in names],
                           "size": len(b.electorate["villages"])},
            "not_voted": [v for v in b.electorate["villages"] if v not in b.roll],
            "tallies": None if hidden else [
                {"proposal": o, "points": b.points[o], "voters": b.mentions[o]} for o in b.options],
            "result": None if b.result is None else [dict(r) for r in b.result],
        }
        if audience.staff and not b.secret:
            row["choices"] = {v: list(c) for v, c in sorted(b.votes.items())}
        rows.append(row)
    return rows


def my_votes(record: Record, audience: Audience) -> dict[str, list[str]]:
    """A village's own choice on each nominal ballot it voted in; empty for any other audience.

    A secret ballot's choice is known to the village's page alone (the hub keeps no link).
    Kept apart from ``view`` so every village gets the same ballots push; a village has its own
    votes from its snapshot, and a new one from the ack of its own cast (nothing pushes them).
    """
    if audience.village is None:
        return {}
    return {b.id: list(mine) for b in record.ballots.by_id.values()
            if (mine := b.votes.get(audience.village)) is not None}
