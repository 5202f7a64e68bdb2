"""A secret ballot end to end, over Socket.IO and HTTP, on SQLite and on the real Redis.

Observers of every audience (public, staff, a village) watch the pushes while villages vote:
they see who voted, never a tally or a choice, until the close. Neither the log export nor the
raw store puts a village next to a choice. Each voter, and only it, gets a receipt it can check.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from typing import Any

import aiohttp
import redis.asyncio as aioredis

from harness.net import REDIS_URL
from rooms.ballot import box_digest
from server.keys import CONFIG
from tests.server.conftest import Client, Hub
from tests.server.test_channel import _accepted_proposals


def ballot_rows(models: dict[str, Any]) -> list[dict[str, Any]]:
    return list(models.get("ballots", []))


async def open_secret(hub: Hub, n_options: int = 3, **spec: Any) -> tuple[Client, str, list[str]]:
    chair, mod = await hub.connect("chair"), await hub.connect("moderator")
    await chair.ok("session.start")
    options = await _accepted_proposals(hub, mod, n_options)
    await mod.ok("ballot.open", title="Prioritas rahasia", method="approval", options=options, max_choices=1,
                 secret=True, **spec)
    bid = (await mod.sync())["models"]["ballots"][-1]["ballot"]
    return mod, bid, options


async def raw_store_texts(hub: Hub) -> list[str]:
    """Every row and key value the store holds, as an intruder with the file or the server sees it."""
    config = hub.app[CONFIG]
    if config.redis_url is None:
        with sqlite3.connect(config.data_dir / "hub.sqlite3") as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return [json.dumps(row) for t in tables for row in conn.execute(f"SELECT * FROM {t}")]  # noqa: S608
    r = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    texts = []
    async for key in r.scan_iter(f"{config.redis_prefix}:*"):
        kind = await r.type(key)
        if kind == "list":
            texts += await r.lrange(key, 0, -1)
        elif kind == "set":
            texts += list(await r.smembers(key))
    await r.aclose()
    return texts


def links(text: str, villages: list[str], options: list[str]) -> bool:
    """Does one stored row or value name both a village and a choice of the ballot?"""
    return any(v in text for v in villages) and any(o in text for o in options)


async def export(hub: Hub) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {hub.token('chair')}"}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{hub.url}/api/sessions/{hub.session}/log") as resp:
            assert resp.status == 200
            body: dict[str, Any] = await resp.json()
            return body


async def check_receipt(hub: Hub, code: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{hub.url}/s/{hub.session}/receipt", data={"code": code}) as resp:
            assert resp.status == 200
            page = await resp.text()
    found = re.search(r'data-outcome="([a-z_]+)"', page)
    assert found, page
    return found.group(1)


async def test_observers_and_stores_cannot_link_a_village_to_its_choice(hub: Hub) -> None:
    public, staff = await hub.connect(None), await hub.connect("moderator")
    watcher = await hub.connect(hub.villages[-1])
    for observer in (public, staff, watcher):
        await observer.sync()
    mod, bid, options = await open_secret(hub)
    voters = hub.villages[:6]
    acks = {}
    for i, code in enumerate(voters):
        client = await hub.connect(code)
        acks[code] = await client.cmd("ballot.cast", ballot=bid, choice=[options[i % 3]], key=f"v{i}")
        assert acks[code]["ok"], acks[code]
    receipts = [a["receipt"] for a in acks.values()]
    assert len(set(receipts)) == len(voters) and all(r.startswith(f"{bid}.") for r in receipts)

    def all_voted(models: dict[str, Any]) -> bool:
        return any(b["ballot"] == bid and b["turnout"] == len(voters) for b in ballot_rows(models))

    for observer in (public, staff, watcher):
        await observer.wait_for(all_voted)
        pushed = [b for u in observer.updates for b in ballot_rows(u["models"]) if b["ballot"] == bid]
        assert pushed and all(b["tallies"] is None and b["result"] is None and "choices" not in b for b in pushed)
        assert all(not any(r in json.dumps(u) for r in receipts) for u in observer.updates)
        snapshot = (await observer.sync())["models"]
        assert json.dumps(snapshot["ballots"]).count('"points"') == 0
        assert snapshot["ballots"][-1]["voters"] == sorted(voters)  # turnout is public, live
    body = await export(hub)
    assert body["verification"]["ok"] and bid not in body["boxes"]  # an open box stays shut
    cast = [e for e in body["events"] if e["data"].get("ballot") == bid and e["type"] != "ballot.opened"]
    assert [e["type"] for e in cast] == ["ballot.voted"] * len(voters)
    assert not any(links(json.dumps(e), voters, options) for e in cast)
    assert not any(links(text, voters, options) for text in await raw_store_texts(hub)
                   if bid in text and "ballot.opened" not in text)
    assert await check_receipt(hub, receipts[0]) == "in_box"

    await mod.ok("ballot.close", ballot=bid)
    await public.wait_for(lambda m: any(b["ballot"] == bid and b["result"] for b in ballot_rows(m)))
    closed = next(b for b in ballot_rows(public.models) if b["ballot"] == bid)
    assert {t["proposal"]: t["points"] for t in closed["tallies"]} == dict.fromkeys(options, 2)
    body = await export(hub)
    papers = body["boxes"][bid]
    assert len(papers) == len(voters) and papers == sorted(papers)
    seal = next(e for e in body["events"] if e["type"] == "ballot.closed")["data"]["box"]
    assert seal == {"papers": len(voters), "digest": box_digest((t, c) for t, c in papers)}
    assert body["verification"]["ok"] and body["verification"]["bad_boxes"] == []
    assert [await check_receipt(hub, r) for r in receipts] == ["counted"] * len(voters)
    # receipt-free: a receipt handed to someone with the export or the store still finds no choice
    digests = {hashlib.sha256(r.encode()).hexdigest() for r in receipts}
    assert not digests & {token for token, _ in papers}
    texts = await raw_store_texts(hub)
    assert any(d in text for d in digests for text in texts)  # the stubs are there, for the receipt page
    assert not any(d in text for d in digests for text in texts if any(o in text for o in options))
    assert await check_receipt(hub, f"{bid}.not-a-receipt") == "unknown"
    assert await check_receipt(hub, "x" * 500) == "unknown"


async def test_a_retried_secret_vote_is_counted_once_and_a_second_is_refused(hub: Hub) -> None:
    mod, bid, options = await open_secret(hub, 2)
    voter = await hub.connect(hub.villages[1])
    first = await voter.cmd("ballot.cast", ballot=bid, choice=[options[0]], key="once")
    again = await voter.cmd("ballot.cast", ballot=bid, choice=[options[0]], key="once")
    assert first["ok"] and again == {"ok": True, "version": first["version"]}  # the receipt is shown once
    other = await voter.cmd("ballot.cast", ballot=bid, choice=[options[1]], key="twice")
    assert other["error"] == "already_voted"
    await mod.ok("ballot.close", ballot=bid)
    assert len((await export(hub))["boxes"][bid]) == 1


async def test_a_vote_from_outside_the_electorate_is_not_eligible(hub: Hub) -> None:
    mod, bid, options = await open_secret(hub, 2, electorate="kecamatan", kecamatan=["35.10.01"])
    outsider, insider = hub.villages[0], next(c for c in hub.villages if c.startswith("35.10.01."))
    reply = await (await hub.connect(outsider)).cmd("ballot.cast", ballot=bid, choice=[options[0]])
    assert reply["ok"] is False and reply["error"] == "not_eligible"
    await (await hub.connect(insider)).ok("ballot.cast", ballot=bid, choice=[options[0]])
    row = next(b for b in (await mod.sync())["models"]["ballots"] if b["ballot"] == bid)
    assert row["electorate"]["kind"] == "kecamatan" and insider not in row["not_voted"]
    assert row["electorate"]["size"] == len(row["not_voted"]) + 1
