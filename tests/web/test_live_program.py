"""Issue 11's "done when", end to end: a citizen's page plays the live program the hub composes,
with the floor holder visible — the chair's console publishing the venue (red) and an interactive
hall (blue) from two real Chromium processes, the moderator giving the floor on the moderator page,
the composer's HLS served by the hub and played by the public page's hls.js player."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from playwright.async_api import async_playwright, expect

from harness.browser import CHROMIUM
from harness.on_air import hue, hue_at, on_air
from tests.web.conftest import screenshot

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium")]

# generous: a loaded 2-core machine runs the composer beside two browsers; no timing is asserted
SECONDS = 90


async def test_the_citizens_page_plays_the_venue_then_the_hall_given_the_floor_then_the_venue(
        tmp_path: Path) -> None:
    async with async_playwright() as playwright, on_air(playwright, tmp_path) as air:
        public, name = air.public, air.speaker.village.name  # type: ignore[union-attr]
        await expect(public.locator("body")).to_have_attribute("data-player", "live", timeout=SECONDS * 1000)
        await hue_at(public, "red", SECONDS)  # the venue, full-frame
        await air.grant()
        await expect(public.locator('.floor [data-floor="name"]')).to_have_text(name)
        await hue_at(public, "blue", SECONDS)  # the hall large (the venue small, top right)
        await screenshot(public, "public-live-program-floor")
        await air.end_turn()
        await expect(public.locator('.floor [data-floor="name"]')).not_to_have_text(name)
        await hue_at(public, "red", SECONDS)
        assert await hue(public) == "red"

        # the session closes: the same page offers the composed recording, and the turn's chapter
        # opens where the hall came on the program
        await air.close_session()
        await expect(public.locator("body")).to_have_attribute("data-player", "playback", timeout=SECONDS * 1000)
        turn = public.locator("#chapters .chapter-turn")
        await expect(turn).to_have_count(1)
        await expect(turn).to_contain_text(name)
        offset = float(await turn.get_by_role("link").get_attribute("data-offset") or "nan")
        await turn.get_by_role("link").click()
        await hue_at(public, "blue", SECONDS)
        played = await public.evaluate("document.getElementById('livestream').currentTime")
        assert offset <= played < offset + 3, (offset, played)  # the switch takes the hall's first picture
        await screenshot(public, "public-program-recording")
