"""The live program end to end, in Chromium: a hub composing the program, the chair's console
publishing the venue from one browser, an interactive hall publishing from another, a moderator
giving the floor, and a citizen's page playing the HLS. For the end-to-end test and the latency
benchmark.

The two browsers' fake cameras play solid colours (the venue red, the hall blue: a fake camera
reads one file per browser process), so what the citizen's player shows can be told from the
colour of its pixels where the layout puts the main picture.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from playwright.async_api import Browser, Page, Playwright, expect

from harness.browser import CHROMIUM, FLAGS, join_publishing, online
from harness.hub import start_hub
from harness.sample import VENUE, small_roster
from server.keys import SESSIONS, SIGNER
from server.provision import Link, found_session

RED, BLUE = (220, 30, 30), (30, 30, 220)
CONSOLE = {"width": 1366, "height": 768}

# In the citizen's page (an init script): the hue its <video> shows at the main picture (a quarter
# across, 40 % down: clear of the picture-in-picture at the top right and of the caption band at the
# bottom), averaged over a small patch, and a wait for a hue polled every ~50 ms. Times are
# Date.now(): one clock with the moderator's page, whose click starts the measurement.
PROBE = """
window.mainHue = () => {
  const v = document.getElementById("livestream");
  if (!v || !v.videoWidth || v.readyState < 2) return null;
  const c = window.__probe ??= document.createElement("canvas");
  c.width = 64; c.height = 36;
  const g = c.getContext("2d", { willReadFrequently: true });
  g.drawImage(v, 0, 0, 64, 36);
  const d = g.getImageData(14, 12, 4, 4).data;
  const [r, gr, b] = [0, 1, 2].map((k) => d.filter((_, i) => i % 4 === k).reduce((a, x) => a + x, 0) / 16);
  if (r > b + 80 && r > gr + 80) return "red";
  if (b > r + 80 && b > gr + 80) return "blue";
  return `other(${[r, gr, b].map(Math.round)})`;
};
window.awaitHue = (hue, timeoutMs) => new Promise((resolve, reject) => {
  const started = Date.now();
  const tick = () => {
    const now = Date.now(), seen = window.mainHue();
    if (seen === hue) return resolve(now);
    if (now - started > timeoutMs) return reject(new Error(`no ${hue} within ${timeoutMs} ms: ${seen}`));
    setTimeout(tick, 50);
  };
  tick();
});
"""


def solid_camera(path: Path, rgb: tuple[int, int, int], width: int = 640, height: int = 360, fps: int = 30,
                 frames: int = 6) -> Path:
    """A Y4M file of one colour, for ``--use-file-for-fake-video-capture`` (Chromium loops it)."""
    picture = np.full((height, width, 3), rgb, dtype=np.uint8)
    planes = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p").to_ndarray()
    header = f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + (b"FRAME\n" + planes.tobytes()) * frames)
    return path


def camera_flags(camera: Path) -> list[str]:
    return [*FLAGS, f"--use-file-for-fake-video-capture={camera}"]


async def hue(page: Page) -> str | None:
    """What the citizen's player shows in the main picture now: "red", "blue", "other(r,g,b)", or None."""
    return await page.evaluate("window.mainHue()")  # type: ignore[no-any-return]


async def hue_at(page: Page, wanted: str, timeout: float) -> int:
    """Wait in the page until the main picture is ``wanted``; the Date.now() it was first seen."""
    return int(await page.evaluate("([hue, ms]) => window.awaitHue(hue, ms)", [wanted, int(timeout * 1000)]))


@dataclass
class OnAir:
    """A hub with the program on, its session live, and the pages that make and watch it."""

    url: str
    session: str
    links: list[Link]
    app: Any
    chair: Page
    hall: Page
    moderator: Page
    public: Page
    speaker: Link

    async def grant(self) -> int:
        """The hall raises its hand and the moderator clicks "Beri waktu bicara"; the click's Date.now()."""
        assert self.speaker.village is not None
        await self.hall.get_by_role("button", name="Angkat tangan").click()
        entry = self.moderator.locator(f'#queue [data-village="{self.speaker.village.code}"]')
        button = entry.get_by_role("button", name="Beri waktu bicara")
        await expect(button).to_be_enabled()
        clicked = int(await self.moderator.evaluate("Date.now()"))
        await button.click()
        return clicked

    async def end_turn(self) -> int:
        """The moderator ends the turn ("Hentikan"); the click's Date.now()."""
        button = self.moderator.locator("#floor-revoke")
        await expect(button).to_be_enabled()
        clicked = int(await self.moderator.evaluate("Date.now()"))
        await button.click()
        return clicked

    async def close_session(self) -> None:
        """The moderator closes the session ("Tutup sidang", and yes)."""
        await self.moderator.get_by_role("button", name="Tutup sidang").click()
        await self.moderator.get_by_role("dialog").get_by_role("button", name="Ya, tutup sidang").click()
        await expect(self.moderator.locator("#session-status")).to_have_text("Selesai")


async def _page(browser: Browser, url: str, timeout_ms: int, script: str | None = None) -> Page:
    context = await browser.new_context(viewport=CONSOLE)  # type: ignore[arg-type]
    context.set_default_timeout(timeout_ms)
    context.set_default_navigation_timeout(60_000)
    if script is not None:
        await context.add_init_script(script)
    page = await context.new_page()
    await page.goto(url)
    return page


@asynccontextmanager
async def on_air(playwright: Playwright, folder: Path, *, timeout_ms: int = 60_000,
                 **config: Any) -> AsyncIterator[OnAir]:
    """Start it all; ``config`` overrides the hub's (``program=True`` is the point)."""
    red, blue = solid_camera(folder / "venue.y4m", RED), solid_camera(folder / "hall.y4m", BLUE)
    runner, url, app = await start_hub(folder, "sqlite", f"mhair-{secrets.token_hex(4)}",
                                       **{"program": True, **config})
    venue_browser = hall_browser = None
    try:
        sid, links = await found_session(app[SESSIONS], app[SIGNER], url, "Musrenbang Siaran Uji", small_roster(),
                                         VENUE)
        speaker = next(link for link in links if link.role == "village" and link.interactive
                       and link.village is not None and link.village.code != VENUE)
        link = {link.role: link.url for link in links if link.role != "village"}
        venue_browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=camera_flags(red))
        hall_browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=camera_flags(blue))
        chair = await _page(venue_browser, link["chair"], timeout_ms)
        hall = await _page(hall_browser, speaker.url, timeout_ms)
        moderator = await _page(venue_browser, link["moderator"], timeout_ms)
        for page in (chair, moderator):
            await online(page)
        await join_publishing(hall)
        await moderator.get_by_role("button", name="Mulai sidang").click()
        await moderator.get_by_role("dialog").get_by_role("button", name="Ya, mulai sidang").click()
        await expect(moderator.locator("#session-status")).to_have_text("Berlangsung")
        public = await _page(venue_browser, link["public"], timeout_ms, PROBE)
        yield OnAir(url, sid, links, app, chair, hall, moderator, public, speaker)
    finally:
        for browser in (venue_browser, hall_browser):
            if browser is not None:
                await browser.close()
        await runner.cleanup()
