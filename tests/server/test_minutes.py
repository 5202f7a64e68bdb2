"""The berita acara from a real hub: a watermarked draft while the session runs, the final produced at
close and kept in the data folder, its QR code read back (zbarimg) to the verification page, built as a
background job whose progress a page polls, and refused to villages and the public."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import aiohttp
from pypdf import PdfReader

from harness.sample import usulan
from server.keys import CONFIG
from server.minutes import kept
from tests.server.conftest import Hub
from tests.server.test_joinsheets import _codes


async def _get(hub: Hub, who: str | None, path: str) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {hub.token(who)}"} if who else {}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{hub.url}/api/sessions/{hub.session}/{path}") as r:
            return r.status, await r.read()


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


async def _session(hub: Hub) -> list[str]:
    mod = await hub.connect("moderator")
    await mod.ok("session.start")
    halls = [c for c in hub.villages if c != hub.villages[0]][:3]
    clients = [await hub.connect(code) for code in halls]
    await clients[0].ok("proposal.submit", usulan(title="Embung Dusun Krajan", cost=90_000_000))
    await clients[1].ok("proposal.submit", usulan(title="Lampu jalan tenaga surya", cost=60_000_000))
    for pid in ("U-001", "U-002"):
        await mod.ok("proposal.accept", proposal=pid)
    await mod.ok("ballot.open", title="Prioritas", method="approval", options=["U-001", "U-002"], pagu=100_000_000)
    for client in clients:
        await client.ok("ballot.cast", ballot="B-01", choice=["U-002"])
    await mod.ok("ballot.close", ballot="B-01")
    await mod.ok("delegates.set", delegates=[{"name": "Siti Aminah", "village": halls[0], "role": "Kepala Desa"}])
    return halls


async def _verify_page(url: str) -> str:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        assert r.status == 200
        found = re.search(r'data-outcome="(\w+)"', await r.text())
        return found.group(1) if found else ""


async def test_a_draft_during_the_session_carries_its_facts_and_its_qr_opens_the_verify_page(
        hub: Hub, tmp_path: Path) -> None:
    await _session(hub)
    status, pdf = await _get(hub, "chair", "minutes.pdf")
    assert status == 200 and pdf.startswith(b"%PDF")
    text = _text(pdf)
    assert "DRAF" in text and "Uji Musrenbang" in text
    assert "Embung Dusun Krajan" in text and "Garis batas pagu indikatif Rp 100.000.000" in text
    assert "Siti Aminah" in text
    [url] = _codes(pdf, len(PdfReader(io.BytesIO(pdf)).pages) - 1, tmp_path)
    assert re.fullmatch(rf"{re.escape(hub.url)}/verify/{hub.session}/[0-9a-f]{{64}}", url)
    assert url.rsplit("/", 1)[1] in text.replace(" ", "")
    assert await _verify_page(url) == "head"
    assert not kept(hub.app[CONFIG].data_dir, hub.session).exists()  # a draft is never kept


async def test_the_final_is_made_at_close_kept_and_served_again(hub: Hub, tmp_path: Path) -> None:
    await _session(hub)
    chair = await hub.connect("chair")
    await chair.ok("session.close")
    path = kept(hub.app[CONFIG].data_dir, hub.session)
    for _ in range(200):  # produced by the hub on its own when the session closes
        if path.exists():
            break
        await asyncio.sleep(0.05)
    stored = path.read_bytes()
    status, pdf = await _get(hub, "moderator", "minutes.pdf")
    assert status == 200 and pdf == stored
    text = _text(pdf)
    assert "DRAF" not in text and "Lampu jalan tenaga surya" in text
    [url] = _codes(pdf, len(PdfReader(io.BytesIO(pdf)).pages) - 1, tmp_path)
    assert await _verify_page(url) == "head"


async def test_the_minutes_build_as_a_job_the_page_polls(hub: Hub) -> None:
    await _session(hub)
    headers = {"Authorization": f"Bearer {hub.token('moderator')}"}
    base = f"{hub.url}/api/sessions/{hub.session}"
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(f"{base}/minutes.pdf/job") as r:
            assert r.status == 202
            job = (await r.json())["job"]
        for _ in range(200):
            async with http.get(f"{base}/jobs/{job}") as r:
                view = await r.json()
            if view["state"] != "running":
                break
            assert 0.0 <= view["progress"] <= 1.0
            await asyncio.sleep(0.05)
        assert view == {"job": job, "kind": "minutes-draft", "state": "done", "progress": 1.0}
        async with http.get(f"{base}/jobs/{job}/file") as r:
            assert r.status == 200 and "berita-acara-draf.pdf" in r.headers["Content-Disposition"]
            assert "Embung Dusun Krajan" in _text(await r.read())
        async with http.get(f"{base}/jobs/not-a-job") as r:
            assert r.status == 404
    assert (await _get(hub, hub.villages[1], f"jobs/{job}"))[0] == 403


async def test_the_minutes_are_for_staff(hub: Hub) -> None:
    assert (await _get(hub, hub.villages[1], "minutes.pdf"))[0] == 403
    assert (await _get(hub, None, "minutes.pdf"))[0] == 403
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{hub.url}/api/sessions/{hub.session}/minutes.pdf/job") as r:
            assert r.status == 403
