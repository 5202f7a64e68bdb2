"""A session's tracks recorded in a child process: one clip per floor turn, a manifest tying each clip to
its turn and agenda item, and a recorder killed with SIGKILL that leaves playable files and comes back."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av

from harness.peers import Client, ClipTrack, OpusTrack, connect, wait_for
from media.relay import Relay, RelayConfig
from recordings.paths import manifest_path, session_dir
from recordings.scene import Floor, Scene
from recordings.session_tracks import SessionTracks

SESSION = "sidang-1"
VENUE, HALL = f"{SESSION}/chair", f"{SESSION}/3201010"
CODES = {VENUE: "3201001", HALL: "3201010"}


def scene(floor: Floor | None = None, agenda: str | None = "a1") -> Scene:
    return Scene(SESSION, "Musrenbang", VENUE, floor.village if floor else None, None, False,
                 publishers=(VENUE, HALL), floor=floor, agenda_id=agenda, agenda="Pembukaan", codes=CODES)


def turn(grant: str) -> Floor:
    return Floor(grant, CODES[HALL], "Sukamaju", "Cibeber", None)


def camera(clip: Any) -> ClipTrack:
    """Keyframes at its loop's start only (every 2 s), as the track tests have it."""
    track = ClipTrack(clip)
    track.lost_requests = 1 << 30
    return track


def manifest(root: Path) -> dict[str, Any]:
    path = manifest_path(root, SESSION)
    return json.loads(path.read_text()) if path.exists() else {"clips": []}  # type: ignore[no-any-return]


def clips_where(root: Path, **match: Any) -> list[dict[str, Any]]:
    return [c for c in manifest(root)["clips"] if all(c[k] == v for k, v in match.items())]


def decoded(path: Path) -> int:
    with av.open(str(path)) as container:
        stream = container.streams[0]
        return sum(1 for _ in container.decode(stream))  # raises on a broken stream


async def publish(relay: Relay, clients: Callable[..., Client], vp8_clip: Any, opus_packets: Any) -> None:
    for participant in (VENUE, HALL):
        await connect(relay, participant, clients(publish={"high": camera(vp8_clip), "mic": OpusTrack(opus_packets)}))


async def test_each_floor_turn_is_a_clip_of_every_track_tied_to_its_grant(
    relay: Relay, clients: Callable[..., Client], vp8_clip: Any, opus_packets: Any, tmp_path: Path
) -> None:
    part = SessionTracks(relay, tmp_path, SESSION)
    part.update(scene())
    await publish(relay, clients, vp8_clip, opus_packets)
    await wait_for(lambda: len(clips_where(tmp_path, grant=None)) == 4, timeout=15)

    part.update(scene(turn("17")))
    await wait_for(lambda: len(clips_where(tmp_path, grant="17")) == 4, timeout=15)
    part.update(scene(None, agenda="a2"))  # the turn ended, and the next item opened
    await wait_for(lambda: len(clips_where(tmp_path, agenda="a2")) == 4, timeout=15)
    await part.close()

    clips = manifest(tmp_path)["clips"]
    assert len(clips) == 12 and all(c["end"] is not None and c["end"] > c["start"] for c in clips)
    assert {c["village"] for c in clips_where(tmp_path, grant="17")} == {CODES[HALL]}
    assert {c["agenda"] for c in clips_where(tmp_path, grant="17")} == {"a1"}
    assert {(c["publisher"], c["kind"], c["layer"]) for c in clips_where(tmp_path, grant="17")} == {
        (code, kind, layer) for code in CODES.values() for kind, layer in (("video", "high"), ("audio", "mic"))}
    for clip in clips:
        path = session_dir(tmp_path, SESSION) / clip["file"]
        assert clip["bytes"] == path.stat().st_size > 0
        assert decoded(path) > 0
    hall_video = sorted(c["file"] for c in clips_where(tmp_path, publisher=CODES[HALL], kind="video"))
    assert hall_video == [f"tracks/{CODES[HALL]}-video-high-{n:03d}.webm" for n in (1, 2, 3)]


async def test_a_killed_recorder_leaves_playable_clips_and_is_back_within_5_s(
    relay: Relay, clients: Callable[..., Client], vp8_clip: Any, opus_packets: Any, tmp_path: Path
) -> None:
    part = SessionTracks(relay, tmp_path, SESSION)
    part.update(scene(turn("5")))
    await publish(relay, clients, vp8_clip, opus_packets)
    first = tmp_path / SESSION / "tracks" / f"{CODES[HALL]}-video-high-001.webm"
    await wait_for(lambda: first.exists() and first.stat().st_size > 60_000, timeout=15)  # a few seconds in

    assert part.child.process is not None
    os.kill(part.child.process.pid, signal.SIGKILL)
    killed, size = time.monotonic(), first.stat().st_size
    await wait_for(lambda: part.child.starts == 2 and part.child.state == "running", timeout=10)
    back = time.monotonic() - killed
    assert decoded(first) >= 30  # what was written plays: at 30 fps, over a second of it

    again = first.with_name(f"{CODES[HALL]}-video-high-002.webm")
    await wait_for(lambda: again.exists() and again.stat().st_size > 20_000, timeout=15)  # numbering goes on
    await part.close()
    assert back <= 5.0, f"restarted after {back:.1f} s"
    assert first.stat().st_size >= size and decoded(again) > 0
    killed_clip = clips_where(tmp_path, file=f"tracks/{first.name}")[0]
    assert killed_clip["end"] is not None and killed_clip["bytes"] == first.stat().st_size  # closed by the next run
    assert clips_where(tmp_path, file=f"tracks/{again.name}")[0]["grant"] == "5"  # the context came again
    assert part.state()["restarts"] == 1


async def test_a_disk_below_the_floor_stops_the_recorder_with_its_reason(
    relay: Relay, clients: Callable[..., Client], vp8_clip: Any, opus_packets: Any, tmp_path: Path
) -> None:
    part = SessionTracks(relay, tmp_path, SESSION, min_free_mb=1 << 40)  # more than any disk: as if full
    part.update(scene())
    await publish(relay, clients, vp8_clip, opus_packets)
    await wait_for(lambda: part.state()["state"] == "stopped", timeout=10)
    await part.close()
    assert "below the floor" in part.state()["reason"] and part.child.starts == 1
    assert "below the floor" in manifest(tmp_path)["stopped"]


async def test_a_full_disk_stops_the_recorder_with_its_reason_and_the_relay_goes_on(
    relay: Relay, clients: Callable[..., Client], vp8_clip: Any, opus_packets: Any, tiny_disk: Path
) -> None:
    part = SessionTracks(relay, tiny_disk, SESSION)
    part.update(scene())
    await publish(relay, clients, vp8_clip, opus_packets)
    await wait_for(lambda: part.state()["state"] == "stopped", timeout=30)
    await part.close()
    assert "No space left" in part.state()["reason"] and part.child.starts == 1  # not started again
    assert relay.live(HALL) and relay.live(VENUE)  # the media goes on
    written = list((tiny_disk / SESSION / "tracks").glob("*.webm"))
    assert written and all(decoded(p) >= 0 for p in written if p.stat().st_size > 4096)


async def test_an_h264_relay_is_recorded_to_matroska_without_decoding(
    clients: Callable[..., Client], h264_clip: Any, opus_packets: Any, tmp_path: Path
) -> None:
    relay = Relay(RelayConfig(video_codec="H264"))
    part = SessionTracks(relay, tmp_path, SESSION)
    try:
        part.update(scene())
        await publish(relay, clients, h264_clip, opus_packets)
        await wait_for(lambda: len(clips_where(tmp_path, grant=None)) == 4, timeout=15)
        part.update(scene(turn("9")))
        await wait_for(lambda: len(clips_where(tmp_path, grant="9")) == 4, timeout=15)
        await part.close()
    finally:
        await relay.close()
    videos = clips_where(tmp_path, kind="video")
    assert videos and all(c["file"].endswith(".mkv") for c in videos)
    for clip in videos:
        path = session_dir(tmp_path, SESSION) / clip["file"]
        with av.open(str(path)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
        assert decoded(path) > 0
    assert all(c["file"].endswith(".webm") for c in clips_where(tmp_path, kind="audio"))


async def test_a_recorder_that_falls_behind_drops_up_to_a_keyframe_and_the_relay_goes_on(
    relay: Relay, clients: Callable[..., Client], vp8_clip: Any, opus_packets: Any, tmp_path: Path
) -> None:
    part = SessionTracks(relay, tmp_path, SESSION, pipe_limit=16_384)
    part.update(scene())
    await publish(relay, clients, vp8_clip, opus_packets)
    await wait_for(lambda: len(clips_where(tmp_path)) == 4, timeout=15)
    assert part.child.process is not None
    pid = part.child.process.pid
    os.kill(pid, signal.SIGSTOP)  # a recorder that does not keep up: its pipe fills
    try:
        await wait_for(lambda: part.state()["frames_dropped"] > 50, timeout=20)
        assert relay.live(HALL) and relay.live(VENUE)
    finally:
        os.kill(pid, signal.SIGCONT)
    sent = part.state()["frames_sent"]
    await wait_for(lambda: part.state()["frames_sent"] > sent + 150, timeout=15)  # it resyncs and goes on
    await part.close()
    assert part.child.starts == 1
    for clip in clips_where(tmp_path):
        assert decoded(session_dir(tmp_path, SESSION) / clip["file"]) > 0  # resumed at a keyframe: it decodes
