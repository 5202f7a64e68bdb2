"""Carry-up in Chromium: the desa moderator downloads the carry file once a ballot is closed, the
kecamatan moderator brings it in, the operator page is told it came in already, and the desa hall's
page shows where its proposal stands at the kecamatan."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.async_api import expect

from harness.browser import join
from harness.sample import VENUE, small_roster, usulan
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from server.keys import SESSIONS, SIGNER
from server.provision import found_session
from tests.web.conftest import Pages, Site, screenshot
from tests.web.test_session_pages import online, opened, patient  # noqa: F401 (patient: autouse)

pytestmark = pytest.mark.browser

MODERATOR = Actor(Kind.MODERATOR, "mod:1")


async def _do(site: Site, sid: str, actor: Actor, name: str, **payload: object) -> None:
    await site.app[SESSIONS].execute(sid, parse_command(name, payload), actor, time.time())  # type: ignore[index]


async def test_a_ranked_proposal_goes_up_and_its_hall_sees_it_there(site: Site, pages: Pages, tmp_path: Path) -> None:
    hall = next(link for link in site.villages(interactive=False)
                if link.village and link.village.kecamatan_code == "35.10.13")
    assert hall.village
    code = hall.village.code
    await _do(site, site.session, MODERATOR, "session.start")
    await _do(site, site.session, Actor(Kind.VILLAGE, code), "proposal.submit", **usulan(title="Sumur bor"))
    await _do(site, site.session, MODERATOR, "proposal.accept", proposal="U-001")
    await _do(site, site.session, Actor(Kind.VILLAGE, code), "proposal.submit", **usulan(title="Pos ronda"))
    await _do(site, site.session, MODERATOR, "proposal.accept", proposal="U-002")
    await _do(site, site.session, MODERATOR, "ballot.open", title="Prioritas", method="approval",
              options=["U-001", "U-002"])
    await _do(site, site.session, Actor(Kind.VILLAGE, code), "ballot.cast", ballot="B-01", choice=["U-002"])

    moderator = await opened(pages, site.link("moderator"))
    await online(moderator)
    await moderator.get_by_role("tab", name=re.compile("Kehadiran")).click()
    row = moderator.locator("#carry-export")
    await expect(row).to_be_hidden()  # nothing ranked yet
    await _do(site, site.session, MODERATOR, "ballot.close", ballot="B-01")
    await expect(row).to_be_visible()
    await expect(moderator.locator("#carry-form")).to_be_hidden()  # a desa session takes nothing in
    async with moderator.expect_download() as carry:
        await row.get_by_role("button", name="JSON").click()
    saved = tmp_path / (await carry.value).suggested_filename
    await (await carry.value).save_as(saved)
    assert saved.name == f"{site.session}-carry.json"

    app = site.app
    kec, links = await found_session(app[SESSIONS], app[SIGNER], site.url,  # type: ignore[index]
                                     "Musrenbang Kecamatan Rogojampi", small_roster(("35.10.13",)), VENUE,
                                     level="kecamatan")
    upper = await opened(pages, next(link.url for link in links if link.role == "moderator"))
    await online(upper)
    await expect(upper.locator("#carry-export")).to_be_hidden()
    await upper.locator("#carry-file").set_input_files(str(saved))
    await upper.get_by_role("button", name="Bawa masuk usulan").click()
    await expect(upper.locator("#notice-text")).to_contain_text("dibawa masuk")
    carried = upper.locator("#screening-list .proposal", has_text="Pos ronda")
    await expect(carried.locator(".proposal-origin")).to_contain_text("peringkat 1")
    await screenshot(upper, "carry-kecamatan-screening")

    admin = app[SIGNER].issue("*", Kind.ADMIN, "admin")  # type: ignore[index]
    operator = await opened(pages, f"{site.url}/operator#t={admin}")
    await expect(operator.locator(f'#o-target option[value="{kec}"]')).to_have_count(1)
    await expect(operator.locator(f'#o-target option[value="{site.session}"]')).to_have_count(0)  # desa: none
    await operator.locator("#o-target").select_option(kec)
    await operator.locator("#o-carry-file").set_input_files(str(saved))
    await operator.get_by_role("button", name="Bawa masuk usulan").click()
    await expect(operator.locator("#notice-text")).to_contain_text("sudah dibawa masuk")  # once only

    village = await opened(pages, hall.url)
    await join(village)
    onward = village.locator("#onward")
    await expect(onward.locator(".onward-row")).to_have_count(2)
    await expect(onward.locator('[data-proposal="U-002"]')).to_contain_text("menunggu penyaringan")
    here = re.search(r"U-\d{3}", await carried.locator(".proposal-id").inner_text())
    assert here
    await _do(site, kec, MODERATOR, "proposal.accept", proposal=here.group(0))
    await village.reload()  # the page asks on load (and every 20 s); a hall that passed its check goes straight in
    await expect(village.locator("#live")).to_be_visible()
    await expect(onward.locator('[data-proposal="U-002"]')).to_have_attribute("data-status", "accepted")
    await expect(onward.locator('[data-proposal="U-002"]')).to_contain_text("Musrenbang Kecamatan Rogojampi")
    await onward.scroll_into_view_if_needed()
    await screenshot(village, "carry-village-onward")
