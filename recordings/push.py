"""The RTMP push, a child process: ``python -m recordings.push --playlist PATH [--url URL]``.

It follows the program's live main-rung playlist as it grows and remuxes each new segment's packets
(never decoded, never encoded again) to FLV over RTMP or RTMPS, as fast as real time and no faster.
Where the composer began again (a discontinuity) the timestamps carry on from where they were, so
the far end sees one stream going forward. It connects once the first segment is there.

A stream key is a secret, and a command line shows in ``ps``: without ``--url`` the URL is read
from stdin's first line. Closing stdin stops it (the hub's orderly stop). It tells the hub how it
goes on stderr, one line per change, never naming the key:

    state waiting | state connecting | state live | state failed CODE: detail

and exits 1 after a failure; the hub starts it again. CODE is one of
:data:`recordings.rtmp.FAILURES`.
"""

from __future__ import annotations

import argparse
import errno
import io
import logging
import os
import sys
import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import TextIO

import av
import av.logging
from av.container import InputContainer, OutputContainer
from av.stream import Stream

from recordings.follow import Follower, Segment, parse
from recordings.rtmp import stream_key

POLL = 0.2  # seconds between looks at the playlist: well under a segment
STALL = 15.0  # seconds one write may take before the far end counts as gone (a TCP write can hang for minutes)
_JUMP = Fraction(2)  # seconds between one segment's end and the next one's start that mean a new run
_BUMP = Fraction(1, 2)  # seconds a new run may be moved on to keep timestamps going forward
_SLACK = 1.0  # seconds behind real time after which the clock starts again instead of catching up
_UNREACHABLE = {errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ETIMEDOUT, errno.EHOSTDOWN}


class Timeline:
    """Output timestamps. One run of segments from one encoder keeps its own spacing; a new run (a
    discontinuity, or timestamps that jump) begins where the last one ended. They only go forward:
    an RTMP server drops a stream whose timestamps go back."""

    def __init__(self) -> None:
        self.end = Fraction(0)  # seconds: where the latest packet sent ends
        self._offset: Fraction | None = None
        self._last: dict[int, int] = {}  # output stream → its last dts, in its input time base

    def segment(self, start: Fraction, discontinuity: bool) -> None:
        """A segment whose first packet is at ``start`` seconds (its own clock) comes next."""
        if self._offset is None or discontinuity or abs(start + self._offset - self.end) > _JUMP:
            self._offset = self.end - start

    def place(self, stream: int, pts: int | None, dts: int, duration: int, time_base: Fraction
              ) -> tuple[int | None, int] | None:
        """The packet's output (pts, dts) in its own time base, or None if it would go back far."""
        assert self._offset is not None, "segment() first"
        shift = round(self._offset / time_base)
        dts += shift
        last = self._last.get(stream)
        if last is not None and dts <= last:
            # A new run's stream may begin a little before the segment's start (with B-frames its first
            # dts comes before the first pts): everything moves on that little, the keyframe is kept.
            # A packet far back is out of place: it is dropped rather than delay all the rest.
            bump = last + max(duration, 1) - dts
            if bump * time_base > _BUMP:
                return None
            self._offset += bump * time_base
            shift, dts = shift + bump, dts + bump
        self._last[stream] = dts
        self.end = max(self.end, (dts + duration) * time_base)
        return (None if pts is None else pts + shift), dts


class Pace:
    """Real time: a packet goes out no sooner than its timestamp says. After waiting for the program
    (it stalled, it restarted) the clock starts again rather than sending the backlog in a burst."""

    def __init__(self) -> None:
        self._zero: float | None = None

    def delay(self, at: float, now: float) -> float:
        """Seconds to wait before sending what is due ``at`` seconds into the stream."""
        if self._zero is None or now - (self._zero + at) > _SLACK:
            self._zero = now - at
        return max(0.0, self._zero + at - now)


def failure(exc: BaseException, key: str) -> tuple[str, str]:
    """Which of ``FAILURES`` an error is, and what libav said, with the stream key masked."""
    said = getattr(exc, "log", None)  # PyAV keeps libav's last message: (level, module, text)
    text = said[2].strip() if isinstance(said, tuple) and len(said) == 3 and isinstance(said[2], str) else ""
    number = getattr(exc, "errno", None)
    named = getattr(exc, "strerror", None) if number != errno.EIO else None  # "Input/output error" says nothing
    detail = named or text or str(exc) or type(exc).__name__
    if key:
        detail = detail.replace(key, "****")
    if isinstance(exc, ConnectionRefusedError):
        code = "refused"
    elif isinstance(exc, av.error.ProtocolNotFoundError):
        code = "bad_url"
    elif number in _UNREACHABLE or text.startswith(("Failed to resolve", "Cannot open connection")):
        code = "unreachable"
    elif isinstance(exc, (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, EOFError)):
        code = "dropped"
    elif number == errno.EIO and not text:
        code, detail = "rejected", "the server closed the connection (wrong application or stream key?)"
    else:
        code = "error"
    return code, detail


def say(state: str) -> None:
    print(f"state {state}", file=sys.stderr, flush=True)


class Push:
    def __init__(self, playlist: Path, url: str, stop: threading.Event) -> None:
        self.playlist, self.url, self._stop = playlist, url, stop
        self._writing_since: float | None = None  # when the write under way began (the watchdog reads it)

    def run(self) -> int:
        say("waiting")
        threading.Thread(target=self._watch, name="stall watchdog", daemon=True).start()
        out: OutputContainer | None = None
        try:
            out = self._push_all()
        except (av.FFmpegError, OSError) as exc:
            code, detail = failure(exc, stream_key(self.url))
            say(f"failed {code}: {detail}")
            return 1
        finally:
            if out is not None:
                self._close(out)
        return 0

    def _push_all(self) -> OutputContainer | None:
        out: OutputContainer | None = None
        streams: dict[str, Stream] = {}  # "video"/"audio" → the output stream carrying it
        timeline, pace, live = Timeline(), Pace(), False
        for path, segment in self._segments():
            try:
                source = _open(path, segment)
            except (av.FFmpegError, OSError):
                continue  # gone already (the window slid past it) or unreadable: the next one
            with source:
                if out is None:
                    say("connecting")
                    out = av.open(self.url, "w", format="flv")
                    for s in source.streams:
                        if s.type in ("video", "audio") and s.type not in streams:
                            streams[s.type] = out.add_stream_from_template(s)
                timeline.segment(Fraction(source.start_time or 0, 1_000_000), segment.discontinuity)
                for packet in _packets(source):
                    target = streams.get(packet.stream.type)
                    if target is None or packet.dts is None or packet.time_base is None:
                        continue
                    placed = timeline.place(target.index, packet.pts, packet.dts, packet.duration or 0,
                                            packet.time_base)
                    if placed is None:
                        continue
                    packet.pts, packet.dts = placed
                    if self._stop.wait(pace.delay(float(placed[1] * packet.time_base), time.monotonic())):
                        return out
                    packet.stream = target
                    self._writing_since = time.monotonic()
                    out.mux(packet)  # the first one connects and publishes
                    self._writing_since = None
                    if not live:
                        say("live")
                        live = True
        return out

    def _segments(self) -> Iterator[tuple[Path, Segment]]:
        """Each new segment of the playlist as it is listed, until stdin closes; waits for the playlist."""
        follower, seen = Follower(), None
        while not self._stop.is_set():
            try:
                stat = self.playlist.stat()
                if (stat.st_mtime_ns, stat.st_size) != seen:
                    seen = (stat.st_mtime_ns, stat.st_size)
                    listed = parse(self.playlist.read_text())
                    for segment in follower.new(listed):
                        yield self.playlist.parent / segment.uri, segment
            except (OSError, ValueError, UnicodeDecodeError):
                seen = None  # not there yet, or caught halfway through a rewrite: look again
            self._stop.wait(POLL)

    def _watch(self) -> None:
        """A write that hangs (the far end stopped reading) ends the process: the hub starts it again."""
        while not self._stop.wait(1.0):
            began = self._writing_since
            if began is not None and time.monotonic() - began > STALL:
                say(f"failed unreachable: no answer for {STALL:.0f} s")
                os._exit(1)

    def _close(self, out: OutputContainer) -> None:
        self._writing_since = time.monotonic()  # the trailer is a write too
        try:
            out.close()
        except (av.FFmpegError, OSError):
            pass  # the far end is gone already: nothing left to finish


def _open(path: Path, segment: Segment) -> InputContainer:
    """An MPEG-TS segment stands alone; a fragmented MP4 one needs its initialisation section first."""
    if segment.init is None:
        return av.open(str(path))
    return av.open(io.BytesIO((path.parent / segment.init).read_bytes() + path.read_bytes()), "r")


def _packets(source: InputContainer) -> Iterator[av.Packet[Stream]]:
    """A segment's packets; a torn one (the composer was killed writing it) ends where it breaks."""
    try:
        yield from source.demux()
    except av.FFmpegError:
        return


def _until_eof(stream: TextIO, stop: threading.Event) -> None:
    for _ in stream:
        pass
    stop.set()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recordings.push", description=__doc__.splitlines()[0])
    p.add_argument("--playlist", required=True, help="the main rung's live playlist (index.m3u8)")
    p.add_argument("--url", default="", help="rtmp[s]://host/app/key; default: stdin's first line")
    args = p.parse_args(argv)
    # libav's errors are kept on the exception it raises (say, "Failed to resolve hostname"), and
    # never printed: some of its messages name the URL, and stderr is for state lines
    av.logging.set_level(av.logging.ERROR)
    logging.getLogger("libav").addHandler(logging.NullHandler())
    logging.getLogger("libav").propagate = False
    url = args.url or sys.stdin.readline().strip()
    stop = threading.Event()
    threading.Thread(target=_until_eof, args=(sys.stdin, stop), name="stdin", daemon=True).start()
    return Push(Path(args.playlist), url, stop).run()


if __name__ == "__main__":
    sys.exit(main())
