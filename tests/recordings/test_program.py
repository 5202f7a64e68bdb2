"""The program feed in the hub: real aiortc publishers through the relay, the composer under its
supervisor, the HLS read back; a SIGKILL on the composer, and the close."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

from harness.peers import Client, ClipTrack, OpusTrack, connect, wait_for
from media.relay import Relay
from recordings.paths import program_dir
from recordings.program import ProgramFeed
from recordings.scene import Floor, Scene
from tests.recordings.program_media import BLUE, RED, near, shown, solid_clip

VENUE, VILLAGE = "s1:venue", "s1:35.10.13.2001"


def scene(**changes: object) -> Scene:
    base: dict[str, object] = dict(session="s1", title="Musrenbang Uji", venue=VENUE, floor_holder=None,
                                   spotlight=None, screen=False, agenda="Jalan desa")
    base.update(changes)
    return Scene(**base)  # type: ignore[arg-type]


def segments(folder: Path) -> list[str]:
    playlist = folder / "main" / "index.m3u8"
    return [line for line in playlist.read_text().splitlines() if line.startswith("seg-")] if playlist.exists() else []


async def test_the_program_shows_the_floor_holder_and_survives_a_killed_composer(
        relay: Relay, clients: Callable[..., Client], opus_packets: tuple[bytes, ...], tmp_path: Path) -> None:
    await connect(relay, VENUE, clients(publish={"high": ClipTrack(solid_clip(RED)), "mic": OpusTrack(opus_packets)}))
    await connect(relay, VILLAGE, clients(publish={"high": ClipTrack(solid_clip(BLUE)),
                                                   "mic": OpusTrack(opus_packets)}))
    feed = ProgramFeed(relay, tmp_path, "s1", "Musrenbang Uji", preset="ultrafast")
    folder = program_dir(tmp_path, "s1")
    try:
        feed.update(scene())
        await wait_for(lambda: len(segments(folder)) >= 1, timeout=20)
        granted = time.time()
        feed.update(scene(floor_holder=VILLAGE, floor=Floor("g1", VILLAGE, "Kemiren", "Glagah", granted + 60)))
        await wait_for(lambda: len(segments(folder)) >= 3, timeout=20)

        process = feed.child.process
        assert process is not None
        before = segments(folder)
        process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        await wait_for(lambda: feed.child.starts == 2 and feed.child.state == "running", timeout=10)
        assert time.monotonic() - killed <= 5.0
        await wait_for(lambda: len(segments(folder)) > len(before) + 1, timeout=20)
        live = (folder / "main" / "index.m3u8").read_text()
        assert "#EXT-X-DISCONTINUITY\n" in live
        numbers = [int(name[4:9]) for name in segments(folder)]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    finally:
        await feed.close()
    assert feed.child.state == "stopped"
    frames = shown(folder / "main" / "vod.m3u8")  # every segment, the ones before the kill too
    assert any(near(f.centre, RED) and f.wall < granted for f in frames)
    first_blue = next(f for f in frames if near(f.centre, BLUE))
    assert first_blue.wall - granted <= 1.5  # the relay asks the village for a keyframe first
    assert all(near(f.pip, RED) for f in frames if near(f.centre, BLUE))
    vod = (folder / "main" / "vod.m3u8").read_text()
    assert vod.rstrip().endswith("#EXT-X-ENDLIST") and vod.count("#EXT-X-DISCONTINUITY\n") == 1
    assert [name for name in vod.splitlines() if name.startswith("seg-")][0] == "seg-00001.ts"
