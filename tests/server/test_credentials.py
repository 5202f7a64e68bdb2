"""Credentials over the real channel and API: revocation everywhere, expiry, re-issue, who may revoke whom."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from harness.hubproc import SECRET, call_ok, connect, create_session, two_nodes
from harness.sample import VENUE, small_roster
from rooms.actors import Kind
from server.credentials import Signer
from server.keys import SIGNER
from tests.server.conftest import Hub


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _refusal(url: str, token: str) -> Any:
    c = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    c.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=5)
    return refusals[0]["data"]["error"]


async def test_a_revoked_moderator_cannot_read_the_log(hub: Hub) -> None:
    chair = await hub.connect("chair")
    url = f"{hub.url}/api/sessions/{hub.session}/log"
    async with aiohttp.ClientSession(headers=_bearer(hub.token("moderator"))) as http:
        async with http.get(url) as r:
            assert r.status == 200
        await chair.ok("credential.revoke", holder="mod:1")
        async with http.get(url) as r:
            assert r.status == 401 and (await r.json())["error"] == "unauthorized"
        async with http.get(f"{hub.url}/api/sessions/{hub.session}") as r:
            assert r.status == 401


async def test_an_expired_link_is_refused_as_expired(hub: Hub) -> None:
    old = Signer("test-secret", ttl=-1).issue(hub.session, Kind.VILLAGE, hub.villages[1], hub.villages[1])
    assert await _refusal(hub.url, old) == "expired"
    async with aiohttp.ClientSession(headers=_bearer(old)) as http:
        async with http.get(f"{hub.url}/api/sessions/{hub.session}") as r:
            assert r.status == 401 and (await r.json())["error"] == "expired"


async def test_a_moderator_reissues_a_village_link_but_cannot_revoke_the_chair(hub: Hub) -> None:
    code = hub.villages[1]
    village = await hub.connect(code)
    mod = await hub.connect("moderator")
    assert (await mod.cmd("credential.revoke", holder="chair"))["error"] == "forbidden"
    reply = await mod.cmd("credential.reissue", holder=code, key="re-1")
    assert reply["ok"] and reply["link"].startswith(f"/s/{hub.session}/village#t=")
    for _ in range(100):  # the old link's open connection is closed
        if not village.sio.connected:
            break
        await asyncio.sleep(0.05)
    assert not village.sio.connected
    assert await _refusal(hub.url, hub.token(code)) == "unauthorized"
    hub.tokens["new"] = reply["link"].split("#t=")[1]
    fresh = await hub.connect("new")
    assert (await fresh.sync())["me"]["id"] == code
    again = await mod.cmd("credential.reissue", holder=code, key="re-1")  # a retry: applied once
    assert again["version"] == reply["version"]
    signer = hub.app[SIGNER]
    assert signer.verify(hub.tokens["new"]).generation == signer.verify(again["link"].split("#t=")[1]).generation == 1


@pytest.mark.slow
async def test_a_reissued_link_is_refused_at_once_on_the_other_node(tmp_path: Path) -> None:
    async with two_nodes(tmp_path) as (a, b):
        sid, villages = await create_session(a.url, small_roster(), VENUE)
        code = villages[1]
        old = Signer(SECRET).issue(sid, Kind.VILLAGE, code, code)
        mod = await connect(a.url, sid, Kind.MODERATOR, "mod:1")
        await call_ok(mod, "session.start")
        on_b = await connect(b.url, sid, Kind.VILLAGE, code)
        await call_ok(on_b, "hand.raise")  # node B has the session cached
        await call_ok(on_b, "hand.lower")
        reply = await call_ok(mod, "credential.reissue", holder=code)
        # node B closes the old credential's open connection without anything else happening there,
        # and refuses its connect and HTTP read
        for _ in range(100):
            if not on_b.connected:
                break
            await asyncio.sleep(0.05)
        assert not on_b.connected
        assert await _refusal(b.url, old) == "unauthorized"
        async with aiohttp.ClientSession(headers=_bearer(old)) as http:
            async with http.get(f"{b.url}/api/sessions/{sid}") as r:
                assert r.status == 401
        fresh = socketio.AsyncClient(reconnection=False)
        await fresh.connect(b.url, auth={"token": reply["link"].split("#t=")[1]}, transports=["websocket"])
        assert (await call_ok(fresh, "hand.raise"))["ok"]
        async with aiohttp.ClientSession(headers=_bearer(Signer(SECRET).issue(sid, Kind.CHAIR, "chair"))) as http:
            async with http.get(f"{a.url}/api/sessions/{sid}/log") as r:
                events = (await r.json())["events"]
        after = [e["type"] for e in events if e["seq"] > reply["version"]]
        assert after.count("hand.raised") == 1  # the new link's, not the old one's
        for c in (mod, fresh):
            await c.disconnect()
