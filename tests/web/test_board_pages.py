"""The board's row pushes in Chromium: merged by id, and a missed push mended by a snapshot (issue 8.7)."""

from __future__ import annotations

import re
import time

import pytest
from playwright.async_api import WebSocketRoute, expect

from harness.browser import join, online
from harness.sample import usulan
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from server.keys import SESSIONS
from tests.web.conftest import Pages, Site

pytestmark = pytest.mark.browser

MODERATOR = Actor(Kind.MODERATOR, "mod:1")


async def do(site: Site, actor: Actor, name: str, **payload: object) -> None:
    await site.app[SESSIONS].execute(site.session, parse_command(name, payload), actor, time.time())  # type: ignore[index]


async def test_a_page_that_misses_a_board_push_resyncs(site: Site, pages: Pages) -> None:
    """A page on Socket.IO (the chair's) merges the pushed rows; when one push never arrives, the next one's ``since``
    does not match what the page holds, and the page asks for a snapshot instead of showing a stale row."""
    drop, dropped, syncs = [False], [0], [0]

    def relay(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def down(message: str | bytes) -> None:
            if drop[0] and isinstance(message, str) and '"rows"' in message:
                drop[0], dropped[0] = False, dropped[0] + 1
                return
            ws.send(message)

        def up(message: str | bytes) -> None:
            syncs[0] += isinstance(message, str) and '"sync"' in message
            server.send(message)

        server.on_message(down)
        ws.on_message(up)

    page = await pages.open("about:blank")
    await page.route_web_socket(re.compile(r"/socket\.io/"), relay)
    await page.goto(site.link("chair"))
    await online(page)
    villages = [link.village.code for link in site.villages(False)[:2] if link.village]
    for code in villages:
        await do(site, Actor(Kind.VILLAGE, code, code), "proposal.submit", **usulan())
    cards = page.locator("#board .proposal")
    await expect(cards).to_have_count(2)  # merged from row pushes
    assert syncs[0] == 1

    drop[0] = True
    await do(site, MODERATOR, "proposal.accept", proposal="U-001")  # this push never reaches the page
    for _ in range(200):  # until the relay has held it back
        if dropped[0]:
            break
        await page.wait_for_timeout(50)
    assert dropped[0] == 1
    await do(site, MODERATOR, "proposal.accept", proposal="U-002")
    for proposal in ("U-001", "U-002"):
        await expect(page.locator(f'#board [data-proposal="{proposal}"] .badge')).to_have_text("Diterima")
    assert syncs[0] == 2  # the gap was mended by one snapshot


async def test_every_page_that_shows_the_board_follows_its_row_pushes(site: Site, pages: Pages) -> None:
    hall_link = site.villages(False)[0]
    assert hall_link.village is not None
    code = hall_link.village.code
    chair, moderator, hall = (await pages.open(site.link("chair")), await pages.open(site.link("moderator")),
                              await pages.open(hall_link.url))
    for page in (chair, moderator):
        await online(page)
    await join(hall)
    hall_actor = Actor(Kind.VILLAGE, code, code)
    await do(site, hall_actor, "proposal.submit", **usulan())
    await do(site, hall_actor, "proposal.submit", **usulan(title="Pengadaan tandon air bersih"))
    await do(site, MODERATOR, "proposal.accept", proposal="U-001")
    await do(site, hall_actor, "proposal.edit", proposal="U-002", title="Tandon air bersih dusun Krajan")
    await do(site, MODERATOR, "proposal.reject", proposal="U-002", reason="Ganda")
    for page, board in ((chair, "#board"), (moderator, "#screening-list"), (hall, "#my-proposals")):
        await expect(page.locator(f'{board} [data-proposal="U-001"] .badge')).to_have_text("Diterima")
    await expect(hall.locator('#my-proposals [data-proposal="U-002"] .proposal-title')).to_have_text(
        "Tandon air bersih dusun Krajan")
    await expect(hall.locator('#my-proposals [data-proposal="U-002"] .badge')).to_have_text("Ditolak")
    await expect(chair.locator("#board .proposal")).to_have_count(1)  # the chair sees what is still in play
