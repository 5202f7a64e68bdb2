"""The moderation desk on its own: decisions against a bare record, folded by the desk's table."""

from typing import Any

import pytest

from moderation.desk import APPLY, DECIDE, Desk
from rooms.actors import Actor, Kind
from rooms.errors import Conflict
from rooms.record import Record
from rooms.roster import Village

VILLAGES = [Village(f"35.10.0{k}.200{i}", f"Desa {k}{i}", f"35.10.0{k}", f"Kec {k}", "desa")
            for k in (1, 2) for i in (1, 2, 3)]
STAFF = Actor(Kind.MODERATOR, "mod:ani")
SYSTEM = Actor(Kind.SYSTEM, "hub")


class Bench:
    def __init__(self) -> None:
        self.record = Record("s")
        self.record.villages = {v.code: v for v in VILLAGES}
        self.desk = Desk()

    def do(self, actor: Actor, command: str, at: float, **args: Any) -> list[tuple[str, dict[str, Any]]]:
        facts = DECIDE[command](self.desk, self.record, args, actor, at)
        for kind, data in facts:
            APPLY[kind](self.desk, data, at)
        return facts


def hall(index: int) -> Actor:
    code = VILLAGES[index].code
    return Actor(Kind.VILLAGE, code, code)


def test_point_of_order_lands_behind_earlier_points_of_order() -> None:
    bench = Bench()
    for i, poo in [(0, False), (1, True), (2, False), (3, True)]:
        bench.do(hall(i), "hand.raise", float(i), point_of_order=poo)
    assert [e.village for e in bench.desk.queue.entries] == [VILLAGES[i].code for i in (1, 3, 0, 2)]
    assert set(bench.desk.queue.waiting) == {VILLAGES[i].code for i in range(4)}


def test_turn_lengths_come_from_the_event_times() -> None:
    bench = Bench()
    bench.do(STAFF, "floor.grant", 100.0, village=VILLAGES[0].code, seconds=180)
    bench.do(STAFF, "floor.extend", 150.0, seconds=30)
    assert bench.desk.floor.seconds == 210
    bench.do(STAFF, "floor.grant", 175.5, village=VILLAGES[4].code, seconds=60)
    bench.do(hall(4), "floor.yield", 200.0)
    assert bench.desk.floor.spoken == {VILLAGES[0].code: 75.5, VILLAGES[4].code: 24.5}
    assert bench.desk.floor.holder is None
    with pytest.raises(Conflict):
        bench.do(hall(4), "floor.yield", 201.0)


def test_a_paused_turn_stops_its_countdown_and_its_speaking_time() -> None:
    bench = Bench()
    code = VILLAGES[2].code
    bench.do(STAFF, "floor.grant", 100.0, village=code, seconds=120)
    with pytest.raises(Conflict):
        bench.do(SYSTEM, "floor.resume", 101.0, village=code)  # not paused
    with pytest.raises(Conflict):
        bench.do(SYSTEM, "floor.pause", 101.0, village=VILLAGES[0].code)  # not the holder
    bench.do(SYSTEM, "floor.pause", 110.0, village=code)
    with pytest.raises(Conflict):
        bench.do(SYSTEM, "floor.pause", 111.0, village=code)
    assert bench.desk.floor.stopped(125.0) == 15.0
    bench.do(SYSTEM, "floor.resume", 130.0, village=code)
    bench.do(SYSTEM, "floor.pause", 150.0, village=code)
    bench.do(STAFF, "floor.revoke", 160.0)  # ended while paused: the running pause is not spoken time
    assert bench.desk.floor.spoken == {code: 30.0}
    assert bench.desk.floor.paused_at is None and bench.desk.floor.paused == 0.0
    bench.do(STAFF, "floor.grant", 200.0, village=code, seconds=60)
    assert bench.desk.floor.stopped(250.0) == 0.0  # a new turn starts unpaused


def test_wind_up_ends_the_running_turn_only() -> None:
    bench = Bench()
    assert bench.desk.wind_up() == []
    bench.do(STAFF, "floor.grant", 1.0, village=VILLAGES[1].code, seconds=60)
    assert bench.desk.wind_up() == [
        ("floor.ended", {"village": VILLAGES[1].code, "reason": "session_closed"})
    ]
