"""What the next level asks of a proposal (issue 13 §1): masalah, a map point, the OPD tujuan, photos —
through the pure Assembly, and a log written before them that still folds."""

from __future__ import annotations

from typing import Any

import pytest

from harness.sample import usulan
from rooms.actors import Actor
from rooms.commands import Command, parse_command
from rooms.errors import DomainError, UnknownCommand
from rooms.events import RecordedEvent
from service.exports import du_rkp_desa, sipd
from tests.server.test_assembly_kit import ALIYAN, BUBUK, MOD, SYSTEM, Hub

TITIK = {"lat": -8.2883, "lng": 114.3167}  # Rogojampi
LOKASI = {"dusun": "Krajan", "rt": "002", "rw": "001", "titik": TITIK}


def _photo(n: int, proposal: str = "U-001", size: int = 400_000) -> dict[str, Any]:
    return {"proposal": proposal, "photo": f"F-{n:012x}", "sha256": f"{n:064x}", "bytes": size,
            "thumb_bytes": 10_000, "width": 2048, "height": 1536}


def add_photo(hub: Hub, actor: Actor, args: dict[str, Any]) -> None:
    """``proposal.photo_add`` as the upload route sends it (a shell command: no page can)."""
    hub.record(hub.assembly.decide(Command("proposal.photo_add", args, None), actor, hub.now))


def refused_photo(hub: Hub, actor: Actor, args: dict[str, Any]) -> str:
    before = hub.snapshots()
    with pytest.raises(DomainError) as caught:
        add_photo(hub, actor, args)
    assert hub.snapshots() == before
    return caught.value.code


def test_masalah_point_and_opd_are_kept_shown_and_edited() -> None:
    hub = Hub()
    hub.do(BUBUK, "proposal.submit", **usulan(masalah="Jalan rusak, anak sekolah sulit lewat saat hujan",
                                              lokasi=LOKASI, opd="pu-ckpp"))
    [row] = hub.model("board", "public")["proposals"]
    assert row["masalah"].startswith("Jalan rusak") and row["lokasi"]["titik"] == TITIK
    assert (row["opd"], row["opd_name"]) == ("pu-ckpp", "Dinas Pekerjaan Umum Cipta Karya, Perumahan dan Permukiman")
    hub.do(BUBUK, "proposal.edit", proposal="U-001", opd="dinkes", masalah="Drainase tersumbat")
    [row] = hub.model("board")["proposals"]
    assert (row["opd"], row["masalah"], row["lokasi"]["titik"]) == ("dinkes", "Drainase tersumbat", TITIK)
    hub.do(BUBUK, "proposal.edit", proposal="U-001", opd=None, lokasi={"dusun": "Krajan", "rt": "2", "rw": "1"})
    [row] = hub.model("board")["proposals"]
    assert (row["opd"], row["opd_name"], row["lokasi"]["titik"], row["masalah"]) == (None, None, None,
                                                                                    "Drainase tersumbat")
    assert hub.refold().snapshot("staff") == hub.assembly.snapshot("staff")


def test_an_opd_not_on_the_hubs_list_is_refused() -> None:
    hub = Hub()
    assert hub.refused(BUBUK, "proposal.submit", **usulan(opd="dinas-rahasia")).code == "unknown_opd"
    hub.do(BUBUK, "proposal.submit", **usulan())
    assert hub.refused(BUBUK, "proposal.edit", proposal="U-001", opd="dinas-rahasia").code == "unknown_opd"


def test_a_log_from_before_the_new_fields_folds_and_exports() -> None:
    hub = Hub()
    old = {"proposal": "U-001", "village": BUBUK.id, **usulan()}  # no masalah, opd or titik: as logs were
    hub.record([RecordedEvent(hub.assembly.version + 1, "proposal.submitted", old, BUBUK.id, hub.now, None, "")])
    hub.do(BUBUK, "proposal.edit", proposal="U-001", cost=1_000)
    hub.do(MOD, "proposal.accept", proposal="U-001")
    [row] = hub.model("board")["proposals"]
    assert (row["masalah"], row["opd"], row["opd_name"], row["lokasi"]["titik"], row["photos"]) == (
        None, None, None, None, [])
    [kept] = sipd(hub.refold()).as_records()
    assert (kept["Permasalahan"], kept["OPD tujuan"], kept["Lintang"], kept["Foto"], kept["Tautan foto"]) == (
        None, None, None, 0, None)
    [listed] = du_rkp_desa(hub.assembly).as_records()
    assert listed["Perkiraan biaya (Rp)"] == 1_000 and listed["Foto"] == 0


def test_photos_come_from_the_hub_for_the_proposals_own_village_up_to_three() -> None:
    hub = Hub()
    hub.do(BUBUK, "proposal.submit", **usulan())
    with pytest.raises(UnknownCommand):  # never from a page
        parse_command("proposal.photo_add", _photo(1))
    assert refused_photo(hub, ALIYAN, _photo(1)) == "forbidden"  # not its proposal
    assert refused_photo(hub, SYSTEM, _photo(1)) == "forbidden"  # the table: villages only
    for n in (1, 2, 3):
        add_photo(hub, BUBUK, _photo(n))
    assert refused_photo(hub, BUBUK, _photo(4)) == "too_many_photos"
    [row] = hub.model("board", "public")["proposals"]
    assert [p["photo"] for p in row["photos"]] == ["F-000000000001", "F-000000000002", "F-000000000003"]
    assert hub.refused(ALIYAN, "proposal.photo_remove", proposal="U-001", photo="F-000000000001").code == "forbidden"
    hub.do(MOD, "proposal.photo_remove", proposal="U-001", photo="F-000000000001")  # staff take one down
    hub.do(BUBUK, "proposal.photo_remove", proposal="U-001", photo="F-000000000002")
    assert hub.refused(MOD, "proposal.photo_remove", proposal="U-001", photo="F-000000000002").code == "not_found"
    add_photo(hub, BUBUK, _photo(4))
    assert hub.assembly.photo_of("F-000000000004") == "U-001" and hub.assembly.photo_of("F-000000000001") is None
    assert hub.refold().snapshot("staff") == hub.assembly.snapshot("staff")


def test_a_villages_photos_stay_within_its_quota_over_all_its_proposals() -> None:
    hub = Hub(photo_quota=1_000_000)
    hub.do(BUBUK, "proposal.submit", **usulan())
    hub.do(BUBUK, "proposal.submit", **usulan())
    hub.do(ALIYAN, "proposal.submit", **usulan())
    add_photo(hub, BUBUK, _photo(1, size=500_000))
    assert refused_photo(hub, BUBUK, _photo(2, proposal="U-002", size=500_000)) == "photo_quota"  # 510 KB twice
    add_photo(hub, ALIYAN, _photo(3, proposal="U-003", size=500_000))  # its own quota
    hub.do(MOD, "proposal.reject", proposal="U-001", reason="Ganda")
    assert refused_photo(hub, BUBUK, _photo(4)) == "conflict"  # no longer in play
    hub.do(BUBUK, "proposal.photo_remove", proposal="U-001", photo="F-000000000001")  # frees its bytes
    add_photo(hub, BUBUK, _photo(2, proposal="U-002", size=500_000))
