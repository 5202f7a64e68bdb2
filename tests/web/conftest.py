"""Pages in a real headless Chromium (Debian's), against a real hub on a loopback port."""

from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from harness.browser import CHROMIUM, FLAGS
from harness.hub import start_hub
from harness.sample import VENUE, small_roster
from server.keys import SESSIONS, SIGNER
from server.provision import Link, found_session

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
CONSOLE = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium")


@dataclass
class Site:
    """A hub with one session, and the links its people open."""

    url: str
    session: str
    links: list[Link]
    app: object

    def link(self, role: str) -> str:
        return next(link.url for link in self.links if link.role == role)

    def villages(self, interactive: bool) -> list[Link]:
        return [link for link in self.links if link.role == "village" and link.interactive == interactive]


@pytest.fixture
async def site(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Site]:
    title = getattr(request, "param", "Musrenbang Kecamatan Uji")
    runner, url, app = await start_hub(tmp_path, "sqlite", f"mhweb-{secrets.token_hex(4)}")
    sid, links = await found_session(app[SESSIONS], app[SIGNER], url, title, small_roster(), VENUE)
    yield Site(url, sid, links, app)
    await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        await b.close()


class Pages:
    """Opens pages, each in its own browser context (its own storage, like a separate device)."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    async def open(self, url: str, viewport: dict[str, int] = CONSOLE) -> Page:
        context = await self.browser.new_context(viewport=viewport)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        context.set_default_navigation_timeout(60_000)  # a page load on a busy 2-core machine
        self.contexts.append(context)
        page = await context.new_page()
        page.on("pageerror", lambda err: self.errors.append(f"{url}: {err}"))
        await page.goto(url)
        return page

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


@pytest.fixture
async def pages(browser: Browser) -> AsyncIterator[Pages]:
    opened = Pages(browser)
    yield opened
    await opened.close()
    assert not opened.errors, opened.errors  # no page threw an uncaught error


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


# inbound-rtp totals of the page's relay link, by kind
INBOUND = """async () => {
  const pc = window.relayLink?.pc;
  if (!pc) return {video: 0, audio: 0};
  const totals = {video: 0, audio: 0};
  (await pc.getStats()).forEach((s) => {
    if (s.type !== "inbound-rtp") return;
    totals[s.kind] += s.kind === "video" ? (s.framesDecoded ?? 0) : (s.totalSamplesReceived ?? 0);
  });
  return totals;
}"""


async def rising(page: Page, kind: str, timeout: float = 15.0) -> int:
    """Wait until the page's decoded frames (or audio samples) of a kind grow; return the growth."""
    first = (await page.evaluate(INBOUND))[kind]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await page.wait_for_timeout(300)
        now = (await page.evaluate(INBOUND))[kind]
        if now > first + 10:
            return int(now - first)
    state = await page.evaluate("""() => ({media: document.body.dataset.media,
        pc: window.relayLink?.pc?.connectionState, routes: window.relayLink?.routes,
        slots: [...(window.relayLink?.streams?.keys() ?? [])]})""")
    raise AssertionError(f"{kind} did not rise on {page.url}: {first}; {state}")
