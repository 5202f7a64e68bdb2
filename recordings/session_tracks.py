"""The part that records every published track of a live session: the venue (its high video and its
mic) and each interactive hall, each as forwarded, in one recorder child (``recordings.recorder``)
kept running by :class:`recordings.child.Child` and fed over a :class:`media.pipe.Link` with a
tap per track. The relay never waits for it: a full pipe drops up to a keyframe.

Every floor change (a new grant, the floor ended) and every new agenda item splits all tracks, not
only the holder's and the venue's: then no clip spans two turns, and the manifest ties each clip to
one turn. Its state (``state()``) is what the moderator page shows.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from media.feed import Consumer, Feed
from media.routes import Source
from recordings.child import Child
from recordings.manifest import Context
from media.pipe import Link, Tap, pack_control
from recordings.recorder import STOPPED
from recordings.scene import Scene

log = logging.getLogger(__name__)

TRACKS = (("video", "high"), ("audio", "mic"))  # what each publisher's recording holds


class Consumers(Protocol):
    """The relay, as far as a recorder uses it."""

    def consume(self, source: Source, consumer: Consumer) -> None: ...

    def release(self, source: Source, consumer: Consumer) -> None: ...


class _Tap(Tap):
    """A tap that remembers its feed, to ask for the keyframe a split waits for, and wakes the recorder
    at its first frame (a session without media starts no process)."""

    feed: Feed | None = None

    def __init__(self, link: Link, track: int, source: Source, wake: Callable[[], None]) -> None:
        super().__init__(link, track, source)
        self._wake = wake

    def take(self, feed: Feed, codec: str, data: bytes, timestamp: int, keyframe: bool) -> None:
        self.feed = feed
        self._wake()
        super().take(feed, codec, data, timestamp, keyframe)

    def lose(self, feed: Feed) -> None:
        self.feed = None
        super().lose(feed)


class SessionTracks:
    def __init__(self, relay: Consumers, root: Path, session: str, *, min_free_mb: float = 0.0,
                 pipe_limit: int = 4 << 20) -> None:
        self.relay, self.session = relay, session
        self.link = Link(pipe_limit)  # bytes waiting for the child beyond the OS pipe's own buffer
        self.stopped: str | None = None  # why it stopped for good (the disk); None while it records
        self.child = Child(
            [sys.executable, "-m", "recordings.recorder", str(root), session, "--min-free", str(min_free_mb)],
            name=f"recorder {session}", on_start=self._started, on_exit=self._exited)
        self._taps: dict[str, list[tuple[Source, _Tap]]] = {}  # relay publisher → its sources and taps
        self._tracks = 0
        self._context = Context()
        self._stopping: asyncio.Task[None] | None = None

    def update(self, scene: Scene) -> None:
        if self.stopped is not None:
            return
        for publisher in set(scene.publishers) - set(self._taps):
            code = scene.codes.get(publisher, publisher.rpartition("/")[2])
            taps = self._taps[publisher] = []
            for kind, layer in TRACKS:
                self._tracks += 1
                source = Source(publisher, kind, layer)
                tap = _Tap(self.link, self._tracks, Source(code, kind, layer), self.child.start)
                taps.append((source, tap))
                self.relay.consume(source, tap)
        for publisher in set(self._taps) - set(scene.publishers):  # demoted: its clip ends, if it returns one goes on
            self._release(publisher)
        floor = scene.floor
        context = Context(scene.agenda_id, floor.grant if floor else None, floor.village if floor else None)
        if context != self._context:
            self._context = context
            self.link.send(self._context_message(), bounded=False)
            for taps in self._taps.values():
                for _, tap in taps:
                    if tap.feed is not None and tap.source.kind == "video":
                        tap.feed.request_keyframe()  # the split waits for it

    def state(self) -> dict[str, Any]:
        """For the moderator page: waiting for media, starting, running, restarting (and why) or stopped (and why)."""
        taps = [tap for pairs in self._taps.values() for _, tap in pairs]  # the tracks recorded now
        counts = {"frames_sent": sum(t.frames_sent for t in taps),
                  "frames_dropped": sum(t.frames_dropped for t in taps)}  # the pipe was full: up to a keyframe
        if self.stopped is not None:
            return {"part": "tracks", "state": "stopped", "reason": self.stopped, **counts}
        state = "waiting" if self.child.state == "stopped" else self.child.state  # started at the first frame
        return {"part": "tracks", "state": state, "reason": self.child.reason,
                "restarts": max(0, self.child.starts - 1), **counts}

    def _started(self, process: asyncio.subprocess.Process) -> None:
        assert process.stdin is not None
        self.link.attach(process.stdin)
        self.link.send(self._context_message(), bounded=False)  # before any tap announces its track

    def _context_message(self) -> bytes:
        return pack_control({"type": "context", **self._context.as_dict()})

    def _exited(self, reason: str) -> None:
        self.link.detach()
        if reason.startswith(f"exit {STOPPED}"):  # it cannot write: starting it again would fail again
            self.stopped = reason.partition(": ")[2] or reason
            log.error("recording of session %s stopped: %s", self.session, self.stopped)
            self._release_all()
            self._stopping = asyncio.get_running_loop().create_task(self.child.close())

    def _release(self, publisher: str) -> None:
        for source, tap in self._taps.pop(publisher, []):
            self.relay.release(source, tap)

    def _release_all(self) -> None:
        for publisher in list(self._taps):
            self._release(publisher)

    async def close(self) -> None:
        self._release_all()
        await self.child.close()
        if self._stopping is not None:
            await self._stopping
