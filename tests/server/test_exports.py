"""The session's sheets for the next level, from a real hub: DU-RKP Desa and SIPD proposals, ballots
(per village only when nominal), attendance and speakers, as CSV, XLSX and JSON."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import aiohttp
from openpyxl import load_workbook

from harness.sample import usulan
from tests.server.conftest import Hub


async def _get(hub: Hub, who: str | None, path: str) -> tuple[int, bytes, str]:
    headers = {"Authorization": f"Bearer {hub.token(who)}"} if who else {}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{hub.url}/api/sessions/{hub.session}/export/{path}") as r:
            return r.status, await r.read(), r.headers.get("Content-Disposition", "")


async def _session_with_votes(hub: Hub) -> list[str]:
    mod = await hub.connect("moderator")
    await mod.ok("session.start")
    halls = [c for c in hub.villages if c != hub.villages[0]][:4]
    clients = [await hub.connect(code) for code in halls]
    for n, client in enumerate(clients[:2]):
        await client.ok("proposal.submit", usulan(title=f"Rabat beton {n}", cost=100_000_000 + n))
    await mod.ok("proposal.accept", proposal="U-001")
    await mod.ok("proposal.accept", proposal="U-002")
    for secret, ballot in ((False, "B-01"), (True, "B-02")):
        await mod.ok("ballot.open", title=f"Prioritas {ballot}", method="approval", options=["U-001", "U-002"],
                     secret=secret)
        for n, client in enumerate(clients):
            await client.ok("ballot.cast", ballot=ballot, choice=[("U-001", "U-002")[n % 2]])
        await mod.ok("ballot.close", ballot=ballot)
    await mod.ok("floor.grant", village=halls[0], seconds=60)
    await mod.ok("floor.revoke")
    return halls


def _csv(body: bytes) -> list[dict[str, Any]]:
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheet programs read the UTF-8 right
    return list(csv.DictReader(io.StringIO(text[1:])))


async def test_the_sheets_follow_the_record_and_keep_secret_ballots_secret(hub: Hub) -> None:
    halls = await _session_with_votes(hub)
    status, body, disposition = await _get(hub, "chair", "du_rkp_desa.csv")
    assert status == 200 and f"{hub.session}-du_rkp_desa.csv" in disposition
    proposals = _csv(body)
    assert [p["Jenis kegiatan"] for p in proposals] == ["Rabat beton 0", "Rabat beton 1"]
    assert list(proposals[0])[:4] == ["No", "Desa", "Bidang", "Jenis kegiatan"]  # the DU-RKP Desa order
    assert proposals[1]["Perkiraan biaya (Rp)"] == "100000001"

    status, body, _ = await _get(hub, "moderator", "ballots.json")
    rows = json.loads(body)["rows"]
    nominal = [r for r in rows if r["Pemungutan"] == "B-01" and r["Baris"] != "opsi"]
    secret = [r for r in rows if r["Pemungutan"] == "B-02"]
    assert sorted(r["Baris"] for r in nominal) == sorted(halls)  # who chose what, on the open ballot
    assert {r["Baris"] for r in secret} == {"opsi"}  # totals only: no village beside a choice
    assert {r["Pilihan"]: r["Poin"] for r in secret} == {"U-001": 2, "U-002": 2}
    assert {r["Jumlah pemilih"] for r in secret} == {4}

    status, body, _ = await _get(hub, "chair", "sipd.xlsx")
    sheet = load_workbook(io.BytesIO(body)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["Kode usulan", "Kecamatan", "Desa"] and [r[0] for r in values[1:]] == ["U-001", "U-002"]

    speakers = _csv((await _get(hub, "chair", "speakers.csv"))[1])
    assert [(s["Kode desa"], s["Giliran"]) for s in speakers] == [(halls[0], "1")]
    attendance = _csv((await _get(hub, "chair", "attendance.csv"))[1])
    present = {a["Kode desa"] for a in attendance if a["Kehadiran"] == "hadir"}
    assert set(halls) <= present
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", a["Masuk (WIB)"])
               for a in attendance if a["Kode desa"] in halls)  # a clock a reader knows, not epoch seconds


async def test_exports_are_for_staff_and_name_what_exists(hub: Hub) -> None:
    assert (await _get(hub, None, "du_rkp_desa.csv"))[0] == 403
    assert (await _get(hub, hub.villages[1], "ballots.csv"))[0] == 403
    status, body, _ = await _get(hub, "chair", "rahasia.csv")
    assert status == 404 and b"du_rkp_desa" in body  # the refusal says which sheets there are
    assert (await _get(hub, "chair", "sipd.pdf"))[0] == 404
