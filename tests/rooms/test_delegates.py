"""Delegates for the next level: set whole by staff, checked, folded, shown to staff only."""

from __future__ import annotations

from rooms.delegates import MAX_DELEGATES
from tests.server.test_assembly_kit import ALIYAN, CHAIR, MOD, VENUE, Hub, public

SITI = {"name": "Siti Aminah", "village": VENUE, "role": "Kepala Desa"}


def test_staff_set_the_list_whole_and_a_fresh_fold_agrees() -> None:
    hub = Hub()
    hub.do(MOD, "delegates.set", delegates=[SITI, {"name": "  Made Wirawan "}])
    hub.do(CHAIR, "delegates.set", delegates=[SITI])  # a correction replaces the list
    staff = hub.assembly.read_models(["delegates"], "staff")["delegates"]
    assert staff == [{**SITI, "village_name": "Bubuk"}]
    assert hub.assembly.read_models(["delegates"], "public")["delegates"] is None
    assert hub.assembly.read_models(["delegates"], f"village:{VENUE}")["delegates"] is None
    hub.do(MOD, "delegates.set", delegates=[])
    assert hub.assembly.read_models(["delegates"], "staff")["delegates"] == []
    assert hub.refold().snapshot("staff") == hub.assembly.snapshot("staff")


def test_bad_lists_are_refused_and_change_nothing() -> None:
    hub = Hub()
    hub.do(MOD, "delegates.set", delegates=[SITI])
    assert hub.refused(MOD, "delegates.set", delegates=[{"name": ""}]).code == "invalid"
    assert hub.refused(MOD, "delegates.set", delegates=[{"name": "x" * 121}]).code == "invalid"
    assert hub.refused(MOD, "delegates.set", delegates=[{"name": "A", "umur": 40}]).code == "invalid"
    assert hub.refused(MOD, "delegates.set", delegates=[{"name": "A"}] * (MAX_DELEGATES + 1)).code == "invalid"
    assert hub.refused(MOD, "delegates.set", delegates=[{"name": "A", "village": "35.10.99.2999"}]).code == "not_found"
    assert hub.refused(ALIYAN, "delegates.set", delegates=[SITI]).code == "forbidden"
    assert hub.refused(public("b1"), "delegates.set", delegates=[SITI]).code == "forbidden"
