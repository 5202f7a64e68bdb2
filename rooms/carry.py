"""Carry-up: the proposals a musrenbang ranked go on to the next level's session. Pure.

desa → kecamatan → kabupaten. :func:`going_up` is what a session sends up: its accepted proposals that
a closed ballot ranked above the pagu's line (the last closed ballot that ranked one decides), each with
its history in this session's log and its votes. The shell puts them in a carry file beside the log;
at the next level it recomputes the file's hash chain and folds the file's log again, and only then
sends ``proposal.carry`` with what that log says. Here they land as submitted proposals of the
villages they came from (to be screened and voted again), each keeping its lineage: one hop per level
passed, with that level's session, proposal id, log head, history and votes. A proposal is carried
once: its origin (session, proposal) is looked up among the lineages already on the board.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor
from rooms.commands import SCHEMAS
from rooms.errors import AlreadyCarried, Conflict, Invalid, LevelMismatch, NothingToCarry
from rooms.events import RecordedEvent
from rooms.facts import Fact
from rooms.proposal import ACCEPTED, Proposal, stored_fields
from rooms.session import DESA, KABUPATEN, KECAMATAN

if TYPE_CHECKING:
    from rooms.record import Applier, Decider, Record

FEEDS = {DESA: KECAMATAN, KECAMATAN: KABUPATEN}  # a level → the level its results go up to
RANKED = "ranked"  # an accepted proposal a closed ballot has ranked: the furthest a level takes it
_HISTORY = frozenset({"proposal.submitted", "proposal.edited", "proposal.accepted", "proposal.merged",
                      "proposal.rejected", "proposal.carried"})


def _votes(record: Record, proposal_id: str) -> list[dict[str, Any]]:
    """Every closed ballot that ranked the proposal, in closing order: its result row, the turnout, and
    on a nominal ballot the villages that chose it (a secret one has totals only)."""
    out = []
    closed = sorted((b for b in record.ballots.by_id.values() if b.result is not None),
                    key=lambda b: (b.closed_at or 0.0, b.id))
    for b in closed:
        row = next((r for r in b.result or () if r["proposal"] == proposal_id), None)
        if row is None:
            continue
        out.append({"ballot": b.id, "title": b.title, "method": b.method, "secret": b.secret, "pagu": b.pagu,
                    "options": len(b.options), "turnout": len(b.roll), "electorate": len(b.electorate["villages"]),
                    "rank": row["rank"], "points": row["points"], "voters": row["voters"], "fits": row["fits"],
                    "chosen_by": None if b.secret else sorted(v for v, c in b.votes.items() if proposal_id in c)})
    return out


def _histories(events: Iterable[RecordedEvent], ids: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Each proposal's events in this log (merges into it included), in one pass over the log."""
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in ids}
    for e in events:
        if e.type not in _HISTORY:
            continue
        data = {k: v for k, v in e.data.items() if k != "lineage"}  # a carried one's lineage travels apart
        for target in {e.data.get("proposal"), e.data.get("into")} & ids:
            out[str(target)].append({"seq": e.seq, "type": e.type, "at": e.at, "actor": e.actor, "data": data})
    return out


def going_up(record: Record, events: Iterable[RecordedEvent], head: str, count: int) -> list[dict[str, Any]]:
    """What this session carries to the next level, ordered by ballot and rank; ``events`` is the log
    that folded into ``record``, ``head`` and ``count`` its last hash and length."""
    level = record.session.level
    if level not in FEEDS:
        raise Conflict("Sidang tingkat kabupaten tidak membawa usulan ke tingkat lain", "no_next_level")
    picked: list[tuple[Proposal, list[dict[str, Any]]]] = []
    for p in record.board.proposals.values():
        votes = _votes(record, p.id) if p.status == ACCEPTED else []
        if votes and votes[-1]["fits"] is not False:  # below the pagu's line stays at this level
            picked.append((p, votes))
    picked.sort(key=lambda pv: (pv[1][-1]["ballot"], pv[1][-1]["rank"]))
    histories = _histories(events, {p.id for p, _ in picked})
    hop = {"level": level, "session": record.session_id, "title": record.session.title, "head": head, "count": count}
    return [{"village": p.village, "fields": dict(p.fields), "lineage": [*p.lineage, {
        **hop, "proposal": p.id, "ballot": votes[-1]["ballot"], "rank": votes[-1]["rank"],
        "support": len(p.supporters), "history": histories[p.id], "votes": votes}]}
        for p, votes in picked]


def _origin(hop: Mapping[str, Any]) -> tuple[str, str]:
    return hop["session"], hop["proposal"]


def _carry(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    """Take a lower session's proposals (verified by the shell): new ones of this session's villages."""
    rows: list[Mapping[str, Any]] = args["proposals"]
    origins = {(r["lineage"][-1]["session"], r["lineage"][-1]["level"]) for r in rows}
    if len(origins) != 1:
        raise Invalid("proposals: satu berkas membawa usulan dari satu sidang")
    [(origin, level)] = origins
    if origin == record.session_id:
        raise Invalid("Sidang tidak dapat membawa usulannya sendiri")
    if FEEDS.get(level) != record.session.level:
        raise LevelMismatch(f"Usulan sidang tingkat {level} tidak naik ke sidang tingkat {record.session.level}")
    ours = [r for r in rows if r["village"] in record.villages]  # the others go to their own kecamatan
    if not ours:
        raise NothingToCarry("Tidak ada usulan dari desa peserta sidang ini")
    taken = {_origin(p.lineage[-1]) for p in record.board.proposals.values() if p.lineage}
    fresh = [r for r in ours if _origin(r["lineage"][-1]) not in taken]
    if not fresh:
        raise AlreadyCarried("Usulan dari berkas ini sudah dibawa ke sidang ini")
    # the fields come from another session's log: held to the form's rules, as a submitted proposal's are
    fields = [SCHEMAS["proposal.submit"].check(r["fields"], "fields") for r in fresh]
    first = len(record.board.proposals) + 1
    return [("proposal.carried", {"proposal": f"U-{n:03d}", "village": r["village"], "fields": f,
                                  "lineage": list(r["lineage"])})
            for n, (r, f) in enumerate(zip(fresh, fields, strict=True), start=first)]


def _on_carried(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.board.proposals[data["proposal"]] = Proposal(
        data["proposal"], data["village"], stored_fields(data["fields"]), at, at,
        lineage=[dict(h) for h in data["lineage"]])


def onward(record: Record, origin: str) -> list[dict[str, Any]]:
    """Where this session's proposals carried from session ``origin`` stand here, by their origin id."""
    out = []
    for p in record.board.proposals.values():
        if not p.lineage or p.lineage[-1]["session"] != origin:
            continue
        votes = _votes(record, p.id)
        last = votes[-1] if votes else None
        out.append({"proposal": p.lineage[-1]["proposal"], "village": p.village, "here": p.id,
                    "session": record.session_id, "title": record.session.title, "level": record.session.level,
                    "status": RANKED if p.status == ACCEPTED and last else p.status,
                    "rank": last["rank"] if last else None, "fits": last["fits"] if last else None,
                    "reject_reason": p.reject_reason, "merged_into": p.merged_into})
    return out


DECIDE: dict[str, Decider] = {"proposal.carry": _carry}
APPLY: dict[str, Applier] = {"proposal.carried": _on_carried}
