"""The berita acara (formal minutes) of a session as content: sections of paragraphs and tables in
Indonesian, composed from the session's read models and its log, so the minutes can never disagree
with what happened. Laying it out on paper is the shell's business (``server/minutes.py``).

Gathering runs on the event loop (one synchronous read of the read models, then the log up to that
version); composing is pure and runs wherever the caller likes (a worker thread): it checks the
hash chain it will print the head of, and reports its progress as it goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby
from typing import Any

from rooms.errors import DomainError
from rooms.events import RecordedEvent
from rooms.log.chain import verify
from service.exports import WIB
from service.sessions import Sessions

Report = Callable[[float], None]  # progress of this part, 0..1
MODELS = ("session", "roster", "attendance", "agenda", "board", "ballots", "speaking", "delegates")
_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember")
_REPORT_EVERY = 500  # records between progress reports while the chain is checked


class BrokenLog(DomainError):
    """The log does not verify: no minutes are printed over a chain that is not sound."""

    code = "log_broken"


@dataclass(frozen=True)
class Sources:
    """What the minutes are made of, taken at one version of the session."""

    session_id: str
    version: int
    models: dict[str, Any]  # the staff audience's read models (MODELS)
    records: Sequence[RecordedEvent]  # the log, seq 1..version


@dataclass(frozen=True)
class Line:
    """A row drawn across a table: the cut line of the pagu indikatif."""

    text: str


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: list[tuple[str, ...] | Line]
    widths: tuple[float, ...]  # relative column widths


@dataclass(frozen=True)
class Section:
    title: str
    parts: list[str | Table] = field(default_factory=list)  # paragraphs and tables, in order


@dataclass(frozen=True)
class Minutes:
    session_id: str
    title: str  # the session's
    final: bool  # the session is closed; else a draft
    opening: str  # the paragraph under the heading: when and where
    sections: list[Section]
    signatures: tuple[str, ...]  # who signs, in order
    head: str  # the last record's hash
    count: int  # records in the log
    verify_url: str


async def gather(sessions: Sessions, session_id: str) -> Sources:
    """The session's read models and its log at one version (the log is read after the models, and cut
    there: what another node appended meanwhile is for the next draft)."""
    assembly = await sessions.get(session_id)
    version, models = assembly.version, assembly.read_models(MODELS, "staff")
    records = await sessions.log.read(session_id)
    return Sources(session_id, version, models, records[:version])


def compose(src: Sources, base_url: str, report: Report = lambda _: None) -> Minutes:
    """The minutes' content; BrokenLog when the chain does not verify."""
    check = verify(_counted(src.records, report))
    if not check.ok or check.count != src.version:
        raise BrokenLog(f"Rantai hash log rusak pada rekaman {check.first_bad}: berita acara tidak dibuat")
    m = src.models
    session = m["session"]
    final = session["status"] == "closed"
    sections = [
        _who(src),
        _attendance(m),
        _agenda(m["agenda"]["items"]),
        _proposals(m["board"]["proposals"]),
        _ballots(m),
        _speakers(m["speaking"]["villages"]),
        _delegates(m["delegates"] or []),
    ]
    report(1.0)
    return Minutes(src.session_id, session["title"], final, _opening(m), sections,
                   ("Pimpinan sidang", "Wakil Badan Permusyawaratan Desa (BPD)", "Wakil masyarakat"),
                   check.head, check.count, f"{base_url}/verify/{src.session_id}/{check.head}")


def _counted(records: Sequence[RecordedEvent], report: Report) -> Iterator[RecordedEvent]:
    total = max(1, len(records))
    for n, record in enumerate(records, start=1):
        if n % _REPORT_EVERY == 0:
            report(0.95 * n / total)
        yield record


def date(at: float | None) -> str:
    """A log time as a date in words, WIB: "Selasa, 21 Januari 2020"."""
    if at is None:
        return "-"
    d = datetime.fromtimestamp(at, WIB)
    return f"{_DAYS[d.weekday()]}, {d.day} {_MONTHS[d.month - 1]} {d.year}"


def clock(at: float | None) -> str:
    return "-" if at is None else datetime.fromtimestamp(at, WIB).strftime("%H:%M")


def duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def rupiah(amount: int | None) -> str:
    return "-" if amount is None else "Rp " + f"{amount:,}".replace(",", ".")


def _opening(m: dict[str, Any]) -> str:
    s = m["session"]
    venue = next((v for v in m["roster"] if v["village"] == s["venue"]["code"]), None)
    place = f"Desa {venue['name']}, Kecamatan {venue['kecamatan']}" if venue else s["venue"]["name"]
    start = s["started_at"] or s["created_at"]
    end = f"sampai {clock(s['closed_at'])} WIB" if s["closed_at"] else "(sidang masih berjalan)"
    return (f"Pada hari {date(start)}, pukul {clock(start)} WIB {end}, bertempat di {place} "
            f"(tempat sidang utama) dan secara daring di balai desa peserta, telah diselenggarakan "
            f"{s['title']}, dengan hasil sebagaimana diuraikan di bawah ini.")


def _who(src: Sources) -> Section:
    moderators = sorted({r.actor for r in src.records if r.actor.startswith("mod:")})
    return Section("Pimpinan dan moderator sidang", [
        "Pimpinan sidang: Bupati (pimpinan sidang di tempat sidang utama).",
        "Moderator: " + (", ".join(f"Moderator {m.removeprefix('mod:')}" for m in moderators)
                         if moderators else "tidak ada tindakan moderator tercatat") + ".",
    ])


def _attendance(m: dict[str, Any]) -> Section:
    rows = m["attendance"]["villages"]
    totals = m["attendance"]["totals"]
    came = [r for r in rows if r["intervals"] or r["headcount"]]
    summary: list[tuple[str, ...] | Line] = []
    present: list[tuple[str, ...] | Line] = []
    for kecamatan, group in groupby(rows, key=lambda r: r["kecamatan"]):
        villages = list(group)
        here = [r for r in villages if r["intervals"]]
        summary.append((kecamatan, str(len(here)), str(len(villages)),
                        ", ".join(r["name"] for r in here) or "-"))
        for r in here:
            count = r["headcount"] or {}
            present.append((kecamatan, r["name"], clock(r["joined_at"]),
                            "masih hadir" if r["present"] else clock(r["left_at"]),
                            str(count.get("total", "-")), str(count.get("women", "-"))))
    return Section("Kehadiran", [
        f"Hadir {sum(1 for r in came if r['intervals'])} dari {totals['villages']} desa/kelurahan. Jumlah "
        f"peserta yang dicatat operator: {totals['people']} orang, di antaranya {totals['women']} perempuan.",
        Table(("Kecamatan", "Hadir", "Dari", "Desa/kelurahan yang hadir"), summary, (3, 1, 1, 8)),
        "Waktu masuk dan keluar (WIB) serta jumlah peserta tiap balai desa:",
        Table(("Kecamatan", "Desa", "Masuk", "Keluar", "Peserta", "Perempuan"), present, (3, 3, 1.3, 1.8, 1.4, 1.6)),
    ])


def _agenda(items: list[dict[str, Any]]) -> Section:
    status = {"pending": "belum dibahas", "open": "sedang dibahas", "done": "selesai"}
    rows: list[tuple[str, ...] | Line] = [
        (str(n), i["title"], clock(i["opened_at"]), clock(i["closed_at"]), status.get(i["status"], i["status"]))
        for n, i in enumerate(items, start=1)]
    return Section("Acara", [Table(("No", "Acara", "Dibuka", "Ditutup", "Keterangan"), rows, (0.6, 7, 1.3, 1.3, 2))
                             if rows else "Tidak ada acara yang dicatat."])


def _proposals(board: list[dict[str, Any]]) -> Section:
    accepted = [p for p in board if p["status"] == "accepted"]
    rows: list[tuple[str, ...] | Line] = [
        (p["proposal"], f"{p['village_name']} ({p['kecamatan']})", p["title"], p["bidang_label"], rupiah(p["cost"]),
         p["sumber_dana_label"], p["scale"]) for p in accepted]
    total = sum(p["cost"] for p in accepted)
    return Section("Usulan yang diterima", [
        f"{len(accepted)} usulan diterima dari {len(board)} yang diajukan, dengan perkiraan biaya seluruhnya "
        f"{rupiah(total)}.",
        *([Table(("Kode", "Desa", "Usulan", "Bidang", "Biaya", "Sumber dana", "Skala"), rows,
                 (1.1, 2.6, 3.4, 2.6, 2.1, 1.8, 1.3))] if rows else []),
    ])


def _ballots(m: dict[str, Any]) -> Section:
    titles = {p["proposal"]: (p["title"], p["village_name"]) for p in m["board"]["proposals"]}
    names = {v["village"]: v["name"] for v in m["roster"]}
    parts: list[str | Table] = []
    for b in m["ballots"]:
        kind = "rahasia" if b["secret"] else "terbuka"
        method = "Borda (peringkat)" if b["method"] == "borda" else "persetujuan (approval)"
        head = (f"{b['ballot']} — {b['title']}: pemungutan {kind}, metode {method}; {b['turnout']} dari "
                f"{b['electorate']['size']} desa pemilih memberikan suara; pagu indikatif {rupiah(b['pagu'])}.")
        if b["result"] is None:
            parts.append(head + " Pemungutan masih dibuka: hasil belum final.")
            continue
        parts.append(head + (" Hanya jumlah suara yang dicatat; pilihan tiap desa tidak disimpan."
                             if b["secret"] else ""))
        parts.append(Table(("Peringkat", "Usulan", "Desa", "Poin", "Pemilih", "Biaya", "Kumulatif"),
                           list(_ranking(b, titles)), (1.7, 3.8, 2.2, 1, 1.2, 2.2, 2.2)))
        if not b["secret"] and b.get("choices"):
            choices: list[tuple[str, ...] | Line] = [(names.get(v, v), ", ".join(c)) for v, c in b["choices"].items()]
            parts.append(Table(("Desa", "Pilihan (urut)"), choices, (4, 9)))
    return Section("Hasil pemungutan suara", parts or ["Tidak ada pemungutan suara."])


def _ranking(b: dict[str, Any], titles: dict[str, tuple[str, str]]) -> Iterable[tuple[str, ...] | Line]:
    """The ranked options, with the cut line drawn where the running cost first passes the pagu."""
    drawn = False
    for r in b["result"]:
        if r["fits"] is False and not drawn:
            drawn = True
            yield Line(f"Garis batas pagu indikatif {rupiah(b['pagu'])}: usulan di bawah garis ini melampaui pagu")
        title, village = titles.get(r["proposal"], (r["proposal"], "-"))
        yield (str(r["rank"]), f"{r['proposal']} {title}", village, str(r["points"]), str(r["voters"]),
               rupiah(r["cost"]), rupiah(r["cumulative_cost"]))
    if b["pagu"] is not None and not drawn:
        yield Line(f"Seluruh usulan masuk dalam pagu indikatif {rupiah(b['pagu'])}")


def _speakers(villages: list[dict[str, Any]]) -> Section:
    rows: list[tuple[str, ...] | Line] = [
        (str(n), v["name"], v["kecamatan"], str(v["turns"]), duration(v["seconds"]))
        for n, v in enumerate(villages, start=1)]
    total = sum(v["seconds"] for v in villages)
    return Section("Pembicara", [
        f"{len(villages)} desa berbicara, seluruhnya {duration(total)} (menit:detik; giliran yang sudah selesai).",
        *([Table(("No", "Desa", "Kecamatan", "Giliran", "Lama bicara"), rows, (0.6, 4, 4, 1.4, 2))] if rows else []),
    ])


def _delegates(delegates: list[dict[str, Any]]) -> Section:
    rows: list[tuple[str, ...] | Line] = [
        (str(n), d["name"], d["village_name"] or "-", d["role"] or "-") for n, d in enumerate(delegates, start=1)]
    return Section("Utusan ke musrenbang tingkat berikutnya", [
        Table(("No", "Nama", "Desa", "Peran"), rows, (0.6, 5, 3.5, 3.5)) if rows else "Belum ada utusan yang dicatat."])
