"""The shipped nginx site (server/deploy/nginx.conf) in front of a real hub (issue 12 §5): a real
Debian nginx microcaches live.json and the HLS files, answers 304s, never caches a page that sets a
cookie, carries Socket.IO, and the public page in Chromium follows the session through it with no
Socket.IO connection at all, its "Dukung" counted."""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio
from aiohttp import web
from playwright.async_api import expect

from harness.browser import online
from harness.hubproc import PROPOSAL
from harness.net import free_port
from harness.nginx import Nginx
from harness.sample import VENUE, small_roster
from recordings.paths import program_dir
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from server.app import create_app
from server.config import Config
from server.keys import SESSIONS, SIGNER
from server.provision import Link, found_session
from tests.web.conftest import PHONE, Pages, screenshot

pytestmark = pytest.mark.skipif(not Nginx.available(), reason="needs Debian's nginx")

MODERATOR = Actor(Kind.MODERATOR, "mod:1")
PLAYLIST = b"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg-00001.ts\n"


@dataclass
class Front:
    hub: str  # the hub itself
    url: str  # nginx in front of it
    app: web.Application
    session: str
    links: list[Link]
    seen: Counter[str]  # path → requests that reached the hub

    async def do(self, actor: Actor, name: str, **payload: Any) -> int:
        return await self.app[SESSIONS].execute(self.session, parse_command(name, payload), actor, time.time())

    def link(self, role: str) -> str:
        return next(link.url for link in self.links if link.role == role).replace(self.hub, self.url)


@pytest.fixture
async def front(tmp_path: Path) -> AsyncIterator[Front]:
    port = free_port()
    config = Config(host="127.0.0.1", port=port, data_dir=tmp_path / "hub", secret="test-secret", demo=False,
                    trusted_proxies=("127.0.0.1",))
    app = create_app(config)
    seen: Counter[str] = Counter()

    async def count(request: web.Request, response: web.StreamResponse) -> None:
        seen[request.path] += 1

    app.on_response_prepare.append(count)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    hub = f"http://127.0.0.1:{port}"
    sid, links = await found_session(app[SESSIONS], app[SIGNER], hub, "Musrenbang Uji", small_roster(), VENUE)
    program = program_dir(config.recordings_root, sid)  # what the composer writes, served by the livestream
    (program / "main").mkdir(parents=True)
    (program / "main" / "index.m3u8").write_bytes(PLAYLIST)
    (program / "main" / "seg-00001.ts").write_bytes(b"\x47" * 188 * 50)
    nginx = Nginx(tmp_path / "nginx", f"127.0.0.1:{port}").start()
    try:
        yield Front(hub, nginx.url, app, sid, links, seen)
    finally:
        nginx.stop()
        await runner.cleanup()


async def _get(http: aiohttp.ClientSession, url: str, **headers: str) -> tuple[int, Any, bytes]:
    async with http.get(url, headers=headers) as r:
        return r.status, r.headers, await r.read()


async def test_nginx_microcaches_live_json_and_hls_and_never_a_page(front: Front) -> None:
    live = f"{front.url}/s/{front.session}/live.json"
    async with aiohttp.ClientSession() as http:
        first = await asyncio.gather(*[_get(http, live) for _ in range(40)])
        assert {status for status, _, _ in first} == {200}
        assert len({headers["ETag"] for _, headers, _ in first}) == 1
        # one for forty, the cache lock holding the rest (two if a second ended in between)
        assert front.seen[f"/s/{front.session}/live.json"] <= 2
        assert all("Set-Cookie" not in headers and "X-Accel-Expires" not in headers for _, headers, _ in first)
        etag = first[0][1]["ETag"]
        status, headers, body = await _get(http, live, **{"If-None-Match": etag})
        assert (status, body, headers["ETag"]) == (304, b"", etag)

        # a change shows within the cache's second and the page's poll
        await front.do(MODERATOR, "agenda.add", title="Penetapan prioritas")
        deadline = time.monotonic() + 5
        while (status := (await _get(http, live, **{"If-None-Match": etag}))[0]) == 304:
            assert time.monotonic() < deadline, "live.json never changed behind nginx"
            await asyncio.sleep(0.2)
        assert status == 200
        assert front.seen[f"/s/{front.session}/live.json"] <= 8  # about one a second, not one per poll

        # a query string is no way around the cache
        before = front.seen[f"/s/{front.session}/live.json"]
        await asyncio.gather(*[_get(http, f"{live}?x={n}") for n in range(10)])
        assert front.seen[f"/s/{front.session}/live.json"] <= before + 1

        for name in ("main/index.m3u8", "main/seg-00001.ts"):
            got = await asyncio.gather(*[_get(http, f"{front.url}/s/{front.session}/live/{name}") for _ in range(20)])
            assert {status for status, _, _ in got} == {200}
            assert front.seen[f"/s/{front.session}/live/{name}"] == 1, name

    # every citizen's page comes from the hub, with a token of its own
    cookies = []
    for _ in range(3):
        async with aiohttp.ClientSession() as http, http.get(f"{front.url}/s/{front.session}") as r:
            assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
            cookies.append(r.cookies["mh_browser"].value)
    assert len(set(cookies)) == 3 and front.seen[f"/s/{front.session}"] == 3


async def test_socket_io_and_support_go_through_nginx(front: Front) -> None:
    await front.do(MODERATOR, "session.start")
    hall = next(link for link in front.links if link.role == "village" and link.village and link.village.code != VENUE)
    assert hall.village
    await front.do(Actor(Kind.VILLAGE, hall.village.code, hall.village.code), "proposal.submit", **PROPOSAL)

    staff = socketio.AsyncClient(reconnection=False)
    token = front.link("moderator").split("#t=")[1]
    await staff.connect(front.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    try:
        reply = await staff.call("sync", {}, timeout=10)
        assert reply["ok"] and reply["models"]["board"]["proposals"][0]["proposal"] == "U-001"
        pushed: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def update(data: dict[str, Any]) -> None:
            rows = data.get("rows", {}).get("board", {}).get("proposals", [])
            if any(row["support"] for row in rows) and not pushed.done():
                pushed.set_result(rows[0]["support"])

        staff.on("update", update)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{front.url}/s/{front.session}") as r:  # a citizen's browser, named by the hub
                cookie = r.cookies["mh_browser"].value
            async with http.post(f"{front.url}/s/{front.session}/support", json={"proposal": "U-001"},
                                 headers={"Cookie": f"mh_browser={cookie}"}) as r:
                assert r.status == 200 and (await r.json())["ok"]
        assert await asyncio.wait_for(pushed, 10) == 1  # the staff hear of it over their socket, through nginx
    finally:
        await staff.disconnect()


async def test_the_public_page_follows_through_nginx_without_socket_io(front: Front, pages: Pages) -> None:
    await front.do(MODERATOR, "session.start")
    hall = next(link for link in front.links if link.role == "village" and link.village and link.village.code != VENUE)
    assert hall.village
    await front.do(Actor(Kind.VILLAGE, hall.village.code, hall.village.code), "proposal.submit", **PROPOSAL)
    page = await pages.open("about:blank", PHONE)
    requests: list[str] = []
    sockets: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("websocket", lambda ws: sockets.append(ws.url))
    await page.goto(front.link("public"))
    await online(page)

    # the floor and the agenda arrive by polling, through the cache
    await front.do(MODERATOR, "agenda.add", title="Penetapan prioritas")
    await expect(page.locator("#agenda")).to_contain_text("Penetapan prioritas")
    await front.do(MODERATOR, "floor.grant", village=hall.village.code, seconds=240)
    await expect(page.locator('[data-floor="name"]').first).to_have_text(hall.village.name)
    await expect(page.locator('[data-floor="countdown"]').first).to_have_text(re.compile(r"^(4:00|3:[45]\d)$"))

    count = page.locator('#board [data-proposal="U-001"] .support-count')
    await page.locator('#board [data-proposal="U-001"] button').click()
    await expect(page.locator('#board [data-proposal="U-001"] button')).to_have_text("Sudah didukung")
    await expect(count).to_have_attribute("data-count", "1")
    await screenshot(page, "public-through-nginx")

    assert not sockets, sockets
    assert not [url for url in requests if "socket.io" in url], requests
    polls = [url for url in requests if url.endswith("/live.json")]
    assert len(polls) >= 3 and all(url.startswith(front.url) for url in polls)
    assert front.seen[f"/s/{front.session}/live.json"] < len(polls) + 2  # 304s from nginx need not reach the hub
