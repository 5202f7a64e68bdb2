"""A track recorder: one published track written to clips (WebM; H.264 to Matroska) as the relay forwards it.

The clip logic comes in two halves that serve both the in-process :class:`TrackRecorder` and the
recorder child (``recordings.recorder``): a :class:`Cutter` decides where each forwarded frame goes
(its time on the track's own timeline, whether it begins a new clip) and :class:`Clips` muxes what
it decided to disk.

:class:`TrackRecorder` is a :class:`media.feed.Consumer`: the relay hands it each encoded frame on
the event loop, and it only puts the frame in a bounded queue; a thread of its own muxes to disk.
When the queue is full (the disk or the thread is slow) the frame is dropped and so are the frames
after it up to the next keyframe, which it asks the publisher for: the relay never waits for a
recorder, and a file never holds a delta whose reference is missing. Dropping the newest rather than
the oldest keeps what already waits decodable (it is handed to another thread and cannot be taken back).

Clips: :meth:`Cutter.split` ends the current clip at the next keyframe (the recorder asks for it at
once) and begins the next one with it; each clip's time starts at zero. A publisher that comes back
(a new feed, a new RTP clock) continues the same clip after the wall-clock gap, at a keyframe.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from media.feed import Feed
from media.routes import Source
from recordings.webm import CODECS, EXTENSION, WebmClip

log = logging.getLogger(__name__)


class ClipWriter(Protocol):
    def write(self, data: bytes, pts: int, keyframe: bool) -> None: ...

    def close(self) -> None: ...


OpenClip = Callable[[Path, str, bytes], ClipWriter]  # path, codec, first frame


@dataclass(frozen=True, slots=True)
class Item:
    data: bytes
    pts: int  # RTP clock ticks on the recorder's own unwrapped timeline
    keyframe: bool
    clip: Path | None  # the frame begins this new clip
    codec: str


def clip_name(source: Source, number: int, codec: str) -> str:
    return f"{_prefix(source)}{number:03d}.{EXTENSION[codec]}"


def _prefix(source: Source) -> str:
    return f"{source.publisher}-{source.kind}-{source.layer}-"


def next_number(source: Source, folder: Path) -> int:
    """The number after the source's clips already in ``folder`` (a restarted recorder goes on)."""
    prefix = _prefix(source)
    numbers = [int(n) for p in folder.glob(f"{prefix}*") if (n := p.stem[len(prefix):]).isdigit()]
    return max(numbers, default=0) + 1


class Cutter:
    """Where each forwarded frame of one track goes. ``first``: the number of its first clip."""

    def __init__(self, source: Source, folder: Path, first: int = 1) -> None:
        self.source = source
        self.folder = folder
        self.first = first
        self.clips: list[Path] = []
        self.awaiting_keyframe = True
        self._split_wanted = False
        self._last: tuple[int, int, float] | None = None  # RTP time, unwrapped pts, clock time

    def cut(self, codec: str, data: bytes, timestamp: int, keyframe: bool, now: float) -> Item | None:
        """The frame as an item to write, or None: a delta while a keyframe is awaited (ask for one)."""
        pts = self._unwrap(timestamp, CODECS[codec][1], now)
        if self.awaiting_keyframe and not keyframe:
            return None
        starts_clip = keyframe and (self._split_wanted or not self.clips)
        path = self.folder / clip_name(self.source, self.first + len(self.clips), codec) if starts_clip else None
        return Item(data, pts, keyframe, path, codec)

    def accepted(self, item: Item) -> None:
        """The item is on its way to disk (cut() gave it; a full queue may refuse it)."""
        self.awaiting_keyframe = False
        if item.clip is not None:
            self.clips.append(item.clip)
            self._split_wanted = False

    def dropped(self) -> None:
        self.awaiting_keyframe = True

    def lose(self) -> None:
        """The publisher left: its next feed has another RTP clock and must begin at a keyframe."""
        self.awaiting_keyframe = True
        if self._last is not None:
            self._last = (-1, *self._last[1:])

    def split(self) -> None:
        """End the current clip at the next keyframe; that keyframe begins the next clip."""
        self._split_wanted = True

    def _unwrap(self, timestamp: int, clock_rate: int, now: float) -> int:
        if self._last is None:
            pts = 0
        elif self._last[0] < 0:  # a new feed: carry on after the wall-clock gap
            pts = self._last[1] + max(1, int((now - self._last[2]) * clock_rate))
        else:
            step = (timestamp - self._last[0]) & 0xFFFFFFFF
            pts = self._last[1] + (step - (1 << 32) if step >= 1 << 31 else step)
        self._last = (timestamp, pts, now)
        return pts


class Clips:
    """Writes the items a :class:`Cutter` made, opening each clip at the item that begins it."""

    def __init__(self, open_clip: OpenClip = WebmClip) -> None:
        self.frames_written = 0
        self._open_clip = open_clip
        self._clip: ClipWriter | None = None
        self._origin = self._last = 0

    def write(self, item: Item) -> None:
        if item.clip is not None:
            self.close()
            self._clip, self._origin, self._last = self._open_clip(item.clip, item.codec, item.data), item.pts, -1
        if self._clip is None or item.pts - self._origin <= self._last:
            return  # before the first clip, or a frame out of order: WebM wants rising times
        self._last = item.pts - self._origin
        self._clip.write(item.data, self._last, item.keyframe)
        self.frames_written += 1

    def close(self) -> None:
        """Close the current clip (once: not closed again should the next one fail to open)."""
        clip, self._clip = self._clip, None
        if clip is not None:
            clip.close()


class TrackRecorder:
    def __init__(
        self, source: Source, folder: Path, *, queue_frames: int = 64, open_clip: OpenClip = WebmClip
    ) -> None:
        self.source = source
        self.folder = folder
        self.frames_dropped = 0  # queue full, and the deltas after it until a keyframe
        self.failed: str | None = None  # why nothing more is written (the codec, the disk)
        self._cutter = Cutter(source, folder)
        self._clips = Clips(open_clip)
        self._queue: queue.Queue[Item | None] = queue.Queue(maxsize=queue_frames)
        self._feed: Feed | None = None
        self._closed = False
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._write_all, name=f"record {source.publisher}", daemon=True)
        self._thread.start()

    @property
    def clips(self) -> list[Path]:
        return self._cutter.clips

    @property
    def frames_written(self) -> int:
        return self._clips.frames_written

    # the relay's side (event loop)

    def take(self, feed: Feed, codec: str, data: bytes, timestamp: int, keyframe: bool) -> None:
        if self._closed or self.failed is not None:
            return
        if codec not in CODECS:
            self.failed = f"codec {codec} cannot be recorded"
            log.warning("%s: %s", self.source, self.failed)
            return
        self._feed = feed
        item = self._cutter.cut(codec, data, timestamp, keyframe, self._loop.time())
        if item is None:
            self.frames_dropped += 1
            feed.request_keyframe()  # again while only deltas come: a PLI may be lost (the feed rate-limits)
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.frames_dropped += 1
            self._cutter.dropped()
            feed.request_keyframe()
            return
        self._cutter.accepted(item)

    def lose(self, feed: Feed) -> None:
        self._feed = None
        self._cutter.lose()

    def split(self) -> None:
        """End the current clip at the next keyframe, asked for at once; it begins the next clip."""
        self._cutter.split()
        if self._feed is not None:
            self._feed.request_keyframe()

    async def close(self) -> None:
        """Write what is queued and close the clip (detach from the relay first). Twice is harmless."""
        if not self._closed:
            self._closed = True
            await asyncio.to_thread(self._queue.put, None)
        await asyncio.to_thread(self._thread.join)

    # the writer's side (its own thread)

    def _write_all(self) -> None:
        try:
            try:
                while (item := self._queue.get()) is not None:
                    self._clips.write(item)
            finally:
                self._clips.close()
        except Exception as exc:  # a full disk, a muxer refusing a frame: stop writing, never the relay
            self.failed = f"writing failed: {exc}"
            log.exception("%s: recording stopped", self.source)
            while self._queue.get() is not None:
                pass  # take() sees `failed` soon; until then close() must still find room for its None
