"""The OPD list: the regency's agencies (organisasi perangkat daerah) a proposal may be meant for.

A hub setting, read from a CSV with the columns ``code,name`` (``server/data/opd.csv`` by default).
A proposal keeps the code; its row shows the name the list gives it now.
"""

from __future__ import annotations

import csv
import io
import re

from rooms.errors import Invalid

_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # fits the proposal field (rooms.commands: Text(40))


def parse_opd_csv(text: str) -> dict[str, str]:
    """code → name, in the file's order; Invalid names the bad line."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not {"code", "name"} <= set(reader.fieldnames or []):
        raise Invalid("Baris 1: kolom code dan name wajib ada")
    agencies: dict[str, str] = {}
    for row in reader:
        code, name = (row.get("code") or "").strip(), (row.get("name") or "").strip()
        if not _CODE.fullmatch(code) or not name or len(name) > 200:
            raise Invalid(f"Baris {reader.line_num}: kode (a-z, 0-9, '-') dan nama OPD wajib diisi")
        if code in agencies:
            raise Invalid(f"Baris {reader.line_num}: kode OPD ganda {code}")
        agencies[code] = name
    return agencies
