"""The moderator page shows the recordings' size, the free space and the recorder's state, and downloads
the session's archive with its progress, in a real Chromium."""

from __future__ import annotations

import re
import tarfile
from pathlib import Path

from playwright.async_api import expect

from recordings.paths import tracks_dir
from server.keys import CONFIG
from tests.web.conftest import Pages, Site, screenshot
from tests.web.test_board_pages import do
from tests.web.test_session_pages import MODERATOR, online, opened


async def test_the_moderator_sees_the_storage_and_downloads_the_archive(
        site: Site, pages: Pages, tmp_path: Path) -> None:
    await do(site, MODERATOR, "session.start")
    tracks = tracks_dir(site.app[CONFIG].recordings_root, site.session)  # type: ignore[index]
    tracks.mkdir(parents=True)
    (tracks / "3201001-video-high-001.webm").write_bytes(b"\x1a\x45\xdf\xa3" + b"\0" * (3 << 20))  # a 3 MB clip
    moderator = await opened(pages, site.link("moderator"))
    await online(moderator)
    await moderator.get_by_role("tab", name=re.compile("Kehadiran")).click()
    await expect(moderator.locator("#storage-state")).to_have_text(re.compile("Merekam setiap kamera"))
    usage = re.compile(r"\(sidang ini 3 MB\) · ruang kosong .* GB dari .* GB \(\d+% terpakai\)")
    await expect(moderator.locator("#storage-usage")).to_contain_text(usage)
    await moderator.locator("#archive-download").scroll_into_view_if_needed()
    await screenshot(moderator, "moderator-storage")

    async with moderator.expect_download() as download:
        await moderator.get_by_role("button", name="Unduh arsip sidang (TAR)").click()
    saved = tmp_path / (await download.value).suggested_filename
    await (await download.value).save_as(saved)
    await expect(moderator.locator("#archive-status")).to_have_text(re.compile(r"Arsip selesai diunduh \(3,0\d MB\)"))
    assert saved.name == f"{site.session}-arsip.tar"
    with tarfile.open(saved) as tar:
        names = tar.getnames()
    assert names == [f"{site.session}/log.jsonl", f"{site.session}/tracks/3201001-video-high-001.webm"]
