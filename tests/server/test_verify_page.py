"""The page a printed hash (the minutes' QR code) opens: the chain recomputed, the hash placed in it."""

from __future__ import annotations

import re
import sqlite3

import aiohttp
import pytest

from server.keys import CONFIG, SESSIONS
from tests.server.conftest import Hub


async def _outcome(hub: Hub, digest: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{hub.url}/verify/{hub.session}/{digest}") as r:
            page = await r.text()
    found = re.search(r'data-outcome="(\w+)"', page)
    return r.status, found.group(1) if found else ""


async def test_a_printed_hash_is_the_head_then_within_the_record_and_a_stranger_is_unknown(hub: Hub) -> None:
    chair = await hub.connect("chair")
    await chair.ok("session.start")
    head = (await hub.app[SESSIONS].log.read(hub.session))[-1].hash
    assert await _outcome(hub, head) == (200, "head")
    await chair.ok("agenda.add", title="Penutupan")  # the session goes on after the minutes were printed
    assert await _outcome(hub, head) == (200, "within")
    assert await _outcome(hub, "0" * 63 + "1") == (200, "unknown")
    assert (await _outcome(hub, "bukan-hash"))[0] == 404


async def test_an_edited_record_shows_as_broken(hub: Hub) -> None:
    config = hub.app[CONFIG]
    if config.redis_url:
        pytest.skip("the SQLite file is edited here; the contract suite tampers with Redis")
    head = (await hub.app[SESSIONS].log.read(hub.session))[-1].hash
    with sqlite3.connect(config.data_dir / "hub.sqlite3") as db:
        db.execute("UPDATE events SET actor = 'mod:9' WHERE session_id = ? AND seq = 1", (hub.session,))
    assert await _outcome(hub, head) == (200, "broken")
