"""Solid-colour VP8 clips and a paced feeder of pipe messages, for the composer's tests; and the
HLS output read back: each decoded frame's wall clock and colours where the layout puts pictures."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np

from harness.peers import Clip, _encode, make_opus
from media.pipe import pack_control, pack_frame

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 255, 0)
FPS = 30


def solid_vp8(rgb: tuple[int, int, int], width: int = 640, height: int = 360) -> list[tuple[bytes, bool]]:
    """One second of a solid colour, its first frame a keyframe (looped, every loop starts on it)."""
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base, encoder.bit_rate = Fraction(1, FPS), 300_000
    encoder.options = {"deadline": "realtime", "cpu-used": "8", "g": str(FPS)}
    picture = np.zeros((height, width, 3), np.uint8)
    picture[:] = rgb
    frames: list[tuple[bytes, bool]] = []
    for index in range(FPS):
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = index
        frames += [(bytes(packet), packet.is_keyframe) for packet in encoder.encode(frame)]
    frames += [(bytes(packet), packet.is_keyframe) for packet in encoder.encode(None)]
    assert frames[0][1]
    return frames[:FPS]


def track(number: int, publisher: str, kind: str = "video", layer: str = "", codec: str = "VP8") -> bytes:
    return pack_control({"type": "track", "track": number, "codec": codec,
                         "source": {"publisher": publisher, "kind": kind, "layer": layer}})


def scene(**changes: object) -> bytes:
    body: dict[str, object] = {"session": "s1", "title": "Musrenbang Uji", "venue": "venue", "floor_holder": None,
                               "spotlight": None, "screen": False, "agenda": "Jalan desa"}
    body.update(changes)
    return pack_control({"type": "scene", "scene": body})


class Feeder:
    """Writes frames of several tracks to a composer's stdin in real time, 30 fps video, 20 ms audio."""

    def __init__(self, stdin: BinaryIO) -> None:
        self.stdin = stdin
        self.frame = 0
        self.opus = make_opus(1.0)

    def send(self, data: bytes) -> None:
        self.stdin.write(data)
        self.stdin.flush()

    def play(self, seconds: float, video: dict[int, list[tuple[bytes, bool]]], audio: tuple[int, ...] = (),
             first: Callable[[], None] | None = None) -> float:
        """Play the tracks (each from its keyframe) for ``seconds``; the wall clock of the first frame."""
        began = time.time()
        for index in range(int(seconds * FPS)):
            for number, frames in video.items():
                data, keyframe = frames[index % len(frames)]
                self.send(pack_frame(number, keyframe, (self.frame + index) * 3000, data))
            for number in audio:
                for half in (0, 1):
                    self.send(pack_frame(number, True, 0, self.opus[(index * 2 + half) % len(self.opus)]))
            time.sleep(max(0.0, began + (index + 1) / FPS - time.time()))
        self.frame += int(seconds * FPS)
        return began


@dataclass(frozen=True)
class Shown:
    wall: float  # when the frame was composed (the segment's program date time + its offset)
    segment: int
    centre: tuple[int, int, int]
    pip: tuple[int, int, int]


def _dates(playlist: Path) -> dict[str, float]:
    dates, pending = {}, None
    for line in playlist.read_text().splitlines():
        if line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pending = datetime.fromisoformat(line.split(":", 1)[1].replace("Z", "+00:00")).timestamp()
        elif line and not line.startswith("#") and pending is not None:
            dates[line] = pending
    return dates


def shown(playlist: Path) -> list[Shown]:
    """Every frame of a rung's playlist, decoded segment by segment."""
    frames: list[Shown] = []
    for name, date in _dates(playlist).items():
        with av.open(str(playlist.parent / name)) as container:
            first = None
            for frame in container.decode(video=0):
                assert frame.pts is not None and frame.time_base is not None
                first = frame.pts if first is None else first
                rgb = frame.to_ndarray(format="rgb24")
                height, width = rgb.shape[:2]
                centre, pip = rgb[height // 2, width // 2], rgb[height // 8, width * 7 // 8]
                frames.append(Shown(date + float((frame.pts - first) * frame.time_base),
                                    int(re.sub(r"\D", "", name)), tuple(map(int, centre)),  # type: ignore[arg-type]
                                    tuple(map(int, pip))))  # type: ignore[arg-type]
    return frames


def near(colour: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def solid_clip(rgb: tuple[int, int, int], width: int = 640, height: int = 360) -> Clip:
    """A harness clip (for a real aiortc publisher) of one solid colour."""
    picture = np.zeros((height, width, 3), np.uint8)
    picture[:] = rgb
    pictures = [av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p") for _ in range(FPS)]
    return Clip("VP8", FPS, _encode("VP8", pictures, FPS, 300_000, gop=10_000),
                _encode("VP8", pictures, FPS, 300_000, gop=1))
