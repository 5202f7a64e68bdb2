"""Socket.IO frames that do not parse become one event the channel can count, not a traceback.

python-socketio raises from its packet decoder on a frame like ``42[`` and engine.io logs
the full traceback for every such frame while the socket stays open. This packet class turns
any frame outside the protocol the pages speak (JSON events and acks, no binary attachments)
into the event ``MALFORMED``, so the channel logs it once per connection and disconnects after
a few. An event named ``*`` is renamed: it would reach the catch-all handler without its name.
Below Socket.IO, engine.io logs a traceback for each frame of an unknown packet type (and keeps
the socket open); ``EngineNoise`` keeps one line a minute of that.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from socketio import packet

MALFORMED = "protocol.malformed"
_CATCH_ALL = "*"  # an event of this name would reach the catch-all handler without its name
_SPOKEN = {packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK}


def _named_event(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and isinstance(data[0], str)


class Packet(packet.Packet):  # type: ignore[misc]  # socketio ships no types
    packet_type: Any
    data: Any

    def decode(self, encoded_packet: Any) -> int:
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, TypeError, IndexError, AttributeError):  # the decoder's ways of saying "not a frame"
            attachments = -1
        if attachments != 0 or self.packet_type not in _SPOKEN or (
                self.packet_type == packet.EVENT and not _named_event(self.data)):
            self.packet_type, self.namespace, self.id, self.data = packet.EVENT, "/", None, [MALFORMED]
        elif self.packet_type == packet.EVENT and self.data[0] == _CATCH_ALL:
            self.data[0] = "(*)"  # so every handler is called (sid, data) or (event, sid, data), never ambiguously
        return 0


class EngineNoise(logging.Filter):
    """engine.io's "Unknown receive error" (a frame it cannot decode): one line a minute, no traceback."""

    def __init__(self, every: float = 60.0) -> None:
        super().__init__()
        self.every, self._last = every, -math.inf

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != "Unknown receive error":
            return True
        now = time.monotonic()
        if now - self._last < self.every:
            return False
        self._last = now
        record.msg = "protocol error: an engine.io frame that does not parse (more within a minute are not logged)"
        record.exc_info = record.exc_text = None
        return True
