"""The HTTP API: sessions, snapshots, the verified log, health and metrics — and who may see what."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aiohttp

from harness.sample import VENUE, small_roster
from rooms.actors import Kind
from server.keys import SESSIONS, SIGNER
from tests.server.conftest import Hub


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_health_and_metrics(hub: Hub) -> None:
    chair = await hub.connect("chair")
    await chair.ok("agenda.add", title="Pembukaan")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{hub.url}/healthz") as r:
            assert r.status == 200 and (await r.json())["ok"] is True
        async with http.get(f"{hub.url}/metrics") as r:
            text = await r.text()
    assert 'mh_commands_total{command="agenda.add",outcome="ok"} 1.0' in text
    assert "mh_connections 1.0" in text


async def test_only_the_operator_creates_sessions(hub: Hub) -> None:
    body = {"title": "Musrenbang Kecamatan", "roster_csv": small_roster(), "venue": VENUE}
    admin = hub.app[SIGNER].issue("*", Kind.ADMIN, "admin")
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{hub.url}/api/sessions", json=body) as r:
            assert r.status == 403 and (await r.json())["error"] == "forbidden"
        async with http.post(f"{hub.url}/api/sessions", json=body, headers=_bearer(hub.token("chair"))) as r:
            assert r.status == 403
        async with http.post(f"{hub.url}/api/sessions", json=body, headers=_bearer("forged.token")) as r:
            assert r.status == 401 and (await r.json())["error"] == "unauthorized"
        async with http.post(f"{hub.url}/api/sessions", json={**body, "roster_csv": "a,b\n1,2\n"},
                             headers=_bearer(admin)) as r:
            assert r.status == 400 and (await r.json())["error"] == "invalid"
        async with http.post(f"{hub.url}/api/sessions", json={**body, "extra": 1}, headers=_bearer(admin)) as r:
            assert r.status == 400
        async with http.post(f"{hub.url}/api/sessions", data=b"not json", headers=_bearer(admin)) as r:
            assert r.status == 400
        async with http.post(f"{hub.url}/api/sessions", json=body, headers=_bearer(admin)) as r:
            assert r.status == 201
            created = await r.json()
        async with http.get(f"{hub.url}/api/sessions") as r:
            listed = {s["id"]: s for s in (await r.json())["sessions"]}
    assert created["id"] in listed and hub.session in listed
    assert listed[created["id"]]["title"] == "Musrenbang Kecamatan"
    roles = [link["role"] for link in created["links"]]
    village = next(link for link in created["links"] if link["village"] == VENUE)
    assert village["name"] == "Bubuk" and village["interactive"] is True and village["kecamatan"]
    assert roles.count("chair") == 1 and roles.count("village") == small_roster().count("\n") - 1


async def test_the_operator_previews_a_roster(hub: Hub) -> None:
    """The operator page's roster check: the villages and the hub's pick for a venue; nothing is created."""
    admin = hub.app[SIGNER].issue("*", Kind.ADMIN, "admin")
    roster = small_roster(("35.10.13", "35.10.01"))
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{hub.url}/api/roster", json={"roster_csv": roster}) as r:
            assert r.status == 403
        async with http.post(f"{hub.url}/api/roster", json={"roster_csv": roster}, headers=_bearer(admin)) as r:
            preview = await r.json()
            assert r.status == 200 and preview["interactive"] == []
        async with http.post(f"{hub.url}/api/roster", json={"roster_csv": roster, "venue": VENUE},
                             headers=_bearer(admin)) as r:
            picked = (await r.json())["interactive"]
        async with http.post(f"{hub.url}/api/roster", json={"roster_csv": roster, "venue": "99.99"},
                             headers=_bearer(admin)) as r:
            assert r.status == 400 and (await r.json())["error"] == "invalid"
        async with http.post(f"{hub.url}/api/roster", json={"roster_csv": "a,b\n1,2\n"}, headers=_bearer(admin)) as r:
            assert r.status == 400
        async with http.get(f"{hub.url}/api/sessions") as r:
            assert len((await r.json())["sessions"]) == 1
    assert len(preview["villages"]) == roster.count("\n") - 1
    assert {"code", "name", "kecamatan"} <= set(preview["villages"][0])
    assert VENUE in picked and len(picked) == 2  # the venue, and one village of the other kecamatan


async def test_snapshot_depends_on_who_asks(hub: Hub) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{hub.url}/api/sessions/{hub.session}") as r:
            public = await r.json()
        async with http.get(f"{hub.url}/api/sessions/{hub.session}", headers=_bearer(hub.token(VENUE))) as r:
            village = await r.json()
        async with http.get(f"{hub.url}/api/sessions/nope") as r:
            assert r.status == 404 and (await r.json())["error"] == "not_found"
    assert public["session"]["title"] == "Uji Musrenbang" and public["mine"] == {"votes": {}}
    assert village["version"] == public["version"]


async def test_the_log_is_for_staff_and_verifies(hub: Hub) -> None:
    chair = await hub.connect("chair")
    await chair.ok("session.start")
    url = f"{hub.url}/api/sessions/{hub.session}/log"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as r:
            assert r.status == 403
        async with http.get(url, headers=_bearer(hub.token(VENUE))) as r:
            assert r.status == 403
        async with http.get(url, headers=_bearer(hub.token("moderator"))) as r:
            body = await r.json()
    assert body["verification"]["ok"] is True
    assert [e["type"] for e in body["events"]][:1] == ["session.created"]
    assert body["events"][-1]["type"] == "session.started"
    assert body["verification"]["head"] == body["events"][-1]["hash"]


def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", "verify", str(path)], capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).resolve().parents[2])


async def test_the_log_exports_as_json_lines_that_the_verify_command_checks(hub: Hub, tmp_path: Path) -> None:
    chair = await hub.connect("chair")
    await chair.ok("session.start")
    await chair.ok("agenda.add", title="Pembukaan")
    url = f"{hub.url}/api/sessions/{hub.session}/log.jsonl"
    async with aiohttp.ClientSession() as http:
        for who in (None, VENUE):  # the public and the villages do not read who did what
            async with http.get(url, headers=_bearer(hub.token(who)) if who else {}) as r:
                assert r.status == 403
        async with http.get(url, headers=_bearer(hub.token("chair"))) as r:
            assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
            body = await r.text()
    lines = body.splitlines()
    assert len(lines) == len(await hub.app[SESSIONS].log.read(hub.session)) >= 3
    export = tmp_path / "log.jsonl"
    export.write_text(body, encoding="utf-8")
    intact = _verify(export)
    assert intact.returncode == 0 and f"Log utuh: {len(lines)} peristiwa" in intact.stdout, intact

    edited = json.loads(lines[1])
    edited["actor"] = "mod:9"  # someone rewrites who did it
    export.write_text("\n".join([lines[0], json.dumps(edited), *lines[2:]]) + "\n", encoding="utf-8")
    broken = _verify(export)
    assert broken.returncode == 1 and "#2" in broken.stdout, broken

    export.write_text("bukan json\n", encoding="utf-8")
    assert _verify(export).returncode == 2
