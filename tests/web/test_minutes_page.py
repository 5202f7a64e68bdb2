"""The moderator's attendance tab in Chromium: the delegates' editor saves the list into the record,
and the minutes' button builds the draft on the hub, shows its progress and downloads it."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from playwright.async_api import expect
from pypdf import PdfReader

from rooms.actors import Actor, Kind
from server.keys import SESSIONS
from tests.web.conftest import Pages, Site, screenshot
from tests.web.test_session_pages import do, online, opened, patient  # noqa: F401 (patient: an autouse fixture)

pytestmark = pytest.mark.browser


async def test_the_moderator_sets_delegates_and_downloads_the_draft_minutes(
        site: Site, pages: Pages, tmp_path: Path) -> None:
    await do(site, Actor(Kind.MODERATOR, "mod:1"), "session.start")
    hall = site.villages(interactive=False)[0]
    assert hall.village
    moderator = await opened(pages, site.link("moderator"))
    await online(moderator)
    await moderator.get_by_role("tab", name=re.compile("Kehadiran")).click()

    await moderator.get_by_role("button", name="Tambah utusan").click()
    await moderator.get_by_label("Nama").last.fill("Siti Aminah")
    await moderator.get_by_label("Desa (boleh kosong)").last.select_option(hall.village.code)
    await moderator.get_by_label("Peran (boleh kosong)").last.fill("Kepala Desa")
    await moderator.get_by_role("button", name="Tambah utusan").click()
    await moderator.get_by_label("Nama").last.fill("Made Wirawan")
    await moderator.get_by_role("button", name="Simpan utusan").click()
    await expect(moderator.locator("#notice")).to_contain_text("Daftar utusan tersimpan (2)")
    assembly = await site.app[SESSIONS].get(site.session)  # type: ignore[index]
    assert [d["name"] for d in assembly.read_models(["delegates"], "staff")["delegates"]] == \
        ["Siti Aminah", "Made Wirawan"]
    await expect(moderator.locator(".d-name").first).to_have_value("Siti Aminah")  # as the hub pushed it back
    await moderator.locator("#delegates-form").scroll_into_view_if_needed()
    await screenshot(moderator, "moderator-delegates")

    row = moderator.get_by_role("row", name=re.compile("Berita acara"))
    async with moderator.expect_download() as minutes:
        await row.get_by_role("button", name="PDF").click()
    await expect(moderator.locator("#minutes-state")).to_have_text("Berita acara siap diunduh.")
    download = await minutes.value
    assert download.suggested_filename == f"{site.session}-berita-acara-draf.pdf"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(saved.read_bytes())).pages)
    assert "DRAF" in text and "Siti Aminah" in text and "Made Wirawan" in text and hall.village.name in text
    await screenshot(moderator, "moderator-minutes")
