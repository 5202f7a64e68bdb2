"""The program as the halls see it when the floor holder drops, and when the floor moves under load:
real Chromium pages with fake camera and microphone against a real hub."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.async_api import Page, expect

from harness.sample import VENUE
from rooms.actors import Actor, Kind
from server.keys import SESSIONS
from tests.web.conftest import Pages, Site, rising, screenshot
from tests.web.test_media import do

pytestmark = pytest.mark.browser

MOD = Actor(Kind.MODERATOR, "mod:1")
PATIENCE_MS = 30_000  # the machine runs many suites at once: waits are long, none is a speed assertion


@pytest.fixture(autouse=True)
def patient() -> Iterator[None]:
    expect.set_options(timeout=PATIENCE_MS)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default


async def open_page(pages: Pages, url: str) -> Page:
    page = await pages.open(url)
    page.context.set_default_timeout(PATIENCE_MS)
    return page


async def online(page: Page) -> None:
    await expect(page.locator("body")).to_have_attribute("data-connection", "online")


async def join(page: Page) -> None:
    await online(page)
    await page.get_by_role("button", name="Masuk ke sidang").click()
    await expect(page.locator("#live")).to_be_visible()


def caption(page: Page):  # type: ignore[no-untyped-def]
    return page.locator('[data-relay-caption="program"]')


async def test_the_program_falls_back_to_the_venue_while_the_floor_holder_is_gone(site: Site, pages: Pages) -> None:
    speaker = site.villages(interactive=True)[1]
    viewer = site.villages(interactive=False)[0]
    assert speaker.village and viewer.village
    name = speaker.village.name
    chair = await open_page(pages, site.link("chair"))
    hall = await open_page(pages, speaker.url)
    watcher = await open_page(pages, viewer.url)
    await online(chair)
    await join(hall)
    await join(watcher)
    await expect(hall.locator("body")).to_have_attribute("data-publishing", "ready")
    await do(site, Actor(Kind.CHAIR, "chair"), "session.start")
    await do(site, MOD, "floor.grant", village=speaker.village.code, seconds=120)
    await expect(caption(watcher)).to_contain_text(name)
    await rising(watcher, "video", 30)
    floor = watcher.locator(".floor")
    await expect(floor).to_have_attribute("data-state", "running")

    # the holder's hall reloads: the program goes to the venue, says why, and the countdown stops
    started = time.monotonic()
    await hall.reload()
    await expect(caption(watcher)).to_contain_text("Bubuk")
    fallback = time.monotonic() - started
    await expect(caption(watcher)).to_contain_text(f"{name} terputus")
    await expect(floor.locator('[data-floor="name"]')).to_have_text(name)  # still its turn
    # the reloaded hall comes straight back, so on a busy machine the pause may be over before the
    # countdown is read: the record says it stood still (the dead link below shows it on the page)
    records = [(r.type, r.actor) for r in await site.app[SESSIONS].log.read(site.session)]  # type: ignore[index]
    assert ("floor.paused", "hub") in records
    await screenshot(watcher, "floor-holder-gone")

    # it passed its pre-join check minutes ago: straight back in, with the same camera; the program follows
    await expect(hall.locator("#live")).to_be_visible()
    await expect(hall.locator("#prejoin")).to_be_hidden()
    await expect(hall.locator("body")).to_have_attribute("data-publishing", "ready")
    await expect(caption(watcher)).to_have_text(re.compile(rf"^{name}, Kec\."))
    await expect(floor).to_have_attribute("data-state", "running")
    await rising(watcher, "video", 30)

    # its media link drops without the page noticing (a dead network): the same, until it is back
    await hall.evaluate("window.relayLink.pc.close()")
    await expect(caption(watcher)).to_contain_text(f"{name} terputus")
    await expect(floor).to_have_attribute("data-state", "paused")
    countdown = await floor.locator('[data-floor="countdown"]').inner_text()
    await watcher.wait_for_timeout(1500)
    assert await floor.locator('[data-floor="countdown"]').inner_text() == countdown  # it stands still
    await hall.evaluate("window.relayLink.connect()")
    await expect(caption(watcher)).to_have_text(re.compile(rf"^{name}, Kec\."))
    await expect(floor).to_have_attribute("data-state", "running")
    print(f"program back on the venue {fallback:.2f} s after the holder's reload")

    # changing the language keeps the hall in the session
    await watcher.get_by_role("link", name="English").click()
    await online(watcher)
    await expect(watcher.locator("html")).to_have_attribute("lang", "en")
    await expect(watcher.locator("#live")).to_be_visible()
    await expect(watcher.locator("#prejoin")).to_be_hidden()
    await rising(watcher, "video", 30)
    await expect(caption(watcher)).to_contain_text(f"{name}, {speaker.village.kecamatan_name} district")


# the hall's program layer stops reaching the hub (a congested uplink), and comes back
HOLD_HIGH = """() => {
  const sender = window.relayLink.pc.getTransceivers()[0].sender;
  window.heldTrack = sender.track;
  return sender.replaceTrack(null);
}"""
RELEASE_HIGH = "() => window.relayLink.pc.getTransceivers()[0].sender.replaceTrack(window.heldTrack)"


async def test_the_caption_changes_with_the_picture_not_before_it(site: Site, pages: Pages) -> None:
    first, second = [link for link in site.villages(interactive=True) if link.village.code != VENUE][:2]  # type: ignore[union-attr]
    viewer = site.villages(interactive=False)[0]
    assert first.village and second.village
    halls = [await open_page(pages, first.url), await open_page(pages, second.url)]
    watcher = await open_page(pages, viewer.url)
    for page in (*halls, watcher):
        await join(page)
    for page in halls:
        await expect(page.locator("body")).to_have_attribute("data-publishing", "ready")
    await do(site, Actor(Kind.CHAIR, "chair"), "session.start")
    await do(site, MOD, "floor.grant", village=first.village.code, seconds=120)
    await expect(caption(watcher)).to_contain_text(first.village.name)
    await rising(watcher, "video", 30)

    # the floor moves while the new holder's picture is held up: the caption stays with the picture
    await halls[1].evaluate(HOLD_HIGH)
    await do(site, MOD, "floor.grant", village=second.village.code, seconds=120)
    await watcher.wait_for_function(f"window.relayLink.routes.program === {second.village.code!r}")
    await watcher.wait_for_timeout(2000)
    await expect(caption(watcher)).to_contain_text(first.village.name)
    await halls[1].evaluate(RELEASE_HIGH)
    await expect(caption(watcher)).to_contain_text(second.village.name)
    await rising(watcher, "video", 30)


PROGRAM_SIZE = """async () => {
  const receiver = window.relayLink.receivers.get("program");
  if (!receiver) return null;
  for (const r of (await receiver.getStats()).values())
    if (r.type === "inbound-rtp" && r.frameWidth) return [r.frameWidth, r.frameHeight];
  return null;
}"""


async def program_size(page: Page) -> tuple[int, int] | None:
    size = await page.evaluate(PROGRAM_SIZE)
    return (size[0], size[1]) if size else None


async def test_the_chairs_shared_screen_takes_the_program_with_its_camera_in_a_corner(site: Site, pages: Pages) -> None:
    speaker = site.villages(interactive=True)[1]
    viewer = site.villages(interactive=False)[0]
    assert speaker.village and viewer.village
    chair = await open_page(pages, site.link("chair"))
    watcher = await open_page(pages, viewer.url)
    await online(chair)
    await join(watcher)
    await do(site, Actor(Kind.CHAIR, "chair"), "session.start")
    await do(site, MOD, "floor.grant", village=speaker.village.code, seconds=300)  # a turn runs meanwhile
    await expect(caption(watcher)).to_contain_text("Bubuk")  # the hall has not joined: the venue stands in
    pip = watcher.locator('video[data-relay-slot="pip"]')
    await expect(pip).to_be_hidden()

    await chair.get_by_role("button", name="Bagikan layar").click()
    await expect(chair.get_by_role("button", name="Hentikan berbagi layar")).to_be_visible()
    await expect(caption(watcher)).to_contain_text("Presentasi")
    await expect(pip).to_be_visible()  # the chair's camera, small
    # the camera's program layer is 640×360; the program now comes at the shared screen's own size
    settings = await chair.evaluate("window.relayLink.screen.getSettings()")
    screen = (settings["width"], settings["height"])
    assert screen[1] > 360
    deadline = time.monotonic() + PATIENCE_MS / 1000
    while await program_size(watcher) != screen and time.monotonic() < deadline:
        await watcher.wait_for_timeout(300)
    assert await program_size(watcher) == screen
    await rising(watcher, "video", 30)
    assert await pip.evaluate("v => v.srcObject?.getVideoTracks().length") == 1
    await expect(chair.locator('video[data-relay-slot="pip"]')).to_be_visible()  # its own camera, at the chair
    await screenshot(watcher, "chair-presenting")

    await chair.get_by_role("button", name="Hentikan berbagi layar").click()
    await expect(caption(watcher)).not_to_contain_text("Presentasi")
    await expect(pip).to_be_hidden()
    await expect(chair.get_by_role("button", name="Bagikan layar")).to_be_visible()
    records = [r.type for r in await site.app[SESSIONS].log.read(site.session)]  # type: ignore[index]
    assert records.count("screen.started") == records.count("screen.stopped") == 1  # both on the record
