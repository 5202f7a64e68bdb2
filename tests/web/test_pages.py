"""Every role's page in headless Chromium: the floor, proposals, a ballot, language, reconnection, XSS."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Page, expect

from harness.browser import join, online
from server.keys import CHANNEL, SIO
from tests.web.conftest import PHONE, Pages, Site, rising, screenshot

pytestmark = pytest.mark.browser

PROPOSAL = {
    "title": "Rabat beton jalan dusun Krajan",
    "description": "Jalan tanah 300 m rusak saat hujan; dirabat beton lebar 3 m.",
    "masalah": "Anak sekolah sulit lewat saat hujan",
    "bidang": "pembangunan",
    "dusun": "Krajan", "rt": "002", "rw": "001",
    "volume": "300", "unit": "m", "cost": "150.000.000",
    "sumber_dana": "dd", "scale": "desa",
}
SELECTS = {"bidang", "sumber_dana", "scale"}


async def submit_proposal(page: Page, **overrides: str) -> None:
    for name, value in {**PROPOSAL, **overrides}.items():
        field = page.locator(f'#proposal-form [name="{name}"]')
        if name in SELECTS:
            await field.select_option(value)
        else:
            await field.fill(value)
    await page.get_by_role("button", name="Kirim usulan").click()
    await expect(page.locator("#notice")).to_contain_text("Usulan terkirim")


async def join_en(page: Page) -> None:
    await online(page)
    await page.get_by_role("button", name="Join the session").click()
    await expect(page.locator("#live")).to_be_visible()


async def fill_ballot(moderator: Page, title: str = "Prioritas pembangunan 2021") -> None:
    """The moderator's ballot form filled in: approval, one choice of U-001 and U-002."""
    await moderator.get_by_role("tab", name=re.compile("Pemungutan")).click()
    await moderator.fill("#b-title", title)
    await moderator.select_option("#b-method", "approval")
    await moderator.fill("#b-max", "1")
    await moderator.check("#opt-U-001")
    await moderator.check("#opt-U-002")


async def accept(moderator: Page, proposal: str) -> None:
    await moderator.get_by_role("button", name=f"Telaah {proposal}").click()
    await moderator.get_by_role("button", name="Terima", exact=True).click()
    await expect(moderator.locator(f'#screening-list [data-proposal="{proposal}"] .badge')).to_have_text("Diterima")


async def vote(village: Page, proposal: str) -> str:
    ballot = village.locator("#ballots .vote-form").first
    await ballot.locator(f'input[value="{proposal}"]').check()
    await ballot.get_by_role("button", name="Berikan suara").click()
    receipt = village.locator("#ballots .vote-receipt")
    await expect(receipt).to_contain_text(re.compile(r"nomor catatan #\d+"))
    return await receipt.inner_text()


def village_sids(site: Site, code: str) -> list[str]:
    conns: Any = site.app[CHANNEL].conns  # type: ignore[index]
    return [sid for sid, conn in conns.items() if conn.actor.id == code]


async def test_a_session_runs_across_every_page(site: Site, pages: Pages) -> None:
    venue, speaker = site.villages(interactive=True)[:2]
    viewer = site.villages(interactive=False)[0]
    assert venue.village and speaker.village and viewer.village
    chair = await pages.open(site.link("chair"))
    moderator = await pages.open(site.link("moderator"))
    halls = {link.village.code: await pages.open(link.url) for link in (venue, speaker, viewer)}  # type: ignore[union-attr]
    public = await pages.open(site.link("public"), PHONE)
    for page in (chair, moderator, public):
        await online(page)
    # the credential left the address bar once the page had it
    assert "#t=" not in chair.url and "#t=" not in moderator.url

    await screenshot(halls[venue.village.code], "village-prejoin")
    await expect(halls[venue.village.code].locator("#camera-check")).to_have_attribute("data-state", "ok")
    for page in halls.values():
        await join(page)
    await expect(halls[viewer.village.code].locator("#me-detail")).to_contain_text("Pantau")
    await expect(halls[speaker.village.code].locator("#me-detail")).to_contain_text("Interaktif")

    await moderator.get_by_role("button", name="Mulai sidang").click()
    await moderator.get_by_role("dialog").get_by_role("button", name="Ya, mulai sidang").click()  # it asks first
    await expect(chair.locator("#session-state")).to_have_text("Berlangsung")

    # villages raise hands (a point of order goes first), the moderator reorders, then gives the floor
    hall, other = halls[speaker.village.code], halls[viewer.village.code]
    await hall.get_by_role("button", name="Angkat tangan").click()
    await expect(hall.locator("#hand-state")).to_contain_text("urutan 1 dari 1")
    await other.get_by_role("button", name="Interupsi (tata tertib)").click()
    await expect(hall.locator("#hand-state")).to_contain_text("urutan 2 dari 2")
    queue = moderator.locator("#queue .queue-entry")
    await expect(queue).to_have_count(2)
    await expect(queue.first).to_have_attribute("data-village", viewer.village.code)
    await queue.first.get_by_role("button", name="Turunkan").click()
    await expect(queue.first).to_have_attribute("data-village", speaker.village.code)
    await expect(chair.locator("#queue .queue-entry").first).to_have_attribute("data-village", speaker.village.code)
    await screenshot(chair, "chair-queue")
    entry = moderator.locator(f'#queue [data-village="{speaker.village.code}"]')
    await expect(entry).to_contain_text(speaker.village.name)
    await entry.get_by_role("button", name="Beri waktu bicara").click()
    for page in (chair, moderator, public, *halls.values()):
        await expect(page.locator('[data-floor="name"]')).to_have_text(speaker.village.name)
        await expect(page.locator('[data-floor="countdown"]')).to_have_text(re.compile(r"^[23]:\d\d$"))
    await expect(hall.locator("#hand-state")).to_contain_text("memegang waktu bicara")
    await expect(other.locator("#hand-state")).to_contain_text("urutan 1 dari 1")
    tile = chair.locator(f'#village-grid [data-village="{speaker.village.code}"]')
    await expect(tile).to_have_class(re.compile("speaking"))
    # the view-only hall sees and hears the floor holder, through the relay
    await expect(other.locator('[data-relay-caption="program"]')).to_contain_text(speaker.village.name)
    await rising(other, "video")
    await rising(other, "audio")
    await moderator.get_by_role("button", name="Tambah waktu").click()  # +60 s
    await expect(public.locator('[data-floor="countdown"]')).to_have_text(re.compile(r"^(4:00|3:[45]\d)$"))
    await screenshot(moderator, "moderator-floor")
    waiting = moderator.locator(f'#queue [data-village="{viewer.village.code}"]')
    await waiting.get_by_role("button", name="Hapus").click()
    await expect(other.locator("#hand-state")).to_contain_text("belum meminta bicara")

    # the agenda: added and opened by the moderator, followed everywhere
    await moderator.get_by_role("tab", name=re.compile("Acara")).click()
    for item in ("Pembukaan dan sambutan Bupati", "Pemaparan RKPDes 2021"):
        await moderator.fill("#a-title", item)
        await moderator.get_by_role("button", name="Tambah acara").click()
        await expect(moderator.locator("#agenda-admin")).to_contain_text(item)
    await moderator.locator("#agenda-admin li").first.get_by_role("button", name="Buka").click()
    await expect(public.locator('#agenda [aria-current="step"]')).to_contain_text("Pembukaan dan sambutan Bupati")
    await expect(chair.locator("#session-state")).to_contain_text("Pembukaan dan sambutan Bupati")

    # proposals: submitted in the halls, accepted by the moderator, voted on, tallied on the public page
    await submit_proposal(halls[venue.village.code])
    await submit_proposal(halls[viewer.village.code], title="Pengadaan tandon air bersih", cost="75000000")
    await expect(moderator.locator("#screening-list .proposal")).to_have_count(2)
    await expect(halls[viewer.village.code].locator("#my-proposals .proposal")).to_have_count(1)
    await moderator.get_by_role("tab", name=re.compile("Usulan")).click()
    await moderator.get_by_role("button", name="Telaah U-001").click()
    await expect(moderator.locator("#screening-form")).to_be_visible()
    await screenshot(moderator, "moderator-screening")
    await accept(moderator, "U-001")
    await accept(moderator, "U-002")
    await fill_ballot(moderator)
    await moderator.get_by_role("button", name="Buka pemungutan").click()
    await expect(public.locator(".ballot")).to_have_count(1)
    receipt = await vote(halls[venue.village.code], "U-001")
    await vote(halls[viewer.village.code], "U-001")
    option = public.locator('.ballot [data-option="U-001"] .standing-points')
    await expect(option).to_have_attribute("data-points", "2")
    await expect(public.locator('.ballot [data-option="U-002"] .standing-points')).to_have_attribute("data-points", "0")
    await expect(public.locator(".ballot-meta")).to_contain_text("2 desa memilih")
    # the vote may be changed while the ballot allows it; the hall keeps its record number
    assert re.search(r"#\d+", receipt)

    # citizens support a proposal once per browser, shown apart from the villages' tally
    support = public.locator('#board [data-proposal="U-002"] button')
    await support.click()
    await expect(support).to_have_text("Sudah didukung")
    await expect(support).to_be_disabled()
    await expect(public.locator('#board [data-proposal="U-002"] .support-count')).to_have_attribute("data-count", "1")

    for name, page in [("chair", chair), ("moderator-ballots", moderator), ("public-phone", public),
                       ("village-interactive", halls[venue.village.code]),
                       ("village-viewonly", halls[viewer.village.code])]:
        await screenshot(page, name)
    # promoting a view-only hall asks it to turn its camera on
    await moderator.get_by_role("tab", name=re.compile("Peserta")).click()
    await moderator.fill("#roster-filter", viewer.village.name)
    await moderator.locator(f'#roster [data-village="{viewer.village.code}"]').get_by_role(
        "button", name="Jadikan interaktif").click()
    await expect(other.locator("#camera-ask")).to_be_visible()
    await expect(other.locator("#me-detail")).to_contain_text("Interaktif")
    await screenshot(moderator, "moderator-participants")
    await other.get_by_role("button", name="Nyalakan kamera").click()
    await expect(other.locator("body")).to_have_attribute("data-publishing", "ready")
    await expect(other.locator("#camera-ask")).to_be_hidden()
    await moderator.get_by_role("tab", name=re.compile("Jaringan")).click()
    row = moderator.locator(f'#network [data-village="{viewer.village.code}"]')
    await expect(row).to_contain_text("Mengirim gambar")  # its camera is on: publishing
    await screenshot(moderator, "moderator-network")

    # a hall whose connection drops says so, comes back by itself and catches up
    away = halls[speaker.village.code]
    await away.context.set_offline(True)
    for sid in village_sids(site, speaker.village.code):
        await site.app[SIO].disconnect(sid)  # type: ignore[index]
    await expect(away.locator("#banner")).to_be_visible()
    await expect(away.locator("#banner")).to_contain_text("terputus")
    await moderator.get_by_role("button", name="Hentikan").click()  # the floor ends while it is away
    await expect(moderator.locator('[data-floor="name"]')).to_have_text("Belum ada yang berbicara")
    await screenshot(away, "village-offline")
    await away.context.set_offline(False)
    await expect(away.locator("#banner")).to_be_hidden(timeout=15_000)
    await expect(away.locator('[data-floor="name"]')).to_have_text("Belum ada yang berbicara")
    await expect(away.locator("#hand-state")).to_contain_text("belum meminta bicara")
    await expect(away.locator("#ballots .ballot")).to_have_count(1)

    # English by a switch, remembered; the village's credential survives the reload
    await public.get_by_role("link", name="English").click()
    await online(public)
    await expect(public.locator("html")).to_have_attribute("lang", "en")
    await expect(public.locator("#board-title")).to_have_text("Proposal board")
    await expect(public.locator('#board [data-proposal="U-002"] button')).to_have_text("Supported")
    await public.reload()
    await expect(public.locator("#board-title")).to_have_text("Proposal board")
    viewer_page = halls[viewer.village.code]
    await viewer_page.get_by_role("link", name="English").click()
    await online(viewer_page)
    await expect(viewer_page.locator("#live")).to_be_visible()  # the switch keeps the hall in the session
    await expect(viewer_page.locator("#ballots .vote-receipt")).to_contain_text("Your village's vote is recorded")
    await screenshot(public, "public-phone-en")
    await screenshot(viewer_page, "village-en")


XSS_TITLE = '<script>window.__xss = "title"</script>'
XSS_DESCRIPTION = '<img src=x onerror="window.__xss = \'description\'">'
XSS_REASON = "<img src=x onerror=window.__xss='reason'><b>tebal</b>"


@pytest.mark.parametrize("site", ['Sidang <img src=x onerror="window.__xss=1">'], indirect=True)
async def test_what_people_type_is_shown_as_text(site: Site, pages: Pages) -> None:
    hall_link = site.villages(interactive=True)[0]
    moderator = await pages.open(site.link("moderator"))
    hall = await pages.open(hall_link.url)
    public = await pages.open(site.link("public"))
    await online(moderator)
    await join(hall)
    await submit_proposal(hall, title=XSS_TITLE, description=XSS_DESCRIPTION)
    await submit_proposal(hall, title="Usulan kedua", description="<b>bukan tebal</b>")
    await moderator.get_by_role("button", name="Telaah U-002").click()
    await moderator.fill("#reject-reason", XSS_REASON)
    await moderator.get_by_role("button", name="Tolak", exact=True).click()
    await moderator.get_by_role("dialog").get_by_role("button", name="Ya, tolak").click()
    reason = moderator.locator('#screening-list [data-proposal="U-002"] .proposal-reason')
    await expect(reason).to_contain_text(XSS_REASON)

    for page in (moderator, hall, public):
        card = page.locator('[data-proposal="U-001"]').first
        await expect(card.locator(".proposal-title")).to_have_text(XSS_TITLE)
        await expect(page.locator("h1, .brand-name").first).to_contain_text('<img src=x onerror="window.__xss=1">')
        assert await page.evaluate("window.__xss") is None
        assert await page.locator('img[src="x"], main script, main b').count() == 0
    await expect(hall.locator('#my-proposals [data-proposal="U-001"] .proposal-title')).to_have_text(XSS_TITLE)
    await expect(moderator.locator('[data-proposal="U-001"] .proposal-description').first).to_have_text(XSS_DESCRIPTION)
    await screenshot(moderator, "xss-moderator")


async def test_unknown_session_is_a_proper_404(site: Site, pages: Pages) -> None:
    page = await pages.open(f"{site.url}/s/tidak-ada/village")
    await expect(page.locator("h1")).to_have_text("Halaman tidak ditemukan")
    response = await page.request.get(f"{site.url}/s/tidak-ada")
    assert response.status == 404
    landing = await pages.open(f"{site.url}/?lang=en")
    await expect(landing.locator(f'a[href="/s/{site.session}"]')).to_be_visible()
    await expect(landing.locator("h1")).to_have_text("Development Planning Assemblies")
    await screenshot(landing, "landing")
