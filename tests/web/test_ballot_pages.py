"""A secret ballot on the pages, in headless Chromium: its kind is shown before anyone votes, the
moderator sees who in the electorate has not voted, a hall outside the electorate is told so, the
voter alone gets a receipt and checks it on the receipt page."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Page, expect

from harness.browser import join, online
from harness.sample import usulan
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from server.keys import SESSIONS
from tests.web.conftest import Pages, Site, screenshot
from tests.web.test_pages import fill_ballot

pytestmark = pytest.mark.browser
KECAMATAN = "35.10.13"  # Rogojampi, the venue's


async def prepare(site: Site, *proposers: str) -> None:
    """Start the session and put two accepted proposals on the board, through the service."""
    sessions = site.app[SESSIONS]  # type: ignore[index]
    mod = Actor(Kind.MODERATOR, "mod:uji")

    async def do(actor: Actor, name: str, **payload: object) -> None:
        await sessions.execute(site.session, parse_command(name, payload), actor, time.time())

    await do(Actor(Kind.CHAIR, "chair"), "session.start")
    for n, code in enumerate(proposers):
        await do(Actor(Kind.VILLAGE, code, code), "proposal.submit", **usulan(title=f"Usulan {n + 1}"))
        await do(mod, "proposal.accept", proposal=f"U-00{n + 1}")


async def open_secret_ballot(moderator: Page) -> None:
    await fill_ballot(moderator, "Prioritas rahasia")
    await moderator.check("#b-secret")
    await moderator.select_option("#b-electorate", "kecamatan")
    await moderator.locator(f'#b-kecamatan input[value="{KECAMATAN}"]').check()
    await moderator.get_by_role("button", name="Buka pemungutan").click()


async def test_a_secret_ballot_on_the_pages(site: Site, pages: Pages) -> None:
    links = [link for link in site.links if link.role == "village" and link.village]
    voter = next(link for link in links if link.village and link.village.code == "35.10.13.2007")
    outsider = next(link for link in links if link.village and not link.village.code.startswith(KECAMATAN))
    assert voter.village and outsider.village
    await prepare(site, voter.village.code, outsider.village.code)
    # three pages only: the public page shows the same ballot rows as the moderator's (tests/server
    # checks what its pushes carry), and every page more slows the others on a busy machine
    check = await pages.open(f"{site.url}/s/{site.session}/receipt")  # before the live pages load the machine
    check.set_default_navigation_timeout(30_000)  # its form posts
    moderator = await pages.open(site.link("moderator"))
    away = await pages.open(outsider.url)
    hall = await pages.open(voter.url)
    await online(moderator)
    for page in (hall, away):
        await join(page)
    await open_secret_ballot(moderator)

    # before anyone votes, every page says which kind of ballot this is, and who may vote
    for page in (moderator, hall, away):
        await expect(page.locator("#ballots .ballot-kind")).to_have_attribute("data-kind", "secret")
        await expect(page.locator("#ballots .ballot-kind")).to_contain_text("Pemungutan rahasia")
        await expect(page.locator("#ballots .ballot-electorate")).to_contain_text("kecamatan terpilih")
    waiting = moderator.locator("#ballots .not-voted-list li")
    in_kecamatan = await waiting.count()
    assert in_kecamatan > 1
    await expect(moderator.locator(f'#ballots .not-voted [data-village="{voter.village.code}"]')).to_have_text(
        voter.village.name)
    await expect(away.locator("#ballots .not-eligible")).to_contain_text("tidak termasuk pemilih")
    await expect(away.locator("#ballots .vote-form")).to_have_count(0)

    form = hall.locator("#ballots .vote-form")
    await form.locator('input[value="U-002"]').check()
    await form.get_by_role("button", name="Berikan suara").click()
    await hall.get_by_role("dialog").get_by_role("button", name="Ya, berikan suara").click()  # a secret vote is final
    code = hall.locator("#ballots .receipt-code")
    await expect(code).to_contain_text("Tanda terima suara: B-01.")
    receipt = await code.get_attribute("data-receipt")
    assert receipt and receipt.startswith("B-01.")
    await expect(hall.locator("#ballots .vote-receipt")).to_contain_text("Desa Anda sudah memilih")
    await expect(waiting).to_have_count(in_kecamatan - 1)
    await expect(moderator.locator(f'#ballots .not-voted [data-village="{voter.village.code}"]')).to_have_count(0)
    for page in (moderator, away):
        await expect(page.locator("#ballots .ballot-meta")).to_contain_text("1 desa memilih")
        await expect(page.locator("#ballots .tallies-hidden")).to_contain_text("dirahasiakan")
        await expect(page.locator("#ballots .standing-points")).to_have_count(0)
        assert receipt not in await page.content()
    await screenshot(moderator, "moderator-secret-ballot")
    await screenshot(hall, "village-secret-receipt")

    await expect(check.locator("h1")).to_have_text("Periksa tanda terima suara")
    await check.fill("#receipt-code", receipt)
    await check.get_by_role("button", name="Periksa").click()
    await expect(check.locator("#receipt-outcome")).to_have_attribute("data-outcome", "in_box")
    await moderator.get_by_role("button", name="Tutup pemungutan").click()
    await moderator.get_by_role("dialog").get_by_role("button").last.click()  # closing asks first
    await expect(away.locator('#ballots [data-option="U-002"] .standing-points')).to_have_attribute(
        "data-points", "1")
    await check.fill("#receipt-code", receipt)
    await check.get_by_role("button", name="Periksa").click()
    await expect(check.locator("#receipt-outcome")).to_have_text("Suara Anda telah dihitung.")
    assert "U-002" not in await check.content() and "Usulan 2" not in await check.content()
    await screenshot(check, "receipt-counted")
    await hall.reload()  # it passed its check minutes ago: straight back in, receipt still shown
    await expect(hall.locator("#live")).to_be_visible()
    await expect(hall.locator("#ballots .receipt-code")).to_have_attribute("data-receipt", receipt)

    # an open (nominal) ballot says so, and the moderator sees who chose what
    sessions = site.app[SESSIONS]  # type: ignore[index]
    spec = {"title": "Prioritas terbuka", "method": "approval", "options": ["U-001", "U-002"]}
    await sessions.execute(site.session, parse_command("ballot.open", spec), Actor(Kind.MODERATOR, "mod:uji"),
                           time.time())
    code = voter.village.code
    await sessions.execute(site.session, parse_command("ballot.cast", {"ballot": "B-02", "choice": ["U-001"]}),
                           Actor(Kind.VILLAGE, code, code), time.time())
    nominal = moderator.locator('#ballots article[data-ballot="B-02"]')
    await expect(nominal.locator(".ballot-kind")).to_have_attribute("data-kind", "nominal")
    await expect(nominal.locator(f'.ballot-choices [data-village="{code}"]')).to_have_text(
        f"{voter.village.name}: U-001")
    await expect(moderator.locator('#ballots article[data-ballot="B-01"] .ballot-choices')).to_have_count(0)
