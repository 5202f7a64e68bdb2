"""Printable join sheets: the PDF holds every village's QR code by kecamatan, the codes read back
(zbarimg) to links that open the session, and a re-issue prints a new page the old link does not match."""

from __future__ import annotations

import io
import math
import subprocess
from collections import Counter
from pathlib import Path

import aiohttp
from pypdf import PdfReader

from harness.sample import small_roster
from rooms.roster import parse_roster_csv
from tests.server.conftest import Hub


async def _sheet(hub: Hub, who: str, query: str = "") -> tuple[int, bytes]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {hub.token(who)}"}) as http:
        async with http.get(f"{hub.url}/api/sessions/{hub.session}/joinsheet.pdf{query}") as r:
            return r.status, await r.read()


def _codes(pdf: bytes, page: int, folder: Path) -> list[str]:
    """What zbarimg reads from the QR codes drawn on one page."""
    urls = []
    for n, image in enumerate(PdfReader(io.BytesIO(pdf)).pages[page].images):
        path = folder / f"qr-{page}-{n}.png"
        image.image.save(path)  # type: ignore[union-attr]
        read = subprocess.run(["zbarimg", "--quiet", "--raw", str(path)], capture_output=True, text=True, timeout=30)
        urls.append(read.stdout.strip())
    return urls


async def _opens(hub: Hub, url: str) -> int:
    token = url.split("#t=", 1)[1]
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        async with http.get(f"{hub.url}/api/sessions/{hub.session}") as r:
            return r.status


async def test_the_join_sheet_prints_every_village_by_kecamatan_and_its_codes_open_the_session(
        hub: Hub, tmp_path: Path) -> None:
    status, pdf = await _sheet(hub, "chair")
    assert status == 200 and pdf.startswith(b"%PDF")
    pages = PdfReader(io.BytesIO(pdf)).pages
    per_kecamatan = Counter(v.kecamatan_name for v in parse_roster_csv(small_roster()))
    assert len(pages) == sum(math.ceil(n / 6) for n in per_kecamatan.values())  # each kecamatan on its own pages
    text = "\n".join(p.extract_text() for p in pages)
    assert all(f"Kecamatan {k}" in text for k in per_kecamatan)
    assert all(f"Desa {v.name}" in text for v in parse_roster_csv(small_roster()))
    urls = _codes(pdf, 0, tmp_path)
    assert len(urls) == min(6, per_kecamatan[min(per_kecamatan)])  # the first kecamatan's first page
    assert all(u.startswith(f"{hub.url}/s/{hub.session}/village#t=") for u in urls)
    assert [await _opens(hub, u) for u in urls] == [200] * len(urls)


async def test_a_reissued_village_prints_again_and_its_old_code_is_refused(hub: Hub, tmp_path: Path) -> None:
    village = hub.villages[1]
    _, before = await _sheet(hub, "chair", f"?village={village}")
    [old] = _codes(before, 0, tmp_path)
    assert await _opens(hub, old) == 200
    mod = await hub.connect("moderator")
    await mod.ok("credential.reissue", holder=village)
    status, after = await _sheet(hub, "moderator", f"?village={village}")
    assert status == 200 and len(PdfReader(io.BytesIO(after)).pages) == 1  # one page, to send to that hall
    [new] = _codes(after, 0, tmp_path)
    assert await _opens(hub, new) == 200 and await _opens(hub, old) == 401


async def test_join_sheets_are_for_staff(hub: Hub) -> None:
    assert (await _sheet(hub, hub.villages[1]))[0] == 403
    assert (await _sheet(hub, "chair", "?village=35.99.99.9999"))[0] == 404
