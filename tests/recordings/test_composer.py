"""The composer process fed real VP8 and Opus frames over its pipe; its HLS decoded back with PyAV."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from recordings.composer import main as composer_main
from tests.recordings.program_media import BLUE, RED, Feeder, near, scene, shown, solid_vp8, track

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def red() -> list[tuple[bytes, bool]]:
    return solid_vp8(RED)


@pytest.fixture(scope="module")
def blue() -> list[tuple[bytes, bool]]:
    return solid_vp8(BLUE)


def start(out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "recordings.composer", "--out", str(out),
                             "--title", "Musrenbang Uji", "--preset", "ultrafast"], stdin=subprocess.PIPE, cwd=ROOT)


@pytest.fixture
def composer(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], Feeder]]:
    process = start(tmp_path)
    assert process.stdin is not None
    yield process, Feeder(process.stdin)  # type: ignore[arg-type]
    if process.poll() is None:
        process.kill()
        process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    assert process.stdin is not None
    process.stdin.close()
    assert process.wait(timeout=30) == 0


def test_the_venue_then_the_floor_holder_large_with_the_venue_small(
        composer: tuple[subprocess.Popen[bytes], Feeder], tmp_path: Path,
        red: list[tuple[bytes, bool]], blue: list[tuple[bytes, bool]]) -> None:
    process, feeder = composer
    for message in (track(1, "venue"), track(2, "desa"), track(3, "venue", "audio", codec="opus"), scene()):
        feeder.send(message)
    feeder.play(2.5, {1: red}, (3,))
    feeder.send(scene(floor_holder="desa", floor={"grant": "g1", "village": "desa", "name": "Kemiren",
                                                  "kecamatan": "Glagah", "deadline": time.time() + 90}))
    switched = feeder.play(3.0, {1: red, 2: blue}, (3,))
    stop(process)
    frames = shown(tmp_path / "main" / "vod.m3u8")
    assert len(frames) > 100
    before = [f for f in frames if f.wall < switched]
    assert before and all(near(f.centre, RED) for f in before[5:])
    first_blue = next(f for f in frames if near(f.centre, BLUE))
    # a composer behind its clock stamps a frame a little before it was drawn: the lower bound has slack
    assert switched <= first_blue.wall + 0.5 and first_blue.wall - switched <= 1.0
    assert all(near(f.centre, BLUE) and near(f.pip, RED) for f in frames if f.wall > first_blue.wall + 0.1)
    assert len(list(shown(tmp_path / "low" / "vod.m3u8"))) == len(frames)
    with av.open(str(tmp_path / "main" / "vod.m3u8")) as container:
        assert sum(1 for _ in container.decode(audio=0)) > 150  # ~5 s of 1024-sample AAC frames
    master = (tmp_path / "master.m3u8").read_text()
    assert "RESOLUTION=1280x720" in master and "RESOLUTION=640x360" in master and "main/index.m3u8" in master
    live = (tmp_path / "main" / "index.m3u8").read_text()
    # the orderly stop ends the live playlist too: a player plays out its window and ends
    assert "#EXT-X-PROGRAM-DATE-TIME:" in live and live.endswith("#EXT-X-ENDLIST\n") and "seg-00001.ts" in live
    vod = (tmp_path / "main" / "vod.m3u8").read_text()
    assert vod.rstrip().endswith("#EXT-X-ENDLIST") and all(
        float(line[8:-1]) <= 2.0 for line in vod.splitlines() if line.startswith("#EXTINF:"))
    state = json.loads((tmp_path / "program.json").read_text())
    assert state["ended_at"] > state["started_at"] and state["restarts"] == []


def test_a_stalled_floor_holder_gives_way_to_the_venue_and_a_stalled_venue_to_the_slate(
        composer: tuple[subprocess.Popen[bytes], Feeder], tmp_path: Path,
        red: list[tuple[bytes, bool]], blue: list[tuple[bytes, bool]]) -> None:
    process, feeder = composer
    for message in (track(1, "venue"), track(2, "desa"), scene(floor_holder="desa")):
        feeder.send(message)
    feeder.play(2.0, {1: red, 2: blue})
    village_gone = feeder.play(2.5, {1: red})
    venue_gone = time.time()
    time.sleep(2.5)
    stop(process)
    frames = shown(tmp_path / "main" / "vod.m3u8")
    assert any(near(f.centre, BLUE) for f in frames if f.wall < village_gone)
    assert all(near(f.centre, RED) for f in frames if village_gone + 1.2 < f.wall < venue_gone)
    slate = [f for f in frames if f.wall > venue_gone + 1.2]
    assert slate and not any(near(f.centre, RED) or near(f.centre, BLUE) for f in slate)


def test_after_a_sigkill_the_next_composer_continues_the_numbering_after_a_discontinuity(
        tmp_path: Path, red: list[tuple[bytes, bool]], blue: list[tuple[bytes, bool]]) -> None:
    first = start(tmp_path)
    assert first.stdin is not None
    feeder = Feeder(first.stdin)  # type: ignore[arg-type]
    feeder.send(track(1, "venue") + scene())
    second_segment = tmp_path / "main" / "seg-00002.ts"
    for _ in range(20):  # until the second segment holds frames (the process takes a moment to start)
        feeder.play(0.5, {1: red})
        if second_segment.exists() and second_segment.stat().st_size > 30_000:
            break
    first.send_signal(signal.SIGKILL)
    first.wait()
    written = sorted((tmp_path / "main").glob("seg-*.ts"))
    assert len(written) == 2  # one whole segment and the one the kill cut short
    second = start(tmp_path)
    assert second.stdin is not None
    feeder = Feeder(second.stdin)  # type: ignore[arg-type]
    feeder.send(track(1, "venue") + scene())
    for _ in range(20):  # until the new run has written a whole segment
        feeder.play(0.5, {1: blue})
        if (tmp_path / "main" / "seg-00004.ts").exists():
            break
    stop(second)
    vod = (tmp_path / "main" / "vod.m3u8").read_text()
    names = [line for line in vod.splitlines() if line.startswith("seg-")]
    assert names[:3] == ["seg-00001.ts", "seg-00002.ts", "seg-00003.ts"] and len(names) >= 4
    assert vod.count("#EXT-X-DISCONTINUITY\n") == 1
    assert vod.index("#EXT-X-DISCONTINUITY") > vod.index("seg-00002.ts")
    frames = shown(tmp_path / "main" / "vod.m3u8")
    killed = [f for f in frames if f.segment <= 2]
    assert len(killed) > 50 and all(near(f.centre, RED) for f in killed[5:])
    assert any(near(f.centre, BLUE) for f in frames if f.segment >= 3)
    state = json.loads((tmp_path / "program.json").read_text())
    assert len(state["restarts"]) == 1 and state["ended_at"] is not None


def test_a_bad_rung_is_refused_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        composer_main(["--out", str(tmp_path), "--title", "T", "--rungs", "main:1281x720:2500000"])
    assert "even sizes" in capsys.readouterr().err
