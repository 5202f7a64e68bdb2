"""Attendance: quick reconnects of a hall are one stay, not one interval per reconnect."""

from __future__ import annotations

from typing import Any

from rooms.attendance import REJOIN_WINDOW
from tests.server.test_assembly_kit import ALIYAN, SYSTEM, Hub


def _at(hub: Hub, t: float, name: str) -> None:
    hub.now = t - 1  # the kit stamps a command one second after `now`
    hub.do(SYSTEM, name, village=ALIYAN.id)


def _cycles(hub: Hub, stays: list[tuple[float, float]]) -> dict[str, Any]:
    for joined, left in stays:
        _at(hub, joined, "attendance.join")
        _at(hub, left, "attendance.leave")
    row: dict[str, Any] = next(r for r in hub.model("attendance")["villages"] if r["village"] == ALIYAN.id)
    assert row == next(r for r in hub.refold().read_models(["attendance"], "staff")["attendance"]["villages"]
                       if r["village"] == ALIYAN.id)
    return row


def test_fifty_quick_reconnects_are_one_interval() -> None:
    hub = Hub()
    start = hub.now + 100
    row = _cycles(hub, [(start + 10 * i, start + 5 + 10 * i) for i in range(50)])
    assert row["intervals"] == [[start, start + 495]]
    assert not row["present"] and row["joined_at"] == start and row["left_at"] == start + 495


def test_a_return_after_the_window_is_a_new_interval() -> None:
    hub = Hub()
    t = hub.now + 100
    late = t + 100 + REJOIN_WINDOW + 1
    row = _cycles(hub, [(t, t + 100), (late, late + 50), (late + 50 + REJOIN_WINDOW, late + 200)])
    assert row["intervals"] == [[t, t + 100], [late, late + 200]]  # back within the window: one stay
    _at(hub, late + 1000, "attendance.join")
    row = next(r for r in hub.model("attendance")["villages"] if r["village"] == ALIYAN.id)
    assert row["intervals"][-1] == [late + 1000, None] and row["present"]
