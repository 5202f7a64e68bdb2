"""Property tests: garbage never escapes as anything but a DomainError; the log folds deterministically;
secret ballots never show their choices."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.sample import usulan
from moderation.permissions import PERMISSIONS
from rooms.actors import Actor, Kind
from rooms.commands import COMMAND_NAMES, SCHEMAS, parse_command
from rooms.errors import DomainError
from rooms.roster import Village
from tests.server.test_assembly_kit import ADMIN, CHAIR, MOD, ROSTER, SYSTEM, VENUE, Hub, public, village

# A small roster keeps snapshots cheap: Pesanggaran and Rogojampi, with a pagu for Bubuk.
SMALL = [
    Village(v.code, v.name, v.kecamatan_code, v.kecamatan_name, v.type, 400 if v.code == VENUE else None)
    for v in ROSTER
    if v.kecamatan_code in ("35.10.01", "35.10.13")
]
HALLS = [VENUE, "35.10.13.2001", "35.10.01.2001", "35.10.01.2002"]  # first two interactive
STRANGER = "35.10.99.2001"
CODES = [*HALLS, STRANGER]
ACTORS: dict[str, list[Actor]] = {
    "chair": [CHAIR],
    "moderator": [MOD],
    "interactive": [village(c) for c in HALLS[:2]],
    "viewonly": [village(c) for c in HALLS[2:]],
    "public": [public("b1"), public("b2")],
    "system": [SYSTEM],
    "admin": [ADMIN],
}
EVERYONE = [a for group in ACTORS.values() for a in group] + [village(STRANGER)]
AUDIENCES = ["public", "staff", *(f"village:{c}" for c in CODES)]

proposal_ids = st.sampled_from([f"U-00{i}" for i in range(1, 6)])
ballot_ids = st.sampled_from(["B-01", "B-02", "B-03"])
photo_ids = st.sampled_from(["F-000000000001", "F-000000000002", "F-000000000003", "F-000000000004"])
items = st.sampled_from(["A-01", "A-02", "A-03"])
codes = st.sampled_from(CODES)
seconds = st.integers(1, 300)
usulan_args = st.builds(
    lambda cost, volume, bidang: usulan(cost=cost, volume=volume, bidang=bidang),
    st.sampled_from([50, 100, 150, 300]),
    st.sampled_from([1, 2.5, 100]),
    st.sampled_from(["pembangunan", "bencana", "pemberdayaan"]),
)

PLAUSIBLE: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "attendance.join": st.fixed_dictionaries({"village": codes}),
    "attendance.leave": st.fixed_dictionaries({"village": codes}),
    "attendance.headcount": st.fixed_dictionaries(
        {"total": st.integers(0, 200), "women": st.integers(0, 200)}, optional={"village": codes}
    ),
    "agenda.add": st.fixed_dictionaries({"title": st.sampled_from(["Pembukaan", "Usulan"])}),
    "agenda.move": st.fixed_dictionaries({"item": items, "position": st.integers(1, 3)}),
    "agenda.open": st.fixed_dictionaries({"item": items}),
    "agenda.close": st.fixed_dictionaries({"item": items}),
    "proposal.submit": usulan_args,
    "proposal.edit": st.fixed_dictionaries({"proposal": proposal_ids, "cost": st.sampled_from([20, 80])}),
    "proposal.accept": st.fixed_dictionaries({"proposal": proposal_ids}),
    "proposal.merge": st.fixed_dictionaries({"proposal": proposal_ids, "into": proposal_ids}),
    "proposal.reject": st.fixed_dictionaries({"proposal": proposal_ids, "reason": st.just("Ganda")}),
    "proposal.photo_remove": st.fixed_dictionaries({"proposal": proposal_ids, "photo": photo_ids}),
    "ballot.open": st.fixed_dictionaries(
        {
            "title": st.just("Prioritas"),
            "method": st.sampled_from(["approval", "borda"]),
            "options": st.lists(proposal_ids, min_size=2, max_size=4, unique=True),
        },
        optional={"allow_change": st.booleans(), "secret": st.booleans(), "pagu": st.integers(1, 500)},
    ),
    "ballot.cast": st.fixed_dictionaries(
        {"ballot": ballot_ids, "choice": st.lists(proposal_ids, min_size=1, max_size=4, unique=True)}
    ),
    "ballot.close": st.fixed_dictionaries({"ballot": ballot_ids}),
    "support.give": st.fixed_dictionaries({"proposal": proposal_ids}),
    "hand.raise": st.fixed_dictionaries({}, optional={"point_of_order": st.booleans()}),
    "hand.lower": st.just({}),
    "queue.move": st.fixed_dictionaries({"village": codes, "position": st.integers(1, 4)}),
    "queue.remove": st.fixed_dictionaries({"village": codes}),
    "floor.grant": st.fixed_dictionaries({}, optional={"village": codes, "seconds": seconds}),
    "floor.yield": st.just({}),
    "floor.revoke": st.just({}),
    "floor.extend": st.fixed_dictionaries({"seconds": seconds}),
    "floor.pause": st.fixed_dictionaries({"village": codes}),
    "floor.resume": st.fixed_dictionaries({"village": codes}),
    "participant.mute": st.fixed_dictionaries({"village": codes}),
    "participant.unmute": st.fixed_dictionaries({"village": codes}),
    "spotlight.set": st.fixed_dictionaries({"village": st.none() | codes}),
    "screen.start": st.just({}),
    "screen.stop": st.just({}),
    "village.promote": st.fixed_dictionaries({"village": codes}),
    "village.demote": st.fixed_dictionaries({"village": codes}),
    "delegates.set": st.fixed_dictionaries({"delegates": st.lists(st.fixed_dictionaries(
        {"name": st.sampled_from(["Siti", "Made"])}, optional={"village": codes, "role": st.just("BPD")}),
        max_size=3)}),
    "credential.revoke": st.fixed_dictionaries({"holder": st.sampled_from(["chair", "mod:1"]) | codes}),
    "credential.reissue": st.fixed_dictionaries({"holder": st.sampled_from(["chair", "mod:1"]) | codes}),
}


def _actors_for(name: str) -> st.SearchStrategy[Actor]:
    permitted = [a for g in sorted(PERMISSIONS[name]) for a in ACTORS[g]]
    return st.sampled_from(permitted * 12 + EVERYONE)  # mostly someone allowed, sometimes anyone


steps = st.lists(
    st.tuples(
        st.sampled_from(sorted(PLAUSIBLE)).flatmap(
            lambda n: st.tuples(st.just(n), PLAUSIBLE[n], _actors_for(n), st.sampled_from([None, "k1", "k2"]))
        ),
        st.integers(0, 40),
    ),
    max_size=45,
)


def test_the_plausible_table_covers_every_command_but_start_and_close() -> None:
    assert set(PLAUSIBLE) == COMMAND_NAMES - {"session.start", "session.close"}


def seeded(start: bool) -> Hub:
    """A session with four proposals, three of them accepted, so ballots can open."""
    hub = Hub(villages=SMALL, interactive=HALLS[:2], start=start)
    for code in HALLS:
        hub.do(village(code), "proposal.submit", **usulan(cost=100))
    for pid in ("U-001", "U-002", "U-003"):
        hub.do(MOD, "proposal.accept", proposal=pid)
    return hub


def _snapshots(hub: Hub) -> dict[str, Any]:
    return {a: hub.assembly.snapshot(a) for a in AUDIENCES}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(start=st.booleans(), close=st.booleans(), script=steps)
def test_folding_the_log_again_gives_the_same_state(start: bool, close: bool, script: list[Any]) -> None:
    hub = seeded(start)
    for (name, payload, actor, key), pause in script:
        hub.now += pause
        before = _snapshots(hub)
        try:
            hub.do(actor, name, **payload, **({"key": key} if key else {}))
        except DomainError:
            assert _snapshots(hub) == before
    if close:
        hub.do(CHAIR, "session.close")
    fresh = hub.refold()
    assert fresh.version == hub.assembly.version
    for audience in AUDIENCES:
        assert fresh.snapshot(audience) == hub.assembly.snapshot(audience)
    assert fresh.media_plan() == hub.assembly.media_plan()
    for record in hub.log:
        if record.key:
            assert fresh.applied_key(record.actor, record.key) == hub.assembly.applied_key(
                record.actor, record.key
            )
    _secret_choices_stay_secret(hub)


def _secret_choices_stay_secret(hub: Hub) -> None:
    votes: dict[tuple[str, str], list[str]] = {}
    for r in hub.log:
        if r.type == "ballot.cast":
            votes[(r.data["ballot"], r.data["village"])] = list(r.data["choice"])
    for audience in AUDIENCES:
        for row in hub.assembly.snapshot(audience)["ballots"]:
            if row["secret"] or audience != "staff":
                assert "choices" not in row
            else:
                assert row["choices"] == {v: c for (b, v), c in sorted(votes.items()) if b == row["ballot"]}
            assert "my_vote" not in row
        mine = hub.assembly.snapshot(audience)["mine"]["votes"]
        village = audience.removeprefix("village:") if audience.startswith("village:") else None
        assert mine == {b: c for (b, v), c in votes.items() if v == village}


# --- garbage in -------------------------------------------------------------------------------

FIELD_NAMES = sorted({f for schema in SCHEMAS.values() for f in schema.fields} | {"key", "dusun", "rt"})
junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.just(10**400)  # JSON ints are unbounded
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.just("x" * 5000)
    | proposal_ids
    | ballot_ids
    | codes,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=12,
)
names = st.sampled_from(sorted(COMMAND_NAMES)) | st.text(max_size=20) | st.none() | st.integers()
payloads = junk | st.dictionaries(st.sampled_from(FIELD_NAMES), junk, max_size=8)


@pytest.fixture(scope="module")
def busy() -> Hub:
    hub = seeded(True)
    hub.do(MOD, "ballot.open", title="Rahasia", method="borda", options=["U-002", "U-003"], secret=True)
    hub.do(village(HALLS[1]), "ballot.cast", ballot="B-01", choice=["U-003"])
    hub.do(MOD, "agenda.add", title="Pembukaan")
    hub.do(village(HALLS[2]), "hand.raise")
    hub.do(MOD, "floor.grant", village=HALLS[3])
    return hub


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=names, payload=payloads, actor=st.sampled_from(EVERYONE))
def test_garbage_only_ever_raises_domain_errors_and_changes_nothing(
    busy: Hub, name: object, payload: object, actor: Actor
) -> None:
    before = _snapshots(busy)
    try:
        busy.assembly.decide(parse_command(name, payload), actor, busy.now + 1)
    except DomainError as err:
        assert err.code and isinstance(err.message, str)
    assert _snapshots(busy) == before
    assert busy.assembly.role_of(Actor(Kind.VILLAGE, STRANGER)) is None
