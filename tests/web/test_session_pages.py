"""Issue 9 in Chromium: a closed session, confirmations, one language per page, editing a proposal,
the consoles' layout on the full Banyuwangi roster, the public page on a phone, the operator page; and
issue 8.12's browser cookie on the public page."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Page, expect

from harness.browser import join
from harness.sample import ROSTER_CSV, VENUE, small_roster, usulan
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from server.keys import SESSIONS, SIGNER
from server.provision import found_session
from tests.web.conftest import CONSOLE, PHONE, Pages, Site, screenshot
from tests.web.test_pages import PROPOSAL, accept, fill_ballot, join_en, submit_proposal

pytestmark = pytest.mark.browser

MODERATOR = Actor(Kind.MODERATOR, "mod:1")


@pytest.fixture(autouse=True)
def patient() -> Iterator[None]:
    """The machine is shared: wait longer for what must happen (these are not timing assertions)."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


async def online(page: Page) -> None:
    await page.wait_for_selector('body[data-connection="online"]', timeout=30_000)


async def opened(pages: Pages, url: str, viewport: dict[str, int] = CONSOLE) -> Page:
    page = await pages.open("about:blank", viewport)
    page.context.set_default_timeout(30_000)
    await page.goto(url)
    return page


async def do(site: Site, actor: Actor, name: str, **payload: object) -> int:
    return int(await site.app[SESSIONS].execute(  # type: ignore[index]
        site.session, parse_command(name, payload), actor, time.time()))


async def confirm(page: Page, button: str, *, answer: bool = True) -> None:
    """Click an irreversible act's button, see the confirmation, answer it."""
    await page.get_by_role("button", name=button, exact=True).click()
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_role("button", name=re.compile("^(Ya|Yes)")).click() if answer else \
        await dialog.get_by_role("button", name=re.compile("^(Batal|Cancel)$")).click()
    await expect(dialog).to_be_hidden()


async def test_a_session_closes_with_confirmations_in_one_language(site: Site, pages: Pages) -> None:
    # view-only halls (no camera to encode on a shared machine); the chair's page comes at the end
    viewer_link, hall_link = site.villages(interactive=False)[:2]
    moderator = await opened(pages, site.link("moderator"))
    hall = await opened(pages, hall_link.url)
    viewer = await opened(pages, f"{viewer_link.url.split('#')[0]}?lang=en#{viewer_link.url.split('#')[1]}")
    public = await opened(pages, site.link("public") + "?lang=en", PHONE)
    for page in (moderator, public):
        await online(page)

    # a view-only hall is not asked to check a camera it will not send; an interactive one is
    await online(viewer)
    await expect(viewer.locator("#camera-check")).to_be_hidden()
    await expect(viewer.locator("#mic-level")).to_be_hidden()
    await expect(viewer.locator("#preview")).to_be_hidden()
    await join(hall)
    await join_en(viewer)

    # an error reads in the page's language only, from the catalog by its code
    await viewer.get_by_role("button", name="Raise hand").click()
    await expect(viewer.locator("#notice-text")).to_have_text("The session has not started yet.")
    await hall.get_by_role("button", name="Angkat tangan").click()
    await expect(hall.locator("#notice-text")).to_have_text("Sidang belum dimulai.")
    await hall.locator("#notice-close").click()

    # in draft only "Mulai sidang" is offered; starting asks first, then says it happened
    await expect(moderator.get_by_role("button", name="Tutup sidang")).to_be_hidden()
    await confirm(moderator, "Mulai sidang", answer=False)
    await expect(moderator.locator("#session-status")).to_have_text("Persiapan")
    await confirm(moderator, "Mulai sidang")
    await expect(moderator.locator("#notice-text")).to_have_text("Sidang dimulai.")
    await expect(moderator.get_by_role("button", name="Mulai sidang")).to_be_hidden()
    await expect(moderator.get_by_role("button", name="Tutup sidang")).to_be_visible()

    await moderator.get_by_role("tab", name=re.compile("Acara")).click()
    await moderator.fill("#a-title", "Pemaparan RKPDes 2021")
    await moderator.get_by_role("button", name="Tambah acara").click()
    await expect(moderator.locator("#notice-text")).to_contain_text("Acara ditambahkan: Pemaparan RKPDes 2021")

    # a hall edits its own proposal while it waits for screening; once screened the button is gone
    await submit_proposal(hall)
    await submit_proposal(hall, title="Pengadaan tandon air bersih")
    mine = hall.locator('#my-proposals [data-proposal="U-001"]')
    await mine.get_by_role("button", name="Ubah").click()
    await expect(hall.locator('#proposal-form [name="title"]')).to_have_value(PROPOSAL["title"])
    await hall.locator('#proposal-form [name="title"]').fill("Rabat beton jalan dusun Krajan 400 m")
    await hall.locator('#proposal-form [name="volume"]').fill("400")
    await hall.get_by_role("button", name="Simpan perubahan").click()
    await expect(hall.locator("#notice-text")).to_contain_text("Usulan U-001 diubah")
    await expect(moderator.locator('#screening-list [data-proposal="U-001"] .proposal-title')).to_have_text(
        "Rabat beton jalan dusun Krajan 400 m")
    await expect(hall.get_by_role("button", name="Kirim usulan")).to_be_visible()
    await moderator.get_by_role("tab", name=re.compile("Usulan")).click()
    await accept(moderator, "U-001")
    await accept(moderator, "U-002")
    await expect(mine.get_by_role("button", name="Ubah")).to_have_count(0)

    # one vote is "1 vote" in English; closing a binding ballot asks first
    await fill_ballot(moderator)
    await moderator.uncheck("#b-change")  # a final vote: the hall is asked before it is cast
    await moderator.get_by_role("button", name="Buka pemungutan").click()
    ballot = viewer.locator("#ballots .vote-form").first
    await ballot.locator('input[value="U-001"]').check()
    await confirm(viewer, "Cast vote")
    await expect(viewer.locator("#ballots .vote-receipt")).to_be_visible()
    await expect(public.locator('.ballot [data-option="U-001"] .standing-points')).to_have_text("1 vote")
    await expect(public.locator('.ballot [data-option="U-002"] .standing-points')).to_have_text("0 votes")
    await expect(public.locator(".ballot-meta")).to_contain_text("1 village voted")
    await confirm(moderator, "Tutup pemungutan", answer=False)
    await expect(moderator.locator("#ballots .ballot .badge").first).to_have_text("Dibuka")
    await confirm(moderator, "Tutup pemungutan")
    await expect(moderator.locator("#ballots .ballot .badge").first).to_have_text("Ditutup")

    # the session closes (asked first); every page says so with the results, and offers nothing more
    await hall.get_by_role("button", name="Angkat tangan").click()
    chair = await opened(pages, site.link("chair"))
    await online(chair)
    await expect(chair.locator("#queue .queue-entry")).to_have_count(1)
    await confirm(moderator, "Tutup sidang")
    for page, text in [(moderator, "ditutup"), (chair, "ditutup"), (hall, "ditutup"),
                       (viewer, "closed"), (public, "closed")]:
        box = page.locator("#session-closed")
        await expect(box).to_be_visible()
        await expect(box).to_contain_text(text)
        await expect(box).to_contain_text("Prioritas pembangunan 2021")
        await expect(box.locator('[data-option="U-001"] .rank')).to_have_text("#1")
    for label in ("Angkat tangan", "Kirim usulan", "Interupsi (tata tertib)", "Turunkan tangan"):
        await expect(hall.get_by_role("button", name=label)).to_have_count(0)
    await expect(hall.locator("#proposal-form")).to_be_hidden()
    await expect(viewer.get_by_role("button", name="Raise hand")).to_have_count(0)
    await expect(public.locator("#board button:visible")).to_have_count(0)
    for label in ("Tutup sidang", "Mulai sidang", "Beri ke urutan 1", "Hentikan", "Buka pemungutan"):
        await expect(moderator.get_by_role("button", name=label)).to_be_hidden()
    await expect(moderator.locator("#queue button:visible")).to_have_count(0)
    await expect(chair.locator("#queue button:visible")).to_have_count(0)
    await expect(chair.locator("#session-state")).to_have_text("Selesai")
    for name, page in [("closed-moderator", moderator), ("closed-village", hall), ("closed-public-en", public)]:
        await screenshot(page, name)


async def full_site(site: Site) -> Site:
    """A second session on the same hub with the whole Banyuwangi roster (217 halls)."""
    sid, links = await found_session(site.app[SESSIONS], site.app[SIGNER], site.url,  # type: ignore[index]
                                     "Musrenbangdes Serentak Kabupaten Banyuwangi", ROSTER_CSV, VENUE)
    return Site(site.url, sid, links, site.app)


def overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


async def no_overlap(page: Page) -> None:
    title = await page.locator(".brand-name").bounding_box()
    state = await page.locator("#session-state").bounding_box()
    assert title and state and not overlap(title, state), (page.url, title, state)


# words of the grid's names that the browser broke across two lines
BROKEN_WORDS = """() => [...document.querySelectorAll("#village-grid .tile-name")].flatMap((el) => {
  const node = el.firstChild, text = node?.textContent ?? "", out = [];
  for (const m of text.matchAll(/\\S+/g)) {
    const r = document.createRange();
    r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
    const lines = new Set([...r.getClientRects()].map((x) => Math.round(x.top)));
    if (lines.size > 1 || el.scrollWidth > el.clientWidth + 1) out.push(m[0]);
  }
  return out;
})"""


async def test_the_consoles_fit_the_whole_roster(site: Site, pages: Pages) -> None:
    full = await full_site(site)
    villages = full.villages(interactive=False)
    await do(full, MODERATOR, "session.start")
    await do(full, MODERATOR, "agenda.add", title="Pembukaan, sambutan Bupati dan pemaparan arah kebijakan 2021")
    agenda = await full.app[SESSIONS].get(full.session)  # type: ignore[index]
    first_item = agenda.read_models(["agenda"], "staff")["agenda"]["items"][0]
    await do(full, MODERATOR, "agenda.open", item=first_item["item"])
    chair = await opened(pages, full.link("chair"))
    await online(chair)

    # the title and the status line do not overlap; names break between words, not inside them
    await expect(chair.locator("#session-state")).to_contain_text("Pembukaan")
    await no_overlap(chair)
    await expect(chair.locator("#village-grid .tile")).to_have_count(25)
    assert await chair.evaluate(BROKEN_WORDS) == []
    # the venue's tile shows the chair's own presence there
    await expect(chair.locator(f'#village-grid [data-village="{VENUE}"] .tile-state')).to_contain_text("Hadir")
    await screenshot(chair, "chair-full-roster")
    await chair.context.close()  # the machine is shared: one console at a time

    moderator = await opened(pages, full.link("moderator"))
    await online(moderator)
    await expect(moderator.locator("#session-state")).to_contain_text("Pembukaan")
    await no_overlap(moderator)

    # three halls wait: the moderator sees every entry and its buttons without scrolling
    halls = villages[:3]
    for link in halls:
        assert link.village
        await do(full, Actor(Kind.VILLAGE, link.village.code, link.village.code), "hand.raise")
    await expect(moderator.locator("#queue .queue-entry")).to_have_count(3)
    await screenshot(moderator, "moderator-queue-full")
    for button in await moderator.locator("#queue button").all():
        box = await button.bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= CONSOLE["height"], box

    # the network tab: a hall that dropped comes first; filters by kecamatan and by state
    gone = villages[150]
    assert gone.village
    watcher = await opened(pages, gone.url)
    await online(watcher)
    await watcher.context.close()
    await moderator.get_by_role("tab", name=re.compile("Jaringan")).click()
    rows = moderator.locator("#network tr")
    await expect(rows.first).to_have_attribute("data-village", gone.village.code)
    await expect(rows.first).to_contain_text("Terputus")
    await moderator.select_option("#net-kecamatan", label=gone.village.kecamatan_name)
    count = await rows.count()
    assert 0 < count < 30
    for kecamatan in await moderator.locator("#network tr td:first-child").all_inner_texts():
        assert kecamatan == gone.village.kecamatan_name
    await moderator.select_option("#net-kecamatan", "")
    await moderator.select_option("#net-state", "disconnected")
    await expect(rows).to_have_count(1)
    await moderator.select_option("#net-state", "never")
    await expect(rows).to_have_count(216)
    await screenshot(moderator, "moderator-network-full")


async def two_proposals(site: Site) -> None:
    """A live session whose hall has put forward two usulan (U-001, U-002)."""
    hall = site.villages(interactive=True)[1]
    assert hall.village
    actor = Actor(Kind.VILLAGE, hall.village.code, hall.village.code)
    fields = {**PROPOSAL, "lokasi": {"dusun": "Krajan", "rt": "002", "rw": "001"}, "volume": 300, "cost": 150_000_000}
    for key in ("dusun", "rt", "rw"):
        fields.pop(key)
    await do(site, MODERATOR, "session.start")
    await do(site, actor, "proposal.submit", **fields)
    await do(site, actor, "proposal.submit", **{**fields, "title": "Pengadaan tandon air bersih"})


async def test_the_public_page_on_a_phone_offers_support_at_once(site: Site, pages: Pages) -> None:
    await two_proposals(site)
    for title in ("Pembukaan dan sambutan Bupati", "Pemaparan RKPDes 2021", "Penetapan prioritas"):
        await do(site, MODERATOR, "agenda.add", title=title)
    for proposal in ("U-001", "U-002"):
        await do(site, MODERATOR, "proposal.accept", proposal=proposal)
    await do(site, MODERATOR, "ballot.open", title="Prioritas 2021", method="approval", options=["U-001", "U-002"])
    public = await opened(pages, site.link("public"), PHONE)
    await online(public)
    support = public.get_by_role("button", name="Dukung").first
    await expect(support).to_be_visible()
    box = await support.bounding_box()
    assert box and box["y"] + box["height"] <= PHONE["height"], box
    await screenshot(public, "public-phone-support")


async def test_the_public_page_gets_a_browser_cookie_and_supports_once(site: Site, pages: Pages) -> None:
    """Issue 8.12: the hub names the browser in an HttpOnly cookie; support counts once per browser it
    named, whatever the page's storage says; past an address's hourly cap a page watches and says why."""
    await two_proposals(site)
    public = await opened(pages, site.link("public"), PHONE)
    await online(public)
    cookie = next(c for c in await public.context.cookies() if c["name"] == "mh_browser")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    assert cookie["expires"] > time.time() + 360 * 24 * 3600
    assert "mh_browser" not in await public.evaluate("document.cookie")  # out of the page's scripts' reach
    await expect(public.get_by_text("Dukungan warga bersifat saran")).to_be_visible()
    await expect(public.locator("#no-browser-token")).to_be_hidden()
    support = public.locator('#board [data-proposal="U-001"] button')
    count = public.locator('#board [data-proposal="U-001"] .support-count')
    await support.click()
    await expect(support).to_have_text("Sudah didukung")
    await expect(count).to_have_attribute("data-count", "1")

    # the hub remembers the browser, not the page's storage: cleared and reloaded, it offers "Dukung"
    # again, and the hub's refusal shows the support as given
    await public.evaluate("localStorage.clear()")
    await public.reload()
    await online(public)
    await expect(support).to_have_text("Dukung")
    await support.click()
    await expect(support).to_have_text("Sudah didukung")
    await expect(count).to_have_attribute("data-count", "1")

    # the rest of this address's hour: 19 more new browsers, then none
    issued = 0
    async with aiohttp.ClientSession() as http:
        for _ in range(25):
            async with http.get(site.link("public")) as r:
                issued += "mh_browser" in r.cookies
    assert issued == 19
    late = await opened(pages, site.link("public"), PHONE)
    await online(late)
    assert not [c for c in await late.context.cookies() if c["name"] == "mh_browser"]
    await expect(late.locator("#no-browser-token")).to_be_visible()
    await expect(late.locator("#no-browser-token")).to_contain_text("Terlalu banyak peramban baru")
    await late.locator('#board [data-proposal="U-002"] button').click()
    await expect(late.locator("#notice-text")).to_contain_text("belum mendapat tanda pengenal")
    await expect(late.locator('#board [data-proposal="U-002"] .support-count')).to_have_attribute("data-count", "0")
    await screenshot(late, "public-no-browser-token")


async def test_an_operator_creates_a_session_from_a_page(site: Site, pages: Pages, tmp_path: object) -> None:
    admin = site.app[SIGNER].issue("*", Kind.ADMIN, "admin")  # type: ignore[index]
    page = await opened(pages, f"{site.url}/operator#t={admin}")
    assert "#t=" not in page.url
    roster = small_roster(("35.10.13", "35.10.01"))
    await page.locator("#o-title").fill("Musrenbang Kecamatan Rogojampi")
    await page.locator("#o-roster").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": roster.encode()}])
    venue = page.locator("#o-venue")
    await expect(venue.locator("option")).to_have_count(len(roster.strip().splitlines()))  # a choose-row too
    await venue.select_option(VENUE)
    picks = page.locator("#o-interactive input:checked")
    await expect(picks).to_have_count(2)  # one per kecamatan, as the hub picks them
    extra = await page.locator("#o-interactive input:not(:checked)").first.get_attribute("value")
    await page.locator(f'#o-interactive input[value="{extra}"]').check()
    await expect(picks).to_have_count(3)
    await page.get_by_role("button", name="Buat sidang").click()
    links = page.locator("#o-links tr")
    await expect(links).to_have_count(len(roster.strip().splitlines()) - 1 + 3)
    await expect(page.locator("#o-links")).to_contain_text("Pimpinan sidang")
    chair_url = await page.locator('#o-links tr[data-role="chair"] a').get_attribute("href")
    assert chair_url and "/chair#t=" in chair_url
    interactive = await page.locator('#o-links tr[data-mode="interactive"]').count()
    assert interactive == 3
    await screenshot(page, "operator-links")
    chair = await opened(pages, chair_url)
    await online(chair)
    await expect(chair.locator(".brand-name")).to_have_text("Musrenbang Kecamatan Rogojampi")


async def test_the_moderator_downloads_the_sessions_sheets_and_log(site: Site, pages: Pages, tmp_path: Path) -> None:
    hall = site.villages(interactive=False)[0]
    assert hall.village
    await do(site, MODERATOR, "session.start")
    await do(site, Actor(Kind.VILLAGE, hall.village.code), "proposal.submit", **usulan(title="Sumur bor"))
    moderator = await opened(pages, site.link("moderator"))
    await online(moderator)
    await moderator.get_by_role("tab", name=re.compile("Kehadiran")).click()
    row = moderator.get_by_role("row", name=re.compile("DU-RKP Desa"))
    async with moderator.expect_download() as sheet:
        await row.get_by_role("button", name="CSV").click()
    saved = tmp_path / (await sheet.value).suggested_filename
    await (await sheet.value).save_as(saved)
    assert saved.name == f"{site.session}-du_rkp_desa.csv"
    text = saved.read_text(encoding="utf-8-sig")
    assert text.startswith("No,Desa,Bidang,Jenis kegiatan") and "Sumur bor" in text
    async with moderator.expect_download() as log:
        await moderator.get_by_role("button", name="JSONL").click()
    assert (await log.value).suggested_filename == f"{site.session}-log.jsonl"
    async with moderator.expect_download() as sheet_pdf:
        await moderator.get_by_role("row", name=re.compile("kode QR")).get_by_role("button", name="PDF").click()
    saved = tmp_path / "tautan.pdf"
    await (await sheet_pdf.value).save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")
