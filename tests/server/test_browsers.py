"""Citizens' browsers (issue 8.12): the hub issues each one a signed token in an HttpOnly cookie on the
public page, caps new tokens per address per hour, and counts support once per token, never per an
id the client makes up."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from harness.hubproc import PROPOSAL
from server.config import Config, parse_args
from server.credentials import Signer
from server.keys import SIGNER
from server.ratelimit import Quota
from tests.server.conftest import Client, Hub

YEAR = 365 * 24 * 3600


async def _proposal(hub: Hub) -> str:
    await (await hub.connect("chair")).ok("session.start")
    village = await hub.connect(hub.villages[1])
    await village.ok("proposal.submit", PROPOSAL, title="Rehab jalan desa")
    return str((await village.sync())["models"]["board"]["proposals"][0]["proposal"])


async def _support(hub: Hub, proposal: str) -> int:
    staff = await hub.connect("moderator")
    board = (await staff.sync())["models"]["board"]["proposals"]
    await staff.sio.disconnect()
    return int(next(p["support"] for p in board if p["proposal"] == proposal))


async def _give(client: Client, proposal: str) -> dict[str, Any]:
    reply = await client.cmd("support.give", proposal=proposal)
    await client.sio.disconnect()  # the per-address connection cap is not what these tests count
    return reply


async def _page(hub: Hub, **headers: str) -> aiohttp.ClientResponse:
    async with aiohttp.ClientSession() as http, http.get(f"{hub.url}/s/{hub.session}", headers=headers) as r:
        await r.read()
        return r


async def test_the_public_page_sets_a_signed_httponly_samesite_cookie(hub: Hub) -> None:
    r = await _page(hub)
    cookie = r.cookies["mh_browser"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert int(cookie["max-age"]) >= 360 * 24 * 3600  # about a year: support stays counted across days
    assert not cookie["secure"]  # the hub is reached over http here: a Secure cookie would never come back
    assert r.headers["Cache-Control"] == "no-store"  # a cache in front must not hand one token to everyone
    assert "bersifat saran" in await (await _page(hub)).text()  # support is advisory, and the page says so


@pytest.mark.hub(public_url="https://musrenbang.banyuwangikab.go.id")
async def test_the_cookie_is_secure_when_the_hub_is_reached_over_https(hub: Hub) -> None:
    assert (await _page(hub)).cookies["mh_browser"]["secure"]


async def test_a_browser_that_holds_a_valid_token_keeps_it(hub: Hub) -> None:
    token = await hub.browser_token()
    assert token and "mh_browser" not in (await _page(hub, Cookie=f"mh_browser={token}")).cookies
    forged = (await _page(hub, Cookie="mh_browser=tiruan.palsu")).cookies["mh_browser"].value
    assert forged != "tiruan.palsu"  # a forged cookie is replaced by one the hub signed


async def test_without_a_valid_token_a_browser_watches_but_gives_no_support(hub: Hub) -> None:
    proposal = await _proposal(hub)
    real = await hub.browser_token()
    assert real is not None
    body, mac = real.split(".")
    signer: Signer = hub.app[SIGNER]
    forged = [
        None,  # no cookie at all
        "bukan-token",
        Signer("rahasia-lain").seal({"b": secrets.token_hex(16), "x": int(time.time()) + YEAR}),  # not our key
        f"{Signer('x').seal({'b': 'a' * 32, 'x': int(time.time()) + YEAR}).split('.')[0]}.{mac}",  # body swapped
        signer.seal({"b": secrets.token_hex(16), "x": int(time.time()) - 1}),  # expired
        hub.token(hub.villages[2]),  # a village credential is not a browser token
    ]
    for cookie in forged:
        public = await hub.connect(None, cookie=cookie)
        reply = await public.sync()
        assert reply["me"] == {"kind": "public", "id": None, "browser": False}
        assert reply["models"]["board"]["proposals"]  # it still watches
        refusal = await _give(public, proposal)
        assert refusal["ok"] is False and refusal["error"] == "no_browser_token" and refusal["message"], cookie
    assert await _support(hub, proposal) == 0


async def test_client_chosen_browser_ids_add_no_support(hub: Hub) -> None:
    """The finding: 100 fresh ids raised a proposal's support by 100."""
    proposal = await _proposal(hub)
    refusals: set[str] = set()
    for _ in range(100):
        c = Client(hub)
        await c.sio.connect(hub.url, auth={"session": hub.session, "browser": secrets.token_hex(8)},
                            transports=["websocket"], wait_timeout=5)
        refusals.add((await _give(c, proposal))["error"])
    # those without a token share one budget per address: past it they are told rate_limited instead
    assert "no_browser_token" in refusals and refusals <= {"no_browser_token", "rate_limited"}
    assert await _support(hub, proposal) == 0


async def test_support_counts_once_per_token(hub: Hub) -> None:
    proposal = await _proposal(hub)
    first, second = await hub.browser_token(), await hub.browser_token()
    assert first and second and first != second
    assert (await _give(await hub.connect(None, cookie=first), proposal))["ok"]
    again = await _give(await hub.connect(None, cookie=first), proposal)  # a new connection, the same browser
    assert again["ok"] is False and again["error"] == "already_supported"
    assert (await _give(await hub.connect(None, cookie=second), proposal))["ok"]
    assert await _support(hub, proposal) == 2


async def test_a_browser_token_is_not_a_credential(hub: Hub) -> None:
    token = await hub.browser_token()
    c = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    c.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect(hub.url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    assert refusals[0]["data"]["error"] == "unauthorized"


@pytest.mark.hub(browser_tokens_per_hour=3, trusted_proxies=("127.0.0.1",))
async def test_new_tokens_per_address_per_hour_are_capped(hub: Hub) -> None:
    proposal = await _proposal(hub)
    tokens = [await hub.browser_token() for _ in range(3)]
    assert None not in tokens and len(set(tokens)) == 3
    assert await hub.browser_token() is None  # the page still loads (200), with no new token
    assert await hub.browser_token(**{"X-Forwarded-For": "203.0.113.9"}) is not None  # another address
    for token in tokens:
        assert (await _give(await hub.connect(None, cookie=token), proposal))["ok"]
    late = await hub.connect(None)
    assert (await late.sync())["me"]["browser"] is False  # the page tells the citizen why
    assert (await _give(late, proposal))["error"] == "no_browser_token"
    assert await _support(hub, proposal) == 3  # one address: at most the cap per proposal per hour


def test_a_quota_grants_at_most_its_limit_in_any_period() -> None:
    quota = Quota(limit=20, period=3600.0)
    assert all(quota.take("198.51.100.1", now=float(i)) for i in range(20))
    assert not quota.take("198.51.100.1", now=1800.0)
    assert quota.take("198.51.100.2", now=1800.0)  # per key
    assert not quota.take("198.51.100.1", now=3599.0)  # the first grant is still within the hour
    assert quota.take("198.51.100.1", now=3600.0)  # ... and now it is not
    assert not quota.take("198.51.100.1", now=3600.5)
    quota.take("198.51.100.3", now=10 * 3600.0)
    assert len(quota) == 1  # keys whose grants are all older than the period are forgotten


def test_the_cap_is_configurable_and_20_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Config().browser_tokens_per_hour == 20
    base = ["--data", str(tmp_path), "--secret", "s"]
    assert parse_args(base).browser_tokens_per_hour == 20
    assert parse_args([*base, "--browser-tokens-per-hour", "5"]).browser_tokens_per_hour == 5
    monkeypatch.setenv("MH_BROWSER_TOKENS_PER_HOUR", "7")
    assert parse_args(base).browser_tokens_per_hour == 7
