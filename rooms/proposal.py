"""Proposals (usulan) in the DU-RKP Desa shape, their screening, and citizens' (advisory) support.

Lifecycle: submitted → accepted | merged (into a submitted or accepted one) | rejected (with a
reason). Only the submitting village edits, and only while submitted.

Limit. A village has at most ``Rules.limit`` proposals in play (submitted or accepted) at once, so
one village cannot flood the board; screening one out (rejected, merged) frees its place, which
keeps the board's size in the moderators' hands. The limit is the hub's setting, not the log's, as
are the OPD list a proposal's ``opd`` must come from and the villages' photo quota.

Fields added later (``masalah``, ``opd``, ``lokasi.titik``) are optional: a log written before them
folds to proposals that hold none.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rooms import photos as proposal_photos
from rooms.actors import Actor
from rooms.commands import BIDANG, KEEP, PROPOSAL_FIELDS, SUMBER_DANA
from rooms.errors import AlreadySupported, Conflict, Forbidden, Invalid, ProposalLimit, UnknownOpd
from rooms.facts import Fact, acting_village, find
from rooms.photos import PHOTO_QUOTA, Photo

if TYPE_CHECKING:
    from rooms.record import Applier, Decider, Record

SUBMITTED, ACCEPTED, MERGED, REJECTED = "submitted", "accepted", "merged", "rejected"
_IN_PLAY = (SUBMITTED, ACCEPTED)  # take support, and count against their village's limit
PROPOSAL_LIMIT = 30  # proposals in play per village, unless the hub is configured otherwise


@dataclass
class Proposal:
    id: str
    village: str
    fields: dict[str, Any]  # the PROPOSAL_FIELDS values
    submitted_at: float
    updated_at: float
    status: str = SUBMITTED
    merged_into: str | None = None
    reject_reason: str | None = None
    supporters: set[str] = field(default_factory=set)  # public browser ids; shown as a count only
    lineage: list[dict[str, Any]] = field(default_factory=list)  # carried up: the levels it passed (rooms.carry)
    photos: dict[str, Photo] = field(default_factory=dict)  # by id, in the order they came

    @property
    def cost(self) -> int:
        cost: int = self.fields["cost"]
        return cost

    @property
    def in_play(self) -> bool:
        return self.status in _IN_PLAY


@dataclass(frozen=True)
class Rules:
    """The hub's settings for proposals (not the log's): the same log folds the same under any."""

    limit: int = PROPOSAL_LIMIT  # per village, in play at once
    opd: Mapping[str, str] = field(default_factory=dict)  # OPD code → name; empty: no OPD may be named
    photo_quota: int = PHOTO_QUOTA  # stored photo bytes per village


DEFAULT_RULES = Rules()


@dataclass
class Board:
    proposals: dict[str, Proposal] = field(default_factory=dict)
    rules: Rules = DEFAULT_RULES
    photo_owner: dict[str, str] = field(default_factory=dict)  # photo id → its proposal (a public GET asks)


def _submitted_one(record: Record, proposal_id: str) -> Proposal:
    proposal = find(record.board.proposals, proposal_id, "Usulan")
    if proposal.status != SUBMITTED:
        raise Conflict(f"Usulan {proposal.id} sudah {proposal.status}")
    return proposal


def _submit(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    board, village = record.board, acting_village(actor, None)
    in_play = sum(1 for p in board.proposals.values() if p.village == village and p.status in _IN_PLAY)
    limit = board.rules.limit
    if in_play >= limit:
        raise ProposalLimit(f"Desa ini sudah mempunyai {in_play} usulan yang sedang berjalan (batas {limit})")
    _check_opd(board, args["opd"])
    proposal = f"U-{len(board.proposals) + 1:03d}"
    return [("proposal.submitted", {"proposal": proposal, "village": village, **args})]


def _edit(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    proposal = find(record.board.proposals, args["proposal"], "Usulan")
    if proposal.village != acting_village(actor, None):
        raise Forbidden("Hanya desa pengusul yang dapat mengubah usulan")
    _submitted_one(record, proposal.id)
    changes = {k: v for k, v in args.items() if k in PROPOSAL_FIELDS and v is not KEEP}
    if not changes:
        raise Invalid("Tidak ada yang diubah")
    _check_opd(record.board, changes.get("opd"))
    return [("proposal.edited", {"proposal": proposal.id, "changes": changes})]


def _check_opd(board: Board, code: str | None) -> None:
    if code is not None and code not in board.rules.opd:
        raise UnknownOpd(f"opd: {code[:40]} tidak ada di daftar OPD hub ini")


def _accept(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    return [("proposal.accepted", {"proposal": _submitted_one(record, args["proposal"]).id})]


def _merge(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    source = _submitted_one(record, args["proposal"])
    target = find(record.board.proposals, args["into"], "Usulan")
    if target.id == source.id:
        raise Invalid("into: usulan tidak dapat digabung ke dirinya sendiri")
    if target.status not in (SUBMITTED, ACCEPTED):
        raise Conflict(f"Usulan {target.id} sudah {target.status}")
    return [("proposal.merged", {"proposal": source.id, "into": target.id})]


def _reject(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    source = _submitted_one(record, args["proposal"])
    return [("proposal.rejected", {"proposal": source.id, "reason": args["reason"]})]


def _support(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    proposal = find(record.board.proposals, args["proposal"], "Usulan")
    if proposal.status not in _IN_PLAY:
        raise Conflict(f"Usulan {proposal.id} sudah {proposal.status}")
    if actor.id in proposal.supporters:
        raise AlreadySupported("Dukungan dari peramban ini sudah tercatat")
    return [("support.given", {"proposal": proposal.id, "supporter": actor.id})]


def _on_submitted(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.board.proposals[data["proposal"]] = Proposal(data["proposal"], data["village"], stored_fields(data), at, at)


def stored_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """A proposal's fields as an event holds them; a log written before the optional ones lacks them."""
    return {k: data.get(k) for k in PROPOSAL_FIELDS}


def _on_edited(record: Record, data: Mapping[str, Any], at: float) -> None:
    proposal = record.board.proposals[data["proposal"]]
    proposal.fields.update(data["changes"])
    proposal.updated_at = at


def _on_accepted(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.board.proposals[data["proposal"]].status = ACCEPTED


def _on_merged(record: Record, data: Mapping[str, Any], at: float) -> None:
    proposal = record.board.proposals[data["proposal"]]
    proposal.status, proposal.merged_into = MERGED, data["into"]


def _on_rejected(record: Record, data: Mapping[str, Any], at: float) -> None:
    proposal = record.board.proposals[data["proposal"]]
    proposal.status, proposal.reject_reason = REJECTED, data["reason"]


def _on_supported(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.board.proposals[data["proposal"]].supporters.add(data["supporter"])


DECIDE: dict[str, Decider] = {
    "proposal.submit": _submit,
    "proposal.edit": _edit,
    "proposal.accept": _accept,
    "proposal.merge": _merge,
    "proposal.reject": _reject,
    "support.give": _support,
}
APPLY: dict[str, Applier] = {
    "proposal.submitted": _on_submitted,
    "proposal.edited": _on_edited,
    "proposal.accepted": _on_accepted,
    "proposal.merged": _on_merged,
    "proposal.rejected": _on_rejected,
    "support.given": _on_supported,
}


def view(record: Record) -> dict[str, Any]:
    return {"proposals": [_row(record, p) for p in record.board.proposals.values()]}


def rows(record: Record, ids: Collection[str]) -> list[dict[str, Any]]:
    """The rows of the board ``view`` shows for these proposals, in board order."""
    return [_row(record, p) for p in record.board.proposals.values() if p.id in ids]


def _row(record: Record, p: Proposal) -> dict[str, Any]:
    village = record.villages[p.village]
    return {
        "proposal": p.id,
        **p.fields,
        "lokasi": {"titik": None, **p.fields["lokasi"]},
        "opd_name": record.board.rules.opd.get(p.fields["opd"]) if p.fields["opd"] else None,
        "bidang_label": BIDANG[p.fields["bidang"]],
        "sumber_dana_label": SUMBER_DANA[p.fields["sumber_dana"]],
        "village": p.village,
        "village_name": village.name,
        "kecamatan": village.kecamatan_name,
        "status": p.status,
        "merged_into": p.merged_into,
        "reject_reason": p.reject_reason,
        "submitted_at": p.submitted_at,
        "updated_at": p.updated_at,
        "support": len(p.supporters),  # advisory; never part of a ballot tally
        # where a carried proposal comes from (its history and votes stay in the record, not on the board)
        "carried_from": {k: p.lineage[-1][k] for k in ("level", "session", "title", "proposal", "rank")}
        if p.lineage else None,
        "photos": proposal_photos.view(p.photos),
    }
