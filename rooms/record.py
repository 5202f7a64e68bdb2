"""The session record: all of ``rooms``' state, and the tables that decide and fold its commands."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rooms import agenda, attendance, ballot, carry, delegates, photos, proposal, session
from rooms.actors import Actor
from rooms.agenda import Agenda
from rooms.attendance import Attendance
from rooms.ballot import Ballots
from rooms.facts import Fact
from rooms.proposal import Board
from rooms.roster import Village
from rooms.session import SessionInfo

Decider = Callable[["Record", Mapping[str, Any], Actor, float], list[Fact]]  # never mutates
Applier = Callable[["Record", Mapping[str, Any], float], None]  # (record, event data, event time)


@dataclass
class Record:
    session_id: str
    session: SessionInfo = field(default_factory=SessionInfo)
    villages: dict[str, Village] = field(default_factory=dict)  # roster order, keyed by code
    attendance: Attendance = field(default_factory=Attendance)
    agenda: Agenda = field(default_factory=Agenda)
    board: Board = field(default_factory=Board)
    ballots: Ballots = field(default_factory=Ballots)
    revoked: set[str] = field(default_factory=set)  # credential ids (logs from before generations)
    generations: dict[str, int] = field(default_factory=dict)  # holder → its credentials' generation
    delegates: list[dict[str, Any]] = field(default_factory=list)  # {name, village, role} for the next level


_MODULES = (session, attendance, agenda, proposal, photos, ballot, carry, delegates)
DECIDE: dict[str, Decider] = {name: fn for m in _MODULES for name, fn in m.DECIDE.items()}
APPLY: dict[str, Applier] = {name: fn for m in _MODULES for name, fn in m.APPLY.items()}
