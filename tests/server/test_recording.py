"""Recording wired to the session in a real hub: real aiortc peers publish through the hub's signalling,
each floor turn becomes clips tied to its grant in the manifest, the moderator sees the storage, a disk
below the floor refuses recording while the session goes on, and the archive downloads as one tar."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from harness.peers import ClipTrack, OpusTrack, make_client, wait_for
from harness.sample import VENUE
from recordings.paths import manifest_path
from rooms.log.chain import read_export, verify
from server.keys import CONFIG
from tests.server.conftest import Hub
from tests.server.test_signalling import Peer

pytestmark = pytest.mark.parametrize("hub", ["sqlite"], indirect=True)  # recording does not depend on the store


def camera(vp8_clip: Any) -> ClipTrack:
    track = ClipTrack(vp8_clip)
    track.lost_requests = 1 << 30  # keyframes at the loop's start only: the harness's answers do not decode on
    return track


def manifest(hub: Hub) -> dict[str, Any]:
    path = manifest_path(hub.app[CONFIG].recordings_root, hub.session)
    return json.loads(path.read_text()) if path.exists() else {"clips": []}  # type: ignore[no-any-return]


def clips(hub: Hub, **match: Any) -> list[dict[str, Any]]:
    return [c for c in manifest(hub)["clips"] if all(c[k] == v for k, v in match.items())]


async def get(hub: Hub, who: str | None, path: str) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Authorization": f"Bearer {hub.token(who)}"} if who else {}
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.get(f"{hub.url}/api/sessions/{hub.session}/{path}") as r:
            return r.status, await r.read(), dict(r.headers)


async def test_each_turn_is_recorded_tied_to_its_grant_and_the_archive_holds_it(
        hub: Hub, vp8_clip: Any, opus_packets: tuple[bytes, ...]) -> None:
    speaker = next(c for c in hub.interactive if c != VENUE)
    mod = await hub.connect("moderator")
    await mod.ok("agenda.add", title="Pembahasan usulan")
    await mod.ok("session.start")
    await mod.ok("agenda.open", item="A-01")
    peers = [Peer((await hub.connect(who)).sio, make_client(publish={"high": camera(vp8_clip), "mic": OpusTrack(opus_packets)}))
             for who in ("chair", speaker)]
    try:
        for peer in peers:
            assert (await peer.join())["ok"]
        await wait_for(lambda: len(clips(hub, grant=None)) == 4, 20)  # venue and hall, video and audio
        grant = await mod.ok("floor.grant", village=speaker, seconds=60)
        await wait_for(lambda: len(clips(hub, grant=str(grant))) == 4, 20)
        await mod.ok("floor.revoke")
        await wait_for(lambda: len(clips(hub)) == 12, 20)
        status, body, _ = await get(hub, "moderator", "storage")
        assert status == 200
        report = json.loads(body)
        assert report["recording"]["state"] == "recording" and report["recording"]["parts"][0]["state"] == "running"
        assert report["session_bytes"] > 0 and report["free_bytes"] > 0 and report["warn"] is False
        await mod.ok("session.close")
        await wait_for(lambda: all(c["end"] is not None for c in clips(hub)), 20)  # the part closed its clips
    finally:
        for peer in peers:
            await peer.client.close()

    turn = clips(hub, grant=str(grant))
    assert {c["village"] for c in turn} == {speaker} and {c["agenda"] for c in turn} == {"A-01"}
    assert {c["publisher"] for c in turn} == {VENUE, speaker}  # village codes, the venue's for the chair

    status, body, headers = await get(hub, "chair", "archive.tar")
    assert status == 200 and int(headers["Content-Length"]) == len(body)
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        sizes = {m.name: m.size for m in tar.getmembers()}
        log = tar.extractfile(f"{hub.session}/log.jsonl").read().decode()  # type: ignore[union-attr]
        kept = json.loads(tar.extractfile(f"{hub.session}/manifest.json").read())  # type: ignore[union-attr]
    assert kept == manifest(hub)
    assert all(sizes[f"{hub.session}/{c['file']}"] == c["bytes"] for c in kept["clips"])
    assert verify(read_export(log.splitlines())).ok


async def test_the_archive_and_the_storage_are_for_staff_only(hub: Hub) -> None:
    village = hub.villages[1]
    for path in ("archive.tar", "storage"):
        assert (await get(hub, None, path))[0] == 403
        assert (await get(hub, village, path))[0] == 403
        assert (await get(hub, "moderator", path))[0] == 200
    status, body, _ = await get(hub, "chair", "archive.tar")  # nothing recorded yet: the log alone
    with tarfile.open(fileobj=io.BytesIO(body)) as tar:
        assert tar.getnames() == [f"{hub.session}/log.jsonl"]


@pytest.mark.hub(recordings_min_free=1 << 40)  # MB: more than any disk has, as if it were full
async def test_below_the_free_space_floor_recording_is_refused_and_the_session_goes_on(hub: Hub) -> None:
    mod = await hub.connect("moderator")
    await mod.ok("session.start")
    await mod.ok("floor.grant", village=hub.interactive[0], seconds=60)  # the session goes on
    status, body, _ = await get(hub, "moderator", "storage")
    report = json.loads(body)
    assert status == 200 and report["below_floor"] is True
    assert report["recording"]["state"] == "refused" and "di bawah batas" in report["recording"]["reason"]
    assert not Path(hub.app[CONFIG].recordings_root, hub.session).exists()
