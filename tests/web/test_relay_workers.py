"""The relay on two worker processes, through real pages: a killed worker's halls come back by
themselves, and a hall on the other worker keeps its picture meanwhile."""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page

from harness.browser import join, online
from harness.hub import start_hub
from harness.peers import wait_for
from harness.sample import VENUE, small_roster
from media.workers import RelayWorkers
from server.keys import SESSIONS, SIGNALLING, SIGNER
from server.provision import found_session
from server.signalling import relay_id
from tests.web.conftest import Pages, Site, rising

pytestmark = pytest.mark.browser

RECONNECT_WITHIN = 5.0  # seconds from the kill to the page's new peer connected (the bound)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    runner, url, app = await start_hub(tmp_path, "sqlite", f"mhweb-{secrets.token_hex(4)}", relay_workers=2)
    sid, links = await found_session(app[SESSIONS], app[SIGNER], url, "Musrenbang Uji Dua Inti", small_roster(), VENUE)
    yield Site(url, sid, links, app)
    await runner.cleanup()


def attempt(page: Page) -> object:
    return page.evaluate("() => [window.relayLink?.attempt, window.relayLink?.pc?.connectionState]")


async def test_a_killed_workers_halls_reconnect_by_themselves_and_the_others_keep_their_media(
    site: Site, pages: Pages
) -> None:
    relay = site.app[SIGNALLING].relay  # type: ignore[index]
    assert isinstance(relay, RelayWorkers)
    chair_worker = relay.owner(relay_id(site.session, "chair"))
    halls = site.villages(interactive=False)
    near = next(h for h in halls if h.village and relay.owner(relay_id(site.session, h.village.code)) is chair_worker)
    far = next(h for h in halls if h.village and relay.owner(relay_id(site.session, h.village.code)) is not chair_worker)

    chair = await pages.open(site.link("chair"))
    await online(chair)
    near_page, far_page = await pages.open(near.url), await pages.open(far.url)
    for page in (near_page, far_page):
        await join(page)
        await rising(page, "video")  # the program: the venue's camera, published on the chair's worker
    near_before = await attempt(near_page)

    os.kill(relay.owner(relay_id(site.session, far.village.code)).process.pid, signal.SIGKILL)  # type: ignore[union-attr]
    killed = time.monotonic()
    far_attempt = (await attempt(far_page))[0]  # type: ignore[index]

    async def far_connected_again() -> bool:
        now = await attempt(far_page)
        return now[0] != far_attempt and now[1] == "connected"  # type: ignore[index]

    while not await far_connected_again():
        assert time.monotonic() - killed < RECONNECT_WITHIN, await attempt(far_page)
        await far_page.wait_for_timeout(100)
    await rising(far_page, "video")
    # the hall on the other worker neither lost its peer nor its picture
    assert await attempt(near_page) == near_before
    await rising(near_page, "video")
    await wait_for(lambda: len(relay.pids()) == 2, timeout=10)
