"""A session's tables for the next level, built from its read models, so they can never disagree
with the log: proposals in DU-RKP Desa column order and in a SIPD-shaped sheet, ballots (per village
on nominal ones; totals and turnout only on secret ones), attendance and the speaker log."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from moderation.assembly import Assembly

Cell = str | int | float | None
WIB = timezone(timedelta(hours=7), "WIB")


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[str, ...]
    rows: Sequence[tuple[Cell, ...]]

    def as_records(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


def _models(assembly: Assembly) -> dict[str, Any]:
    return assembly.read_models(["board", "ballots", "attendance", "speaking", "roster"], "staff")


def _lokasi(p: dict[str, Any]) -> str:
    where = p["lokasi"]
    return f"Dusun {where['dusun']} RT {where['rt']} RW {where['rw']}"


def du_rkp_desa(assembly: Assembly) -> Sheet:
    """Proposals as the DU-RKP Desa form orders its columns (Permendagri 114/2014)."""
    board = _models(assembly)["board"]["proposals"]
    rows = [(n, p["village_name"], p["bidang_label"], p["title"], _lokasi(p), p["volume"], p["unit"],
             p["description"], p["cost"], p["sumber_dana_label"], p["scale"], p["status"])
            for n, p in enumerate(board, start=1)]
    return Sheet("du_rkp_desa", ("No", "Desa", "Bidang", "Jenis kegiatan", "Lokasi", "Volume", "Satuan",
                                 "Sasaran/manfaat", "Perkiraan biaya (Rp)", "Sumber dana", "Skala", "Status"), rows)


def sipd(assembly: Assembly) -> Sheet:
    """Accepted proposals in the shape an operator enters into SIPD at the kecamatan."""
    board = [p for p in _models(assembly)["board"]["proposals"] if p["status"] == "accepted"]
    rows = [(p["proposal"], p["kecamatan"], p["village_name"], p["title"], p["description"], _lokasi(p),
             p["bidang_label"], p["volume"], p["unit"], p["cost"], p["sumber_dana_label"], p["support"])
            for p in board]
    return Sheet("sipd", ("Kode usulan", "Kecamatan", "Desa", "Usulan", "Uraian", "Alamat", "Bidang", "Volume",
                          "Satuan", "Anggaran (Rp)", "Sumber dana", "Dukungan warga (saran)"), rows)


def ballots(assembly: Assembly) -> Sheet:
    """One row per option of every closed ballot with its points; on nominal ballots one row per
    village's choice as well. A secret ballot shows totals and turnout only."""
    rows: list[tuple[Cell, ...]] = []
    for b in _models(assembly)["ballots"]:
        kind = "rahasia" if b["secret"] else "terbuka"
        for tally in b["tallies"] or []:
            rows.append((b["ballot"], b["title"], kind, b["status"], b["turnout"], "opsi", tally["proposal"],
                         tally["points"]))
        for village, choice in (b.get("choices") or {}).items():  # present on nominal ballots only
            rows.append((b["ballot"], b["title"], kind, b["status"], b["turnout"], village, ", ".join(choice), None))
    return Sheet("ballots", ("Pemungutan", "Judul", "Jenis", "Status", "Jumlah pemilih", "Baris", "Pilihan",
                             "Poin"), rows)


def _wib(at: float | None) -> str | None:
    """A log time as Banyuwangi reads a clock (WIB, UTC+7)."""
    return None if at is None else datetime.fromtimestamp(at, WIB).strftime("%Y-%m-%d %H:%M:%S")


def attendance(assembly: Assembly) -> Sheet:
    rows = [(v["village"], v["name"], v["kecamatan"], "hadir" if v["present"] else "tidak", _wib(v["joined_at"]),
             _wib(v["left_at"]), (v["headcount"] or {}).get("total"), (v["headcount"] or {}).get("women"))
            for v in _models(assembly)["attendance"]["villages"]]
    return Sheet("attendance", ("Kode desa", "Desa", "Kecamatan", "Kehadiran", "Masuk (WIB)", "Keluar (WIB)",
                                "Jumlah hadir", "Perempuan"), rows)


def speakers(assembly: Assembly) -> Sheet:
    rows = [(v["village"], v["name"], v["kecamatan"], v["turns"], round(v["seconds"], 1))
            for v in _models(assembly)["speaking"]["villages"]]
    return Sheet("speakers", ("Kode desa", "Desa", "Kecamatan", "Giliran", "Lama bicara (detik)"), rows)


SHEETS: dict[str, Callable[[Assembly], Sheet]] = {
    "du_rkp_desa": du_rkp_desa, "sipd": sipd, "ballots": ballots, "attendance": attendance, "speakers": speakers,
}
