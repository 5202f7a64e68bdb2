"""Printable join sheets: each village's link as a QR code, grouped by kecamatan (reportlab + segno).

A sheet's links are issued when it is printed, at each village's current generation: a village whose
link was re-issued gets the new one, and the old one stays refused."""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import groupby

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from moderation.assembly import Assembly
from rooms.actors import Kind
from rooms.roster import Village
from server.credentials import Signer

_PER_PAGE = 6  # 2 columns × 3 rows of QR codes on A4
_WIDTH, _HEIGHT = A4


@dataclass(frozen=True)
class Entry:
    village: Village
    interactive: bool
    url: str


def entries(assembly: Assembly, signer: Signer, base_url: str, only: str | None = None) -> list[Entry]:
    """Fresh links at their current generation for every village, or ``only`` that one (none if it is
    not in the roster), ordered by kecamatan then name."""
    roster = {r["village"]: r for r in assembly.read_models(["roster"], "staff")["roster"]}
    out = []
    for code in [only] if only is not None else list(roster):
        village = assembly.village(code)
        if village is None:
            continue
        token = signer.issue(assembly.session_id, Kind.VILLAGE, code, code, assembly.generation(code))
        out.append(Entry(village, roster[code]["mode"] == "interactive",
                         f"{base_url}/s/{assembly.session_id}/village#t={token}"))
    return sorted(out, key=lambda e: (e.village.kecamatan_name, e.village.name))


def qr_png(url: str) -> io.BytesIO:
    """A link as a QR code in PNG, for reportlab to place (the join sheets, the minutes' hash)."""
    png = io.BytesIO()
    segno.make(url, error="m").save(png, kind="png", scale=6, border=4)
    png.seek(0)
    return png


def _cell(pdf: Canvas, entry: Entry, x: float, y: float, size: float) -> None:
    """One village: its QR code with its name, kecamatan and mode beneath (x, y: the QR's lower left)."""
    pdf.drawImage(ImageReader(qr_png(entry.url)), x, y, size, size)
    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawCentredString(x + size / 2, y - 0.6 * cm, f"Desa {entry.village.name}")
    pdf.setFont("Helvetica", 9)
    mode = "interaktif (kamera dan mikrofon)" if entry.interactive else "menonton"
    pdf.drawCentredString(x + size / 2, y - 1.1 * cm, f"Kec. {entry.village.kecamatan_name} · {mode}")


def _heading(pdf: Canvas, title: str, kecamatan: str) -> None:
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(2 * cm, _HEIGHT - 2 * cm, title)
    pdf.setFont("Helvetica", 11)
    pdf.drawString(2 * cm, _HEIGHT - 2.7 * cm, f"Kecamatan {kecamatan} — tautan masuk balai desa")
    pdf.setFont("Helvetica", 8)
    pdf.drawString(2 * cm, 1.5 * cm, "Pindai kode dengan kamera ponsel atau laptop balai desa. Kode ini rahasia: "
                                     "jangan dibagikan; moderator dapat menerbitkan ulang bila bocor.")


def join_sheet(title: str, chosen: list[Entry]) -> bytes:
    """Every entry's QR code, a new page for each kecamatan; a single village gets a page of its own."""
    out = io.BytesIO()
    pdf = Canvas(out, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"Tautan masuk — {title}")
    size = 12 * cm if len(chosen) == 1 else 6 * cm
    for kecamatan, group in groupby(chosen, key=lambda e: e.village.kecamatan_name):
        villages = list(group)
        for start in range(0, len(villages), _PER_PAGE):
            _heading(pdf, title, kecamatan)
            for n, entry in enumerate(villages[start:start + _PER_PAGE]):
                column, row = (0, 0) if len(chosen) == 1 else (n % 2, n // 2)
                x = (_WIDTH - size) / 2 if len(chosen) == 1 else 2.5 * cm + column * 8.5 * cm
                _cell(pdf, entry, x, _HEIGHT - 4 * cm - size - row * (size + 2.2 * cm), size)
            pdf.showPage()
    pdf.save()
    return out.getvalue()
