"""The public page's player in Chromium: the live program over real HLS while the session runs, its
recording with chapters, clips and proposals after it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from harness.browser import online
from harness.program import LiveProgram, held_session, write_clip, write_manifest, write_vod
from recordings.paths import session_dir
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from server.keys import CONFIG, SESSIONS
from tests.web.conftest import PHONE, Pages, Site, screenshot

pytestmark = pytest.mark.browser

VIDEO = "() => { const v = document.getElementById('livestream'); return {t: v.currentTime, w: v.videoWidth, " \
        "muted: v.muted, paused: v.paused}; }"


def _root(site: Site) -> Path:
    return Path(site.app[CONFIG].recordings_root)  # type: ignore[index]


async def _video(page: Page) -> dict[str, float]:
    return await page.evaluate(VIDEO)  # type: ignore[no-any-return]


async def _playing(page: Page, timeout: float = 30.0) -> dict[str, float]:
    """Wait until the video shows pictures and its time moves on; the last sample."""
    deadline = time.monotonic() + timeout
    first = None
    while time.monotonic() < deadline:
        now = await _video(page)
        if now["w"] > 0 and first is not None and now["t"] > first["t"] + 1.0:
            return now
        if now["w"] > 0 and first is None:
            first = now
        await page.wait_for_timeout(300)
    raise AssertionError(f"the video did not play: {await _video(page)}")


async def test_the_public_page_waits_for_the_program_then_plays_it_live_beside_the_live_session(
        site: Site, pages: Pages) -> None:
    page = await pages.open(f"{site.url}/s/{site.session}")
    await online(page)
    await expect(page.locator("#livestream-note")).to_have_text("Siaran belum dimulai")
    program = LiveProgram(_root(site), site.session)
    program.start()
    try:
        await expect(page.locator("body")).to_have_attribute("data-player", "live", timeout=30_000)
        sample = await _playing(page)
        assert sample["muted"] and not sample["paused"]  # autoplay, muted
        assert await page.evaluate("document.body.dataset.engine") == "hls.js"
        await page.get_by_role("button", name="Nyalakan suara").click()
        assert not (await _video(page))["muted"]
        await expect(page.get_by_role("button", name="Nyalakan suara")).to_be_hidden()
        # the Socket.IO side goes on beside it: the floor changes on the page
        sessions, chair = site.app[SESSIONS], Actor(Kind.CHAIR, "chair")  # type: ignore[index]
        village = site.villages(True)[1].village
        assert village is not None
        await sessions.execute(site.session, parse_command("session.start", {}), chair, time.time())
        await sessions.execute(site.session, parse_command("floor.grant", {"village": village.code, "seconds": 60}),
                               chair, time.time())
        await expect(page.locator(".floor [data-floor=name]")).to_have_text(village.name)
        await _playing(page)
        await screenshot(page, "public-live-hls")
    finally:
        program.stop()


async def _recorded(site: Site) -> tuple[list[str], Path]:
    root = _root(site)
    t0 = float(int(time.time()) - 120)
    codes = [link.village.code for link in site.villages(True) if link.village is not None]
    first, _ = await held_session(site.app[SESSIONS], site.session, codes, t0)  # type: ignore[index]
    write_vod(root, site.session, 20, t0)
    name = f"{first}-video-high-001.webm"
    clip = write_clip(root, site.session, name)
    write_manifest(root, site.session, [{"file": f"tracks/{name}", "publisher": first, "kind": "video",
                                         "layer": "high", "start": t0 + 4, "end": t0 + 10, "agenda": "A-01",
                                         "grant": None, "village": first, "bytes": clip.stat().st_size}])
    return [first], clip


async def test_after_the_close_the_page_plays_the_recording_and_a_chapter_seeks_to_its_turn(
        site: Site, pages: Pages, tmp_path: Path) -> None:
    (first,), clip = await _recorded(site)
    page = await pages.open(f"{site.url}/s/{site.session}")
    await expect(page.locator("body")).to_have_attribute("data-player", "playback", timeout=15_000)
    await expect(page.locator("#live-title")).to_have_text("Rekaman sidang")
    chapters = page.locator("#chapters .chapter")
    await expect(chapters).to_have_count(4)
    await expect(chapters.nth(0)).to_contain_text("Acara: Pembukaan dan paparan desa")
    await expect(chapters.nth(1)).to_contain_text("Giliran bicara:")
    await expect(chapters.nth(1)).to_contain_text("lama 0:06")
    await _playing(page)
    await chapters.nth(2).get_by_role("link").click()  # the second turn: 10 s into the recording
    deadline = time.monotonic() + 15
    while not 10.0 <= (await _video(page))["t"] < 12.0 and time.monotonic() < deadline:
        await page.wait_for_timeout(200)
    assert 10.0 <= (await _video(page))["t"] < 12.0
    assert page.url.endswith(f"/s/{site.session}?t=10")  # the address now opens here
    village = page.locator(f'.recording-village[data-village="{first}"]')
    await expect(village.locator(".recording-proposals")).to_contain_text("Rabat beton jalan dusun Krajan")
    async with page.expect_download() as info:
        await village.locator(".clip-download").click()
    download = await info.value
    assert download.suggested_filename == f"{site.session}-{clip.name}"  # the session in the name
    saved = tmp_path / "saved.webm"
    await download.save_as(saved)
    assert saved.read_bytes() == clip.read_bytes()
    await screenshot(page, "public-recording")


@pytest.mark.parametrize("at", ["?t=14", "#t=0:14"])  # a query, or a media fragment in minutes:seconds
async def test_a_link_with_a_time_opens_the_recording_there_on_a_phone(site: Site, pages: Pages, at: str) -> None:
    await _recorded(site)
    assert (session_dir(_root(site), site.session) / "program" / "vod.m3u8").is_file()
    page = await pages.open(f"{site.url}/s/{site.session}{at}", viewport=PHONE)
    await expect(page.locator("body")).to_have_attribute("data-player", "playback", timeout=15_000)
    sample = await _playing(page)
    assert 14.0 <= sample["t"] < 20.0 and sample["w"] > 0
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing sideways
    await expect(page.locator("#chapters")).to_be_visible()
    await screenshot(page, "public-recording-phone")


async def test_when_the_program_goes_away_the_page_says_so_and_plays_it_again_when_it_is_back(
        site: Site, pages: Pages) -> None:
    root = _root(site)
    program = LiveProgram(root, site.session)
    program.start()
    page = await pages.open(f"{site.url}/s/{site.session}")
    try:
        await _playing(page)
    finally:
        program.stop()
    shutil.rmtree(session_dir(root, site.session))  # the composer gone, its files too
    await expect(page.locator("#livestream-note")).to_have_text("Siaran terputus, menyambung lagi…", timeout=60_000)
    assert await page.evaluate("document.body.dataset.player") == "waiting"
    program = LiveProgram(root, site.session)
    program.start()
    try:
        await expect(page.locator("body")).to_have_attribute("data-player", "live", timeout=30_000)
        await _playing(page)
    finally:
        program.stop()
