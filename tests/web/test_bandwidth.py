"""The program picture at full quality: the relay's bandwidth estimate lets a publishing hall's high
layer grow, and a view-only hall receives it at program size (real Chromium, getStats on both ends)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from harness.browser import CAMERA_30, CHROMIUM, OUTBOUND, PROGRAM_INBOUND, join, join_publishing, rate
from rooms.actors import Actor, Kind
from server.keys import SIGNALLING
from tests.web.conftest import Pages, Site
from tests.web.test_media import do

pytestmark = pytest.mark.browser
SHORT_LINK = 200_000


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=CAMERA_30)
        yield b
        await b.close()


async def sending(page: Page, timeout: float = 20.0) -> dict[str, Any]:
    """The page's first outbound stats of both layers and the mic (the clock starts at its first packets)."""
    deadline = time.monotonic() + timeout
    layers: dict[str, Any] = {}
    while time.monotonic() < deadline:
        layers = await page.evaluate(OUTBOUND)
        if {"high", "low", "mic"} <= layers.keys():
            return layers
        await page.wait_for_timeout(200)
    state = await page.evaluate("() => document.body.dataset.media")
    raise AssertionError(f"{page.url} sends nothing: {layers}, media {state}")


async def frames_flowing(page: Page, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        program = await page.evaluate(PROGRAM_INBOUND)
        if program and program["frames"] > 10:
            return
        await page.wait_for_timeout(300)
    raise AssertionError(f"no program frames on {page.url}")


async def test_the_program_reaches_a_view_only_hall_at_program_size(site: Site, pages: Pages) -> None:
    speaker = site.villages(interactive=True)[0]
    viewer = site.villages(interactive=False)[0]
    assert speaker.village and viewer.village
    # no chair page: its venue camera would only add two encoders' worth of CPU to the machine
    hall = await pages.open(speaker.url)
    await join_publishing(hall)

    # the publishing hall's high layer: program size and bitrate within 10 s, not held by bandwidth
    seen: list[tuple[int, int, int, int, str, int, int, int]] = []
    previous = await sending(hall)
    for _ in range(10):
        await hall.wait_for_timeout(1000)
        now = await hall.evaluate(OUTBOUND)
        high = now["high"]
        kbps, fps = rate(previous["high"], high)
        seen.append((high["width"], high["height"], round(kbps), round(fps), high["reason"], high["target"] // 1000,
                     round(rate(previous["low"], now["low"])[0]), now.get("available", 0) // 1000))
        previous = now
        if high["width"] >= 640 and high["height"] >= 360 and kbps >= 400 and high["reason"] != "bandwidth":
            break
    else:
        raise AssertionError(f"high layer over 10 s (w, h, kbit/s, fps, limit, target; low kbit/s; available): {seen}")

    # a view-only hall receives it as the program at that size, bitrate and frame rate
    watcher = await pages.open(viewer.url)
    await join(watcher)
    await do(site, Actor(Kind.CHAIR, "chair"), "session.start")
    await do(site, Actor(Kind.MODERATOR, "mod:1"), "floor.grant", village=speaker.village.code, seconds=120)
    await expect(watcher.locator('[data-relay-caption="program"]')).to_contain_text(speaker.village.name)
    await frames_flowing(watcher)
    before = await watcher.evaluate(PROGRAM_INBOUND)
    await watcher.wait_for_timeout(4000)
    after = await watcher.evaluate(PROGRAM_INBOUND)
    kbps, fps = rate(before, after)
    figures = (after["width"], after["height"], round(kbps), round(fps))
    assert after["width"] >= 640 and after["height"] >= 360 and kbps >= 400 and fps >= 20, figures


async def test_on_a_short_link_the_low_layer_and_the_microphone_come_first(site: Site, pages: Pages) -> None:
    relay = site.app[SIGNALLING].relay  # type: ignore[index]
    relay.config = replace(relay.config, publish_bitrate=SHORT_LINK)  # what a thin village uplink would estimate
    hall = await pages.open(site.villages(interactive=True)[0].url)
    await join_publishing(hall)
    await sending(hall)
    await hall.wait_for_timeout(3000)
    before = await hall.evaluate(OUTBOUND)
    await hall.wait_for_timeout(2000)
    after = await hall.evaluate(OUTBOUND)
    figures = {layer: (after[layer]["target"] // 1000, round(rate(before[layer], after[layer])[0]))
               for layer in ("high", "low", "mic")}
    assert after["available"] <= SHORT_LINK, figures
    assert after["low"]["target"] >= 120_000, figures  # of its 150 kbit/s
    assert figures["mic"][1] >= 16, figures  # Opus still flowing
    assert after["high"]["target"] < after["low"]["target"], figures
