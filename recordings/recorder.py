"""The recorder child: ``python -m recordings.recorder ROOT SESSION [--min-free MB]``.

It reads the tracks of one session from its stdin (``media.pipe``: a tap per track announces
it, then its frames) and writes each to clips with the same code as the in-process recorder
(:class:`recordings.track.Cutter` and :class:`~recordings.track.Clips`), in the session's
``tracks/`` folder, keeping the manifest. It writes in the order it reads, with no queue of its
own: when it falls behind, the pipe fills and the hub's taps drop up to a keyframe they ask for.

Control messages besides the taps' own: ``{"type": "context", "agenda", "grant", "village"}`` —
the session's agenda item and floor turn; when they change every track is split at its next
keyframe, so each turn (and each agenda item) is a clip of its own.

A clip numbered after those already on disk: a restarted recorder goes on. It stops for good
(exit status 3, the reason on stderr and in the manifest) when the disk has less than the floor
left or a write fails; end of input is the orderly stop that closes every clip.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from media.routes import Source
from recordings.manifest import Context, Manifest
from recordings.paths import tracks_dir
from media.pipe import CONTROL, Message, read_messages
from recordings.track import Clips, Cutter, next_number
from recordings.webm import CODECS

STOPPED = 3  # the exit status that tells the hub not to start it again
_CHECK_EVERY = 2.0  # seconds between looks at the free space (and saves of the growing clips' bytes)


class Stop(Exception):
    """Recording cannot go on: the disk is (nearly) full."""


@dataclass(slots=True)
class _Track:
    source: Source
    codec: str
    cutter: Cutter
    clips: Clips = field(default_factory=Clips)
    entry: dict[str, Any] | None = None  # its clip being written, in the manifest


class Recorder:
    def __init__(self, root: Path, session: str, min_free: int) -> None:
        self.folder = tracks_dir(root, session)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.root, self.min_free = root, min_free
        self.manifest = Manifest.load(root, session)
        self.manifest.stopped = None
        self.context = Context()
        self.tracks: dict[int, _Track] = {}
        self._checked = 0.0

    def run(self, messages: Iterable[Message]) -> None:
        try:
            for message in messages:
                if message.kind == CONTROL:
                    self._control(message.control())
                else:
                    self._frame(message)
                self._check(time.time())
        except Stop as stop:
            self.manifest.stopped = str(stop)
            raise
        finally:
            self._close_all(time.time())

    def _control(self, body: dict[str, Any]) -> None:
        kind = body.get("type")
        if kind == "context":
            context = Context.from_dict(body)
            if context != self.context:
                self.context = context
                for track in self.tracks.values():
                    track.cutter.split()
        elif kind == "track":
            source, codec, number = Source.from_dict(body["source"]), str(body["codec"]), int(body["track"])
            old = self.tracks.pop(number, None)
            if old is not None:  # announced again (a new codec): its clip ends here
                self._close(old, time.time())
            if codec not in CODECS:
                print(f"{source.publisher} {source.kind}: codec {codec} cannot be recorded", file=sys.stderr)
                return
            self.tracks[number] = _Track(source, codec, Cutter(source, self.folder, next_number(source, self.folder)))
        elif kind == "lost" and (lost := self.tracks.get(int(body["track"]))) is not None:
            lost.cutter.lose()

    def _frame(self, message: Message) -> None:
        track = self.tracks.get(message.track)
        if track is None:
            return
        now = time.time()
        item = track.cutter.cut(track.codec, message.body, message.timestamp, message.keyframe, now)
        if item is None:
            return  # a delta before a keyframe: the tap has asked for one
        try:
            track.clips.write(item)
        except OSError as exc:
            raise Stop(f"cannot write {item.clip or track.source.publisher}: {exc}") from exc
        except ValueError as exc:  # this keyframe cannot begin a clip: wait for the next one
            print(f"{track.source.publisher} {track.source.kind}: {exc}", file=sys.stderr)
            track.cutter.dropped()
            track.cutter.split()
            return
        track.cutter.accepted(item)
        if item.clip is not None:
            if track.entry is not None:
                self.manifest.finish(track.entry, now)
            track.entry = self.manifest.begin(item.clip, track.source, now, self.context)
            self.manifest.save()

    def _check(self, now: float) -> None:
        if now - self._checked < _CHECK_EVERY:
            return
        self._checked = now
        free = shutil.disk_usage(self.root).free
        if free < self.min_free:
            raise Stop(f"only {free >> 20} MB free on the recordings disk, below the floor of {self.min_free >> 20} MB")
        self.manifest.save()

    def _close(self, track: _Track, now: float) -> None:
        try:
            track.clips.close()
        finally:
            if track.entry is not None:
                self.manifest.finish(track.entry, now)
                track.entry = None

    def _close_all(self, now: float) -> None:
        for track in self.tracks.values():
            try:
                self._close(track, now)
            except OSError as exc:
                print(f"closing {track.source.publisher}: {exc}", file=sys.stderr)
        try:
            self.manifest.save()
        except OSError as exc:
            print(f"cannot save the manifest: {exc}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recordings.recorder")
    parser.add_argument("root", type=Path)
    parser.add_argument("session")
    parser.add_argument("--min-free", type=float, default=0.0, help="MB the disk must keep free")
    args = parser.parse_args(argv)
    recorder = Recorder(args.root, args.session, int(args.min_free * (1 << 20)))
    try:
        recorder.run(read_messages(sys.stdin.buffer))
    except Stop as stop:
        print(f"recording stopped: {stop}", file=sys.stderr, flush=True)
        return STOPPED
    return 0


if __name__ == "__main__":
    sys.exit(main())
