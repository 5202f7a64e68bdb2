"""An outlet: one receive slot of a subscriber ("program", "floor", "grid3", ...).

Its SSRC, sequence numbers and timestamps belong to the subscriber's leg and never change, so
its source can be swapped server-side without renegotiation. A video switch waits for the new
feed's keyframe (the old feed keeps playing until then), asking again while only deltas come: a
lost PLI must not leave the program on the old source until the publisher's next keyframe. A
keyframe of the old feed in that wait (a recorder splitting its clip asked for one) is not
forwarded, nor anything after it: pages date a new source from the slot's next decoded keyframe, so
it would put the new caption on the old picture; the slot holds the old picture instead.
Frames wait in a small bounded backlog while the wire is not writable (DTLS not up yet, socket
buffer full); when it is full the oldest frames go — for video up to the next keyframe, since
later deltas depend on them.
"""

from __future__ import annotations

import random
import struct
from collections import deque
from collections.abc import Iterable

from media.feed import Feed, Frame
from media.passthrough import Wire

_HEADER = struct.Struct("!BBHII")
_HISTORY = 512  # packets kept per outlet for NACK (about 1 s of 1 Mbit/s video)


class Outlet:
    def __init__(self, subscriber: str, slot: str, kind: str, backlog_frames: int) -> None:
        self.subscriber = subscriber
        self.slot = slot
        self.kind = kind
        self.feed: Feed | None = None
        self.wire: Wire | None = None
        self.packets_sent = 0
        self.bytes_sent = 0
        self.frames_sent = 0
        self.frames_dropped = 0
        self.frames_skipped = 0  # deltas discarded while waiting for a keyframe
        self.packets_resent = 0  # answers to NACKs
        self.remote_packets_lost = 0
        self._next_feed: Feed | None = None
        self._awaiting_keyframe = kind == "video"
        self._backlog: deque[Frame] = deque()
        self._backlog_frames = backlog_frames
        self._history: list[bytes | None] = [None] * _HISTORY
        self._seq = random.randrange(32768)  # low half: no early wrap (SRTP rollover guessing)
        self._last_ts = random.randrange(1 << 32)
        self._last_arrival: float | None = None
        self._ts_offset = 0
        self._rebase = True
        self.keyframes_asked = 0  # how often this subscriber's slot asked for one

    # routing

    def attach(self, feed: Feed | None) -> None:
        """Take frames from ``feed`` from now on (video: from its next keyframe)."""
        if self._next_feed is not None and self._next_feed is not feed:
            self._next_feed.outlets.discard(self)
            self._next_feed = None
        if feed is self.feed:
            return
        if feed is None:
            self._switch(None)
        elif self.feed is None or self.kind == "audio":
            self._switch(feed)
            self._ask(feed)
        else:
            self._next_feed = feed
            feed.outlets.add(self)
            self._ask(feed)

    def lose(self, feed: Feed) -> None:
        """``feed`` ended (its publisher left)."""
        if feed is self._next_feed:
            self._next_feed = None
            feed.outlets.discard(self)
        elif feed is self.feed:
            self._switch(None)

    def _switch(self, feed: Feed | None) -> None:
        if self.feed is not None:
            self.feed.outlets.discard(self)
        self.feed = feed
        self._next_feed = None
        self._backlog.clear()
        self._awaiting_keyframe = self.kind == "video"
        self._rebase = True
        if feed is not None:
            feed.outlets.add(self)

    # forwarding

    def push(self, frame: Frame, feed: Feed) -> None:
        if feed is not self.feed:
            if feed is not self._next_feed:
                return
            if not frame.keyframe:
                self._ask_again(feed)
                return
            self._switch(feed)
        elif self._next_feed is not None and frame.keyframe:
            self.feed.outlets.discard(self)  # hold the old picture until the new feed's keyframe
            self.feed = None
            return
        if self._awaiting_keyframe:
            if not frame.keyframe:
                self.frames_skipped += 1
                self._ask_again(feed)
                return
            self._awaiting_keyframe = False
        wire = self.wire
        if wire is not None and wire.writable():
            if self._backlog:
                self._drain(wire)
            self._send(frame, wire)
        else:
            self._enqueue(frame)

    def ready(self, wire: Wire) -> None:
        """DTLS is up: send what waited, or ask for the keyframe a new viewer needs."""
        self.wire = wire
        if self._backlog and wire.writable():
            self._drain(wire)
        elif self._awaiting_keyframe and self.feed is not None:
            self._ask(self.feed)

    def picture_lost(self) -> None:
        """The subscriber asked for a keyframe (PLI/FIR)."""
        feed = self._next_feed or self.feed
        if feed is not None:
            self._ask(feed)

    def retransmit(self, sequence_numbers: Iterable[int]) -> None:
        """Answer a NACK from history (same SSRC and sequence number; SRTP allows the repeat)."""
        if self.wire is None:
            return
        for seq in sequence_numbers:
            packet = self._history[seq % _HISTORY]
            if packet is not None and packet[2] << 8 | packet[3] == seq:
                self.wire.send(packet)
                self.packets_resent += 1

    def close(self) -> None:
        self.attach(None)
        self.wire = None
        self._history = []

    def _ask_again(self, feed: Feed) -> None:
        """Deltas while waiting for a keyframe: ask once more (the feed rate-limits; the dead never ask)."""
        if self.wire is not None:
            self._ask(feed)

    def _ask(self, feed: Feed) -> None:
        """Ask the publisher for a keyframe for this subscriber (the feed rate-limits all askers)."""
        self.keyframes_asked += 1
        feed.request_keyframe()

    def _enqueue(self, frame: Frame) -> None:
        backlog = self._backlog
        if len(backlog) >= self._backlog_frames:
            backlog.popleft()
            self.frames_dropped += 1
            while backlog and not backlog[0].keyframe:
                backlog.popleft()
                self.frames_dropped += 1
            if not backlog and not frame.keyframe:
                self.frames_dropped += 1
                self._awaiting_keyframe = True
                # Only a connected subscriber asks: a dead one must not make the publisher
                # send keyframes every interval to everybody.
                if self.wire is not None and self.feed is not None:
                    self._ask(self.feed)
                return
        backlog.append(frame)

    def _drain(self, wire: Wire) -> None:
        backlog = self._backlog
        while backlog:
            self._send(backlog.popleft(), wire)

    def _send(self, frame: Frame, wire: Wire) -> None:
        if self._rebase:
            # Keep this leg's RTP clock running across a source switch.
            elapsed = 0.0 if self._last_arrival is None else frame.arrival - self._last_arrival
            step = max(1, int(elapsed * wire.clock_rate))
            self._ts_offset = self._last_ts + step - frame.timestamp
            self._rebase = False
        timestamp = (frame.timestamp + self._ts_offset) & 0xFFFFFFFF
        extension = frame.extension(wire.layout)
        first_byte = 0x90 if extension else 0x80
        payload_type = wire.payload_type
        ssrc = wire.ssrc
        seq = self._seq
        history = self._history
        send = wire.send
        last = len(frame.payloads) - 1
        for index, payload in enumerate(frame.payloads):
            marker = 0x80 if index == last else 0
            packet = _HEADER.pack(first_byte, payload_type | marker, seq, timestamp, ssrc) + extension + payload
            history[seq % _HISTORY] = packet
            send(packet)
            seq = (seq + 1) & 0xFFFF
        self._seq = seq
        self._last_ts = timestamp
        self._last_arrival = frame.arrival
        self.frames_sent += 1
        self.packets_sent += last + 1
        self.bytes_sent += frame.size
        wire.account(frame.ntp_time, timestamp, last + 1, frame.size)
