"""A sample session: the real Banyuwangi roster (or a few of its kecamatan), its venue, a proposal."""

from __future__ import annotations

from typing import Any

from server.provision import banyuwangi_roster

ROSTER_CSV = banyuwangi_roster()
VENUE = "35.10.13.2007"  # Bubuk, Rogojampi


def small_roster(kecamatan: tuple[str, ...] = ("35.10.13", "35.10.01", "35.10.02")) -> str:
    """The real roster cut to a few kecamatan: fast to fold, still the real codes and names."""
    lines = ROSTER_CSV.strip().splitlines()
    return "\n".join([lines[0]] + [ln for ln in lines[1:] if ln.split(",")[0] in kecamatan]) + "\n"


def usulan(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "title": "Rabat beton jalan dusun",
        "description": "Jalan lingkungan sepanjang 200 m rusak berat",
        "bidang": "pembangunan",
        "lokasi": {"dusun": "Krajan", "rt": "002", "rw": "001"},
        "volume": 200,
        "unit": "m",
        "cost": 150_000_000,
        "sumber_dana": "dd",
        "scale": "desa",
    }
    return {**fields, **changes}
