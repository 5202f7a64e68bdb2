"""The roster: which villages take part, in which kecamatan, and who gets video."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rooms.errors import Invalid

MAX_INTERACTIVE = 25  # interactive video seats at once (one per kecamatan in Banyuwangi)

_KECAMATAN_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}")
_VILLAGE_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.[12]\d{3}")  # 4th segment: 1xxx kelurahan, 2xxx desa
_COLUMNS = ("kecamatan_code", "kecamatan_name", "village_code", "village_name", "village_type")
_TYPES = {"desa", "kelurahan"}


@dataclass(frozen=True, slots=True)
class Village:
    code: str
    name: str
    kecamatan_code: str
    kecamatan_name: str
    type: str  # "desa" | "kelurahan"
    pagu: int | None = None  # pagu indikatif (budget ceiling, Rupiah), when the roster gives one

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Village:
        return cls(**data)


def parse_roster_csv(text: str) -> list[Village]:
    """Villages from the wilayah CSV (optional ``pagu`` column); Invalid names the bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in _COLUMNS if c not in header]
    if missing:
        raise Invalid(f"Baris 1: kolom tidak ada: {', '.join(missing)}")
    villages: list[Village] = []
    seen: set[str] = set()
    kecamatan: dict[str, str] = {}
    for row in reader:
        line = reader.line_num
        try:
            village = _village(row)
        except Invalid as err:
            raise Invalid(f"Baris {line}: {err.message}") from None
        if village.code in seen:
            raise Invalid(f"Baris {line}: kode desa ganda {village.code}")
        if kecamatan.setdefault(village.kecamatan_code, village.kecamatan_name) != village.kecamatan_name:
            raise Invalid(f"Baris {line}: nama kecamatan {village.kecamatan_code} tidak konsisten")
        seen.add(village.code)
        villages.append(village)
    if not villages:
        raise Invalid("Daftar desa kosong")
    return villages


def _village(row: Mapping[str, str | None]) -> Village:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    kec_code, code, kind = cell("kecamatan_code"), cell("village_code"), cell("village_type")
    if not _KECAMATAN_CODE.fullmatch(kec_code):
        raise Invalid(f"kode kecamatan tidak sah: {kec_code!r}")
    if not _VILLAGE_CODE.fullmatch(code) or not code.startswith(kec_code + "."):
        raise Invalid(f"kode desa tidak sah: {code!r}")
    if kind not in _TYPES:
        raise Invalid(f"jenis desa tidak sah: {kind!r}")
    names = cell("kecamatan_name"), cell("village_name")
    if not all(names) or any(len(n) > 100 for n in names):
        raise Invalid("nama desa/kecamatan kosong atau terlalu panjang")
    raw_pagu = cell("pagu")
    pagu = None
    if raw_pagu:
        if not raw_pagu.isdigit() or int(raw_pagu) <= 0:
            raise Invalid(f"pagu harus bilangan bulat positif: {raw_pagu!r}")
        pagu = int(raw_pagu)
    return Village(code, names[1], kec_code, names[0], kind, pagu)


def pick_interactive(villages: Sequence[Village], venue: str) -> list[str]:
    """One village per kecamatan: the venue in its own; elsewhere the namesake village, else the first."""
    by_kecamatan: dict[str, list[Village]] = {}
    for v in villages:
        by_kecamatan.setdefault(v.kecamatan_code, []).append(v)
    if not any(v.code == venue for v in villages):
        raise Invalid(f"Tempat sidang {venue} tidak ada di daftar desa")
    picked = []
    for members in by_kecamatan.values():
        namesake = [v for v in members if v.name.casefold() == v.kecamatan_name.casefold()]
        chosen = next((v for v in members if v.code == venue), None) or (namesake or members)[0]
        picked.append(chosen.code)
    return picked
