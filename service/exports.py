"""A session's tables for the next level, built from its read models, so they can never disagree
with the log: proposals in DU-RKP Desa column order and in a SIPD-shaped sheet, ballots (per village
on nominal ones; totals and turnout only on secret ones), attendance and the speaker log.

A sheet is built from the session's state and the hub's public address (the SIPD sheet links each
photo of a proposal, for the operator who enters it upward)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from moderation.assembly import Assembly
from service.photos import photo_path

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


def _titik(p: dict[str, Any]) -> tuple[Cell, Cell]:
    """Latitude and longitude, or nothing for a proposal without a map point."""
    point = p["lokasi"]["titik"]
    return (point["lat"], point["lng"]) if point else (None, None)


def _opd(p: dict[str, Any]) -> Cell:
    name: Cell = p["opd_name"] or p["opd"]  # a code the hub's list no longer names is shown as it is
    return name


def du_rkp_desa(assembly: Assembly, base_url: str = "") -> Sheet:
    """Proposals as the DU-RKP Desa form orders its columns (Permendagri 114/2014), then what the
    next level asks beyond the form: the problem, the map point, the OPD and how many photos."""
    board = _models(assembly)["board"]["proposals"]
    rows = [(n, p["village_name"], p["bidang_label"], p["title"], _lokasi(p), p["volume"], p["unit"],
             p["description"], p["cost"], p["sumber_dana_label"], p["scale"], p["status"], p["masalah"], *_titik(p),
             _opd(p), len(p["photos"]))
            for n, p in enumerate(board, start=1)]
    return Sheet("du_rkp_desa", ("No", "Desa", "Bidang", "Jenis kegiatan", "Lokasi", "Volume", "Satuan",
                                 "Sasaran/manfaat", "Perkiraan biaya (Rp)", "Sumber dana", "Skala", "Status",
                                 "Permasalahan", "Lintang", "Bujur", "OPD tujuan", "Foto"), rows)


def sipd(assembly: Assembly, base_url: str = "") -> Sheet:
    """Accepted proposals in the shape an operator enters into SIPD at the kecamatan: the problem, the
    address and map point, the OPD tujuan, and links to the photos to upload with it."""
    board = [p for p in _models(assembly)["board"]["proposals"] if p["status"] == "accepted"]
    sid = assembly.session_id
    rows = [(p["proposal"], p["kecamatan"], p["village_name"], p["masalah"], p["title"], p["description"],
             _lokasi(p), *_titik(p), _opd(p), p["bidang_label"], p["volume"], p["unit"], p["cost"],
             p["sumber_dana_label"], p["support"], len(p["photos"]),
             " ".join(base_url + photo_path(sid, ph["photo"]) for ph in p["photos"]) or None)
            for p in board]
    return Sheet("sipd", ("Kode usulan", "Kecamatan", "Desa", "Permasalahan", "Usulan", "Uraian", "Alamat",
                          "Lintang", "Bujur", "OPD tujuan", "Bidang", "Volume", "Satuan", "Anggaran (Rp)",
                          "Sumber dana", "Dukungan warga (saran)", "Foto", "Tautan foto"), rows)


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


Builder = Callable[[Assembly, str], Sheet]  # (the session's state, the hub's public base URL)


def _unlinked(build: Callable[[Assembly], Sheet]) -> Builder:
    return lambda assembly, _base_url: build(assembly)


SHEETS: dict[str, Builder] = {
    "du_rkp_desa": du_rkp_desa, "sipd": sipd, "ballots": _unlinked(ballots), "attendance": _unlinked(attendance),
    "speakers": _unlinked(speakers),
}
