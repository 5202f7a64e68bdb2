from typing import Any

from harness.sample import usulan
from rooms.roster import Village
from tests.server.test_assembly_kit import (  # fmt: skip
    ALIYAN,
    BUBUK,
    MOD,
    PESANGGARAN,
    ROSTER,
    SARONGAN,
    SYSTEM,
    VENUE,
    Hub,
    public,
    village,
)


def ballot(hub: Hub, audience: str = "staff", index: int = 0) -> dict[str, Any]:
    rows: list[dict[str, Any]] = hub.model("ballots", audience)
    return rows[index]


def test_approval_ballot_counts_and_ranks_with_ties_broken_by_id() -> None:
    hub = Hub()
    a, b, c = hub.accepted(BUBUK, ALIYAN, SARONGAN)
    [opened] = hub.do(
        MOD, "ballot.open", title="Prioritas", method="approval", options=[c, a, b], max_choices=2
    )
    assert opened.data["ballot"] == "B-01"
    hub.do(BUBUK, "ballot.cast", ballot="B-01", choice=[a, c])
    hub.do(ALIYAN, "ballot.cast", ballot="B-01", choice=[c])
    hub.do(SARONGAN, "ballot.cast", ballot="B-01", choice=[a])
    row = ballot(hub)
    assert row["turnout"] == 3 and row["max_choices"] == 2
    assert {t["proposal"]: t["points"] for t in row["tallies"]} == {a: 2, b: 0, c: 2}
    hub.do(MOD, "ballot.close", ballot="B-01")
    result = ballot(hub)["result"]
    assert [(r["proposal"], r["rank"], r["points"]) for r in result] == [(a, 1, 2), (c, 2, 2), (b, 3, 0)]
    assert all(r["fits"] is None for r in result)  # no pagu, no cut line
    assert hub.refused(PESANGGARAN, "ballot.cast", ballot="B-01", choice=[a]).code == "conflict"
    assert hub.refused(MOD, "ballot.close", ballot="B-01").code == "conflict"


def test_borda_points_partial_rankings_and_the_voter_count_tie_break() -> None:
    hub = Hub()
    a, b, c, d = hub.accepted(BUBUK, BUBUK, BUBUK, BUBUK)
    hub.do(MOD, "ballot.open", title="Peringkat", method="borda", options=[a, b, c, d])
    hub.do(BUBUK, "ballot.cast", ballot="B-01", choice=[a, b, c, d])  # a3 b2 c1 d0
    hub.do(ALIYAN, "ballot.cast", ballot="B-01", choice=[c])  # c3
    hub.do(SARONGAN, "ballot.cast", ballot="B-01", choice=[b, d])  # b3 d2
    row = ballot(hub)
    assert {t["proposal"]: (t["points"], t["voters"]) for t in row["tallies"]} == {
        a: (3, 1), b: (5, 2), c: (4, 2), d: (2, 2),
    }  # fmt: skip
    # change a vote: the old ranking is taken back out of the tally
    hub.do(ALIYAN, "ballot.cast", ballot="B-01", choice=[a])
    row = ballot(hub)
    assert {t["proposal"]: (t["points"], t["voters"]) for t in row["tallies"]} == {
        a: (6, 2), b: (5, 2), c: (1, 1), d: (2, 2),
    }  # fmt: skip
    assert row["turnout"] == 3
    hub.do(PESANGGARAN, "ballot.cast", ballot="B-01", choice=[d, c])  # d3 c2
    hub.do(MOD, "ballot.close", ballot="B-01")
    ranks = [(r["proposal"], r["points"], r["voters"]) for r in ballot(hub)["result"]]
    assert ranks == [(a, 6, 2), (d, 5, 3), (b, 5, 2), (c, 3, 2)]  # d beats b on voters


def test_voting_rules() -> None:
    hub = Hub()
    a, b, c = hub.accepted(BUBUK, BUBUK, BUBUK)
    hub.do(BUBUK, "proposal.submit", **usulan())
    opts = [a, b, c]
    assert (
        hub.refused(MOD, "ballot.open", title="P", method="approval", options=[a, "U-004"]).code == "conflict"
    )
    assert (
        hub.refused(MOD, "ballot.open", title="P", method="approval", options=[a, "U-404"]).code
        == "not_found"
    )
    assert (
        hub.refused(MOD, "ballot.open", title="P", method="approval", options=opts, max_choices=4).code
        == "invalid"
    )
    assert (
        hub.refused(MOD, "ballot.open", title="P", method="borda", options=opts, max_choices=2).code
        == "invalid"
    )
    hub.do(MOD, "ballot.open", title="P", method="approval", options=opts, max_choices=1, allow_change=False)
    assert hub.refused(BUBUK, "ballot.cast", ballot="B-01", choice=[a, b]).code == "invalid"  # over K
    assert (
        hub.refused(BUBUK, "ballot.cast", ballot="B-01", choice=["U-004"]).code == "invalid"
    )  # not an option
    assert hub.refused(BUBUK, "ballot.cast", ballot="B-09", choice=[a]).code == "not_found"
    hub.do(BUBUK, "ballot.cast", ballot="B-01", choice=[a])
    assert hub.refused(BUBUK, "ballot.cast", ballot="B-01", choice=[b]).code == "already_voted"
    assert hub.refused(village("35.10.99.2001"), "ballot.cast", ballot="B-01", choice=[a]).code == "forbidden"
    for outsider in (MOD, public("b1"), SYSTEM):
        assert hub.refused(outsider, "ballot.cast", ballot="B-01", choice=[a]).code == "forbidden"


def test_staff_see_choices_of_nominal_ballots_villages_their_own_and_nobody_a_secret_tally() -> None:
    hub = Hub()
    a, b = hub.accepted(BUBUK, ALIYAN)
    hub.do(MOD, "ballot.open", title="Terbuka", method="approval", options=[a, b])
    hub.do(MOD, "ballot.open", title="Rahasia", method="approval", options=[a, b], secret=True)
    for bid, choice in (("B-01", [a]), ("B-02", [b])):
        hub.do(BUBUK, "ballot.cast", ballot=bid, choice=choice)
        hub.do(ALIYAN, "ballot.cast", ballot=bid, choice=[a, b])
    open_, secret = hub.model("ballots", "staff")
    assert open_["choices"] == {VENUE: [a], ALIYAN.id: [a, b]}
    assert "choices" not in secret
    assert secret["voters"] == sorted([VENUE, ALIYAN.id]) and secret["turnout"] == 2
    assert secret["tallies"] is None  # until the close
    assert all("choices" not in row and "my_vote" not in row for row in hub.model("ballots", "public"))
    assert all("choices" not in row for row in hub.model("ballots", f"village:{VENUE}"))
    assert hub.model("mine", f"village:{VENUE}") == {"votes": {"B-01": [a]}}  # the hub keeps no secret one
    assert hub.model("mine", f"village:{SARONGAN.id}") == {"votes": {}}
    assert hub.model("mine", "staff") == {"votes": {}}


def test_the_cut_line_under_an_explicit_pagu() -> None:
    hub = Hub()
    a, b, c, d = hub.accepted(BUBUK, BUBUK, BUBUK, BUBUK, cost=100)
    hub.do(BUBUK, "proposal.submit", **usulan(cost=30))
    hub.do(MOD, "proposal.accept", proposal="U-005")
    e = "U-005"
    hub.do(MOD, "ballot.open", title="P", method="borda", options=[a, b, c, d, e], pagu=230)
    hub.do(BUBUK, "ballot.cast", ballot="B-01", choice=[a, b, c, e, d])
    hub.do(MOD, "ballot.close", ballot="B-01")
    rows = [(r["proposal"], r["cumulative_cost"], r["fits"]) for r in ballot(hub)["result"]]
    # c overshoots 230; e (30) would still fit by itself but stays below the line
    assert rows == [(a, 100, True), (b, 200, True), (c, 300, False), (e, 330, False), (d, 430, False)]


def test_the_pagu_defaults_to_the_single_village_s_roster_pagu() -> None:
    villages = [Village(v.code, v.name, v.kecamatan_code, v.kecamatan_name, v.type,
                        500 if v.code == VENUE else None) for v in ROSTER]  # fmt: skip
    hub = Hub(villages=villages)
    a, b = hub.accepted(BUBUK, BUBUK)
    c = hub.accepted(ALIYAN)[0]
    hub.do(MOD, "ballot.open", title="Bubuk", method="approval", options=[a, b])
    hub.do(MOD, "ballot.open", title="Campuran", method="approval", options=[a, c])
    hub.do(MOD, "ballot.open", title="Tetap", method="approval", options=[a, b], pagu=7)
    assert [row["pagu"] for row in hub.model("ballots")] == [500, None, 7]
