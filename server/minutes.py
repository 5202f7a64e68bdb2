"""The berita acara on paper (reportlab): the content ``service.minutes`` composes, laid out on A4,
a draft watermarked "DRAF", the final kept in the data folder once the session is closed.

The PDF is built with reportlab's ``invariant`` mode (no creation time, a fixed document id), so the
same closed log gives the same bytes on every node and every time; the first final written is kept
(``write_once``) and served again from then on.
"""

from __future__ import annotations

import asyncio
import io
import logging
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from moderation.assembly import Assembly
from rooms.errors import DomainError
from rooms.events import RecordedEvent
from server.config import Config
from server.files import write_once
from server.jobs import Busy, Job, Jobs, Report, Result, part
from server.joinsheets import qr_png
from service.minutes import Line, Minutes, Sources, Table, compose, gather
from service.sessions import Listener, Sessions

_log = logging.getLogger(__name__)

_WIDTH, _HEIGHT = A4
_MARGIN = 1.8 * cm
_CHUNK = 40  # table rows per flowable: progress moves as the pages fill, not once per long table
_STYLES = getSampleStyleSheet()
_BODY = ParagraphStyle("body", parent=_STYLES["BodyText"], fontSize=9.5, leading=12.5)
_CELL = ParagraphStyle("cell", parent=_BODY, fontSize=8, leading=9.8)
_HEAD = ParagraphStyle("head", parent=_CELL, fontName="Helvetica-Bold")
_MONO = ParagraphStyle("mono", parent=_CELL, fontName="Courier", fontSize=7.5, spaceBefore=2, spaceAfter=3)
_H1 = ParagraphStyle("h1", parent=_STYLES["Title"], fontSize=15, leading=19, spaceAfter=2)
_H2 = ParagraphStyle("h2", parent=_STYLES["Heading2"], fontSize=11.5, leading=14, spaceBefore=9, spaceAfter=4)


def folder(data_dir: Path) -> Path:
    return data_dir / "minutes"


def filename(session_id: str, final: bool) -> str:
    return f"{session_id}-berita-acara.pdf" if final else f"{session_id}-berita-acara-draf.pdf"


def kept(data_dir: Path, session_id: str) -> Path:
    """Where a closed session's final minutes are kept."""
    return folder(data_dir) / filename(session_id, True)


async def build(sessions: Sessions, data_dir: Path, base_url: str, session_id: str, report: Report) -> Result:
    """Gather on the loop, compose and lay out in a process of its own; a final is kept once written.

    Not a thread: reportlab is pure Python and held the interpreter lock for seconds, so votes waited
    for their acks (bench/minutes.py: p99 166 ms without a build, 720 ms during one in a thread)."""
    src = await gather(sessions, session_id)
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server.minutes", stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None and child.stderr is not None
    progress = asyncio.ensure_future(_progress(child.stderr, report))
    child.stdin.write(pickle.dumps((src, data_dir, base_url)))
    await child.stdin.drain()
    child.stdin.close()
    out = await child.stdout.read()
    await progress
    if await child.wait() != 0 or not out:
        raise RuntimeError(f"the minutes' process ended with {child.returncode}")
    outcome: tuple[str, Any] = pickle.loads(out)  # our own child's answer on our own pipe
    if outcome[0] == "error":
        raise outcome[1]
    result: Result = outcome[1]
    return result


async def _progress(lines: asyncio.StreamReader, report: Report) -> None:
    async for raw in lines:
        line = raw.decode(errors="replace").strip()
        if line.startswith("progress "):
            report(float(line.split()[1]))
        elif line:
            _log.warning("minutes: %s", line)


def _child() -> None:
    """``python -m server.minutes``: the build, fed its sources on stdin; progress lines on stderr."""
    src, data_dir, base_url = pickle.load(sys.stdin.buffer)
    shown = [-1.0]

    def report(fraction: float) -> None:
        if fraction - shown[0] >= 0.01:  # a line per percent, not per flowable
            shown[0] = fraction
            print(f"progress {fraction:.3f}", file=sys.stderr, flush=True)

    try:
        outcome: tuple[str, Any] = ("ok", _make(src, data_dir, base_url, report))
    except DomainError as exc:  # a broken chain: the page shows its code
        outcome = ("error", exc)
    sys.stdout.buffer.write(pickle.dumps(outcome))


def _make(src: Sources, data_dir: Path, base_url: str, report: Report) -> Result:
    minutes = compose(src, base_url, part(report, 0.0, 0.3))
    pdf = layout(minutes, part(report, 0.3, 0.99))
    if minutes.final:
        pdf = write_once(kept(data_dir, src.session_id), pdf)
    return Result(pdf, "application/pdf", filename(src.session_id, minutes.final))


def layout(minutes: Minutes, report: Report = lambda _: None) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=_MARGIN,
                            bottomMargin=_MARGIN + 0.4 * cm, invariant=1, pageCompression=1,
                            title=f"Berita acara — {minutes.title}", author="Musrenbang Hub", lang="id")
    total = [1]

    def progress(kind: str, value: int) -> None:
        if kind == "SIZE_EST":
            total[0] = max(1, value)
        elif kind == "PROGRESS":
            report(value / total[0])

    doc.setProgressCallBack(progress)
    page = _page(minutes)
    doc.build(_story(minutes, doc.width), onFirstPage=page, onLaterPages=page)
    return out.getvalue()


def _page(minutes: Minutes) -> object:
    """Each page's footer, and on a draft the watermark."""

    def draw(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        if not minutes.final:
            canvas.setFillColor(colors.Color(0.85, 0.1, 0.1, alpha=0.13))
            canvas.setFont("Helvetica-Bold", 130)
            canvas.translate(_WIDTH / 2, _HEIGHT / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, -45, "DRAF")
            canvas.rotate(-45)
            canvas.translate(-_WIDTH / 2, -_HEIGHT / 2)
        canvas.setFillColor(colors.grey)
        canvas.setFont("Helvetica", 7.5)
        state = "final" if minutes.final else f"DRAF, bukan berita acara final (catatan sampai rekaman {minutes.count})"
        canvas.drawString(_MARGIN, 1.2 * cm, f"Berita acara {minutes.session_id} · {state}")
        canvas.drawRightString(_WIDTH - _MARGIN, 1.2 * cm, f"Halaman {doc.page}")
        canvas.restoreState()

    return draw


def _text(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(text), style)


def _story(minutes: Minutes, width: float) -> list[Flowable]:
    story: list[Flowable] = [
        _text("BERITA ACARA", _H1),
        _text(minutes.title, ParagraphStyle("sub", parent=_H1, fontSize=12, leading=15)),
        _text("" if minutes.final else "DRAF — dapat berubah sampai sidang ditutup",
              ParagraphStyle("draft", parent=_BODY, alignment=1, textColor=colors.red)),
        Spacer(1, 0.3 * cm),
        _text(minutes.opening),
    ]
    for number, section in enumerate(minutes.sections, start=1):
        story.append(_text(f"{number}. {section.title}", _H2))
        for item in section.parts:
            story.extend([_text(item)] if isinstance(item, str) else _tables(item, width))
    story.append(_text(f"{len(minutes.sections) + 1}. Pengesahan", _H2))
    story.append(KeepTogether([
        _text("Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan sebagaimana mestinya."),
        Spacer(1, 0.3 * cm), _signatures(minutes.signatures, width), Spacer(1, 0.6 * cm), _seal(minutes, width)]))
    return story


def _tables(table: Table, width: float) -> list[Flowable]:
    """A content table as reportlab tables of ``_CHUNK`` rows each, the header repeated on every one."""
    scale = width / sum(table.widths)
    widths = [w * scale for w in table.widths]
    header = [_text(c, _HEAD) for c in table.columns]
    out: list[Flowable] = []
    for start in range(0, max(1, len(table.rows)), _CHUNK):
        rows: list[list[Paragraph | str]] = [header]
        style = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                 ("VALIGN", (0, 0), (-1, -1), "TOP")]
        for row in table.rows[start:start + _CHUNK]:
            if isinstance(row, Line):
                n = len(rows)
                style += [("SPAN", (0, n), (-1, n)), ("BACKGROUND", (0, n), (-1, n), colors.Color(1, 0.9, 0.9)),
                          ("LINEABOVE", (0, n), (-1, n), 1.5, colors.red)]
                rows.append([_text(row.text, _HEAD), *[""] * (len(widths) - 1)])
            else:
                rows.append([_text(cell, _CELL) for cell in row])
        out.append(PdfTable(rows, colWidths=widths, repeatRows=1, style=TableStyle(style), hAlign="LEFT"))
        out.append(Spacer(1, 0.15 * cm))
    return out


def _signatures(signers: tuple[str, ...], width: float) -> Flowable:
    cells = [[_text(s, _HEAD) for s in signers], [""] * len(signers),
             [_text("(....................................)", _CELL) for _ in signers],
             [_text("Nama jelas dan tanda tangan", _CELL) for _ in signers]]
    return PdfTable(cells, colWidths=[width / len(signers)] * len(signers), rowHeights=[None, 2 * cm, None, None],
                    style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))


def _seal(minutes: Minutes, width: float) -> Flowable:
    """The log's last hash and the QR code of the page that recomputes it."""
    size = 3.6 * cm
    words = [_text(f"Catatan sidang ini berisi {minutes.count} rekaman berantai hash. Hash terakhir:", _CELL),
             _text(minutes.head, _MONO),
             _text("Pindai kode QR (atau buka alamat di bawah) untuk menghitung ulang rantainya dan memeriksa bahwa "
                   "berita acara ini sesuai dengan catatan sidang:", _CELL),
             _text(minutes.verify_url, _MONO)]
    return PdfTable([[Image(qr_png(minutes.verify_url), size, size), words]],
                    colWidths=[size + 0.3 * cm, width - size - 0.3 * cm],
                    style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))


def start(jobs: Jobs, sessions: Sessions, config: Config, session_id: str, closed: bool) -> Job:
    """The minutes' job for the session: a draft while it runs, the final once it is closed (kept, so
    served from the data folder after the first build)."""
    async def work(report: Report) -> Result:
        path = kept(config.data_dir, session_id)
        if closed and await asyncio.to_thread(path.exists):
            return Result(await asyncio.to_thread(path.read_bytes), "application/pdf", path.name)
        return await build(sessions, config.data_dir, config.base_url, session_id, report)

    return jobs.start(session_id, "minutes-final" if closed else "minutes-draft", work)


def on_close(jobs: Jobs, sessions: Sessions, config: Config) -> Listener:
    """A listener that produces the final minutes when a session closes (and, on a hub that folds a
    closed session whose final is not kept yet, then)."""
    def closed(assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        sid = assembly.session_id
        if records[-1].type != "session.closed" or kept(config.data_dir, sid).exists():
            return
        try:
            start(jobs, sessions, config, sid, closed=True)
        except Busy:
            _log.warning("final minutes of %s wait for a free worker: built on their first download", sid)

    return closed


if __name__ == "__main__":
    _child()
