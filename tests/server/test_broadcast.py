"""The RTMP push as configured and as the moderator page reads it: staff only, the key never shown."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from harness.sample import VENUE
from server.config import parse_args
from server.keys import BROADCASTS
from tests.server.conftest import Hub

KEY = "abcd-1234-efgh-5678"
YOUTUBE = f"rtmp://a.rtmp.youtube.com/live2/{KEY}"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_push_urls_come_from_flags_or_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = ["--data", str(tmp_path), "--secret", "s"]
    assert parse_args(base).rtmp_urls == ()
    facebook = "rtmps://live-api-s.facebook.com:443/rtmp/FB-1"
    assert parse_args([*base, "--rtmp", YOUTUBE, "--rtmp", facebook]).rtmp_urls == (YOUTUBE, facebook)
    monkeypatch.setenv("MH_RTMP", f"{YOUTUBE},{facebook}")
    assert parse_args(base).rtmp_urls == (YOUTUBE, facebook)


def test_a_push_url_that_cannot_work_stops_the_hub_at_start_without_showing_the_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--data", str(tmp_path), "--secret", "s", "--rtmp", f"https://a.rtmp.youtube.com/live2/{KEY}"])
    said = capsys.readouterr().err
    assert "rtmp://" in said and "https://a.rtmp.youtube.com/live2/****" in said and KEY not in said


@pytest.mark.hub(rtmp_urls=(YOUTUBE, "rtmp://127.0.0.1:1/live/second-key"))
async def test_staff_read_the_push_states_and_nobody_sees_a_key(hub: Hub) -> None:
    url = f"{hub.url}/api/sessions/{hub.session}/broadcast"
    pushes = hub.app[BROADCASTS].open(hub.session)  # as the session lifecycle does when the session goes live
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as r:
                assert r.status == 403
            async with http.get(url, headers=_bearer(hub.token(VENUE))) as r:
                assert r.status == 403
            async with http.get(f"{hub.url}/api/sessions/nope/broadcast", headers=_bearer(hub.token("moderator"))) as r:
                assert r.status == 403  # a moderator of another session
            async with http.get(url, headers=_bearer(hub.token("moderator"))) as r:
                assert r.status == 200 and r.headers["Cache-Control"] == "no-store"
                text = await r.text()
                body = await r.json()
            async with http.get(url, headers=_bearer(hub.token("chair"))) as r:
                assert r.status == 200
        assert KEY not in text and "second-key" not in text
        assert [p["target"] for p in body["pushes"]] == ["rtmp://a.rtmp.youtube.com/live2/****",
                                                         "rtmp://127.0.0.1:1/live/****"]
        assert {p["state"] for p in body["pushes"]} <= {"connecting", "waiting"}  # no program yet: nothing sent
    finally:
        for push in pushes:
            await push.close()
    async with aiohttp.ClientSession() as http, http.get(url, headers=_bearer(hub.token("moderator"))) as r:
        assert (await r.json())["pushes"] == []  # closed parts drop out
