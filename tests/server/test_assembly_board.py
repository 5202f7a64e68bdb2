from harness.sample import usulan
from moderation.assembly import Assembly
from tests.server.test_assembly_kit import ALIYAN, BUBUK, CHAIR, MOD, PESANGGARAN, Hub, public


def test_a_village_submits_and_edits_its_own_proposal_until_accepted() -> None:
    hub = Hub()
    [event] = hub.do(BUBUK, "proposal.submit", **usulan())
    assert event.data["proposal"] == "U-001" and event.data["village"] == BUBUK.id
    hub.do(
        BUBUK,
        "proposal.edit",
        proposal="U-001",
        cost=90_000_000,
        lokasi={"dusun": "Kopen", "rt": "1", "rw": "2"},
    )
    [row] = hub.model("board", "public")["proposals"]
    assert (row["cost"], row["lokasi"]["dusun"], row["status"]) == (90_000_000, "Kopen", "submitted")
    assert (row["village_name"], row["kecamatan"], row["bidang_label"]) == (
        "Bubuk", "Rogojampi", "Pelaksanaan Pembangunan Desa",
    )  # fmt: skip
    assert hub.refused(ALIYAN, "proposal.edit", proposal="U-001", cost=1).code == "forbidden"
    assert hub.refused(BUBUK, "proposal.edit", proposal="U-001").code == "invalid"  # nothing to change
    assert hub.refused(BUBUK, "proposal.edit", proposal="U-404", cost=1).code == "not_found"
    hub.do(MOD, "proposal.accept", proposal="U-001")
    assert hub.refused(BUBUK, "proposal.edit", proposal="U-001", cost=1).code == "conflict"
    assert hub.refused(MOD, "proposal.accept", proposal="U-001").code == "conflict"


def test_ids_are_sequential() -> None:
    hub = Hub()
    ids = [hub.do(v, "proposal.submit", **usulan())[0].data["proposal"] for v in (BUBUK, ALIYAN, BUBUK)]
    assert ids == ["U-001", "U-002", "U-003"]


def test_merge_rules() -> None:
    hub = Hub()
    for v in (BUBUK, ALIYAN, PESANGGARAN, BUBUK):
        hub.do(v, "proposal.submit", **usulan())
    hub.do(MOD, "proposal.accept", proposal="U-001")
    assert hub.refused(MOD, "proposal.merge", proposal="U-002", into="U-002").code == "invalid"
    assert hub.refused(MOD, "proposal.merge", proposal="U-001", into="U-002").code == "conflict"  # accepted
    hub.do(MOD, "proposal.merge", proposal="U-002", into="U-001")  # into an accepted one
    hub.do(MOD, "proposal.merge", proposal="U-003", into="U-004")  # into a submitted one
    assert (
        hub.refused(MOD, "proposal.merge", proposal="U-004", into="U-003").code == "conflict"
    )  # merged target
    hub.do(CHAIR, "proposal.reject", proposal="U-004", reason="  Di luar kewenangan desa ")
    assert hub.refused(MOD, "proposal.merge", proposal="U-004", into="U-001").code == "conflict"
    assert hub.refused(ALIYAN, "proposal.edit", proposal="U-002", cost=1).code == "conflict"
    rows = {r["proposal"]: r for r in hub.model("board")["proposals"]}
    assert (rows["U-002"]["status"], rows["U-002"]["merged_into"]) == ("merged", "U-001")
    assert (rows["U-004"]["status"], rows["U-004"]["reject_reason"]) == (
        "rejected",
        "Di luar kewenangan desa",
    )


def test_citizens_support_is_once_per_browser_and_kept_apart_from_votes() -> None:
    hub = Hub()
    a, b = hub.accepted(BUBUK, ALIYAN)
    hub.do(BUBUK, "proposal.submit", **usulan())
    hub.do(public("b1"), "support.give", proposal=a)
    hub.do(public("b2"), "support.give", proposal=a)
    hub.do(public("b1"), "support.give", proposal="U-003")  # submitted proposals take support too
    assert hub.refused(public("b1"), "support.give", proposal=a).code == "already_supported"
    hub.do(MOD, "proposal.reject", proposal="U-003", reason="Ganda")
    assert hub.refused(public("b2"), "support.give", proposal="U-003").code == "conflict"
    hub.do(MOD, "ballot.open", title="Prioritas", method="approval", options=[a, b])
    hub.do(BUBUK, "ballot.cast", ballot="B-01", choice=[b])
    support = {r["proposal"]: r["support"] for r in hub.model("board", "public")["proposals"]}
    assert support == {a: 2, b: 0, "U-003": 1}
    tallies = {t["proposal"]: t["points"] for t in hub.model("ballots", "public")[0]["tallies"]}
    assert tallies == {a: 0, b: 1}
    assert "public:b1" not in str(hub.assembly.snapshot("staff"))  # browser ids are never published


def test_a_village_has_at_most_its_limit_of_proposals_in_play() -> None:
    """Submitted and accepted ones count; a rejected or merged one frees its place."""
    hub = Hub(proposal_limit=3)
    for _ in range(3):
        hub.do(BUBUK, "proposal.submit", **usulan())
    refusal = hub.refused(BUBUK, "proposal.submit", **usulan())
    assert refusal.code == "proposal_limit" and "3" in refusal.message
    hub.do(ALIYAN, "proposal.submit", **usulan())  # the cap is per village
    hub.do(MOD, "proposal.accept", proposal="U-001")
    assert hub.refused(BUBUK, "proposal.submit", **usulan()).code == "proposal_limit"  # accepted still counts
    hub.do(MOD, "proposal.reject", proposal="U-002", reason="Ganda")
    hub.do(BUBUK, "proposal.submit", **usulan())
    hub.do(MOD, "proposal.merge", proposal="U-003", into="U-001")
    hub.do(BUBUK, "proposal.submit", **usulan())
    assert hub.refused(BUBUK, "proposal.submit", **usulan()).code == "proposal_limit"
    assert hub.refold().snapshot("staff") == hub.assembly.snapshot("staff")


def test_the_default_limit_is_thirty_proposals_a_village() -> None:
    hub = Hub()
    for _ in range(30):
        hub.do(BUBUK, "proposal.submit", **usulan(title="x" * 200, description="y" * 2000))
    assert hub.refused(BUBUK, "proposal.submit", **usulan()).code == "proposal_limit"


def test_board_changes_touch_rows_not_the_whole_board() -> None:
    """A push carries the proposals a batch touched, each as the full board shows it."""
    hub = Hub()
    batch = [*hub.do(BUBUK, "proposal.submit", **usulan()), *hub.do(ALIYAN, "proposal.submit", **usulan())]
    assert Assembly.touched_rows(batch) == {"board": {"U-001", "U-002"}}
    hub.do(PESANGGARAN, "proposal.submit", **usulan())
    steps = [
        hub.do(public("b1"), "support.give", proposal="U-002"),
        hub.do(BUBUK, "proposal.edit", proposal="U-001", cost=1),
        hub.do(MOD, "proposal.accept", proposal="U-001"),
        hub.do(MOD, "proposal.merge", proposal="U-003", into="U-001"),  # the target's row does not change
        hub.do(CHAIR, "proposal.reject", proposal="U-002", reason="Ganda"),
    ]
    assert [Assembly.touched_rows(s) for s in steps] == [
        {"board": {"U-002"}}, {"board": {"U-001"}}, {"board": {"U-001"}}, {"board": {"U-003"}},
        {"board": {"U-002"}},
    ]
    assert all("board" not in Assembly.touched(s) for s in steps)  # the whole board goes in snapshots only
    assert Assembly.touched_rows(hub.do(BUBUK, "hand.raise")) == {}
    assert "board" in Assembly.touched(hub.log[:1])  # session.created: a new session's board is whole
    board = {r["proposal"]: r for r in hub.model("board", "public")["proposals"]}
    rows = hub.assembly.rows("board", {"U-003", "U-001"})
    assert rows == {"proposals": [board["U-001"], board["U-003"]]}  # in board order
