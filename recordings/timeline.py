"""Where a moment of the session falls in the program's recording.

The recording is its HLS VOD playlist. Each segment carries EXT-X-PROGRAM-DATE-TIME (the wall clock of
its first frame), so a time from the session's log maps to an offset into the recording even across a
composer restart, whose gap exists on the clock and not in the recording (a moment in a gap maps to
where the recording picks up again). A playlist without those tags falls back to the program's start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Segment:
    offset: float  # seconds into the recording
    duration: float
    wall: float | None  # unix seconds of its first frame, if the playlist says


@dataclass(frozen=True, slots=True)
class Timeline:
    segments: tuple[Segment, ...]
    started_at: float  # program.json's start: the fallback when segments carry no wall clock

    @property
    def length(self) -> float:
        return self.segments[-1].offset + self.segments[-1].duration if self.segments else 0.0

    def offset(self, at: float) -> float:
        """Seconds into the recording at which the wall-clock moment ``at`` is (or would have been) shown."""
        timed = [s for s in self.segments if s.wall is not None]
        if not timed:
            return min(max(0.0, at - self.started_at), self.length)
        for segment in timed:
            assert segment.wall is not None
            if at < segment.wall:  # before the recording, or in a gap: where it picks up
                return segment.offset
            if at < segment.wall + segment.duration:
                return segment.offset + (at - segment.wall)
        return self.length


def parse(playlist: str, started_at: float) -> Timeline:
    """A media playlist's segments; the tags before a URI apply to it, a segment without a date follows
    the one before it on the clock unless a discontinuity came between."""
    segments: list[Segment] = []
    duration, wall, offset, clock = 0.0, None, 0.0, None
    for raw in playlist.splitlines():
        line = raw.strip()
        if line.startswith("#EXTINF:"):
            duration = float(line.removeprefix("#EXTINF:").split(",", 1)[0])
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            wall = datetime.fromisoformat(line.split(":", 1)[1].replace("Z", "+00:00")).timestamp()
        elif line.startswith("#EXT-X-DISCONTINUITY") and not line.startswith("#EXT-X-DISCONTINUITY-"):
            clock = None
        elif line and not line.startswith("#"):
            here = wall if wall is not None else clock
            segments.append(Segment(offset, duration, here))
            offset += duration
            clock = here + duration if here is not None else None
            duration, wall = 0.0, None
    return Timeline(tuple(segments), started_at)
