"""The berita acara composed from a session's record and laid out as a PDF, read back with pypdf: the
facts it must carry (attendance, agenda, accepted proposals, ranking and cut line, speakers with their
durations, delegates, the log's head), a secret ballot's totals only, a draft's watermark, a broken
chain refused, and the same closed log giving the same bytes."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from harness.sample import usulan
from rooms.events import Event
from rooms.log.chain import GENESIS, seal_all
from server.minutes import layout
from service.minutes import BrokenLog, Sources, compose
from tests.server.test_assembly_kit import ALIYAN, BUBUK, CHAIR, MOD, PESANGGARAN, SARONGAN, SYSTEM, VENUE, Hub


def _session() -> Hub:
    hub = Hub()
    for hall in (BUBUK, ALIYAN, SARONGAN):
        hub.do(SYSTEM, "attendance.join", village=hall.id)
    hub.do(MOD, "attendance.headcount", village=VENUE, total=120, women=48)
    hub.do(ALIYAN, "attendance.headcount", total=35, women=20)
    hub.do(MOD, "agenda.add", title="Pembukaan oleh Bupati")
    hub.do(MOD, "agenda.add", title="Penetapan prioritas usulan")
    hub.do(MOD, "agenda.open", item="A-01")
    hub.do(MOD, "agenda.close", item="A-01")
    for hall, title, cost in ((BUBUK, "Rabat beton Dusun Krajan", 100_000_000),
                              (ALIYAN, "Posyandu Melati", 150_000_000),
                              (SARONGAN, "Saluran irigasi tersier", 200_000_000)):
        hub.do(hall, "proposal.submit", **usulan(title=title, cost=cost))
    hub.do(PESANGGARAN, "proposal.submit", **usulan(title="Gapura desa"))
    for pid in ("U-001", "U-002", "U-003"):
        hub.do(MOD, "proposal.accept", proposal=pid)
    hub.do(MOD, "proposal.reject", proposal="U-004", reason="Bukan prioritas")
    hub.do(MOD, "ballot.open", title="Prioritas RKP", method="borda", options=["U-001", "U-002", "U-003"],
           pagu=280_000_000)
    for hall in (BUBUK, ALIYAN, SARONGAN):
        hub.do(hall, "ballot.cast", ballot="B-01", choice=["U-002", "U-001", "U-003"])
    hub.do(MOD, "ballot.close", ballot="B-01")
    hub.do(MOD, "ballot.open", title="Pilihan rahasia", method="approval", options=["U-001", "U-003"], secret=True)
    hub.do(BUBUK, "ballot.cast", ballot="B-02", choice=["U-003"])
    hub.do(ALIYAN, "ballot.cast", ballot="B-02", choice=["U-001"])
    hub.do(MOD, "ballot.close", ballot="B-02")
    hub.do(MOD, "floor.grant", village=PESANGGARAN.id, seconds=180)
    hub.now += 94  # a turn of 95 s in all
    hub.do(MOD, "floor.revoke")
    hub.do(MOD, "delegates.set", delegates=[{"name": "Siti Aminah", "village": VENUE, "role": "Kepala Desa"},
                                            {"name": "Made Wirawan", "role": "Wakil BPD"}])
    return hub


def _sources(hub: Hub) -> Sources:
    records = seal_all([Event(r.type, r.data, r.actor, r.at, r.key) for r in hub.log], 0, GENESIS)
    models = hub.assembly.read_models(("session", "roster", "attendance", "agenda", "board", "ballots", "speaking",
                                       "delegates"), "staff")
    return Sources(hub.assembly.session_id, hub.assembly.version, models, records)


def _text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def test_the_minutes_carry_the_sessions_facts() -> None:
    hub = _session()
    src = _sources(hub)
    progress: list[float] = []
    minutes = compose(src, "https://hub.example", progress.append)
    assert progress[-1] == 1.0 and minutes.head == src.records[-1].hash and minutes.count == len(src.records)
    assert not minutes.final
    text = _text(layout(minutes))
    assert "BERITA ACARA" in text and "Musrenbang RKPD 2021" in text and "DRAF" in text
    assert "Desa Bubuk, Kecamatan Rogojampi" in text and "Selasa, 21 Januari 2020" in text
    assert "Moderator ani" in text
    assert "Hadir 3 dari 217 desa/kelurahan" in text and "155 orang, di antaranya 68 perempuan" in text
    present = text.split("Waktu masuk dan keluar")[1].split("Acara")[0]
    assert "Aliyan" in present and "Sarongan" in present and "Pesanggaran Pesanggaran" not in present  # never joined
    assert "Pembukaan oleh Bupati" in text and "Penetapan prioritas usulan" in text
    assert "3 usulan diterima dari 4" in text and "Gapura desa" not in text
    assert "Rabat beton Dusun Krajan" in text and "Rp 150.000.000" in text and "Dana Desa" in text
    # Borda: U-002 first (6), U-001 (3), U-003 (0); 150 + 100 fit in 280 million, the irrigation falls below
    ranking = text.split("B-01")[1]
    assert ranking.index("U-002 Posyandu") < ranking.index("U-001 Rabat") < ranking.index("Garis batas pagu") \
        < ranking.index("U-003 Saluran")
    assert "Garis batas pagu indikatif Rp 280.000.000" in text
    secret = text.split("B-02")[1]
    assert "pemungutan rahasia" in secret and "pilihan tiap desa tidak disimpan" in secret
    assert "Pilihan (urut)" in text.split("B-02")[0] and "Pilihan (urut)" not in secret  # nominal only
    assert "Pesanggaran" in text.split("Pembicara")[-1] and "1:35" in text
    assert "Siti Aminah" in text and "Made Wirawan" in text and "Wakil BPD" in text
    assert "Pimpinan sidang" in text and "Wakil Badan Permusyawaratan Desa (BPD)" in text and "Wakil masyarakat" in text
    assert minutes.head in text.replace(" ", "")


def test_a_closed_session_gives_the_final_and_the_same_bytes_every_time() -> None:
    hub = _session()
    hub.do(CHAIR, "session.close")
    first, second = (layout(compose(_sources(hub), "https://hub.example")) for _ in range(2))
    assert first == second  # reportlab's invariant mode: no build time in the file
    text = _text(first)
    assert "DRAF" not in text and "final" in text


def test_a_broken_chain_gives_no_minutes() -> None:
    src = _sources(_session())
    records = list(src.records)
    records[5] = type(records[5])(**{**{f: getattr(records[5], f) for f in records[5].__slots__}, "actor": "mod:x"})
    with pytest.raises(BrokenLog) as caught:
        compose(Sources(src.session_id, src.version, src.models, records), "https://hub.example")
    assert caught.value.code == "log_broken"
