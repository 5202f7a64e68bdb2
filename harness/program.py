"""Real HLS and WebM files in the layout of ``recordings/paths.py``, for the livestream and playback tests.

The program is FFmpeg's test pattern and a tone, encoded with PyAV (H.264 and AAC in MPEG-TS, 2 s
segments) the way the composer writes it: a master playlist with the rungs, one live playlist per
rung, and after the session a VOD playlist per rung. ``LiveProgram`` writes in real time in a thread
(a sliding window), ``write_vod`` as fast as it can, its EXT-X-PROGRAM-DATE-TIME set to a given start
so tests can place the session's events on the recording's timeline.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from harness.sample import usulan
from recordings.paths import manifest_path, program_dir, tracks_dir
from recordings.webm import WebmClip
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from service.sessions import Sessions

RUNGS = {"main": (1280, 720, 2_500_000), "low": (640, 360, 600_000)}
FPS = 25
_PDT = re.compile(r"^#EXT-X-PROGRAM-DATE-TIME:.*$", re.M)
_EXTINF = re.compile(r"^#EXTINF:([0-9.]+),", re.M)


def write_master(folder: Path, rungs: dict[str, tuple[int, int, int]], playlist: str) -> Path:
    """A master playlist naming each rung's ``playlist`` (index.m3u8 live, vod.m3u8 after)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for name, (width, height, bitrate) in rungs.items():
        lines += [f'#EXT-X-STREAM-INF:BANDWIDTH={bitrate + 128_000},RESOLUTION={width}x{height},'
                  f'CODECS="avc1.42c01f,mp4a.40.2"', f"{name}/{playlist}"]
    path = folder / ("master.m3u8" if playlist == "index.m3u8" else "vod.m3u8")
    path.write_text("\n".join(lines) + "\n")
    return path


def _encode(rung_dir: Path, size: tuple[int, int, int], seconds: float, live: bool, stop: threading.Event | None,
            pace: bool) -> None:
    width, height, bitrate = size
    rung_dir.mkdir(parents=True, exist_ok=True)
    options = {"hls_time": "2", "hls_segment_filename": str(rung_dir / "seg-%05d.ts"), "start_number": "1",
               "hls_flags": "program_date_time+independent_segments+temp_file"
                            + ("+delete_segments" if live else ""),
               "hls_list_size": "6" if live else "0"}
    if not live:
        options["hls_playlist_type"] = "vod"
    out = av.open(str(rung_dir / ("index.m3u8" if live else "vod.m3u8")), "w", format="hls", options=options)
    video = out.add_stream("libx264", rate=FPS)
    video.width, video.height, video.pix_fmt, video.bit_rate = width, height, "yuv420p", bitrate
    video.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(FPS), "keyint_min": str(FPS),
                     "sc_threshold": "0"}  # a keyframe every second: segments cut at 2 s
    audio = out.add_stream("aac", rate=48000)
    audio.layout, audio.bit_rate = "mono", 64_000
    duration = f":duration={seconds}" if seconds else ""
    src = av.open(f"testsrc2=size={width}x{height}:rate={FPS}{duration}", format="lavfi")
    tone = av.open(f"sine=frequency=440:sample_rate=48000{duration}", format="lavfi")
    tones = tone.decode(audio=0)
    began, apts = time.monotonic(), 0
    try:
        for i, frame in enumerate(src.decode(video=0)):
            if stop is not None and stop.is_set():
                break
            if pace:
                time.sleep(max(0.0, began + i / FPS - time.monotonic()))
            frame = frame.reformat(format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            for packet in video.encode(frame):
                out.mux(packet)
            while apts < (i + 1) * 48000 // FPS:  # keep the audio up with the picture
                sample = next(tones)
                sample.pts, sample.time_base = apts, Fraction(1, 48000)
                apts += sample.samples
                for packet in audio.encode(sample):
                    out.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                out.mux(packet)
    finally:
        out.close()
        src.close()
        tone.close()


class LiveProgram:
    """A session's live program written in real time (both rungs) until ``stop``."""

    def __init__(self, root: Path, session: str, rungs: dict[str, tuple[int, int, int]] | None = None) -> None:
        self.folder = program_dir(root, session)
        self.rungs = rungs or RUNGS
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=_encode, args=(self.folder / name, size, 0, True, self._stop, True),
                                          daemon=True) for name, size in self.rungs.items()]

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for thread in self._threads:
            thread.start()
        write_master(self.folder, self.rungs, "index.m3u8")

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)


def _segments(text: str) -> Iterator[float]:
    yield from (float(m.group(1)) for m in _EXTINF.finditer(text))


def write_vod(root: Path, session: str, seconds: float, started_at: float,
              rungs: dict[str, tuple[int, int, int]] | None = None) -> Path:
    """The closed session's recording: every rung's VOD playlist, its program time starting at ``started_at``,
    the master vod.m3u8 and program.json. Returns the master's path."""
    folder, rungs = program_dir(root, session), rungs or RUNGS
    for name, size in rungs.items():
        _encode(folder / name, size, seconds, False, None, False)
        playlist = folder / name / "vod.m3u8"
        text = playlist.read_text()
        starts, at = [], started_at
        for length in _segments(text):
            starts.append(at)
            at += length
        stamps = iter(starts)
        text = _PDT.sub(lambda _: "#EXT-X-PROGRAM-DATE-TIME:" + _iso(next(stamps)), text)  # noqa: B023 (used at once)
        playlist.write_text(text)
    (folder / "program.json").write_text(json.dumps({"started_at": started_at, "ended_at": started_at + seconds,
                                                     "restarts": []}))
    return write_master(folder, rungs, "vod.m3u8")


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_clip(root: Path, session: str, name: str, frames: int = 25) -> Path:
    """A real VP8 WebM clip in the session's tracks folder, written through the recorder's own ``WebmClip``."""
    folder = tracks_dir(root, session)
    folder.mkdir(parents=True, exist_ok=True)
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = 320, 240, "yuv420p"
    encoder.time_base, encoder.framerate = Fraction(1, 30), Fraction(30)
    src = av.open(f"testsrc2=size=320x240:rate=30:duration={frames / 30}", format="lavfi")
    clip: WebmClip | None = None
    for i, frame in enumerate(src.decode(video=0)):
        frame = frame.reformat(format="yuv420p")
        frame.pts = i
        for packet in encoder.encode(frame):
            data = bytes(packet)
            clip = clip or WebmClip(folder / name, "VP8", data)
            clip.write(data, i * 3000, packet.is_keyframe)
    src.close()
    assert clip is not None
    clip.close()
    return folder / name


def write_manifest(root: Path, session: str, clips: list[dict[str, object]]) -> Path:
    path = manifest_path(root, session)
    path.write_text(json.dumps({"session": session, "clips": clips}))
    return path


async def held_session(sessions: Sessions, sid: str, villages: list[str], t0: float) -> list[str]:
    """A session held on a known clock, for chapters: opened at ``t0``; agenda item A-01 from t0+1, A-02
    from t0+14; ``villages[1]`` holds the floor t0+4..t0+10 (after presenting a proposal), ``villages[2]``
    t0+10..t0+18, when the session closes. Returns the speakers' codes."""
    chair, first, second = Actor(Kind.CHAIR, "chair"), villages[1], villages[2]
    steps: list[tuple[float, str, dict[str, Any], Actor]] = [
        (0, "session.start", {}, chair),
        (0.1, "agenda.add", {"title": "Pembukaan dan paparan desa"}, chair),
        (0.2, "agenda.add", {"title": "Penetapan prioritas"}, chair),
        (1, "agenda.open", {"item": "A-01"}, chair),
        (2, "proposal.submit", usulan(title="Rabat beton jalan dusun Krajan"), Actor(Kind.VILLAGE, first, first)),
        (4, "floor.grant", {"village": first, "seconds": 300}, chair),
        (10, "floor.grant", {"village": second, "seconds": 300}, chair),
        (14, "agenda.open", {"item": "A-02"}, chair),
        (18, "session.close", {}, chair),
    ]
    for dt, name, args, actor in steps:
        await sessions.execute(sid, parse_command(name, args), actor, t0 + dt)
    return [first, second]
