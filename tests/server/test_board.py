"""Issue 8.7 over Socket.IO: a village's cap on proposals, and pushes that carry the proposals a change
touched instead of the whole board."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from server.config import parse_args
from server.keys import SESSIONS
from tests.server.conftest import Hub
from tests.server.test_assembly_kit import usulan

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


def test_the_limit_is_a_hub_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    base = ["--data", str(tmp_path), "--secret", "s"]
    assert parse_args(base).proposal_limit == 30
    monkeypatch.setenv("MH_PROPOSAL_LIMIT", "12")
    assert parse_args(base).proposal_limit == 12
    assert parse_args([*base, "--proposal-limit", "5"]).proposal_limit == 5
