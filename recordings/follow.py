"""Following a live HLS playlist as it grows: which segments a reader has not taken yet, in order,
and where the encoder began again (EXT-X-DISCONTINUITY) so the reader's timestamps must be rebased.

Pure: the reader passes in the playlist's text each time it changes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Segment:
    sequence: int  # its media sequence number
    uri: str  # relative to the playlist
    duration: float
    discontinuity: bool  # the encoder began again here: timestamps do not follow on from the last segment
    init: str | None = None  # fragmented MP4: the initialisation section (EXT-X-MAP) the segment needs before it


def parse(text: str) -> list[Segment]:
    """The segments a live playlist lists. A line still being written (no newline yet) is left out:
    the writer may be halfway through a segment's name. A malformed number raises ValueError."""
    lines = text.split("\n")[:-1]  # the part after the last newline is incomplete, or empty
    sequence, duration, discontinuity, init = 0, 0.0, False, None
    segments: list[Segment] = []
    for raw in lines:
        line = raw.strip()
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.partition(":")[2])
        elif line == "#EXT-X-DISCONTINUITY":
            discontinuity = True
        elif line.startswith("#EXT-X-MAP:"):
            init = _attribute(line, "URI")
        elif line.startswith("#EXTINF:"):
            duration = float(line.partition(":")[2].partition(",")[0])
        elif line and not line.startswith("#"):
            segments.append(Segment(sequence, line, duration, discontinuity, init))
            sequence, duration, discontinuity = sequence + 1, 0.0, False
    return segments


def _attribute(line: str, name: str) -> str:
    """A quoted attribute of a tag: ``#EXT-X-MAP:URI="init.mp4"`` → ``init.mp4``."""
    for part in line.partition(":")[2].split(","):
        key, _, value = part.partition("=")
        if key.strip() == name:
            return value.strip().strip('"')
    raise ValueError(f"{line!r} has no {name}")


class Follower:
    """Hands out each segment once, from the live edge on. It starts at the newest segment (older ones
    would only add delay) and jumps to the newest again, marked as a discontinuity, when the numbering
    went back (the writer began a new playlist) or left it behind (the window slid past it)."""

    def __init__(self) -> None:
        self.next: int | None = None  # the sequence number of the segment it takes next

    def new(self, segments: list[Segment]) -> list[Segment]:
        if not segments:
            return []
        first, last = segments[0].sequence, segments[-1].sequence
        if self.next is None or last < self.next - 1 or first > self.next:
            taken = [replace(segments[-1], discontinuity=self.next is not None or segments[-1].discontinuity)]
        else:
            taken = [s for s in segments if s.sequence >= self.next]
        if taken:
            self.next = taken[-1].sequence + 1
        return taken
