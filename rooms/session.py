"""Session lifecycle: draft → live → closed, and the events that open a session's log."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor, Kind
from rooms.errors import Conflict, Forbidden, Invalid, NotFound, NotLive, SessionClosed
from rooms.events import Event
from rooms.facts import Fact
from rooms.roster import MAX_INTERACTIVE, Village
from rooms.schema import Text

if TYPE_CHECKING:
    from rooms.record import Applier, Decider, Record

DRAFT, LIVE, CLOSED = "draft", "live", "closed"
# The musrenbang's tier: a desa session's ranked proposals go up to a kecamatan one, and on to the kabupaten.
DESA, KECAMATAN, KABUPATEN = LEVELS = ("desa", "kecamatan", "kabupaten")

# A draft session takes preparation only; everything else waits for session.start.
DRAFT_COMMANDS = frozenset(
    {
        "session.start", "session.close",
        "attendance.join", "attendance.leave", "attendance.headcount",
        "agenda.add", "agenda.move",
        "proposal.submit", "proposal.edit", "proposal.accept", "proposal.merge", "proposal.reject",
        "proposal.carry", "proposal.photo_add", "proposal.photo_remove", "support.give",
        "participant.mute", "participant.unmute", "spotlight.set", "village.promote", "village.demote",
        "credential.revoke", "credential.reissue",
    }
)  # fmt: skip


@dataclass
class SessionInfo:
    title: str = ""
    status: str = ""  # "" until session.created is folded
    venue: str = ""
    level: str = DESA
    created_at: float | None = None
    started_at: float | None = None
    closed_at: float | None = None


def create_session(
    title: str, villages: Sequence[Village], venue: str, interactive: Sequence[str], actor: Actor, now: float,
    level: str = DESA,
) -> list[Event]:
    """The events that open a session's log; Invalid on a bad roster, venue or interactive list."""
    if actor.kind not in (Kind.ADMIN, Kind.CHAIR):
        raise Forbidden("Hanya operator atau pimpinan sidang yang dapat membuat sesi")
    clean_title = Text(200).check(title, "title")
    if level not in LEVELS:
        raise Invalid(f"level: harus salah satu dari {', '.join(LEVELS)}")
    codes = [v.code for v in villages]
    if not codes:
        raise Invalid("Daftar desa kosong")
    if len(set(codes)) != len(codes):
        raise Invalid("Kode desa ganda di daftar")
    known = set(codes)
    if venue not in known:
        raise Invalid(f"Tempat sidang {venue} tidak ada di daftar desa")
    unknown = [c for c in interactive if c not in known]
    if unknown:
        raise Invalid(f"Desa interaktif tidak ada di daftar: {', '.join(unknown[:5])}")
    if len(set(interactive)) != len(interactive):
        raise Invalid("Desa interaktif ganda")
    if len(interactive) > MAX_INTERACTIVE:
        raise Invalid(f"Paling banyak {MAX_INTERACTIVE} desa interaktif")
    data = {
        "title": clean_title,
        "level": level,
        "venue": venue,
        "villages": [v.to_data() for v in villages],
        "interactive": list(interactive),
    }
    return [Event("session.created", data, actor=actor.id, at=now)]


def require_open(record: Record) -> None:
    """Refuse every command before the session exists and after it is closed."""
    if not record.session.status:
        raise NotFound("Sesi belum dibuat")
    if record.session.status == CLOSED:
        raise SessionClosed("Sesi sudah ditutup")


def require_stage(record: Record, command: str) -> None:
    """Refuse what a draft session does not take yet."""
    if record.session.status == DRAFT and command not in DRAFT_COMMANDS:
        raise NotLive("Sesi belum dimulai")


def _start(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    if record.session.status != DRAFT:
        raise Conflict("Sesi sudah berjalan")
    return [("session.started", {})]


def _close(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    """Close the session, first closing whatever is still open (ballots count as they stand)."""
    facts = [record.ballots.closing_fact(b, record) for b in record.ballots.open_ones()]
    if record.agenda.current is not None:
        facts.append(("agenda.item_closed", {"item": record.agenda.current}))
    return [*facts, ("session.closed", {})]


_MODERATOR_ID = re.compile(r"^mod:[A-Za-z0-9_-]{1,40}$")


def holder_kind(record: Record, holder: str) -> Kind | None:
    """Whose credentials ``holder`` names in this session: the chair, a moderator, a village; else None."""
    if holder == "chair":
        return Kind.CHAIR
    if _MODERATOR_ID.match(holder):
        return Kind.MODERATOR
    return Kind.VILLAGE if holder in record.villages else None


def _revoke(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    """Refuse every credential the holder has so far; a re-issued one carries the next generation."""
    holder = args["holder"]
    if holder_kind(record, holder) is None:
        raise NotFound("Peserta tidak dikenal di sesi ini")
    return [("credential.revoked", {"holder": holder, "generation": record.generations.get(holder, 0) + 1})]


def _created(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.villages = {v["code"]: Village.from_data(v) for v in data["villages"]}
    # logs from before levels were desa sessions
    record.session = SessionInfo(data["title"], DRAFT, data["venue"], data.get("level", DESA), created_at=at)


def _started(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.session.status, record.session.started_at = LIVE, at


def _closed(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.session.status, record.session.closed_at = CLOSED, at


def _revoked(record: Record, data: Mapping[str, Any], at: float) -> None:
    if "credential" in data:  # one credential by id, as logs written before holder generations say
        record.revoked.add(data["credential"])
    else:
        record.generations[data["holder"]] = data["generation"]


DECIDE: dict[str, Decider] = {"session.start": _start, "session.close": _close,
                              "credential.revoke": _revoke, "credential.reissue": _revoke}
APPLY: dict[str, Applier] = {
    "session.created": _created,
    "session.started": _started,
    "session.closed": _closed,
    "credential.revoked": _revoked,
}


def view(record: Record) -> dict[str, Any]:
    s = record.session
    venue = record.villages.get(s.venue)
    current = record.agenda.current
    return {
        "id": record.session_id,
        "title": s.title,
        "status": s.status,
        "level": s.level,
        "venue": {"code": s.venue, "name": venue.name if venue else ""},
        "current_item": record.agenda.item_view(current) if current else None,
        "created_at": s.created_at,
        "started_at": s.started_at,
        "closed_at": s.closed_at,
    }
