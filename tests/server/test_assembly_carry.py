"""Carry-up in the pure core: what goes up (accepted, ranked above the pagu's line by the last closed
ballot that ranked it), and what the next level takes (its level, its villages, once per origin)."""

from __future__ import annotations

from typing import Any

import pytest

from moderation.assembly import Assembly
from rooms.actors import Actor, Kind
from rooms.commands import Command
from rooms.errors import DomainError
from rooms.roster import parse_roster_csv
from rooms.session import create_session
from server.provision import banyuwangi_roster
from tests.server.test_assembly_kit import ADMIN, ALIYAN, BUBUK, CHAIR, MOD, SARONGAN, VENUE, Hub, number

HEAD = "ab" * 32


def _ranked() -> tuple[Hub, list[str]]:
    """Three accepted proposals: a secret ballot under a pagu ranks them, the third below the line."""
    hub = Hub()
    ids = hub.accepted(BUBUK, ALIYAN, SARONGAN)
    hub.do(MOD, "ballot.open", title="Prioritas", method="approval", options=ids, pagu=300_000_000, secret=True)
    for voter, choice in ((BUBUK, [ids[1]]), (ALIYAN, [ids[1], ids[0]]), (SARONGAN, [ids[2], ids[1], ids[0]])):
        hub.do(voter, "ballot.cast", ballot="B-01", choice=choice)
    hub.do(MOD, "ballot.close", ballot="B-01")
    return hub, ids


def _carry(rows: list[dict[str, Any]]) -> Command:
    return Command("proposal.carry", {"proposals": rows}, None)


def _kecamatan(kecamatan: str = "35.10.13", level: str = "kecamatan") -> Assembly:
    """A session of one kecamatan's villages, in draft."""
    villages = [v for v in parse_roster_csv(banyuwangi_roster()) if v.kecamatan_code == kecamatan]
    upper = Assembly(f"{level}-{kecamatan}")
    venue = villages[0].code
    for r in number(create_session("Musrenbang", villages, venue, [venue], ADMIN, 1.0, level), 0):
        upper.apply(r)
    return upper


def test_what_goes_up_is_ranked_above_the_line_with_its_history_and_votes() -> None:
    hub, ids = _ranked()
    rows = hub.assembly.going_up(hub.log, HEAD, len(hub.log))
    assert [r["lineage"][-1]["proposal"] for r in rows] == [ids[1], ids[0]]  # the third fell below the pagu
    hop = rows[0]["lineage"][-1]
    assert (hop["level"], hop["rank"], hop["head"], hop["count"]) == ("desa", 1, HEAD, len(hub.log))
    votes = {k: hop["votes"][0][k] for k in ("ballot", "points", "voters", "secret", "fits", "chosen_by")}
    assert votes == {"ballot": "B-01", "points": 3, "voters": 3, "secret": True, "fits": True,
                     "chosen_by": None}  # a secret ballot keeps who chose what to nobody
    assert [h["type"] for h in hop["history"]] == ["proposal.submitted", "proposal.accepted"]

    hub.do(MOD, "ballot.open", title="Ulang", method="approval", options=ids)
    hub.do(BUBUK, "ballot.cast", ballot="B-02", choice=[ids[0]])
    hub.do(MOD, "ballot.close", ballot="B-02")
    again = hub.assembly.going_up(hub.log, HEAD, len(hub.log))  # the last closed ballot decides
    assert [(r["lineage"][-1]["proposal"], r["lineage"][-1]["rank"]) for r in again] == [
        (ids[0], 1), (ids[1], 2), (ids[2], 3)]
    assert again[0]["lineage"][-1]["votes"][-1]["chosen_by"] == [BUBUK.id]


def test_the_next_level_takes_its_own_villages_once() -> None:
    hub, ids = _ranked()
    rows = hub.assembly.going_up(hub.log, HEAD, len(hub.log))
    upper = _kecamatan()  # still in draft: carrying up is preparation
    with pytest.raises(DomainError) as refused:
        upper.decide(_carry(rows), Actor(Kind.VILLAGE, VENUE, VENUE), 2.0)
    assert refused.value.code == "forbidden"
    events = upper.decide(_carry(rows), ADMIN, 2.0)
    assert [(e.type, e.data["village"]) for e in events] == [("proposal.carried", ALIYAN.id),
                                                              ("proposal.carried", BUBUK.id)]
    for r in number(events, upper.version):
        upper.apply(r)
    board = upper.read_models(["board"], "public")["board"]["proposals"]
    assert [(p["proposal"], p["status"], p["carried_from"]["proposal"]) for p in board] == [
        ("U-001", "submitted", ids[1]), ("U-002", "submitted", ids[0])]
    with pytest.raises(DomainError) as again:
        upper.decide(_carry(rows), CHAIR, 3.0)
    assert again.value.code == "already_carried"
    with pytest.raises(DomainError) as elsewhere:
        _kecamatan("35.10.01").decide(_carry(rows[1:]), CHAIR, 2.0)  # Bubuk is not Pesanggaran's
    assert elsewhere.value.code == "nothing_to_carry"
    with pytest.raises(DomainError) as sideways:
        _kecamatan(level="desa").decide(_carry(rows), MOD, 2.0)  # desa to desa
    assert sideways.value.code == "level_mismatch"
    assert [row["status"] for row in upper.carried_from(hub.assembly.session_id)] == ["submitted", "submitted"]


def test_carried_fields_are_held_to_the_form() -> None:
    hub, _ = _ranked()
    [row, *_] = hub.assembly.going_up(hub.log, HEAD, len(hub.log))
    odd = {**row, "fields": {**row["fields"], "bidang": "lain-lain"}}  # a log not written by this hub's form
    with pytest.raises(DomainError) as refused:
        _kecamatan().decide(_carry([odd]), MOD, 2.0)
    assert refused.value.code == "invalid" and "bidang" in refused.value.message
