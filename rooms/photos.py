"""Photos of a proposal's location: at most ``MAX_PHOTOS`` each, within a total size per village.

The hub re-encodes an upload and writes its files before it sends ``proposal.photo_add`` for the
village (a shell command: the channel refuses it), so the log records only a photo that is on disk: its id, the
SHA-256 of the stored file, its size and its dimensions. The proposal's village adds photos while the
proposal is in play; that village or staff remove one (a photo that should not be shown).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor, Kind
from rooms.errors import Conflict, Forbidden, NotFound, PhotoQuota, TooManyPhotos
from rooms.facts import Fact, acting_village, find

if TYPE_CHECKING:
    from rooms.record import Applier, Decider, Record

MAX_PHOTOS = 3  # per proposal
PHOTO_QUOTA = 25 * 1024 * 1024  # stored bytes per village (photos and thumbnails), unless the hub says otherwise
_KEPT = ("photo", "sha256", "bytes", "thumb_bytes", "width", "height")


@dataclass(frozen=True, slots=True)
class Photo:
    id: str
    sha256: str  # of the stored (re-encoded) file
    bytes: int
    thumb_bytes: int
    width: int
    height: int

    @property
    def stored(self) -> int:
        return self.bytes + self.thumb_bytes


def used(record: Record, village: str) -> int:
    """Bytes the village's photos take on disk, over all its proposals (a screened-out one's too)."""
    return sum(ph.stored for p in record.board.proposals.values() if p.village == village for ph in p.photos.values())


def _add(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    proposal = find(record.board.proposals, args["proposal"], "Usulan")
    if proposal.village != acting_village(actor, None):
        raise Forbidden("Hanya desa pengusul yang dapat menambah foto usulan ini")
    if not proposal.in_play:
        raise Conflict(f"Usulan {proposal.id} sudah {proposal.status}")
    if args["photo"] in proposal.photos:
        raise Conflict(f"Foto {args['photo']} sudah tercatat")
    if len(proposal.photos) >= MAX_PHOTOS:
        raise TooManyPhotos(f"Satu usulan paling banyak {MAX_PHOTOS} foto")
    quota = record.board.rules.photo_quota
    if used(record, proposal.village) + args["bytes"] + args["thumb_bytes"] > quota:
        raise PhotoQuota(f"Foto desa ini sudah mencapai batas {quota // (1024 * 1024)} MB")
    return [("proposal.photo_added", {"proposal": proposal.id, **{k: args[k] for k in _KEPT}})]


def _remove(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    proposal = find(record.board.proposals, args["proposal"], "Usulan")
    if actor.kind is Kind.VILLAGE and proposal.village != acting_village(actor, None):
        raise Forbidden("Hanya desa pengusul atau moderator yang dapat menghapus foto usulan ini")
    if args["photo"] not in proposal.photos:
        raise NotFound(f"Foto {args['photo']} tidak ditemukan")
    return [("proposal.photo_removed", {"proposal": proposal.id, "photo": args["photo"]})]


def _on_added(record: Record, data: Mapping[str, Any], at: float) -> None:
    photo = Photo(data["photo"], data["sha256"], data["bytes"], data["thumb_bytes"], data["width"], data["height"])
    record.board.proposals[data["proposal"]].photos[photo.id] = photo
    record.board.photo_owner[photo.id] = data["proposal"]


def _on_removed(record: Record, data: Mapping[str, Any], at: float) -> None:
    del record.board.proposals[data["proposal"]].photos[data["photo"]]
    del record.board.photo_owner[data["photo"]]


DECIDE: dict[str, Decider] = {"proposal.photo_add": _add, "proposal.photo_remove": _remove}
APPLY: dict[str, Applier] = {"proposal.photo_added": _on_added, "proposal.photo_removed": _on_removed}


def view(photos: Mapping[str, Photo]) -> list[dict[str, Any]]:
    """A proposal's photos as its board row shows them (the pages build the URLs from the ids)."""
    return [{"photo": p.id, "width": p.width, "height": p.height} for p in photos.values()]
