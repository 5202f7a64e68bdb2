"""A track recorder: one published track written to WebM clips as the relay forwards it.

It is a :class:`media.feed.Consumer`: the relay hands it each encoded frame on the event loop,
and it only puts the frame in a bounded queue; a thread of its own muxes to disk. When the queue
is full (the disk or the thread is slow) the frame is dropped and so are the frames after it up to
the next keyframe, which it asks the publisher for: the relay never waits for a recorder, and a
file never holds a delta whose reference is missing. Dropping the newest rather than the oldest
keeps what already waits decodable (it is handed to another thread and cannot be taken back).

Clips: :meth:`TrackRecorder.split` ends the current clip at the next keyframe (asked for at once)
and begins the next one with it; each clip's time starts at zero. A publisher that comes back
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
from recordings.webm import CODECS, WebmClip

log = logging.getLogger(__name__)


class ClipWriter(Protocol):
    def write(self, data: bytes, pts: int, keyframe: bool) -> None: ...

    def close(self) -> None: ...


OpenClip = Callable[[Path, str, bytes], ClipWriter]  # path, codec, first frame


@dataclass(frozen=True, slots=True)
class _Item:
    data: bytes
    pts: int  # RTP clock ticks on the recorder's own unwrapped timeline
    keyframe: bool
    clip: Path | None  # the frame begins this new clip
    codec: str


class TrackRecorder:
    def __init__(
        self, source: Source, folder: Path, *, queue_frames: int = 64, open_clip: OpenClip = WebmClip
    ) -> None:
        self.source = source
        self.folder = folder
        self.clips: list[Path] = []
        self.frames_written = 0
        self.frames_dropped = 0  # queue full, and the deltas after it until a keyframe
        self.failed: str | None = None  # why nothing more is written (the codec, the disk)
        self._open_clip = open_clip
        self._queue: queue.Queue[_Item | None] = queue.Queue(maxsize=queue_frames)
        self._awaiting_keyframe = True
        self._split_wanted = False
        self._feed: Feed | None = None
        self._last: tuple[int, int, float] | None = None  # RTP time, unwrapped pts, loop time
        self._closed = False
        self._loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._write_all, name=f"record {source.publisher}", daemon=True)
        self._thread.start()

    # the relay's side (event loop)

    def take(self, feed: Feed, codec: str, data: bytes, timestamp: int, keyframe: bool) -> None:
        if self._closed or self.failed is not None:
            return
        if codec not in CODECS:
            self.failed = f"codec {codec} cannot be written to WebM"
            log.warning("%s: %s", self.source, self.failed)
            return
        self._feed = feed
        pts = self._unwrap(timestamp, CODECS[codec][1])
        if self._awaiting_keyframe and not keyframe:
            self.frames_dropped += 1
            feed.request_keyframe()  # again while only deltas come: a PLI may be lost (the feed rate-limits)
            return
        starts_clip = keyframe and (self._split_wanted or not self.clips)
        clip = self._next_path() if starts_clip else None
        try:
            self._queue.put_nowait(_Item(data, pts, keyframe, clip, codec))
        except queue.Full:
            self.frames_dropped += 1
            self._awaiting_keyframe = True
            feed.request_keyframe()
            return
        self._awaiting_keyframe = False
        if clip is not None:
            self.clips.append(clip)
            self._split_wanted = False

    def lose(self, feed: Feed) -> None:
        """The publisher left: its next feed has another RTP clock and must begin at a keyframe."""
        self._feed = None
        self._awaiting_keyframe = True
        if self._last is not None:
            self._last = (-1, *self._last[1:])

    def split(self) -> None:
        """End the current clip at the next keyframe; that keyframe begins the next clip."""
        self._split_wanted = True
        if self._feed is not None:
            self._feed.request_keyframe()

    async def close(self) -> None:
        """Write what is queued and close the clip (detach from the relay first). Twice is harmless."""
        if not self._closed:
            self._closed = True
            await asyncio.to_thread(self._queue.put, None)
        await asyncio.to_thread(self._thread.join)

    def _unwrap(self, timestamp: int, clock_rate: int) -> int:
        now = self._loop.time()
        if self._last is None:
            pts = 0
        elif self._last[0] < 0:  # a new feed: carry on after the wall-clock gap
            pts = self._last[1] + max(1, int((now - self._last[2]) * clock_rate))
        else:
            step = (timestamp - self._last[0]) & 0xFFFFFFFF
            pts = self._last[1] + (step - (1 << 32) if step >= 1 << 31 else step)
        self._last = (timestamp, pts, now)
        return pts

    def _next_path(self) -> Path:
        source = self.source
        return self.folder / f"{source.publisher}-{source.kind}-{source.layer}-{len(self.clips) + 1:03d}.webm"

    # the writer's side (its own thread)

    def _write_all(self) -> None:
        try:
            self._write_until_closed()
        except Exception as exc:  # a full disk, a muxer refusing a frame: stop writing, never the relay
            self.failed = f"writing failed: {exc}"
            log.exception("%s: recording stopped", self.source)
            while self._queue.get() is not None:
                pass  # take() sees `failed` soon; until then close() must still find room for its None

    def _write_until_closed(self) -> None:
        clip: ClipWriter | None = None
        origin = last = 0
        try:
            while (item := self._queue.get()) is not None:
                if item.clip is not None:
                    if clip is not None:
                        clip.close()
                    clip = None  # closed: not closed again should the next one fail to open
                    clip, origin, last = self._open_clip(item.clip, item.codec, item.data), item.pts, -1
                if clip is None or item.pts - origin <= last:
                    continue  # before the first clip, or a frame out of order: WebM wants rising times
                last = item.pts - origin
                clip.write(item.data, last, item.keyframe)
                self.frames_written += 1
        finally:
            if clip is not None:
                clip.close()

