from dataclasses import replace

import pytest

from harness.sample import usulan
from moderation.assembly import PERSONAL, READ_MODELS, Assembly
from rooms.actors import Actor, Kind, Role
from rooms.commands import parse_command
from rooms.errors import NotFound
from rooms.events import RecordedEvent
from tests.server.test_assembly_kit import (  # fmt: skip
    ALIYAN,
    BUBUK,
    CHAIR,
    INTERACTIVE,
    MOD,
    PESANGGARAN,
    SARONGAN,
    SYSTEM,
    VENUE,
    Hub,
    public,
    village,
)


def test_a_new_session_is_a_draft_with_the_real_roster() -> None:
    hub = Hub(start=False)
    assert hub.assembly.status == "draft"
    assert hub.assembly.version == 1
    session = hub.model("session")
    assert (session["status"], session["venue"]) == ("draft", {"code": VENUE, "name": "Bubuk"})
    roster = hub.model("roster")
    assert len(roster) == 217
    assert sum(r["mode"] == "interactive" for r in roster) == 25
    assert hub.assembly.village(VENUE) is not None and hub.assembly.village("35.10.99.2001") is None


def test_before_creation_nothing_is_decided() -> None:
    empty = Assembly("nothing")
    assert empty.status == "" and empty.version == 0
    with pytest.raises(NotFound):
        empty.decide(parse_command("session.start", {}), CHAIR, 1.0)


def test_draft_takes_preparation_only() -> None:
    hub = Hub(start=False)
    hub.do(MOD, "agenda.add", title="Pembukaan")
    hub.do(BUBUK, "proposal.submit", **usulan())
    assert hub.refused(BUBUK, "hand.raise").code == "session_not_live"
    assert hub.refused(MOD, "agenda.open", item="A-01").code == "session_not_live"
    hub.do(CHAIR, "session.start")
    assert hub.assembly.status == "live"
    assert hub.refused(CHAIR, "session.start").code == "conflict"
    hub.do(BUBUK, "hand.raise")


def test_closing_ends_the_floor_ballots_and_agenda_item_then_refuses_everything() -> None:
    hub = Hub()
    a, b = hub.accepted(BUBUK, BUBUK)
    hub.do(MOD, "ballot.open", title="Prioritas", method="approval", options=[a, b])
    hub.do(PESANGGARAN, "ballot.cast", ballot="B-01", choice=[b])
    hub.do(MOD, "agenda.add", title="Usulan")
    hub.do(MOD, "agenda.open", item="A-01")
    hub.do(BUBUK, "hand.raise")
    hub.do(MOD, "floor.grant")
    closing = hub.do(CHAIR, "session.close")
    assert [e.type for e in closing] == [
        "floor.ended",
        "ballot.closed",
        "agenda.item_closed",
        "session.closed",
    ]
    assert hub.assembly.status == "closed"
    assert hub.model("ballots")[0]["result"][0]["proposal"] == b
    assert hub.model("floor")["holder"] is None
    for actor, name, payload in [
        (CHAIR, "session.start", {}),
        (CHAIR, "session.close", {}),
        (SYSTEM, "attendance.join", {"village": VENUE}),
        (BUBUK, "hand.raise", {}),
        (public("b1"), "support.give", {"proposal": a}),
        (CHAIR, "credential.revoke", {"holder": VENUE}),
    ]:
        assert hub.refused(actor, name, **payload).code == "session_closed"
    assert hub.assembly.snapshot("public")["session"]["status"] == "closed"  # read models still work


def test_idempotency_keys_survive_replay() -> None:
    hub = Hub()
    [event] = hub.do(BUBUK, "hand.raise", key="k-1")
    assert event.key == "k-1"
    assert hub.assembly.applied_key(VENUE, "k-1") == event.seq
    assert hub.assembly.applied_key(VENUE, "k-2") is None
    assert hub.assembly.applied_key("35.10.13.2001", "k-1") is None  # keys are per actor
    assert hub.refold().applied_key(VENUE, "k-1") == event.seq


def test_apply_insists_on_the_next_seq_and_skips_unknown_types() -> None:
    hub = Hub()
    record = hub.log[-1]
    with pytest.raises(ValueError):
        hub.assembly.apply(record)
    with pytest.raises(ValueError):
        hub.assembly.apply(replace(record, seq=record.seq + 2))
    before = hub.assembly.snapshot("staff")
    hub.assembly.apply(RecordedEvent(record.seq + 1, "recording.started", {}, "hub", 5.0, None, ""))
    assert hub.assembly.version == record.seq + 1
    assert {k: v for k, v in hub.assembly.snapshot("staff").items() if k != "version"} == {
        k: v for k, v in before.items() if k != "version"
    }


def test_roles_follow_the_roster() -> None:
    hub = Hub()
    assert hub.assembly.role_of(BUBUK) is Role.INTERACTIVE
    assert hub.assembly.role_of(SARONGAN) is Role.VIEWONLY
    assert hub.assembly.role_of(village("35.10.99.2001")) is None
    assert hub.assembly.role_of(Actor(Kind.ADMIN, "admin")) is None
    assert hub.assembly.role_of(CHAIR) is Role.CHAIR
    assert hub.assembly.role_of(public("x")) is Role.PUBLIC
    assert hub.assembly.role_of(SYSTEM) is Role.SYSTEM
    hub.do(MOD, "village.demote", village=PESANGGARAN.id)
    hub.do(MOD, "village.promote", village=SARONGAN.id)
    assert hub.assembly.role_of(SARONGAN) is Role.INTERACTIVE
    assert hub.assembly.role_of(PESANGGARAN) is Role.VIEWONLY


def test_revoking_a_holder_refuses_its_older_credentials_and_follows_the_roles() -> None:
    hub = Hub()
    assert not hub.assembly.is_revoked("c1", VENUE, 0)
    hub.do(MOD, "credential.reissue", holder=VENUE)
    assert hub.assembly.is_revoked("c1", VENUE, 0) and hub.refold().is_revoked("c1", VENUE, 0)
    assert not hub.assembly.is_revoked("c2", VENUE, 1)  # the re-issued link
    assert hub.assembly.generation(VENUE) == 1 and hub.assembly.generation(SARONGAN.id) == 0
    hub.do(MOD, "credential.revoke", holder=VENUE)  # a leaked re-issued link goes the same way
    assert hub.assembly.is_revoked("c2", VENUE, 1)
    # a moderator revokes villages only; the chair (and the operator) anyone
    assert hub.refused(MOD, "credential.revoke", holder="chair").code == "forbidden"
    assert hub.refused(MOD, "credential.reissue", holder="mod:2").code == "forbidden"
    hub.do(CHAIR, "credential.revoke", holder="mod:2")
    hub.do(CHAIR, "credential.reissue", holder="chair")
    assert hub.assembly.is_revoked("c3", "mod:2", 0) and hub.assembly.is_revoked("c4", "chair", 0)
    assert hub.refused(CHAIR, "credential.revoke", holder="35.99.99.9999").code == "not_found"
    assert hub.refused(SARONGAN, "credential.revoke", holder=VENUE).code == "forbidden"


def test_touched_names_the_read_models_an_event_batch_changes() -> None:
    hub = Hub(start=False)
    assert Assembly.touched(hub.log) == set(READ_MODELS) - {PERSONAL}  # a village's own votes are never pushed
    hub.do(CHAIR, "session.start")
    assert Assembly.touched(hub.do(BUBUK, "hand.raise")) == {"queue"}
    assert Assembly.touched(hub.do(MOD, "floor.grant")) == {"floor", "queue"}
    assert Assembly.touched(hub.do(MOD, "floor.grant", village=ALIYAN.id)) == {"floor", "queue", "speaking"}
    assert Assembly.touched(hub.do(MOD, "participant.mute", village=VENUE)) == {"floor", "roster"}
    assert Assembly.touched(hub.do(MOD, "credential.revoke", holder=VENUE)) == set()
    assert Assembly.touched([]) == set()


def test_media_plan() -> None:
    hub = Hub()
    hub.do(MOD, "floor.grant", village=PESANGGARAN.id)
    hub.do(MOD, "participant.mute", village=ALIYAN.id)
    hub.do(MOD, "spotlight.set", village=VENUE)
    assert hub.assembly.media_plan() == {
        "venue": VENUE,
        "floor": PESANGGARAN.id,
        "spotlight": VENUE,
        "screen": False,
        "muted": [ALIYAN.id],
        "interactive": sorted(INTERACTIVE),
    }


def test_attendance() -> None:
    hub = Hub()
    hub.do(SYSTEM, "attendance.join", village=VENUE)
    assert hub.refused(SYSTEM, "attendance.join", village=VENUE).code == "conflict"
    assert hub.refused(SYSTEM, "attendance.leave", village=ALIYAN.id).code == "conflict"
    assert hub.refused(SYSTEM, "attendance.join", village="35.10.99.2001").code == "not_found"
    joined = hub.now
    hub.do(SYSTEM, "attendance.leave", village=VENUE)
    left = hub.now
    hub.now += 120  # back after more than a minute: a second interval (a quick reconnect would continue the first)
    hub.do(SYSTEM, "attendance.join", village=VENUE)
    hub.do(BUBUK, "attendance.headcount", total=120, women=48)
    hub.do(MOD, "attendance.headcount", total=80, women=30, village=ALIYAN.id)
    assert hub.refused(BUBUK, "attendance.headcount", total=5, women=6).code == "invalid"
    assert hub.refused(BUBUK, "attendance.headcount", total=5, women=1, village=ALIYAN.id).code == "forbidden"
    assert hub.refused(MOD, "attendance.headcount", total=5, women=1).code == "invalid"  # whose?
    model = hub.model("attendance", "public")
    bubuk = next(r for r in model["villages"] if r["village"] == VENUE)
    assert bubuk["present"] and bubuk["joined_at"] == joined and bubuk["left_at"] is None
    assert bubuk["intervals"] == [[joined, left], [left + 121, None]]
    assert bubuk["headcount"] == {"total": 120, "women": 48}
    assert model["totals"] == {"present": 1, "villages": 217, "people": 200, "women": 78}


def test_agenda_opening_an_item_closes_the_open_one() -> None:
    hub = Hub()
    for title in ("Pembukaan", "Paparan", "Usulan"):
        hub.do(MOD, "agenda.add", title=title, minutes=15)
    hub.do(MOD, "agenda.move", item="A-03", position=1)
    assert [i["item"] for i in hub.model("agenda")["items"]] == ["A-03", "A-01", "A-02"]
    assert hub.refused(MOD, "agenda.move", item="A-01", position=4).code == "invalid"
    assert hub.refused(MOD, "agenda.move", item="A-09", position=1).code == "not_found"
    hub.do(MOD, "agenda.open", item="A-03")
    assert hub.refused(MOD, "agenda.open", item="A-03").code == "conflict"
    events = hub.do(MOD, "agenda.open", item="A-01")
    assert [(e.type, e.data["item"]) for e in events] == [
        ("agenda.item_closed", "A-03"),
        ("agenda.item_opened", "A-01"),
    ]
    assert hub.model("session")["current_item"]["title"] == "Pembukaan"
    hub.do(MOD, "agenda.close", item="A-01")
    assert hub.refused(MOD, "agenda.close", item="A-01").code == "conflict"
    statuses = {i["item"]: i["status"] for i in hub.model("agenda")["items"]}
    assert statuses == {"A-01": "done", "A-02": "pending", "A-03": "done"}
    assert hub.model("session")["current_item"] is None
