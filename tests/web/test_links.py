"""Links in Chromium: a moderator replaces a leaked village link; an expired link says so, in Indonesian."""

from __future__ import annotations

import pytest
from playwright.async_api import Dialog, expect

from harness.browser import online
from rooms.actors import Kind
from server.credentials import Signer
from tests.web.conftest import Pages, Site

pytestmark = pytest.mark.browser


async def test_a_moderator_replaces_a_leaked_village_link(site: Site, pages: Pages) -> None:
    hall = site.villages(interactive=False)[0]
    assert hall.village is not None
    old = await pages.open(hall.url)
    moderator = await pages.open(site.link("moderator"))
    await online(old)
    await online(moderator)
    await moderator.get_by_role("tab", name="Peserta").click()
    row = moderator.locator(f'#roster [data-village="{hall.village.code}"]')
    asked: list[str] = []

    async def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await (dialog.dismiss() if len(asked) == 1 else dialog.accept())

    moderator.on("dialog", answer)
    await row.get_by_role("button", name="Ganti tautan").click()  # dismissed: nothing happens
    await expect(moderator.locator("#reissued")).to_be_hidden()
    await online(old)
    await row.get_by_role("button", name="Ganti tautan").click()  # confirmed
    assert len(asked) == 2 and hall.village.name in asked[1] and "Tautan lama langsung tidak berlaku" in asked[1]
    await expect(moderator.locator("#reissued")).to_contain_text(f"Tautan lama {hall.village.name} sudah dicabut")
    link = await moderator.locator("#reissued-link").input_value()
    assert link.startswith(f"{site.url}/s/{site.session}/village#t=")
    # the hall on the old link is cut off and told why; the new link works
    await expect(old.locator("#banner")).to_contain_text("sudah dicabut")
    new = await pages.open(link)
    await online(new)
    # that hall's join sheet prints again, with the new link
    async with moderator.expect_download() as sheet:
        await moderator.get_by_role("button", name="Cetak lembar tautan desa ini").click()
    assert (await sheet.value).suggested_filename == f"{site.session}-tautan-{hall.village.code}.pdf"


async def test_an_expired_link_says_so(site: Site, pages: Pages) -> None:
    hall = site.villages(interactive=True)[1]
    assert hall.village is not None
    token = Signer("test-secret", ttl=-1).issue(site.session, Kind.VILLAGE, hall.village.code, hall.village.code)
    page = await pages.open(f"{site.url}/s/{site.session}/village#t={token}")
    await expect(page.locator("#banner")).to_have_text(
        "Tautan ini sudah kedaluwarsa. Minta tautan baru kepada panitia sidang.")
