"""The livestream and recording routes over real HLS (PyAV's H.264/AAC, 2 s segments) and real WebM clips:
their cache headers, what they refuse, and the recording's chapters placed on its timeline."""

from __future__ import annotations

import io
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import aiohttp
import av
import pytest
from yarl import URL

from harness.program import RUNGS, held_session, write_clip, write_manifest, write_master, write_vod
from recordings.paths import program_dir, session_dir
from server.keys import CONFIG, SESSIONS
from tests.server.conftest import Hub

pytestmark = pytest.mark.parametrize("hub", ["sqlite"], indirect=True)  # files and HTTP: the store is beside it


def _root(hub: Hub) -> Path:
    return Path(hub.app[CONFIG].recordings_root)


def _live(hub: Hub) -> Path:
    """The program as it is while live: master.m3u8 and each rung's index.m3u8 over real segments."""
    folder = program_dir(_root(hub), hub.session)
    write_vod(_root(hub), hub.session, 4, time.time())
    for rung in RUNGS:
        text = (folder / rung / "vod.m3u8").read_text()
        (folder / rung / "index.m3u8").write_text(text.replace("#EXT-X-PLAYLIST-TYPE:VOD\n", "")
                                                  .replace("#EXT-X-ENDLIST\n", ""))
    (folder / "vod.m3u8").unlink()  # the session is not over
    write_master(folder, RUNGS, "index.m3u8")
    return folder


async def _get(hub: Hub, path: str, encoded: bool = False) -> tuple[int, dict[str, str], bytes]:
    url = URL(hub.url + path, encoded=True) if encoded else hub.url + path
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        return r.status, dict(r.headers), await r.read()


async def test_the_program_is_served_with_headers_that_let_a_cache_keep_it(hub: Hub) -> None:
    folder = _live(hub)
    base = f"/s/{hub.session}/live"
    for playlist in ("master.m3u8", "main/index.m3u8", "low/index.m3u8"):
        status, headers, body = await _get(hub, f"{base}/{playlist}")
        assert status == 200 and body.startswith(b"#EXTM3U"), playlist
        assert headers["Content-Type"] == "application/vnd.apple.mpegurl"
        assert headers["Cache-Control"] == "public, max-age=1"
    status, headers, body = await _get(hub, f"{base}/main/seg-00001.ts")
    assert status == 200 and headers["Content-Type"] == "video/mp2t"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert body == (folder / "main" / "seg-00001.ts").read_bytes() and body[0] == 0x47  # an MPEG-TS sync byte
    with av.open(io.BytesIO(body), format="mpegts") as ts:  # H.264 and AAC, as the composer writes them
        assert sorted(s.codec_context.name for s in ts.streams) == ["aac", "h264"]
    write_vod(_root(hub), hub.session, 4, time.time())  # the session closed: the recording's playlists
    for playlist in ("vod.m3u8", "main/vod.m3u8"):
        status, headers, body = await _get(hub, f"{base}/{playlist}")
        assert status == 200 and headers["Cache-Control"] == "public, max-age=3600", playlist
    assert b"#EXT-X-ENDLIST" in (await _get(hub, f"{base}/main/vod.m3u8"))[2]


async def test_before_the_program_starts_its_playlist_is_a_404_a_cache_keeps_for_a_second(hub: Hub) -> None:
    status, headers, body = await _get(hub, f"/s/{hub.session}/live/master.m3u8")
    assert status == 404 and headers["Cache-Control"] == "public, max-age=1"
    assert b'"not_found"' in body


async def test_only_the_programs_own_files_of_known_kinds_are_served(hub: Hub, tmp_path: Path) -> None:
    folder = _live(hub)
    secret = tmp_path / "secret.m3u8"
    secret.write_text("#EXTM3U\n# not the program's\n")
    os.symlink(secret, folder / "escape.m3u8")
    write_manifest(_root(hub), hub.session, [])
    base = f"/s/{hub.session}/live"
    refused = [f"{base}/program.json", f"{base}/../manifest.json", f"{base}/main/../../manifest.json",
               f"{base}/.hidden.m3u8", f"{base}/main/seg-99999.ts", f"{base}/escape.m3u8", f"{base}/main",
               f"{base}/main//index.m3u8", "/s/no-such-session/live/master.m3u8"]
    for path in refused:
        status, _, body = await _get(hub, path)
        assert status == 404 and b"not the program" not in body, path
    for path in (f"{base}/..%2Fmanifest.json", f"{base}/main%2F..%2F..%2Fmanifest.json", f"{base}/%2E%2E/x.m3u8"):
        status, _, _ = await _get(hub, path, encoded=True)
        assert status == 404, path


def _clip(root: Path, sid: str, name: str, village: str, start: float, end: float | None) -> dict[str, Any]:
    path = write_clip(root, sid, name)
    return {"file": f"tracks/{name}", "publisher": village, "kind": "video", "layer": "high", "start": start,
            "end": end, "agenda": "A-01", "grant": None, "village": village, "bytes": path.stat().st_size}


async def test_a_listed_clip_downloads_as_an_attachment_and_nothing_else_does(hub: Hub) -> None:
    root, village = _root(hub), hub.villages[1]
    t0 = time.time()
    listed = _clip(root, hub.session, f"{village}-video-high-001.webm", village, t0, t0 + 1)
    write_clip(root, hub.session, "unlisted-video-high-001.webm")
    write_manifest(root, hub.session, [listed])
    status, headers, body = await _get(hub, f"/s/{hub.session}/recordings/{listed['file']}")
    assert status == 200 and headers["Content-Type"] == "video/webm"
    assert headers["Content-Disposition"] == f'attachment; filename="{hub.session}-{village}-video-high-001.webm"'
    assert headers["Cache-Control"] == "public, max-age=86400"  # finished: it will not change
    assert body == (session_dir(root, hub.session) / listed["file"]).read_bytes()
    with av.open(io.BytesIO(body)) as clip:
        assert sum(1 for _ in clip.decode(video=0)) > 10  # it plays
    for path in ("tracks/unlisted-video-high-001.webm", "manifest.json", "../manifest.json", "tracks/../manifest.json"):
        assert (await _get(hub, f"/s/{hub.session}/recordings/{path}"))[0] == 404, path
    assert (await _get(hub, f"/s/{hub.session}/recordings/..%2Fmanifest.json", encoded=True))[0] == 404


async def test_the_recording_has_chapters_on_its_timeline_and_each_villages_turns_clips_and_proposals(
        hub: Hub) -> None:
    root, t0 = _root(hub), float(int(time.time()) - 60)  # whole seconds: PDT keeps milliseconds
    status, headers, body = await _get(hub, f"/api/sessions/{hub.session}/recording")  # before: nothing to play
    assert status == 200 and headers["Cache-Control"] == "public, max-age=5"
    assert json.loads(body) == {"session": hub.session, "status": "draft", "vod": None,
                                "live": f"/s/{hub.session}/live/master.m3u8"}
    first, second = await held_session(hub.app[SESSIONS], hub.session, hub.villages, t0)
    write_vod(root, hub.session, 20, t0)
    clip = _clip(root, hub.session, f"{first}-video-high-001.webm", first, t0 + 4, t0 + 10)
    # another publisher's track during first's turn (as the venue's is): listed under its own village
    beside = dict(_clip(root, hub.session, f"{second}-video-high-001.webm", second, t0 + 4, t0 + 10), village=first)
    write_manifest(root, hub.session, [clip, beside])
    status, headers, body = await _get(hub, f"/api/sessions/{hub.session}/recording")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=60"
    got = json.loads(body)
    assert got["status"] == "closed" and got["vod"] == f"/s/{hub.session}/live/vod.m3u8"
    assert [(c["kind"], c["ref"], c["offset"], c["duration"]) for c in got["chapters"]] == [
        ("agenda", "A-01", 1.0, 13.0), ("turn", first, 4.0, 6.0), ("turn", second, 10.0, 8.0),
        ("agenda", "A-02", 14.0, 4.0)]
    assert got["chapters"][0]["title"] == "Pembukaan dan paparan desa"
    by_code = {v["village"]: v for v in got["villages"]}
    assert by_code[first]["turns"] == [1] and by_code[second]["turns"] == [2]
    assert got["chapters"][1]["title"] == by_code[first]["name"] and by_code[first]["kecamatan"]
    assert [p["title"] for p in by_code[first]["proposals"]] == ["Rabat beton jalan dusun Krajan"]
    assert by_code[second]["proposals"] == []
    [listed] = by_code[first]["clips"]
    assert [c["url"] for c in by_code[second]["clips"]] == [f"/s/{hub.session}/recordings/{beside['file']}"]
    assert listed["url"] == f"/s/{hub.session}/recordings/{clip['file']}" and listed["offset"] == 4.0
    shutil.rmtree(session_dir(root, hub.session))  # no recording at all: the chapters stand, nothing to play
    status, _, body = await _get(hub, f"/api/sessions/{hub.session}/recording")
    assert status == 200 and json.loads(body)["vod"] is None
    assert (await _get(hub, "/api/sessions/no-such-session/recording"))[0] == 404
