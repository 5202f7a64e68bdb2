"""One rung's MPEG-TS segments on disk, their journal, and the playlists rewritten after each.

A segment is a file of its own, opened at a keyframe and closed at the next: it is playable as soon
as it exists, and after a SIGKILL up to its last whole packet. ``segments.jsonl`` journals every
segment when it opens (number, wall clock, whether it begins a run) and when it closes (duration),
so a composer started again continues the numbering after the last file on disk, and a segment cut
short by a kill is probed for its length and kept in the VOD rather than lost or overwritten.
"""

from __future__ import annotations

import json
import logging
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from recordings.hls import Rung, Segment, live_playlist, segment_name, vod_playlist

log = logging.getLogger(__name__)

JOURNAL = "segments.jsonl"


def write_atomically(path: Path, text: str) -> None:
    """A reader (the hub's HTTP route, nginx) never sees half a playlist."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def _probe(path: Path) -> float:
    """Seconds of video a segment holds (one cut short by a kill); 0 if none can be read."""
    first = last = None
    step = 0.0
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            step = 1 / float(stream.average_rate or 25)
            for packet in container.demux(stream):
                if packet.pts is not None and packet.time_base is not None:
                    time = float(packet.pts * packet.time_base)
                    first = time if first is None else min(first, time)
                    last = time if last is None else max(last, time)
    except (av.FFmpegError, IndexError, OSError):
        return 0.0
    return 0.0 if first is None or last is None else last - first + step


def recover(folder: Path) -> list[Segment]:
    """The segments a previous run left, the one cut short included (if it holds any video)."""
    opened: dict[int, dict[str, Any]] = {}
    journal = folder / JOURNAL
    if journal.exists():
        for line in journal.read_text().splitlines():
            try:
                entry = json.loads(line)
                opened.setdefault(int(entry["n"]), {}).update(entry)
            except (ValueError, KeyError, TypeError):
                continue  # a line torn by the kill
    segments: list[Segment] = []
    for number, entry in sorted(opened.items()):
        if "started" not in entry:
            continue
        duration = entry.get("duration")
        if duration is None:
            duration = _probe(folder / segment_name(number))
            if duration <= 0:
                continue
            with journal.open("a") as out:
                out.write(json.dumps({"n": number, "duration": duration}) + "\n")
        segments.append(Segment(number, float(entry["started"]), float(duration), bool(entry.get("discontinuity"))))
    return segments


class Rendition:
    """One rung: the segment being written, every segment written, its playlists."""

    def __init__(self, folder: Path, rung: Rung, *, segment_seconds: float, window: int) -> None:
        self.folder, self.rung = folder, rung
        self.segment_seconds, self.window = segment_seconds, window
        folder.mkdir(parents=True, exist_ok=True)
        self.segments = recover(folder)
        on_disk = [int(path.stem.removeprefix("seg-")) for path in folder.glob("seg-*.ts")
                   if path.stem.removeprefix("seg-").isdigit()]
        self._next = max([0, *on_disk, *(s.number for s in self.segments)]) + 1
        self._open: tuple[Segment, av.container.OutputContainer, av.VideoStream, av.AudioStream] | None = None
        self._first_pts = 0
        self._begins_run = True
        if self.segments:  # started again: the stream goes on, whatever end the last run wrote
            self._write_live()

    def begin(self, started: float, pts: int, video: av.VideoStream, audio: av.AudioStream) -> None:
        """Open the next segment at a keyframe with presentation time ``pts`` (in ``video``'s time base)."""
        segment = Segment(self._next, started, 0.0, self._begins_run and bool(self.segments))
        self._next += 1
        self._begins_run = False
        # every packet goes to disk at once: a kill loses at most the packet being written
        container = av.open(str(self.folder / segment.name), "w", format="mpegts", options={"flush_packets": "1"})
        video_out = container.add_stream_from_template(video)
        audio_out = container.add_stream_from_template(audio)
        self._open, self._first_pts = (segment, container, video_out, audio_out), pts
        self._journal({"n": segment.number, "started": started, "discontinuity": segment.discontinuity})

    @property
    def writing(self) -> bool:
        return self._open is not None

    def mux(self, packet: av.Packet[Any]) -> None:
        if self._open is None:
            return
        _, container, video, audio = self._open
        packet.stream = video if packet.stream.type == "video" else audio
        container.mux(packet)

    def end(self, pts: int, time_base: Fraction) -> None:
        """Close the open segment where the frame at ``pts`` would begin; rewrite the live playlist."""
        if self._open is None:
            return
        segment, container, _, _ = self._open
        self._open = None
        container.close()
        duration = float((pts - self._first_pts) * time_base)
        self._journal({"n": segment.number, "duration": duration})
        self.segments.append(Segment(segment.number, segment.started, duration, segment.discontinuity))
        self._write_live()

    def finish(self) -> None:
        write_atomically(self.folder / "vod.m3u8", vod_playlist(self.segments, self.segment_seconds))
        self._write_live(ended=True)

    def _write_live(self, *, ended: bool = False) -> None:
        write_atomically(self.folder / "index.m3u8",
                         live_playlist(self.segments, self.window, self.segment_seconds, ended=ended))

    def _journal(self, entry: dict[str, Any]) -> None:
        with (self.folder / JOURNAL).open("a") as out:
            out.write(json.dumps(entry) + "\n")
