"""Issue 8.7 over Socket.IO: a village's cap on proposals, and pushes that carry the proposals a change
touched instead of the whole board."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.sample import usulan
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from server.config import parse_args
from server.keys import SESSIONS
from tests.server.conftest import Client, Hub

BIG = {"title": "J" * 200, "description": "D" * 2000}  # a proposal at the schema's maximum


def board_rows(models: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["proposal"]: r for r in models.get("board", {}).get("proposals", [])}


async def fill_board(hub: Hub, n: int) -> None:
    """``n`` maximum-size proposals, spread over the villages (each under its cap), through the service."""
    sessions = hub.app[SESSIONS]
    for i in range(n):
        code = hub.villages[i % len(hub.villages)]
        await sessions.execute(hub.session, parse_command("proposal.submit", usulan(**BIG)),
                               Actor(Kind.VILLAGE, code, code), 0.0)


@pytest.mark.hub(proposal_limit=3)
async def test_a_village_past_its_proposal_limit_is_refused(hub: Hub) -> None:
    village, other = await hub.connect(hub.villages[1]), await hub.connect(hub.villages[2])
    mod = await hub.connect("moderator")
    for _ in range(3):
        await village.ok("proposal.submit", usulan())
    reply = await village.cmd("proposal.submit", usulan())
    assert (reply["ok"], reply["error"]) == (False, "proposal_limit"), reply
    await other.ok("proposal.submit", usulan())  # per village
    await mod.ok("proposal.reject", proposal="U-001", reason="Ganda")  # a rejected one frees its place
    await village.ok("proposal.submit", usulan())
    assert (await village.cmd("proposal.submit", usulan()))["error"] == "proposal_limit"
    assert len(board_rows((await mod.sync())["models"])) == 5


async def test_a_change_pushes_the_proposals_it_touched_not_the_whole_board(hub: Hub) -> None:
    public, chair = await hub.connect(), await hub.connect("chair")
    start = (await public.sync())["version"]
    await chair.sync()
    await fill_board(hub, 60)
    for client in (public, chair):  # the pushed rows build the same board the snapshot holds
        await client.wait_for(lambda m: len(board_rows(m)) == 60)
    snapshot = (await (await hub.connect()).sync())["models"]["board"]
    assert public.models["board"] == snapshot == chair.models["board"]
    assert not any("board" in u["models"] for u in public.updates if u["version"] > start)

    public.updates.clear()
    supporter = await hub.connect(cookie=await hub.browser_token())
    await supporter.ok("support.give", proposal="U-042")
    await public.wait_for(lambda m: board_rows(m)["U-042"]["support"] == 1)
    [push] = public.updates
    assert push["models"] == {} and [r["proposal"] for r in push["rows"]["board"]["proposals"]] == ["U-042"]
    whole = len(json.dumps({"version": push["version"], "models": {"board": snapshot}}))
    assert len(json.dumps(push)) * 40 < whole  # one row of sixty, not the board
    assert public.gaps == chair.gaps == 0


async def arrives(hub: Hub, watcher: Client, code: str) -> None:
    """A hall connects, and ``watcher`` sees it present: a push of attendance alone, the log moving on."""
    await hub.connect(code)

    def present(models: dict[str, Any]) -> bool:
        return any(r["village"] == code and r["present"] for r in models.get("attendance", {}).get("villages", []))

    await watcher.wait_for(present)


async def test_each_row_push_follows_the_version_the_previous_one_left(hub: Hub) -> None:
    """``since`` is the version of the previous board push: a client that missed one can tell, and
    resyncs; pushes of other models in between do not move it."""
    public = await hub.connect()
    first = (await public.sync())["version"]
    village, mod = await hub.connect(hub.villages[1]), await hub.connect("moderator")
    await village.ok("proposal.submit", usulan())
    await public.wait_for(lambda m: "U-001" in board_rows(m))
    await arrives(hub, public, hub.villages[2])
    await mod.ok("proposal.accept", proposal="U-001")
    await public.wait_for(lambda m: board_rows(m)["U-001"]["status"] == "accepted")
    await arrives(hub, public, hub.villages[3])
    await (await hub.connect(cookie=await hub.browser_token())).ok("support.give", proposal="U-001")
    await public.wait_for(lambda m: board_rows(m)["U-001"]["support"] == 1)
    pushes = [(u["rows"]["board"]["since"], u["version"]) for u in public.updates if "rows" in u]
    assert len(pushes) >= 3 and pushes[0][0] <= first
    assert all(since == before for (since, _), (_, before) in zip(pushes[1:], pushes, strict=False))
    assert any("attendance" in u["models"] and "rows" not in u for u in public.updates)
    assert public.gaps == 0


def test_the_limit_is_a_hub_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    base = ["--data", str(tmp_path), "--secret", "s"]
    assert parse_args(base).proposal_limit == 30
    monkeypatch.setenv("MH_PROPOSAL_LIMIT", "12")
    assert parse_args(base).proposal_limit == 12
    assert parse_args([*base, "--proposal-limit", "5"]).proposal_limit == 5
