"""The Socket.IO channel end to end: credentials, commands with acks, pushes, resync."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio

from harness.hubproc import PROPOSAL
from tests.server.conftest import Hub


async def _accepted_proposals(hub: Hub, mod: Any, n: int = 2) -> list[str]:
    ids = []
    for i, village in enumerate(hub.villages[:n]):
        c = await hub.connect(village)
        await c.ok("proposal.submit", PROPOSAL, title=f"Usulan {i}")
    board = (await mod.sync())["models"]["board"]
    for p in board["proposals"]:
        await mod.ok("proposal.accept", proposal=p["proposal"])
        ids.append(p["proposal"])
    return ids


async def test_snapshot_on_sync_names_the_session(hub: Hub) -> None:
    c = await hub.connect(hub.villages[0])
    reply = await c.sync()
    assert reply["version"] >= 1
    assert reply["models"]["session"]["title"] == "Uji Musrenbang"
    assert reply["models"]["session"]["status"] == "draft"
    assert reply["me"] == {"kind": "village", "id": hub.villages[0]}


async def test_vote_flow_reaches_the_public_with_tallies(hub: Hub) -> None:
    chair = await hub.connect("chair")
    mod = await hub.connect("moderator")
    public = await hub.connect(None)
    await public.sync()
    await chair.ok("session.start")
    options = await _accepted_proposals(hub, mod)
    v = await mod.ok("ballot.open", title="Prioritas jalan", method="approval", options=options, max_choices=1)
    ballot = (await mod.sync())["models"]["ballots"][0]["ballot"]
    voters = [await hub.connect(code) for code in hub.villages[:2]]
    acks = [await voter.cmd("ballot.cast", ballot=ballot, choice=[options[0]], key=f"k{i}")
            for i, voter in enumerate(voters)]
    assert all(a["ok"] for a in acks) and acks[1]["version"] > acks[0]["version"] > v

    def two_votes(models: dict[str, Any]) -> bool:
        ballots = models.get("ballots", [])
        return bool(ballots) and ballots[0]["turnout"] == 2

    await public.wait_for(two_votes)
    tallies = {t["proposal"]: t["points"] for t in public.models["ballots"][0]["tallies"]}
    assert tallies == {options[0]: 2, options[1]: 0}
    assert "choices" not in public.models["ballots"][0]  # per-village choices are for staff only


async def test_retried_key_is_applied_once(hub: Hub) -> None:
    chair = await hub.connect("chair")
    first = await chair.cmd("agenda.add", title="Pembukaan", key="same-key")
    again = await chair.cmd("agenda.add", title="Pembukaan", key="same-key")
    assert first == again and first["ok"]
    agenda = (await chair.sync())["models"]["agenda"]
    assert len(agenda["items"]) == 1


async def test_bad_input_changes_nothing(hub: Hub) -> None:
    await (await hub.connect("chair")).ok("session.start")
    c = await hub.connect(hub.villages[0])
    before = (await c.sync())["version"]
    bad = [
        ("proposal.submit", {**PROPOSAL, "cost": "banyak"}),
        ("proposal.submit", {**PROPOSAL, "extra": 1}),
        ("hand.raise", {"point_of_order": "yes"}),
        ("no.such.command", {}),
        ("*", {}),  # the catch-all's own name, found by the fuzz test
        ("ballot.cast", {"ballot": "B-99", "choice": ["U-001"]}),
    ]
    for name, payload in bad:
        reply = await c.cmd(name, payload)
        assert reply["ok"] is False and reply["error"] in {"invalid", "unknown_command", "not_found", "conflict"}
        assert reply["message"]
    not_one = await c.sio.call("hand.raise", timeout=5)  # no payload at all
    assert not_one["error"] == "invalid"
    assert (await c.sync())["version"] == before


async def test_village_cannot_moderate(hub: Hub) -> None:
    c = await hub.connect(hub.villages[0])
    reply = await c.cmd("floor.grant", village=hub.villages[1])
    assert reply["error"] == "forbidden"


@pytest.mark.parametrize("auth, code", [
    ({"token": "not.valid"}, "unauthorized"),
    ({"token": 42}, "unauthorized"),
    ({"session": 5}, "invalid"),
    ({"browser": "abcdefgh12"}, "invalid"),  # a public connection names its session; its browser is the cookie's
    (None, "unauthorized"),
])
async def test_bad_credentials_are_refused(hub: Hub, auth: Any, code: str) -> None:
    c = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    c.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect(hub.url, auth=auth, transports=["websocket"], wait_timeout=5)
    assert refusals and refusals[0]["data"]["error"] == code and refusals[0]["message"]


async def test_revoked_credential_is_cut_off_and_refused(hub: Hub) -> None:
    village = await hub.connect(hub.villages[1])
    mod = await hub.connect("moderator")
    await mod.ok("credential.revoke", holder=hub.villages[1])
    for _ in range(100):  # the hub closes the revoked credential's open connection
        if not village.sio.connected:
            break
        await asyncio.sleep(0.05)
    assert not village.sio.connected
    with pytest.raises(socketio.exceptions.ConnectionError):
        await hub.connect(hub.villages[1])
    assert (await (await hub.connect(hub.villages[2])).cmd("hand.lower"))["error"] != "unauthorized"


async def test_other_origins_are_refused(hub: Hub) -> None:
    c = socketio.AsyncClient(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect(hub.url, auth={"token": hub.token("chair")}, transports=["websocket"],
                        headers={"Origin": "http://evil.example"}, wait_timeout=5)
    ok = await hub.connect("chair", headers={"Origin": hub.url})
    assert (await ok.sync())["ok"]


async def test_a_flooding_client_is_rate_limited_not_the_session(hub: Hub) -> None:
    await (await hub.connect("chair")).ok("session.start")
    flood = await hub.connect(hub.villages[0])
    calm = await hub.connect(hub.villages[1])
    replies = await asyncio.gather(*[flood.cmd("hand.lower") for _ in range(120)])
    assert any(r.get("error") == "rate_limited" for r in replies)
    assert (await calm.cmd("hand.raise"))["ok"]


async def test_a_client_that_was_away_gets_what_it_missed(hub: Hub) -> None:
    chair = await hub.connect("chair")
    away = await hub.connect(hub.villages[2])
    first = (await away.sync())["version"]
    await away.sio.disconnect()
    await chair.ok("agenda.add", title="Pemaparan RKPDes")
    back = await hub.connect(hub.villages[2])
    snap = await back.sync()
    assert snap["version"] > first
    assert [i["title"] for i in snap["models"]["agenda"]["items"]] == ["Pemaparan RKPDes"]


async def test_attendance_follows_connections(hub: Hub) -> None:
    mod = await hub.connect("moderator")
    village = await hub.connect(hub.villages[1])
    await village.ok("attendance.headcount", total=120, women=55)

    def present(models: dict[str, Any]) -> bool:
        rows = {r["village"]: r for r in models.get("attendance", {}).get("villages", [])}
        row = rows.get(hub.villages[1])
        return bool(row) and row["present"] and row["headcount"] == {"total": 120, "women": 55}

    await mod.sync()
    await mod.wait_for(present)
    await village.sio.disconnect()
    await mod.wait_for(lambda m: not {r["village"]: r for r in m["attendance"]["villages"]}[hub.villages[1]]["present"])
