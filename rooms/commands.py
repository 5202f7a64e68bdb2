"""Commands: every name a participant may send, its payload schema (one table), and the parser."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rooms.delegates import MAX_DELEGATES
from rooms.errors import Invalid, UnknownCommand
from rooms.schema import Between, Choice, Field, Flag, ListOf, Nullable, Obj, Positive, Text, Whole, opt

# The five fields of village affairs (bidang) of Permendagri 20/2018 on village finance.
BIDANG = {
    "pemerintahan": "Penyelenggaraan Pemerintahan Desa",
    "pembangunan": "Pelaksanaan Pembangunan Desa",
    "pembinaan": "Pembinaan Kemasyarakatan Desa",
    "pemberdayaan": "Pemberdayaan Masyarakat Desa",
    "bencana": "Penanggulangan Bencana, Keadaan Darurat dan Mendesak Desa",
}
SUMBER_DANA = {
    "dd": "Dana Desa",
    "add": "Alokasi Dana Desa",
    "pades": "Pendapatan Asli Desa",
    "bhpr": "Bagi Hasil Pajak dan Retribusi",
    "bkk": "Bantuan Keuangan Kabupaten",
    "bkp": "Bantuan Keuangan Provinsi",
    "swadaya": "Swadaya Masyarakat",
    "lainnya": "Lainnya",
}
SCALES = ("desa", "kecamatan", "kabupaten", "provinsi", "pusat")
METHODS = ("approval", "borda")
ELECTORATES = ("all", "present", "interactive", "kecamatan")  # who may vote, fixed when a ballot opens
DEFAULT_FLOOR_SECONDS = 180

_CODE = Text(20)  # village codes: "35.10.13.2007"
_ID = Text(16)  # "U-001", "B-01", "A-01"
_RUPIAH = Whole(1, 10**15)
_SECONDS = Whole(1, 3600)
_POSITION = Whole(1, 1000)  # 1 = the front
_POINT = Obj({"lat": Field(Between(-90, 90)), "lng": Field(Between(-180, 180))})  # a map point, WGS 84 degrees


class _Keep:
    """What an edit leaves out: unchanged (an explicit null clears an optional field)."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()

PROPOSAL_FIELDS: dict[str, Field] = {
    "title": Field(Text(200)),
    "description": Field(Text(2000)),
    "bidang": Field(Choice(frozenset(BIDANG))),
    "masalah": opt(Nullable(Text(1000))),  # the problem it answers (SIPD's "permasalahan")
    "lokasi": Field(Obj({"dusun": Field(Text(100)), "rt": Field(Text(10)), "rw": Field(Text(10)),
                         "titik": opt(Nullable(_POINT))})),
    "volume": Field(Positive(1e9)),
    "unit": Field(Text(30)),
    "cost": Field(_RUPIAH),
    "sumber_dana": Field(Choice(frozenset(SUMBER_DANA))),
    "scale": Field(Choice(frozenset(SCALES))),
    "opd": opt(Nullable(Text(40))),  # OPD tujuan: a code of the hub's list (rooms.proposal.Rules.opd)
}

_village = {"village": Field(_CODE)}
_proposal = {"proposal": Field(_ID)}
_nothing: dict[str, Field] = {}

SCHEMAS: Mapping[str, Obj] = {
    name: Obj(fields)
    for name, fields in {
        "session.start": _nothing,
        "session.close": _nothing,
        "attendance.join": _village,
        "attendance.leave": _village,
        "attendance.headcount": {
            "total": Field(Whole(0, 100_000)),
            "women": Field(Whole(0, 100_000)),
            "village": opt(_CODE),
        },
        "agenda.add": {"title": Field(Text(200)), "minutes": opt(Whole(1, 1440))},
        "agenda.move": {"item": Field(_ID), "position": Field(_POSITION)},
        "agenda.open": {"item": Field(_ID)},
        "agenda.close": {"item": Field(_ID)},
        "proposal.submit": PROPOSAL_FIELDS,
        "proposal.edit": {**_proposal, **{k: opt(f.spec, KEEP) for k, f in PROPOSAL_FIELDS.items()}},
        "proposal.accept": _proposal,
        "proposal.merge": {**_proposal, "into": Field(_ID)},
        "proposal.reject": {**_proposal, "reason": Field(Text(500))},
        "proposal.photo_remove": {**_proposal, "photo": Field(_ID)},
        "ballot.open": {
            "title": Field(Text(200)),
            "method": Field(Choice(frozenset(METHODS))),
            "options": Field(ListOf(_ID, 2, 100, unique=True)),
            "max_choices": opt(Whole(1, 100)),
            "allow_change": opt(Flag(), True),
            "secret": opt(Flag(), False),
            "pagu": opt(_RUPIAH),
            "electorate": opt(Choice(frozenset(ELECTORATES)), "all"),
            "kecamatan": opt(ListOf(Text(8), 1, 100, unique=True)),  # codes, for electorate "kecamatan"
        },
        "ballot.cast": {"ballot": Field(_ID), "choice": Field(ListOf(_ID, 1, 100, unique=True))},
        "ballot.close": {"ballot": Field(_ID)},
        "support.give": _proposal,
        "hand.raise": {"point_of_order": opt(Flag(), False)},
        "hand.lower": _nothing,
        "queue.move": {**_village, "position": Field(_POSITION)},
        "queue.remove": _village,
        "floor.grant": {"village": opt(_CODE), "seconds": opt(_SECONDS, DEFAULT_FLOOR_SECONDS)},
        "floor.yield": _nothing,
        "floor.revoke": _nothing,
        "floor.extend": {"seconds": Field(_SECONDS)},
        "floor.pause": _village,
        "floor.resume": _village,
        "participant.mute": _village,
        "participant.unmute": _village,
        "spotlight.set": {"village": Field(Nullable(_CODE))},
        "screen.start": _nothing,
        "screen.stop": _nothing,
        "village.promote": _village,
        "village.demote": _village,
        "delegates.set": {"delegates": Field(ListOf(Obj({
            "name": Field(Text(120)),
            "village": opt(_CODE),
            "role": opt(Text(80)),  # e.g. "Kepala Desa", "BPD", "perwakilan perempuan"
        }), 0, MAX_DELEGATES))},
        "credential.revoke": {"holder": Field(Text(80))},  # "chair", "mod:<n>" or a village code
        "credential.reissue": {"holder": Field(Text(80))},
    }.items()
}
COMMAND_NAMES: frozenset[str] = frozenset(SCHEMAS)
# Commands no client sends: the hub's HTTP shell builds them after checking what they carry (a carry
# file's hash chain, for proposal.carry; a photo's files written, for proposal.photo_add), so the
# channel refuses them as unknown.
SHELL_COMMANDS: frozenset[str] = frozenset({"proposal.carry", "proposal.photo_add"})
_KEY = Text(64)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: Mapping[str, Any]  # every declared field; absent optional ones hold their default
    key: str | None  # idempotency key


def parse_command(name: object, payload: object) -> Command:
    """Validate a raw (name, JSON payload) pair; raises UnknownCommand or Invalid."""
    if not isinstance(name, str) or name not in SCHEMAS:
        raise UnknownCommand(f"Perintah tidak dikenal: {str(name)[:64]}")
    if not isinstance(payload, dict):
        raise Invalid("Data perintah harus berupa objek")
    fields = dict(payload)
    key = _KEY.check(fields.pop("key"), "key") if "key" in fields else None
    return Command(name, SCHEMAS[name].check(fields, ""), key)
