"""A test harness for the Assembly: a session on the real roster, commands in, events numbered and folded.

Events pass through JSON on their way to the fold, as they do through a real log store.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest

from harness.sample import usulan
from moderation.assembly import Assembly
from rooms.actors import Actor, Kind
from rooms.ballot import BOXED, receipt_digest
from rooms.commands import parse_command
from rooms.errors import DomainError
from rooms.events import Event, Paper, RecordedEvent
from rooms.opd import parse_opd_csv
from rooms.photos import PHOTO_QUOTA
from rooms.proposal import PROPOSAL_LIMIT, Rules
from rooms.roster import Village, parse_roster_csv, pick_interactive
from rooms.session import create_session
from server.config import shipped_opd_csv
from server.provision import banyuwangi_roster

ROSTER = parse_roster_csv(banyuwangi_roster())
VENUE = "35.10.13.2007"  # Bubuk, Rogojampi
OPD = parse_opd_csv(shipped_opd_csv())  # the list a hub ships with
INTERACTIVE = pick_interactive(ROSTER, VENUE)
VIEWONLY = [v.code for v in ROSTER if v.code not in INTERACTIVE]

ADMIN = Actor(Kind.ADMIN, "admin")
CHAIR = Actor(Kind.CHAIR, "chair")
MOD = Actor(Kind.MODERATOR, "mod:ani")
SYSTEM = Actor(Kind.SYSTEM, "hub")
AUDIENCES = ("public", "staff")


def village(code: str) -> Actor:
    return Actor(Kind.VILLAGE, code, code)


def public(browser: str) -> Actor:
    return Actor(Kind.PUBLIC, f"public:{browser}")


BUBUK = village(VENUE)
ALIYAN = village("35.10.13.2001")  # Rogojampi, view-only
SARONGAN = village("35.10.01.2001")  # Pesanggaran, view-only
PESANGGARAN = village("35.10.01.2002")  # Pesanggaran's namesake: interactive




def number(events: Iterable[Event], after: int) -> list[RecordedEvent]:
    return [
        RecordedEvent(after + i, e.type, json.loads(json.dumps(e.data)), e.actor, e.at, e.key, "")
        for i, e in enumerate(events, start=1)
    ]


class Hub:
    """One session, with its log kept so it can be folded again."""

    def __init__(
        self, villages: list[Village] = ROSTER, interactive: list[str] | None = None, start: bool = True,
        proposal_limit: int = PROPOSAL_LIMIT, photo_quota: int = PHOTO_QUOTA,
    ) -> None:
        self.rules = Rules(proposal_limit, opd=OPD, photo_quota=photo_quota)
        self.assembly = Assembly("musrenbang-2020", self.rules)
        self.log: list[RecordedEvent] = []
        self.papers: list[Paper] = []  # secret ballots' boxes, kept beside the log as a store does
        self.now = 1_579_590_000.0  # 21 January 2020, morning
        picked = pick_interactive(villages, VENUE) if interactive is None else interactive
        self.record(create_session("Musrenbang RKPD 2021", villages, VENUE, picked, ADMIN, self.now))
        if start:
            self.do(CHAIR, "session.start")

    def record(self, events: Iterable[Event]) -> list[RecordedEvent]:
        records = number(events, self.assembly.version)
        for r in records:
            self.assembly.apply(r)
        self.log.extend(records)
        return records

    def do(self, actor: Actor, name: str, **payload: Any) -> list[RecordedEvent]:
        events = self.assembly.decide(parse_command(name, payload), actor, self.now + 1)
        self.now += 1  # time moves on with each accepted command
        records = self.record([e for e in events if e.type != BOXED])
        for e in events:
            if e.type == BOXED:
                token = receipt_digest(f"paper-{len(self.papers)}")  # any distinct random-looking key
                paper = Paper(e.data["ballot"], token, tuple(e.data["choice"]))
                self.assembly.drop(paper)
                self.papers.append(paper)
        return records

    def refused(self, actor: Actor, name: str, **payload: Any) -> DomainError:
        """The command is refused and nothing changes; returns the error."""
        before = self.snapshots()
        with pytest.raises(DomainError) as caught:
            self.do(actor, name, **payload)
        assert self.snapshots() == before
        return caught.value

    def snapshots(self, villages: Iterable[str] = ()) -> dict[str, Any]:
        return {a: self.assembly.snapshot(a) for a in (*AUDIENCES, *(f"village:{v}" for v in villages))}

    def model(self, name: str, audience: str = "staff") -> Any:
        return self.assembly.read_models([name], audience)[name]

    def refold(self) -> Assembly:
        fresh = Assembly(self.assembly.session_id, self.rules)
        for r in self.log:
            fresh.apply(r)
        for bid in fresh.short_boxes():
            fresh.refill(bid, [p for p in self.papers if p.ballot == bid])
        return fresh

    def accepted(self, *submitters: Actor, **changes: Any) -> list[str]:
        """Submit one proposal per submitter and accept them all; returns their ids."""
        ids = [self.do(s, "proposal.submit", **usulan(**changes))[0].data["proposal"] for s in submitters]
        for pid in ids:
            self.do(MOD, "proposal.accept", proposal=pid)
        return ids
