"""The public page's data over plain HTTP (issue 12 §5): the public snapshot as a cacheable resource,
and citizens' "dukung" as a POST with the hub's browser cookie, batched into few appends."""

from __future__ import annotations

import asyncio
import gzip
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from harness.hubproc import PROPOSAL
from server.keys import BROWSERS, LOG
from tests.server.conftest import Hub


async def _proposal(hub: Hub) -> str:
    await (await hub.connect("chair")).ok("session.start")
    village = await hub.connect(hub.villages[1])
    await village.ok("proposal.submit", PROPOSAL, title="Rehab jalan desa")
    live = json.loads((await _live(hub, **{"Accept-Encoding": "identity"})).body)
    return str(live["models"]["board"]["proposals"][0]["proposal"])


def _browser(hub: Hub) -> str:
    """A browser token as the public page's GET seals one (the page caps them per address an hour)."""
    return hub.app[BROWSERS].signer.seal({"b": secrets.token_hex(16), "x": int(time.time() + 3600)})


@dataclass
class Got:
    status: int
    headers: Any
    body: bytes


async def _live(hub: Hub, **headers: str) -> Got:
    async with aiohttp.ClientSession(auto_decompress=False) as http, \
            http.get(f"{hub.url}/s/{hub.session}/live.json", headers=headers) as r:
        return Got(r.status, r.headers, await r.read())


async def _give(hub: Hub, proposal: str, cookie: str | None, **headers: str) -> tuple[int, dict[str, Any]]:
    if cookie is not None:
        headers["Cookie"] = f"mh_browser={cookie}"
    async with aiohttp.ClientSession() as http, http.post(
            f"{hub.url}/s/{hub.session}/support", json={"proposal": proposal}, headers=headers) as r:
        return r.status, await r.json()


async def test_live_json_is_the_public_snapshot_cacheable_with_a_strong_etag(hub: Hub) -> None:
    await _proposal(hub)
    public = await hub.connect()
    sync = await public.sync()
    r = await _live(hub, **{"Accept-Encoding": "identity"})
    assert r.status == 200 and r.headers["Content-Type"].startswith("application/json")
    body = json.loads(r.body)
    assert body == {"version": sync["version"], "models": {"version": sync["version"], **sync["models"]}}
    assert r.headers["ETag"] == f'"v{sync["version"]}"'
    assert r.headers["Cache-Control"].startswith("public, max-age=1")
    assert "Set-Cookie" not in r.headers and "Accept-Encoding" in r.headers["Vary"]
    assert abs(int(r.headers["X-Accel-Expires"].removeprefix("@")) - time.time()) < 2  # nginx: to this second's end

    packed = await _live(hub, **{"Accept-Encoding": "gzip, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and packed.headers["ETag"] == f'"v{sync["version"]}-gz"'
    assert json.loads(gzip.decompress(packed.body)) == body

    same = await _live(hub, **{"If-None-Match": r.headers["ETag"], "Accept-Encoding": "identity"})
    assert same.status == 304 and not same.body and same.headers["ETag"] == r.headers["ETag"]
    # a change is a new version: the old tag no longer matches, and the body shows the change
    await (await hub.connect("moderator")).ok("agenda.add", title="Penetapan prioritas")
    moved = await _live(hub, **{"If-None-Match": r.headers["ETag"], "Accept-Encoding": "identity"})
    assert moved.status == 200 and moved.headers["ETag"] != r.headers["ETag"]
    assert [i["title"] for i in json.loads(moved.body)["models"]["agenda"]["items"]] == ["Penetapan prioritas"]


async def test_live_json_of_an_unknown_or_ill_formed_session_is_404_and_never_cached(hub: Hub) -> None:
    async with aiohttp.ClientSession() as http:
        for sid in ("tidak-ada", "X" * 5000):
            async with http.get(f"{hub.url}/s/{sid}/live.json") as r:
                assert r.status == 404 and (await r.json())["error"] == "not_found"
                assert "public" not in r.headers.get("Cache-Control", "")


async def test_support_over_http_counts_once_per_hub_issued_browser(hub: Hub) -> None:
    proposal = await _proposal(hub)
    cookie = _browser(hub)
    status, reply = await _give(hub, proposal, cookie)
    assert status == 200 and reply["ok"] and reply["version"] > 0 and reply["now"] > 0
    status, reply = await _give(hub, proposal, cookie)
    assert (status, reply["error"]) == (409, "already_supported")
    for forged in (None, "made-up", hub.token("moderator")):  # no cookie, garbage, a credential's seal
        status, reply = await _give(hub, proposal, forged)
        assert (status, reply["error"]) == (403, "no_browser_token"), forged
    status, reply = await _give(hub, proposal, _browser(hub), Origin="https://elsewhere.example")
    assert (status, reply["error"]) == (403, "forbidden")
    live = json.loads((await _live(hub, **{"Accept-Encoding": "identity"})).body)
    assert next(p["support"] for p in live["models"]["board"]["proposals"] if p["proposal"] == proposal) == 1


async def test_support_refuses_bad_input_and_changes_nothing(hub: Hub) -> None:
    proposal = await _proposal(hub)
    before = await hub.app[LOG].version(hub.session)
    async with aiohttp.ClientSession(cookies={"mh_browser": _browser(hub)}) as http:
        for data in (b"{", b"[]", b'{"proposal": 5}', b'{"proposal": "U-999"}', b"x" * 10_000,
                     json.dumps({"proposal": proposal, "extra": 1}).encode()):
            async with http.post(f"{hub.url}/s/{hub.session}/support", data=data) as r:
                reply = await r.json()
                assert r.status in (400, 404) and reply["ok"] is False and reply["error"], (data[:20], reply)
        async with http.post(f"{hub.url}/s/tidak-ada/support", json={"proposal": proposal}) as r:
            assert r.status == 404
    assert await hub.app[LOG].version(hub.session) == before




@pytest.mark.hub(rate=1.0, burst=3)
async def test_support_spends_the_public_budget_of_its_address_and_browser(hub: Hub) -> None:
    proposal = await _proposal(hub)
    cookie = _browser(hub)
    outcomes = [(await _give(hub, proposal, cookie))[1].get("error") for _ in range(6)]
    assert outcomes[:3] == [None, "already_supported", "already_supported"] and "rate_limited" in outcomes[3:]
    status, reply = await _give(hub, proposal, _browser(hub))  # another browser has a budget of its own
    assert status == 200 and reply["ok"]


async def test_a_thousand_citizens_supports_cost_the_log_a_few_appends(hub: Hub) -> None:
    proposal = await _proposal(hub)
    log = hub.app[LOG]
    appends = 0
    append = log.append

    async def counted(*args: Any, **kw: Any) -> Any:
        nonlocal appends
        appends += 1
        return await append(*args, **kw)

    log.append = counted  # type: ignore[method-assign]  # a spy: the real store still writes
    cookies = [_browser(hub) for _ in range(1000)]
    connector = aiohttp.TCPConnector(limit=200)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def give(cookie: str) -> int:
            async with http.post(f"{hub.url}/s/{hub.session}/support", json={"proposal": proposal},
                                 headers={"Cookie": f"mh_browser={cookie}"}) as r:
                return r.status
        statuses = await asyncio.gather(*[give(c) for c in cookies])
    assert statuses == [200] * 1000
    assert appends <= 20, appends  # a quarter second's supports per append, not one each
    live = json.loads((await _live(hub, **{"Accept-Encoding": "identity"})).body)
    assert next(p["support"] for p in live["models"]["board"]["proposals"] if p["proposal"] == proposal) == 1000
