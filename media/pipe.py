"""Encoded frames from the relay to another process: a child's stdin (the composer, a recorder) or
another relay worker's mirror feeds (:mod:`media.mesh`).

A message is a fixed header and a body: kind (1 byte), track (2), flags (1: bit 0 keyframe, bit 1
audio level present), audio level (1: the RFC 6464 byte the feed forwards), timestamp (4: the
track's RTP clock), body length (4). A FRAME's body is one encoded frame of the track; a CONTROL's
body is a JSON object (a track's source and codec, a layout, a split, a keyframe request, ...).

The hub never waits for a child: while the pipe's buffer holds more than its bound a frame is
dropped, and so is every frame of that track after it up to the next keyframe, which the tap asks
the publisher for. A child that died mid-message leaves a tail that the next child never sees: each
child gets a pipe of its own (:class:`Link` counts them), and every tap announces its track again
and starts it at a keyframe.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from media.feed import Feed
from media.routes import Source

HEADER = struct.Struct("!BHBBII")
_KEYFRAME, _LEVEL = 1, 2
FRAME, CONTROL = 0, 1
MAX_BODY = 8 << 20  # far above any encoded frame; a bigger length means the stream is corrupt


@dataclass(frozen=True, slots=True)
class Message:
    kind: int
    track: int
    keyframe: bool
    timestamp: int
    body: bytes
    level: int | None = None

    def control(self) -> dict[str, Any]:
        value = json.loads(self.body)
        if not isinstance(value, dict):
            raise ValueError("a control message is a JSON object")
        return value


def pack_frame(track: int, keyframe: bool, timestamp: int, data: bytes, level: int | None = None) -> bytes:
    flags = (_KEYFRAME if keyframe else 0) | (0 if level is None else _LEVEL)
    return HEADER.pack(FRAME, track, flags, level or 0, timestamp & 0xFFFFFFFF, len(data)) + data


def pack_control(body: dict[str, Any]) -> bytes:
    data = json.dumps(body, separators=(",", ":")).encode()
    return HEADER.pack(CONTROL, 0, 0, 0, 0, len(data)) + data


def _message(head: bytes) -> tuple[int, int, int, int, int, int]:
    kind, track, flags, level, timestamp, length = HEADER.unpack(head)
    if kind not in (FRAME, CONTROL) or length > MAX_BODY:
        raise ValueError(f"corrupt message header: kind {kind}, length {length}")
    return kind, track, flags, level, timestamp, length


def read_messages(stream: BinaryIO) -> Iterator[Message]:
    """Every whole message until end of file (the hub closed the pipe); a torn tail is ignored."""
    while len(head := stream.read(HEADER.size)) == HEADER.size:
        kind, track, flags, level, timestamp, length = _message(head)
        body = stream.read(length)
        if len(body) < length:
            return
        yield Message(kind, track, bool(flags & _KEYFRAME), timestamp, body, level if flags & _LEVEL else None)


async def read_message(reader: asyncio.StreamReader) -> Message | None:
    """The next whole message from a socket; None at its end (a torn tail included)."""
    try:
        kind, track, flags, level, timestamp, length = _message(await reader.readexactly(HEADER.size))
        body = await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        return None
    return Message(kind, track, bool(flags & _KEYFRAME), timestamp, body, level if flags & _LEVEL else None)


class Link:
    """The hub's end of a child's stdin. Each (re)started child is attached afresh: ``generation``
    tells the taps to announce their tracks again."""

    def __init__(self, limit: int = 4 << 20) -> None:
        self.limit = limit  # bytes the pipe may hold unread before frames are dropped
        self.generation = 0
        self._writer: asyncio.StreamWriter | None = None

    def attach(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.generation += 1

    def detach(self) -> None:
        self._writer = None

    def send(self, data: bytes, *, bounded: bool = True) -> bool:
        """Write without waiting. False: no child, or (``bounded``) its pipe is full."""
        writer = self._writer
        if writer is None or writer.is_closing():
            return False
        if bounded and writer.transport.get_write_buffer_size() > self.limit:
            return False
        writer.write(data)
        return True


class Tap:
    """A relay consumer handing one source's frames to a child through a :class:`Link`."""

    def __init__(self, link: Link, track: int, source: Source) -> None:
        self.link = link
        self.track = track
        self.source = source
        self.frames_sent = 0
        self.frames_dropped = 0
        self._announced: tuple[int, str] | None = None  # the link generation and codec announced
        self._waiting = True  # for a keyframe: at the start, after a drop, a new child or a new feed

    def take(self, feed: Feed, codec: str, data: bytes, timestamp: int, keyframe: bool) -> None:
        if self._announced != (self.link.generation, codec):
            announce = {"type": "track", "track": self.track, "source": self.source.as_dict(), "codec": codec}
            if not self.link.send(pack_control(announce), bounded=False):
                return  # no child at the moment
            self._announced, self._waiting = (self.link.generation, codec), True
        if self._waiting and not keyframe:
            self.frames_dropped += 1
            feed.request_keyframe()  # again while only deltas come: a request may be lost
            return
        if self.link.send(pack_frame(self.track, keyframe, timestamp, data, feed.audio_level)):
            self.frames_sent += 1
            self._waiting = False
        else:
            self.frames_dropped += 1
            self._waiting = True
            feed.request_keyframe()

    def lose(self, feed: Feed) -> None:
        """The publisher left: its next feed has another RTP clock; the child hears of the gap."""
        self._waiting = True
        self.link.send(pack_control({"type": "lost", "track": self.track}), bounded=False)
