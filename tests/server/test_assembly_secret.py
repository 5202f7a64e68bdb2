"""Secret ballots and electorates, through the pure Assembly.

A secret vote is a roll entry in the log (who voted) and a paper in the box (what, with no
village); no read model of any audience shows a tally or a choice while the ballot is open.
"""

from __future__ import annotations

import json
from typing import Any

from rooms.ballot import box_digest
from tests.server.test_assembly_kit import (
    ALIYAN,
    BUBUK,
    INTERACTIVE,
    MOD,
    PESANGGARAN,
    ROSTER,
    SARONGAN,
    SYSTEM,
    VENUE,
    Hub,
)  # fmt: skip

AUDIENCES = ("public", "staff", f"village:{VENUE}", f"village:{ALIYAN.id}")


def secret_ballot(hub: Hub, *options: str, **spec: Any) -> str:
    [opened] = hub.do(MOD, "ballot.open", title="Rahasia", method="approval", options=list(options),
                      secret=True, **spec)
    return str(opened.data["ballot"])


def row(hub: Hub, audience: str, bid: str) -> dict[str, Any]:
    return next(r for r in hub.model("ballots", audience) if r["ballot"] == bid)


def test_a_secret_vote_logs_the_roll_only_and_no_audience_sees_a_tally_until_the_close() -> None:
    hub = Hub()
    a, b = hub.accepted(BUBUK, ALIYAN)
    bid = secret_ballot(hub, a, b)
    before = {aud: hub.assembly.snapshot(aud)["ballots"] for aud in AUDIENCES}
    records = hub.do(BUBUK, "ballot.cast", ballot=bid, choice=[b])
    assert [(r.type, dict(r.data)) for r in records] == [("ballot.voted", {"ballot": bid, "village": VENUE})]
    hub.do(ALIYAN, "ballot.cast", ballot=bid, choice=[a, b])
    for audience in AUDIENCES:
        shown = row(hub, audience, bid)
        assert shown["tallies"] is None and shown["result"] is None and "choices" not in shown
        assert shown["voters"] == sorted([VENUE, ALIYAN.id]) and shown["turnout"] == 2
        # the whole snapshot moves by the roll only: no option's count appears anywhere in it
        assert json.dumps(hub.assembly.snapshot(audience)["ballots"]).count('"points"') == 0
        assert before[audience][0]["options"] == shown["options"]
    assert hub.model("mine", f"village:{VENUE}") == {"votes": {}}
    assert all(a not in json.dumps(r.data) or r.type != "ballot.voted" for r in hub.log)
    [closed] = hub.do(MOD, "ballot.close", ballot=bid)
    assert closed.data["box"] == {"papers": 2, "digest": box_digest((p.token, p.choice) for p in hub.papers)}
    assert {t["proposal"]: t["points"] for t in row(hub, "public", bid)["tallies"]} == {a: 1, b: 2}
    assert [(r["proposal"], r["points"]) for r in row(hub, "public", bid)["result"]] == [(b, 2), (a, 1)]
    assert hub.refold().snapshot("staff") == hub.assembly.snapshot("staff")


def test_a_secret_vote_cannot_be_changed_and_a_nominal_one_shows_who_chose_what() -> None:
    hub = Hub()
    a, b = hub.accepted(BUBUK, ALIYAN)
    bid = secret_ballot(hub, a, b, allow_change=True)
    assert row(hub, "public", bid)["allow_change"] is False  # a change would need the link not kept
    hub.do(BUBUK, "ballot.cast", ballot=bid, choice=[a])
    assert hub.refused(BUBUK, "ballot.cast", ballot=bid, choice=[b]).code == "already_voted"
    [nominal] = hub.do(MOD, "ballot.open", title="Terbuka", method="approval", options=[a, b])
    hub.do(BUBUK, "ballot.cast", ballot=nominal.data["ballot"], choice=[b])
    shown = row(hub, "staff", nominal.data["ballot"])
    assert shown["secret"] is False and shown["choices"] == {VENUE: [b]}
    assert {t["proposal"]: t["points"] for t in shown["tallies"]} == {a: 0, b: 1}


def test_a_refold_refills_an_open_secret_box_from_the_store() -> None:
    hub = Hub()
    a, b = hub.accepted(BUBUK, ALIYAN)
    bid = secret_ballot(hub, a, b)
    hub.do(BUBUK, "ballot.cast", ballot=bid, choice=[a])
    hub.do(SARONGAN, "ballot.cast", ballot=bid, choice=[a])
    fresh = hub.refold()
    assert fresh.short_boxes() == []
    hub.assembly = fresh
    [closed] = hub.do(MOD, "ballot.close", ballot=bid)
    assert [(r["proposal"], r["points"]) for r in closed.data["result"]] == [(a, 2), (b, 0)]


def test_the_electorate_is_fixed_at_the_open_and_a_vote_from_outside_is_not_eligible() -> None:
    hub = Hub()
    a, b = hub.accepted(BUBUK, ALIYAN)
    hub.do(SYSTEM, "attendance.join", village=ALIYAN.id)
    hub.do(MOD, "ballot.open", title="Hadir", method="approval", options=[a, b], electorate="present")
    hub.do(MOD, "ballot.open", title="Interaktif", method="approval", options=[a, b], electorate="interactive")
    hub.do(MOD, "ballot.open", title="Pesanggaran", method="approval", options=[a, b],
           electorate="kecamatan", kecamatan=["35.10.01"])
    hub.do(MOD, "ballot.open", title="Semua", method="approval", options=[a, b])
    hub.do(SYSTEM, "attendance.join", village=SARONGAN.id)  # too late for B-01
    present, seated, pesanggaran, everyone = hub.model("ballots", "staff")
    assert present["electorate"] == {"kind": "present", "kecamatan": [], "kecamatan_names": [], "size": 1}
    assert present["not_voted"] == [ALIYAN.id]
    assert hub.refused(SARONGAN, "ballot.cast", ballot="B-01", choice=[a]).code == "not_eligible"
    assert seated["not_voted"] == INTERACTIVE and seated["electorate"]["size"] == len(INTERACTIVE)
    assert hub.refused(ALIYAN, "ballot.cast", ballot="B-02", choice=[a]).code == "not_eligible"
    hub.do(PESANGGARAN, "ballot.cast", ballot="B-02", choice=[a])
    in_kec = [v.code for v in ROSTER if v.kecamatan_code == "35.10.01"]
    assert pesanggaran["electorate"] == {"kind": "kecamatan", "kecamatan": ["35.10.01"],
                                         "kecamatan_names": ["Pesanggaran"], "size": len(in_kec)}
    assert hub.refused(BUBUK, "ballot.cast", ballot="B-03", choice=[a]).code == "not_eligible"
    hub.do(SARONGAN, "ballot.cast", ballot="B-03", choice=[a])
    assert row(hub, "public", "B-03")["not_voted"] == [c for c in in_kec if c != SARONGAN.id]
    assert everyone["electorate"]["size"] == len(ROSTER)
    assert row(hub, "staff", "B-02")["not_voted"] == [c for c in INTERACTIVE if c != PESANGGARAN.id]


def test_bad_electorates_are_refused() -> None:
    hub = Hub()
    a, b = hub.accepted(BUBUK, ALIYAN)
    spec = {"title": "P", "method": "approval", "options": [a, b]}
    assert hub.refused(MOD, "ballot.open", **spec, electorate="kecamatan").code == "invalid"
    assert hub.refused(MOD, "ballot.open", **spec, kecamatan=["35.10.01"]).code == "invalid"
    assert hub.refused(MOD, "ballot.open", **spec, electorate="kecamatan", kecamatan=["35.99.99"]).code == "invalid"
    assert hub.refused(MOD, "ballot.open", **spec, electorate="everyone").code == "invalid"
    assert hub.refused(MOD, "ballot.open", **spec, electorate="present").code == "conflict"  # nobody is there
