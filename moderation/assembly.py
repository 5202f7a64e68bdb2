"""One session's state: the rooms record and the moderation desk, composed. Pure: no I/O.

The shell runs ``decide`` under the session's lock, appends the events to the log, then
``apply``s the recorded events; a fresh Assembly folding the same log ends in the same state.
Event types no table knows are skipped (the version still advances), so other parts of the
hub may log their own facts in a session's log.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from moderation import desk as moderation_desk
from moderation import floor, permissions, queue, stage
from moderation.desk import Desk
from rooms import agenda, attendance, ballot, carry, delegates, proposal, session
from rooms import record as rooms_record
from rooms.actors import Actor, Kind, Role
from rooms.commands import Command
from rooms.events import Event, Paper, RecordedEvent
from rooms.facts import Audience
from rooms.proposal import DEFAULT_RULES, Board, Rules
from rooms.record import Record
from rooms.roster import Village

_KIND_ROLES: Mapping[Kind, Role] = {
    Kind.CHAIR: Role.CHAIR,
    Kind.MODERATOR: Role.MODERATOR,
    Kind.PUBLIC: Role.PUBLIC,
    Kind.SYSTEM: Role.SYSTEM,
}

ReadModel = Callable[["Assembly", Audience], Any]
READ_MODELS: Mapping[str, ReadModel] = {
    "session": lambda a, _: session.view(a._record),
    "roster": lambda a, _: stage.roster_view(a._desk, a._record),
    "attendance": lambda a, _: attendance.view(a._record),
    "agenda": lambda a, _: agenda.view(a._record),
    "board": lambda a, _: proposal.view(a._record),
    "ballots": lambda a, audience: ballot.view(a._record, audience),
    "mine": lambda a, audience: {"votes": ballot.my_votes(a._record, audience)},
    "queue": lambda a, _: queue.view(a._desk, a._record),
    "floor": lambda a, _: floor.view(a._desk, a._record),
    "speaking": lambda a, _: floor.speaking_view(a._desk, a._record),
    "delegates": lambda a, audience: delegates.view(a._record, audience),
}

# Which read models each event type changes (the shell pushes only those). "mine", a village's own
# votes, is in no push: a village has it from its snapshot and learns a new vote from its own ack.
PERSONAL = "mine"
_ALL = frozenset(READ_MODELS) - {PERSONAL}
_BOARD_EVENTS = ("proposal.submitted", "proposal.edited", "proposal.accepted", "proposal.merged",
                 "proposal.rejected", "proposal.carried", "support.given", "proposal.photo_added",
                 "proposal.photo_removed")
TOUCHES: Mapping[str, frozenset[str]] = {
    "session.created": _ALL,
    "session.started": frozenset({"session"}),
    "session.closed": frozenset({"session"}),
    "credential.revoked": frozenset(),
    "attendance.joined": frozenset({"attendance"}),
    "attendance.left": frozenset({"attendance"}),
    "attendance.headcount_set": frozenset({"attendance"}),
    **dict.fromkeys(
        ("agenda.item_added", "agenda.item_moved", "agenda.item_opened", "agenda.item_closed"),
        frozenset({"agenda", "session"}),
    ),
    **dict.fromkeys(_BOARD_EVENTS, frozenset()),  # the board's rows: see ROW_TOUCHES
    **dict.fromkeys(("ballot.opened", "ballot.closed"), frozenset({"ballots"})),
    "ballot.cast": frozenset({"ballots"}),
    "ballot.voted": frozenset({"ballots"}),
    **dict.fromkeys(("hand.raised", "hand.lowered", "queue.moved", "queue.removed"), frozenset({"queue"})),
    "floor.granted": frozenset({"floor", "queue"}),
    "floor.ended": frozenset({"floor", "speaking"}),
    "floor.extended": frozenset({"floor"}),
    **dict.fromkeys(("floor.paused", "floor.resumed"), frozenset({"floor"})),
    "participant.muted": frozenset({"roster", "floor"}),
    "participant.unmuted": frozenset({"roster", "floor"}),
    "spotlight.set": frozenset({"floor"}),
    **dict.fromkeys(("screen.started", "screen.stopped"), frozenset({"floor"})),
    "village.promoted": frozenset({"roster"}),
    "village.demoted": frozenset({"roster"}),
    "delegates.set": frozenset({"delegates"}),
}

# Read models pushed by row: a push carries the rows its events touched, not the whole model (a board of
# hundreds of proposals is most of a megabyte, and one citizen's support changes one row).
# Event type → (the model, the data field naming the row it touches).
ROW_TOUCHES: Mapping[str, tuple[str, str]] = dict.fromkeys(_BOARD_EVENTS, ("board", "proposal"))
RowsOf = Callable[["Assembly", Collection[str]], dict[str, Any]]
ROWS: Mapping[str, RowsOf] = {"board": lambda a, ids: {"proposals": proposal.rows(a._record, ids)}}


class Assembly:
    """One session's state (rooms record + moderation floor). Pure; mutated only by apply()."""

    _record: Record
    _desk: Desk

    def __init__(self, session_id: str, rules: Rules = DEFAULT_RULES) -> None:
        self.session_id = session_id
        self.version = 0  # seq of the last applied event
        self._record = Record(session_id, board=Board(rules=rules))
        self._desk = Desk()
        self._keys: dict[tuple[str, str], int] = {}  # (actor id, idempotency key) → version

    def decide(self, cmd: Command, actor: Actor, now: float) -> list[Event]:
        """Permission (deny by default) → lifecycle → the command's own rules → events. Never mutates."""
        record = self._record
        session.require_open(record)
        who = permissions.grantee(actor, self.role_of(actor))
        permissions.require(cmd.name, who)
        if cmd.name in permissions.TARGETED:
            permissions.require_revoker(who, session.holder_kind(record, cmd.args["holder"]))
        session.require_stage(record, cmd.name)
        rooms_decider = rooms_record.DECIDE.get(cmd.name)
        args = cmd.args
        if cmd.name == "ballot.open":  # who is interactive lives on the desk, not in the record
            args = {**args, "interactive": sorted(self._desk.stage.interactive)}
        if rooms_decider is not None:
            facts = rooms_decider(record, args, actor, now)
        else:
            facts = moderation_desk.DECIDE[cmd.name](self._desk, record, cmd.args, actor, now)
        if cmd.name == "session.close":
            facts = self._desk.wind_up() + facts
        return [Event(kind, data, actor=actor.id, at=now, key=cmd.key) for kind, data in facts]

    def apply(self, event: RecordedEvent) -> None:
        """Fold one logged event; its seq must follow the current version."""
        if event.seq != self.version + 1:
            raise ValueError(f"event seq {event.seq} does not follow version {self.version}")
        rooms_applier = rooms_record.APPLY.get(event.type)
        if rooms_applier is not None:
            rooms_applier(self._record, event.data, event.at)
        desk_applier = moderation_desk.APPLY.get(event.type)
        if desk_applier is not None:
            desk_applier(self._desk, event.data, event.at)
        self.version = event.seq
        if event.key is not None:
            self._keys[(event.actor, event.key)] = event.seq

    def drop(self, paper: Paper) -> None:
        """Fold a secret ballot's paper (stored beside the log, not in it)."""
        ballot.drop(self._record, paper)

    def short_boxes(self) -> list[str]:
        """Open secret ballots whose box lags their roll: the shell refills them from the store."""
        return self._record.ballots.short_boxes()

    def refill(self, ballot_id: str, papers: Iterable[Paper]) -> None:
        self._record.ballots.by_id[ballot_id].refill(papers)

    def ballot_status(self, ballot_id: str) -> str | None:
        """"open" or "closed" for a secret ballot; None for any other id."""
        found = self._record.ballots.by_id.get(ballot_id)
        return found.status if found is not None and found.secret else None

    def going_up(self, events: Iterable[RecordedEvent], head: str, count: int) -> list[dict[str, Any]]:
        """The proposals this session carries to the next level (``events``: the log folded here)."""
        return carry.going_up(self._record, events, head, count)

    def carried_from(self, origin: str) -> list[dict[str, Any]]:
        """Where the proposals carried here from session ``origin`` stand."""
        return carry.onward(self._record, origin)

    def applied_key(self, actor_id: str, key: str) -> int | None:
        return self._keys.get((actor_id, key))

    def role_of(self, actor: Actor) -> Role | None:
        """The actor's role here; None when not part of this session (unknown village, admin)."""
        if actor.kind is not Kind.VILLAGE:
            return _KIND_ROLES.get(actor.kind)
        code = actor.village or actor.id
        if code not in self._record.villages:
            return None
        return Role.INTERACTIVE if code in self._desk.stage.interactive else Role.VIEWONLY

    def is_revoked(self, credential_id: str, holder: str, generation: int) -> bool:
        """Whether the log refuses this credential: revoked by id, or older than its holder's generation."""
        return credential_id in self._record.revoked or generation < self._record.generations.get(holder, 0)

    def generation(self, holder: str) -> int:
        """The generation a credential of ``holder`` issued now must carry."""
        return self._record.generations.get(holder, 0)

    def holder_kind(self, holder: str) -> Kind | None:
        return session.holder_kind(self._record, holder)

    @property
    def status(self) -> str:
        return self._record.session.status

    def village(self, code: str) -> Village | None:
        return self._record.villages.get(code)

    def photo_of(self, photo_id: str) -> str | None:
        """The proposal a photo now belongs to; None when no proposal holds it (never, or removed)."""
        return self._record.board.photo_owner.get(photo_id)

    def snapshot(self, audience: str) -> dict[str, Any]:
        return {"version": self.version, **self.read_models(READ_MODELS, audience)}

    def read_models(self, names: Iterable[str], audience: str) -> dict[str, Any]:
        who = Audience.parse(audience)
        return {name: READ_MODELS[name](self, who) for name in names}

    @staticmethod
    def touched(events: Iterable[Event | RecordedEvent]) -> set[str]:
        return set().union(*(TOUCHES.get(e.type, frozenset()) for e in events))

    @staticmethod
    def touched_rows(events: Iterable[Event | RecordedEvent]) -> dict[str, set[str]]:
        """Row model → the ids of its rows these events change."""
        out: dict[str, set[str]] = {}
        for e in events:
            if e.type in ROW_TOUCHES:
                name, key = ROW_TOUCHES[e.type]
                out.setdefault(name, set()).add(e.data[key])
        return out

    def rows(self, name: str, ids: Collection[str]) -> dict[str, Any]:
        """Those rows of a row model, as its whole read model shows them (the same for every audience)."""
        return ROWS[name](self, ids)

    @property
    def floor_holder(self) -> str | None:
        return self._desk.floor.holder

    def media_plan(self) -> dict[str, Any]:
        stage_, floor_ = self._desk.stage, self._desk.floor
        return {
            "venue": self._record.session.venue,
            "floor": None if floor_.paused_at is not None else floor_.holder,  # a paused holder's media is gone
            "spotlight": stage_.spotlight,
            "screen": stage_.screen,
            "muted": sorted(stage_.muted),
            "interactive": sorted(stage_.interactive),
        }
