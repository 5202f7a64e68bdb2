"""Carry-up over HTTP on a real hub: a desa session's ranked proposals go to a kecamatan session with
their log, and the kecamatan's on to a kabupaten one; a file whose chain does not verify, one from the
wrong level, one taken twice and callers without the right are refused with nothing changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp

from harness.sample import VENUE, small_roster, usulan
from rooms.actors import Kind
from rooms.events import Event
from rooms.log.chain import GENESIS, canonical, seal_all, to_json
from server.__main__ import verify_export
from server.keys import SESSIONS, SIGNER
from server.provision import found_session
from service.carry import onward
from service.sessions import Sessions
from tests.server.conftest import Hub

ROGOJAMPI = "35.10.13"


def _bearer(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def _get(hub: Hub, sid: str, path: str, token: str | None) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers=_bearer(token)) as http:
        async with http.get(f"{hub.url}/api/sessions/{sid}" + (f"/{path}" if path else "")) as r:
            body = await r.read()
            return r.status, json.loads(body) if body else None


async def _post(hub: Hub, sid: str, body: bytes, token: str | None) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers=_bearer(token)) as http:
        async with http.post(f"{hub.url}/api/sessions/{sid}/carry", data=body,
                             headers={"Content-Type": "application/json"}) as r:
            return r.status, await r.json()


async def _session(hub: Hub, title: str, level: str, kecamatan: tuple[str, ...]) -> tuple[str, dict[str, str]]:
    """Another session on the hub: its id and its chair's and moderator's credentials."""
    sid, links = await found_session(hub.app[SESSIONS], hub.app[SIGNER], hub.url, title, small_roster(kecamatan),
                                     VENUE, level=level)
    return sid, {link.role: link.url.split("#t=")[1] for link in links if link.role in ("chair", "moderator")}


async def _desa_ranked(hub: Hub) -> list[str]:
    """The desa session: three halls of Rogojampi and one elsewhere propose, four accepted, a nominal
    ballot ranks them, one rejected. Returns the proposing halls."""
    mod = await hub.connect("moderator")
    await mod.ok("session.start")
    halls = [c for c in hub.villages if c.startswith(ROGOJAMPI + ".") and c != VENUE][:3]
    halls.append(next(c for c in hub.villages if not c.startswith(ROGOJAMPI + ".")))
    clients = [await hub.connect(code) for code in halls]
    for n, client in enumerate(clients):
        await client.ok("proposal.submit", usulan(title=f"Usulan {n}", cost=100_000_000 + n))
    await clients[0].ok("proposal.submit", usulan(title="Ditolak"))
    for pid in ("U-001", "U-002", "U-003", "U-004"):
        await mod.ok("proposal.accept", proposal=pid)
    await mod.ok("proposal.reject", proposal="U-005", reason="Bukan kewenangan desa")
    await mod.ok("ballot.open", title="Prioritas desa", method="approval", options=["U-001", "U-002", "U-003", "U-004"])
    for n, client in enumerate(clients):
        await client.ok("ballot.cast", ballot="B-01", choice=["U-002"] if n < 3 else ["U-001", "U-002"])
    await mod.ok("ballot.close", ballot="B-01")
    return halls


async def test_desa_to_kecamatan_to_kabupaten(hub: Hub, tmp_path: Path) -> None:
    halls = await _desa_ranked(hub)
    status, carry = await _get(hub, hub.session, "carry.json", hub.token("moderator"))
    assert status == 200 and carry["session"]["level"] == "desa"
    going = {row["lineage"][-1]["proposal"]: row for row in carry["proposals"]}
    assert set(going) == {"U-001", "U-002", "U-003", "U-004"}  # the rejected one stays behind
    top = going["U-002"]["lineage"][-1]
    assert (top["rank"], top["votes"][0]["points"], top["votes"][0]["chosen_by"]) == (1, 4, sorted(halls))
    assert [h["type"] for h in top["history"]] == ["proposal.submitted", "proposal.accepted"]
    exported = tmp_path / "log.jsonl"
    exported.write_text(carry["log"], encoding="utf-8")
    assert verify_export([str(exported)]) == 0  # the carried log is the log.jsonl the verifier checks

    kec, kec_staff = await _session(hub, "Musrenbang Kecamatan Rogojampi", "kecamatan", (ROGOJAMPI,))
    status, taken = await _post(hub, kec, json.dumps(carry).encode(), kec_staff["moderator"])
    assert status == 201, taken
    assert taken["head"] == carry["head"] and taken["origin"] == hub.session
    # the hall outside Rogojampi is not in this kecamatan's roster: its proposal waits for its own kecamatan
    assert sorted(r["proposal"] for r in taken["carried"]) == ["U-001", "U-002", "U-003"]
    assert {r["status"] for r in taken["carried"]} == {"submitted"}

    _, snap = await _get(hub, kec, "", kec_staff["chair"])
    board = {p["proposal"]: p for p in snap["board"]["proposals"]}
    carried = next(p for p in board.values() if p["carried_from"]["proposal"] == "U-002")
    assert carried["village"] == halls[1] and carried["title"] == "Usulan 1" and carried["status"] == "submitted"
    assert carried["carried_from"] == {"level": "desa", "session": hub.session, "title": "Uji Musrenbang",
                                       "proposal": "U-002", "rank": 1}
    _, log = await _get(hub, kec, "log", kec_staff["chair"])
    recorded = [e for e in log["events"] if e["type"] == "proposal.carried"]
    assert log["verification"]["ok"] and len(recorded) == 3
    hop = next(e for e in recorded if e["data"]["proposal"] == carried["proposal"])["data"]["lineage"][-1]
    assert hop["head"] == carry["head"] and hop["votes"][0]["chosen_by"] == sorted(halls)  # votes kept in the record

    # the desa hall's page reads where its proposals stand up there
    status, up = await _get(hub, hub.session, "onward", hub.token(halls[1]))
    assert status == 200 and [(r["proposal"], r["status"], r["session"]) for r in up["onward"]] == [
        ("U-002", "submitted", kec)]
    kmod = await hub.connect(token=kec_staff["moderator"])
    await kmod.ok("session.start")
    for pid in (carried["proposal"], board_id(board, "U-001")):
        await kmod.ok("proposal.accept", proposal=pid)
    await kmod.ok("proposal.reject", proposal=board_id(board, "U-003"), reason="Sudah dianggarkan")
    await kmod.ok("ballot.open", title="Prioritas kecamatan", method="borda",
                  options=[carried["proposal"], board_id(board, "U-001")])
    for code in halls[:2]:
        kv = await hub.connect(token=hub.app[SIGNER].issue(kec, Kind.VILLAGE, code, code))
        await kv.ok("ballot.cast", ballot="B-01", choice=[board_id(board, "U-001"), carried["proposal"]])
    await kmod.ok("ballot.close", ballot="B-01")
    _, up = await _get(hub, hub.session, "onward", hub.token("chair"))
    assert {r["proposal"]: (r["status"], r["rank"]) for r in up["onward"]} == {
        "U-001": ("ranked", 1), "U-002": ("ranked", 2), "U-003": ("rejected", None)}
    # a fresh service over the same store (a restart) finds the same: the lookup is a fold of the logs
    assert await onward(Sessions(hub.app[SESSIONS].log), hub.session, None) == up["onward"]

    kab, kab_staff = await _session(hub, "Musrenbang RKPD Kabupaten", "kabupaten", (ROGOJAMPI, "35.10.01"))
    status, refused = await _post(hub, kab, json.dumps(carry).encode(), kab_staff["chair"])
    assert (status, refused["error"]) == (409, "level_mismatch")  # a desa file skips no level
    status, kec_carry = await _get(hub, kec, "carry.json", kec_staff["chair"])
    assert status == 200 and len(kec_carry["proposals"]) == 2
    status, taken = await _post(hub, kab, json.dumps(kec_carry).encode(), hub.app[SIGNER].issue(
        "*", Kind.ADMIN, "admin"))  # the operator
    assert status == 201, taken
    _, log = await _get(hub, kab, "log", kab_staff["chair"])
    lineage = next(e for e in log["events"] if e["type"] == "proposal.carried"
                   and e["data"]["village"] == halls[1])["data"]["lineage"]
    assert [(h["level"], h["proposal"], h["rank"]) for h in lineage] == [
        ("desa", "U-002", 1), ("kecamatan", carried["proposal"], 2)]
    assert [h["type"] for h in lineage[1]["history"]] == ["proposal.carried", "proposal.accepted"]
    _, up = await _get(hub, hub.session, "onward", hub.token(halls[1]))  # followed on up from the desa
    assert [(r["level"], r["status"], r["session"]) for r in up["onward"]] == [
        ("kecamatan", "ranked", kec), ("kabupaten", "submitted", kab)]
    status, top_level = await _get(hub, kab, "carry.json", kab_staff["chair"])
    assert (status, top_level["error"]) == (409, "no_next_level")


def board_id(board: dict[str, Any], origin: str) -> str:
    """The id a carried proposal got in this session, by its origin's id."""
    return next(p["proposal"] for p in board.values() if (p["carried_from"] or {}).get("proposal") == origin)


async def _count(hub: Hub, sid: str, token: str) -> tuple[int, int]:
    _, snap = await _get(hub, sid, "", token)
    return snap["version"], len(snap["board"]["proposals"])


async def test_a_changed_event_a_second_import_and_the_wrong_callers_are_refused(hub: Hub) -> None:
    await _desa_ranked(hub)
    _, carry = await _get(hub, hub.session, "carry.json", hub.token("chair"))
    kec, staff = await _session(hub, "Musrenbang Kecamatan Rogojampi", "kecamatan", (ROGOJAMPI,))
    before = await _count(hub, kec, staff["chair"])

    lines = carry["log"].splitlines()
    n = next(i for i, line in enumerate(lines) if '"proposal.submitted"' in line)
    event = json.loads(lines[n])
    event["data"]["cost"] += 1  # one figure changed after sealing
    forged = {**carry, "log": "\n".join([*lines[:n], json.dumps(event), *lines[n + 1:]]) + "\n"}
    status, refused = await _post(hub, kec, json.dumps(forged).encode(), staff["moderator"])
    assert (status, refused["error"]) == (422, "chain_broken") and f"#{n + 1}" in refused["message"]
    inflated = {**carry, "proposals": [{**p, "village": VENUE} for p in carry["proposals"]]}
    status, refused = await _post(hub, kec, json.dumps(inflated).encode(), staff["moderator"])
    assert (status, refused["error"]) == (422, "carry_mismatch")  # the list must be what the log says
    sealed = seal_all([Event("session.created", {"title": "Bukan sidang"}, "admin", 1.0)], 0, GENESIS)
    nonsense = {**carry, "log": canonical(to_json(sealed[0])).decode() + "\n", "head": sealed[0].hash, "count": 1}
    for junk in (b"{not json", b"[]", json.dumps({**carry, "format": "lain/1"}).encode(),
                 json.dumps({**carry, "session": {"id": "../Bukan Id"}}).encode(),
                 json.dumps({**carry, "log": "bukan json\n"}).encode(),
                 json.dumps(nonsense).encode()):  # sealed right, but no session a hub folds
        status, refused = await _post(hub, kec, junk, staff["moderator"])
        assert (status, refused["error"]) == (400, "invalid"), (junk[:60], refused)
    assert await _count(hub, kec, staff["chair"]) == before  # nothing taken

    body = json.dumps(carry).encode()
    for token in (None, hub.token("moderator"), hub.token(hub.villages[1]), "forged.token"):
        status, refused = await _post(hub, kec, body, token)  # the desa's staff are not the kecamatan's
        assert status in (401, 403), (token, refused)
    assert await _count(hub, kec, staff["chair"]) == before
    for token in (None, hub.token(hub.villages[1])):
        assert (await _get(hub, hub.session, "carry.json", token))[0] == 403
    assert (await _get(hub, hub.session, "onward", None))[0] == 403
    over_socket = await hub.connect(token=staff["moderator"])
    reply = await over_socket.cmd("proposal.carry", proposals=carry["proposals"])
    assert reply["error"] == "unknown_command"  # only the HTTP shell, after checking the chain, sends it

    status, first = await _post(hub, kec, body, staff["moderator"])
    assert status == 201 and len(first["carried"]) == 3
    after = await _count(hub, kec, staff["chair"])
    status, again = await _post(hub, kec, body, staff["chair"])
    assert (status, again["error"]) == (409, "already_carried")
    assert await _count(hub, kec, staff["chair"]) == after  # imported once

    other, other_staff = await _session(hub, "Musrenbang Desa Lain", "desa", (ROGOJAMPI,))
    status, refused = await _post(hub, other, body, other_staff["chair"])
    assert (status, refused["error"]) == (409, "level_mismatch")
