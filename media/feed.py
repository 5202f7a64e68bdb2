"""A feed: one published track (a publisher's mic, or one video layer) fanned out to outlets.

Per-frame work happens here once per frame — keyframe test, packetization, wall-clock reading,
header-extension bytes — so that an outlet only stamps a 12-byte RTP header per packet.
A :class:`Consumer` (a recorder) takes the same encoded frames in the hub itself, before any
packetization and without a peer.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from aiortc import clock

from media import passthrough
from media.routes import Source

if TYPE_CHECKING:
    from media.outlet import Outlet

_ABS_SEND_TIME = struct.Struct("!L")
_EXTENSION_HEADER = struct.Struct("!HH")
_ONE_BYTE_PROFILE = 0xBEDE


class Frame:
    """One encoded frame ready to send: payloads shared by every outlet."""

    __slots__ = ("payloads", "timestamp", "keyframe", "arrival", "ntp_time", "audio_level", "size", "_extensions")

    def __init__(
        self, payloads: list[bytes], timestamp: int, keyframe: bool, arrival: float, audio_level: int | None
    ) -> None:
        self.payloads = payloads
        self.timestamp = timestamp
        self.keyframe = keyframe
        self.arrival = arrival
        self.ntp_time = clock.current_ntp_time()
        self.audio_level = audio_level
        self.size = sum(map(len, payloads))
        self._extensions: dict[tuple[bytes, int, int], bytes] = {}

    def extension(self, layout: tuple[bytes, int, int]) -> bytes:
        """The RTP header-extension block for a subscriber's negotiated ids (cached per layout)."""
        block = self._extensions.get(layout)
        if block is None:
            mid_element, abs_send_time_id, audio_level_id = layout
            elements = mid_element
            if abs_send_time_id:
                abs_send_time = (self.ntp_time >> 14) & 0xFFFFFF
                elements += bytes([abs_send_time_id << 4 | 2]) + _ABS_SEND_TIME.pack(abs_send_time)[1:]
            if audio_level_id and self.audio_level is not None:
                elements += bytes([audio_level_id << 4, self.audio_level])
            if elements:
                elements += b"\x00" * (-len(elements) % 4)
                block = _EXTENSION_HEADER.pack(_ONE_BYTE_PROFILE, len(elements) // 4) + elements
            else:
                block = b""
            self._extensions[layout] = block
        return block


class Consumer(Protocol):
    """A local party that takes a feed's encoded frames on the event loop; it must return at once."""

    def take(self, feed: Feed, codec: str, data: bytes, timestamp: int, keyframe: bool) -> None: ...

    def lose(self, feed: Feed) -> None:
        """``feed`` ended (its publisher left or stopped publishing)."""


class Feed:
    """A published track. Muted audio feeds forward nothing; keyframe requests are rate-limited."""

    def __init__(
        self,
        source: Source,
        ask_keyframe: Callable[[int], None],
        keyframe_interval: float,
    ) -> None:
        self.source = source
        self.outlets: set[Outlet] = set()
        self.consumers: set[Consumer] = set()
        self.muted = False
        self.media_ssrc: int | None = None
        self.audio_level: int | None = None
        self.bytes_in = 0
        self.keyframe_requests = 0
        self.closed = False
        self._ask_keyframe = ask_keyframe
        self._interval = keyframe_interval
        self._last_request = -keyframe_interval
        self._pending: asyncio.TimerHandle | None = None
        self._picture_id = 0
        self._loop = asyncio.get_running_loop()

    @property
    def kind(self) -> str:
        return self.source.kind

    def on_frame(self, codec: str, data: bytes, timestamp: int) -> None:
        if self.muted or not (self.outlets or self.consumers):
            return
        keyframe = passthrough.is_keyframe(codec, data)
        for consumer in tuple(self.consumers):
            consumer.take(self, codec, data, timestamp, keyframe)
        if not self.outlets:
            return
        payloads = passthrough.packetize(codec, data, self._picture_id)
        self._picture_id = (self._picture_id + 1) & 0x7FFF
        frame = Frame(payloads, timestamp, keyframe, self._loop.time(), self.audio_level)
        for outlet in tuple(self.outlets):
            outlet.push(frame, self)

    def request_keyframe(self) -> None:
        """Ask the publisher for a keyframe: at most one request per interval, none lost."""
        if self.kind != "video" or self._pending is not None:
            return
        wait = self._last_request + self._interval - self._loop.time()
        if wait > 0:
            self._pending = self._loop.call_later(wait, self._send_request)
        else:
            self._send_request()

    def _send_request(self) -> None:
        self._pending = None
        if self.media_ssrc is None:
            return  # nothing received yet: the publisher's first frame is a keyframe anyway
        self._last_request = self._loop.time()
        self.keyframe_requests += 1
        self._ask_keyframe(self.media_ssrc)

    def close(self) -> None:
        self.closed = True
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None
        for outlet in tuple(self.outlets):
            outlet.lose(self)
        for consumer in tuple(self.consumers):
            consumer.lose(self)
        self.consumers.clear()
