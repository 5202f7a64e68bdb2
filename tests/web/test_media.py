"""Media through the pages: the chair's venue camera, an interactive hall on the floor, a view-only
hall that decodes both, in real headless Chromium with fake camera and microphone."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import expect

from harness.browser import join, online
from harness.peers import wait_for
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from server.keys import SESSIONS, SIGNALLING, SIO
from tests.web.conftest import Pages, Site, rising, screenshot
from tests.web.test_pages import village_sids
from web.i18n import catalog

pytestmark = pytest.mark.browser

async def do(site: Site, actor: Actor, name: str, **payload: object) -> None:
    await site.app[SESSIONS].execute(site.session, parse_command(name, payload), actor, time.time())  # type: ignore[index]


async def test_view_only_hall_sees_and_hears_the_floor_holder(site: Site, pages: Pages) -> None:
    speaker = site.villages(interactive=True)[1]
    viewer = site.villages(interactive=False)[0]
    assert speaker.village and viewer.village
    chair = await pages.open(site.link("chair"))
    hall = await pages.open(speaker.url)
    watcher = await pages.open(viewer.url)
    for page in (chair, hall, watcher):
        await online(page)
    await join(hall)
    await join(watcher)
    await expect(hall.locator("body")).to_have_attribute("data-publishing", "ready")
    await expect(watcher.locator("body")).to_have_attribute("data-publishing", "no")

    # before anyone has the floor, the program is the venue (the chair's camera)
    await rising(watcher, "video")
    await expect(watcher.locator('[data-relay-caption="program"]')).to_contain_text("Bubuk")
    # the chair gets no media of its own from the hub: its program screen shows its own camera
    await expect(chair.locator('[data-relay-caption="program"]')).to_contain_text("Bubuk")
    await expect(chair.locator("#program-video")).to_have_js_property("readyState", 4)

    await do(site, Actor(Kind.CHAIR, "chair"), "session.start")
    await do(site, Actor(Kind.MODERATOR, "mod:1"), "floor.grant", village=speaker.village.code, seconds=120)
    await expect(watcher.locator('[data-relay-caption="program"]')).to_contain_text(speaker.village.name)
    await rising(watcher, "video")
    await rising(watcher, "audio")
    # the chair's grid shows the hall's low layer in its tile
    await expect(chair.locator(f'#village-grid [data-village="{speaker.village.code}"] video')).to_have_js_property(
        "readyState", 4, timeout=15_000)
    await screenshot(watcher, "media-viewonly")
    await screenshot(chair, "media-chair")

    # a hall that loses the hub comes back by itself, media included
    await watcher.context.set_offline(True)
    for sid in village_sids(site, viewer.village.code):
        await site.app[SIO].disconnect(sid)  # type: ignore[index]
    await expect(watcher.locator("#banner")).to_be_visible()
    await watcher.context.set_offline(False)
    await expect(watcher.locator("#banner")).to_be_hidden(timeout=15_000)
    await rising(watcher, "video")
    await expect(watcher.locator('[data-relay-caption="program"]')).to_contain_text(speaker.village.name)


async def test_a_demoted_hall_stops_sending_at_once_and_is_told(site: Site, pages: Pages) -> None:
    speaker = site.villages(interactive=True)[1]
    assert speaker.village
    code = speaker.village.code
    relay = site.app[SIGNALLING].relay  # type: ignore[index]
    feeds = lambda: bool(relay.peer(f"{site.session}/{code}") and relay.peer(f"{site.session}/{code}").feeds)  # noqa: E731
    hall = await pages.open(speaker.url)
    await online(hall)
    await expect(hall.locator("#camera-state")).to_contain_text("×", timeout=20_000)  # joins with its camera open
    await join(hall)
    await expect(hall.locator("body")).to_have_attribute("data-publishing", "ready")
    await wait_for(feeds, 15)
    mod = Actor(Kind.MODERATOR, "mod:1")
    await do(site, Actor(Kind.CHAIR, "chair"), "session.start")

    await do(site, mod, "village.demote", village=code)
    await expect(hall.locator("#notice-text")).to_have_text(catalog("id")["camera.withdrawn"])
    await expect(hall.locator("body")).to_have_attribute("data-publishing", "no")
    assert not feeds()
    assert await hall.evaluate("window.relayLink.pc.getSenders().every((sender) => !sender.track)")
    await screenshot(hall, "village-demoted")

    await do(site, mod, "village.promote", village=code)  # promoted again: the open camera is offered again
    await expect(hall.locator("body")).to_have_attribute("data-publishing", "ready")
    await expect(hall.locator("#notice")).to_be_hidden()
    await wait_for(feeds, 15)
