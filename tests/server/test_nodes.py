"""Two hub processes sharing one Redis serve one session: one ordered log, updates cross nodes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from harness.hubproc import connect, create_session, open_ballot, signer, two_nodes
from harness.sample import VENUE, small_roster
from rooms.actors import Kind


@pytest.mark.slow
async def test_two_nodes_one_session(tmp_path: Path) -> None:
    async with two_nodes(tmp_path) as (a, b):
        sid, villages = await create_session(a.url, small_roster(), VENUE)
        ballot, options = await open_ballot(a.url, sid, villages[:2])

        watcher = socketio.AsyncClient(reconnection=False)
        turnout: list[int] = []

        async def on_update(data: dict[str, Any]) -> None:
            for b_ in data["models"].get("ballots", []):
                turnout.append(b_["turnout"])

        watcher.on("update", on_update)
        await watcher.connect(b.url, auth={"session": sid}, transports=["websocket"])
        await watcher.call("sync", {})

        # a vote through node A reaches a client of node B
        first = await connect(a.url, sid, Kind.VILLAGE, villages[0])
        assert (await first.call("ballot.cast", {"ballot": ballot, "choice": [options[0]]}))["ok"]
        for _ in range(100):  # the ballot.opened push may still be in flight: wait for the vote's
            if 1 in turnout:
                break
            await asyncio.sleep(0.05)
        assert 1 in turnout

        # votes interleaved through both nodes land in one ordered, verifiable log
        voters = [await connect((a if i % 2 else b).url, sid, Kind.VILLAGE, code)
                  for i, code in enumerate(villages[1:13])]
        acks = await asyncio.gather(*[
            v.call("ballot.cast", {"ballot": ballot, "choice": [options[i % 2]]}) for i, v in enumerate(voters)
            for _ in range(3)])
        assert all(x["ok"] for x in acks), acks
        versions = [x["version"] for x in acks]
        assert len(set(versions)) == len(versions)

        chair = signer().issue(sid, Kind.CHAIR, "chair")
        logs = []
        for node in (a, b):
            async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {chair}"}) as http:
                async with http.get(f"{node.url}/api/sessions/{sid}/log") as r:
                    logs.append(await r.json())
        assert logs[0] == logs[1]
        assert logs[0]["verification"]["ok"]
        assert [e["seq"] for e in logs[0]["events"]] == list(range(1, len(logs[0]["events"]) + 1))
        assert set(versions) <= {e["seq"] for e in logs[0]["events"] if e["type"] == "ballot.cast"}
        for c in [watcher, first, *voters]:
            await c.disconnect()


@pytest.mark.slow
async def test_a_secret_ballot_counted_on_the_other_node_holds_every_paper(tmp_path: Path) -> None:
    """Votes go through both nodes; the node that closes the ballot counts the papers the other dropped."""
    async with two_nodes(tmp_path) as (a, b):
        sid, villages = await create_session(a.url, small_roster(), VENUE)
        ballot, options = await open_ballot(a.url, sid, villages[:2], secret=True)
        chair = await connect(b.url, sid, Kind.CHAIR, "chair")
        await chair.call("sync", {})  # node B holds the session before the votes
        voters = [await connect((a if i % 3 else b).url, sid, Kind.VILLAGE, code)
                  for i, code in enumerate(villages[:12])]
        acks = await asyncio.gather(*[v.call("ballot.cast", {"ballot": ballot, "choice": [options[i % 2]]})
                                      for i, v in enumerate(voters)])
        assert all(x["ok"] and x["receipt"] for x in acks), acks
        assert (await chair.call("ballot.close", {"ballot": ballot}))["ok"]
        row = next(r for r in (await chair.call("sync", {}))["models"]["ballots"] if r["ballot"] == ballot)
        assert {t["proposal"]: t["points"] for t in row["tallies"]} == dict.fromkeys(options, 6)
        for c in [chair, *voters]:
            await c.disconnect()
