from typing import Any

from tests.server.test_assembly_kit import (
    ALIYAN,
    BUBUK,
    CHAIR,
    INTERACTIVE,
    MOD,
    PESANGGARAN,
    ROSTER,
    SARONGAN,
    SYSTEM,
    VENUE,
    VIEWONLY,
    Hub,
    village,
)  # fmt: skip


def queue(hub: Hub) -> list[tuple[str, bool]]:
    return [(e["village"], e["point_of_order"]) for e in hub.model("queue", "public")]


def test_points_of_order_go_to_the_front_behind_earlier_ones() -> None:
    hub = Hub()
    hub.do(BUBUK, "hand.raise")
    hub.do(ALIYAN, "hand.raise")
    hub.do(SARONGAN, "hand.raise", point_of_order=True)
    hub.do(PESANGGARAN, "hand.raise", point_of_order=True)
    assert queue(hub) == [(SARONGAN.id, True), (PESANGGARAN.id, True), (VENUE, False), (ALIYAN.id, False)]
    assert hub.refused(BUBUK, "hand.raise").code == "conflict"
    first = hub.model("queue")[0]
    assert (first["name"], first["kecamatan"], first["raised_at"]) == ("Sarongan", "Pesanggaran", hub.now - 1)


def test_moderators_reorder_and_remove_villages_lower_their_own_hands() -> None:
    hub = Hub()
    for v in (BUBUK, ALIYAN, SARONGAN):
        hub.do(v, "hand.raise")
    hub.do(MOD, "queue.move", village=SARONGAN.id, position=1)
    assert [v for v, _ in queue(hub)] == [SARONGAN.id, VENUE, ALIYAN.id]
    assert hub.refused(MOD, "queue.move", village=VENUE, position=4).code == "invalid"
    assert hub.refused(MOD, "queue.move", village=PESANGGARAN.id, position=1).code == "not_found"
    hub.do(CHAIR, "queue.remove", village=VENUE)
    hub.do(ALIYAN, "hand.lower")
    assert hub.refused(ALIYAN, "hand.lower").code == "not_found"
    assert hub.refused(BUBUK, "queue.remove", village=SARONGAN.id).code == "forbidden"
    assert hub.refused(MOD, "hand.raise").code == "forbidden"  # staff hold no hands
    assert queue(hub) == [(SARONGAN.id, False)]
    # a point of order raised after a move still lands behind the points of order at the front
    hub.do(ALIYAN, "hand.raise", point_of_order=True)
    assert [v for v, _ in queue(hub)] == [ALIYAN.id, SARONGAN.id]


def test_the_floor_passes_from_the_queue_with_a_countdown_and_time_is_totalled() -> None:
    hub = Hub()
    hub.do(BUBUK, "hand.raise")
    hub.do(ALIYAN, "hand.raise")
    assert hub.refused(BUBUK, "floor.yield").code == "conflict"
    [granted] = hub.do(MOD, "floor.grant", seconds=120)
    floor: dict[str, Any] = hub.model("floor", "public")
    assert floor["holder"] == {"village": VENUE, "name": "Bubuk", "kecamatan": "Rogojampi"}
    assert (floor["granted_at"], floor["seconds"], floor["deadline"]) == (granted.at, 120, granted.at + 120)
    assert [v for v, _ in queue(hub)] == [ALIYAN.id]  # the holder left the queue
    assert hub.refused(BUBUK, "hand.raise").code == "conflict"  # already speaking
    hub.now += 50
    hub.do(MOD, "floor.extend", seconds=60)
    assert hub.model("floor")["deadline"] == granted.at + 180
    hub.now += 100
    [ended] = hub.do(BUBUK, "floor.yield")
    assert ended.data == {"village": VENUE, "reason": "yielded"}
    assert hub.refused(MOD, "floor.revoke").code == "conflict"
    assert hub.refused(MOD, "floor.extend", seconds=10).code == "conflict"
    hub.do(MOD, "floor.grant")  # Aliyan, from the head of the queue
    hub.now += 29
    # granting another village ends the current turn first
    events = hub.do(MOD, "floor.grant", village=PESANGGARAN.id)
    assert [(e.type, e.data["village"]) for e in events] == [
        ("floor.ended", ALIYAN.id),
        ("floor.granted", PESANGGARAN.id),
    ]
    assert events[0].data["reason"] == "replaced"
    assert hub.refused(MOD, "floor.grant", village=PESANGGARAN.id).code == "conflict"
    assert hub.refused(MOD, "floor.grant").code == "conflict"  # queue empty: nobody to call
    hub.now += 9
    hub.do(MOD, "floor.revoke")
    hub.do(MOD, "floor.grant", village=village("35.10.13.2002").id, seconds=5)  # Mangir, Rogojampi
    hub.now += 4
    hub.do(CHAIR, "floor.revoke")
    speaking = hub.model("speaking", "public")
    assert [(r["village"], r["seconds"], r["turns"]) for r in speaking["villages"]] == [
        (VENUE, 152.0, 1), (ALIYAN.id, 30.0, 1), (PESANGGARAN.id, 10.0, 1), ("35.10.13.2002", 5.0, 1),
    ]  # fmt: skip
    assert [(k["name"], k["seconds"]) for k in speaking["kecamatan"]] == [
        ("Rogojampi", 187.0),
        ("Pesanggaran", 10.0),
    ]
    assert hub.refold().snapshot("staff") == hub.assembly.snapshot("staff")


def test_the_hub_pauses_a_turn_while_the_holders_media_is_gone() -> None:
    hub = Hub()
    [granted] = hub.do(MOD, "floor.grant", village=PESANGGARAN.id, seconds=120)
    assert hub.assembly.media_plan()["floor"] == PESANGGARAN.id
    hub.now += 20
    assert hub.refused(PESANGGARAN, "floor.pause", village=PESANGGARAN.id).code == "forbidden"
    assert hub.refused(MOD, "floor.pause", village=PESANGGARAN.id).code == "forbidden"
    [paused] = hub.do(SYSTEM, "floor.pause", village=PESANGGARAN.id)
    floor = hub.model("floor", "public")
    assert (floor["paused_at"], floor["deadline"]) == (paused.at, granted.at + 120)
    assert floor["holder"]["village"] == PESANGGARAN.id  # still its turn
    assert hub.assembly.media_plan()["floor"] is None  # the program falls back to the venue
    hub.now += 30
    [resumed] = hub.do(SYSTEM, "floor.resume", village=PESANGGARAN.id)
    floor = hub.model("floor", "public")
    assert (floor["paused_at"], floor["deadline"]) == (None, granted.at + 120 + resumed.at - paused.at)
    assert hub.assembly.media_plan()["floor"] == PESANGGARAN.id
    hub.now += 10
    [ended] = hub.do(PESANGGARAN, "floor.yield")
    spoken = ended.at - granted.at - (resumed.at - paused.at)
    assert [(r["village"], r["seconds"]) for r in hub.model("speaking")["villages"]] == [(PESANGGARAN.id, spoken)]
    assert hub.refold().snapshot("staff") == hub.assembly.snapshot("staff")


def test_grant_to_a_village_outside_the_roster_is_not_found() -> None:
    hub = Hub()
    assert hub.refused(MOD, "floor.grant", village="35.10.99.2001").code == "not_found"


def test_mute_spotlight_promote_demote() -> None:
    hub = Hub()
    hub.do(MOD, "participant.mute", village=ALIYAN.id)
    assert hub.refused(MOD, "participant.mute", village=ALIYAN.id).code == "conflict"
    assert hub.refused(MOD, "participant.unmute", village=VENUE).code == "conflict"
    hub.do(MOD, "spotlight.set", village=VENUE)
    assert hub.refused(MOD, "spotlight.set", village=VENUE).code == "conflict"
    floor = hub.model("floor")
    assert (floor["spotlight"], floor["muted"]) == (VENUE, [ALIYAN.id])
    roster = {r["village"]: r for r in hub.model("roster", "public")}
    assert roster[ALIYAN.id]["muted"] and roster[ALIYAN.id]["mode"] == "viewonly"
    hub.do(MOD, "participant.unmute", village=ALIYAN.id)
    hub.do(MOD, "spotlight.set", village=None)
    assert hub.model("floor")["spotlight"] is None
    assert hub.refused(MOD, "village.promote", village=VENUE).code == "conflict"
    assert hub.refused(MOD, "village.demote", village=ALIYAN.id).code == "conflict"
    assert len(INTERACTIVE) == 25
    assert hub.refused(MOD, "village.promote", village=VIEWONLY[0]).code == "interactive_limit"
    hub.do(MOD, "village.demote", village=VENUE)
    hub.do(MOD, "village.promote", village=VIEWONLY[0])
    modes = {r["village"]: r["mode"] for r in hub.model("roster")}
    assert (modes[VENUE], modes[VIEWONLY[0]]) == ("viewonly", "interactive")
    assert sum(m == "interactive" for m in modes.values()) == 25
    assert len(modes) == len(ROSTER)


def test_the_chair_shares_its_screen_and_the_media_plan_follows() -> None:
    hub = Hub()
    assert hub.refused(MOD, "screen.start").code == "forbidden"  # the chair presents, at the venue
    assert hub.refused(CHAIR, "screen.stop").code == "conflict"
    hub.do(CHAIR, "screen.start")
    assert hub.refused(CHAIR, "screen.start").code == "conflict"
    assert hub.model("floor", "public")["screen"] is True
    assert hub.assembly.media_plan()["screen"] is True
    hub.do(CHAIR, "screen.stop")
    assert hub.model("floor")["screen"] is False and hub.assembly.media_plan()["screen"] is False
