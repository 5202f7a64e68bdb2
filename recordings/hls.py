"""The program's HLS playlists, as text from the list of segments written. Pure.

Each rung's segments are numbered from 1 across the whole session; a segment that begins a run of
the composer (its first, or after a restart) carries ``discontinuity``, and the live window's
``EXT-X-DISCONTINUITY-SEQUENCE`` counts those that slid out, so a player that joins late still
lines the runs up. Every segment carries its ``EXT-X-PROGRAM-DATE-TIME``: the wall clock of its
first frame, which is how the playback page ties chapters to the picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

CODECS = "avc1.4d401f,mp4a.40.2"  # H.264 Main 3.1 and AAC-LC: what the composer encodes


@dataclass(frozen=True, slots=True)
class Segment:
    number: int
    started: float  # unix seconds of its first frame
    duration: float
    discontinuity: bool = False

    @property
    def name(self) -> str:
        return segment_name(self.number)


@dataclass(frozen=True, slots=True)
class Rung:
    name: str
    width: int
    height: int
    video_bitrate: int
    audio_bitrate: int

    @property
    def bandwidth(self) -> int:
        return int((self.video_bitrate + self.audio_bitrate) * 1.1)  # peak: MPEG-TS overhead, VBV slack


def segment_name(number: int) -> str:
    return f"seg-{number:05d}.ts"


def _date(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _media(segments: Sequence[Segment], target: float, head: list[str]) -> list[str]:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{max(1, math.ceil(target))}", *head]
    for segment in segments:
        if segment.discontinuity:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += [f"#EXT-X-PROGRAM-DATE-TIME:{_date(segment.started)}", f"#EXTINF:{segment.duration:.3f},",
                  segment.name]
    return lines


def live_playlist(segments: Sequence[Segment], window: int, target: float, *, ended: bool = False) -> str:
    """The sliding window of the last ``window`` segments; ``ended``: the composer stopped in order
    (the session closed, the hub stopped), so players play out the window and end rather than wait
    for more (the public page then offers the recording)."""
    shown = segments[-window:]
    first = shown[0].number if shown else 1
    gone = sum(segment.discontinuity for segment in segments[:len(segments) - len(shown)])
    head = [f"#EXT-X-MEDIA-SEQUENCE:{first}", f"#EXT-X-DISCONTINUITY-SEQUENCE:{gone}"]
    target = max([target, *(segment.duration for segment in shown)])
    return "\n".join([*_media(shown, target, head), *(["#EXT-X-ENDLIST"] if ended else [])]) + "\n"


def vod_playlist(segments: Sequence[Segment], target: float) -> str:
    """Every segment, closed: the session's recording."""
    target = max([target, *(segment.duration for segment in segments)])
    lines = _media(segments, target, ["#EXT-X-MEDIA-SEQUENCE:1", "#EXT-X-PLAYLIST-TYPE:VOD"])
    return "\n".join([*lines, "#EXT-X-ENDLIST"]) + "\n"


def master_playlist(rungs: Sequence[Rung], playlist: str) -> str:
    """The rungs, each ``{rung}/{playlist}``, best first (the RTMP push and players start there)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for rung in rungs:
        lines += [f'#EXT-X-STREAM-INF:BANDWIDTH={rung.bandwidth},RESOLUTION={rung.width}x{rung.height},'
                  f'CODECS="{CODECS}"', f"{rung.name}/{playlist}"]
    return "\n".join(lines) + "\n"
