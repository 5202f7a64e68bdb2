"""The moderator page in Chromium shows the RTMP push as it goes: live, then reconnecting when the
real nginx-rtmp it pushes to stops, then live again — and never the stream key."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from harness.hub import start_hub
from harness.rtmp import FfmpegProgram, RtmpServer
from harness.sample import VENUE, small_roster
from recordings.paths import program_dir
from server.keys import BROADCASTS, CONFIG, SESSIONS, SIGNER
from server.provision import found_session
from tests.web.conftest import Pages, Site, screenshot

pytestmark = pytest.mark.browser

KEY = "kunci-siaran-rahasia-9"


@pytest.fixture
async def pushing(tmp_path: Path) -> AsyncIterator[tuple[Site, RtmpServer]]:
    server = RtmpServer(tmp_path / "nginx")
    server.start()
    runner, url, app = await start_hub(tmp_path, "sqlite", f"mhweb-{secrets.token_hex(4)}",
                                       rtmp_urls=(server.url(KEY),))
    sid, links = await found_session(app[SESSIONS], app[SIGNER], url, "Musrenbang Uji Siaran", small_roster(), VENUE)
    program = FfmpegProgram(program_dir(app[CONFIG].recordings_root, sid) / "main")
    program.start()
    app[BROADCASTS].open(sid)  # what the session lifecycle does when the session goes live
    try:
        yield Site(url, sid, links, app), server
    finally:
        await runner.cleanup()  # closes the pushes
        program.stop()
        server.stop()


async def test_the_moderator_sees_the_push_go_live_drop_and_come_back(
        pushing: tuple[Site, RtmpServer], pages: Pages) -> None:
    site, server = pushing
    page = await pages.open(site.link("moderator"))
    line = page.locator("#broadcast-state li")
    target = f"rtmp://127.0.0.1:{server.port}/live/****"
    await expect(line).to_have_text(f"Siaran RTMP {target}: langsung", timeout=40_000)
    await screenshot(page, "moderator-rtmp-live")
    server.stop()
    await expect(line).to_have_text(f"Siaran RTMP {target}: menyambung ulang (sambungan ditolak)", timeout=30_000)
    await expect(line).to_have_attribute("title", "Connection refused")  # libav's words, for whoever asks
    await screenshot(page, "moderator-rtmp-reconnecting")
    server.start()
    await expect(line).to_have_text(f"Siaran RTMP {target}: langsung", timeout=60_000)
    assert KEY not in await page.content()
