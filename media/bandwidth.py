"""The bandwidth estimate a publisher gets from the relay: one REMB for its whole connection. Pure.

Chrome applies a REMB to the whole connection (every layer and the audio), whatever SSRCs it
lists. aiortc's receivers each send their own, from an estimate that follows *that* stream's
throughput (about 1.5 × it): the low layer's ~150 kbit/s then caps the high layer too, which was
seen at 480×270 and ~64 kbit/s, "bandwidth"-limited. So the relay turns those off and sends one
REMB per publishing connection instead: the ceiling it budgets for a publisher.

The REMB is a ceiling, not a target: under it Chrome's own loss-based estimate does the work on a
constrained link (it backs off on loss in receiver reports) and its allocator gives audio and the
low layer their share first (the page sets their priority). During its first 2 s Chrome takes a
REMB above its current rate at once, and it sizes its first frames by the rate it has then (a
1280×720 camera opened at 640×360 and took 10–16 s to climb back), so the first REMB goes out as
soon as the connection is up, before Chrome's first frame.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class RembSchedule:
    """When to send a publisher its REMB, and the value: ``ceiling`` bit/s every ``interval_ms``."""

    ceiling: int
    interval_ms: int = 1000
    _last_ms: int | None = None

    def due(self, now_ms: int) -> int | None:
        """The bitrate to send now, or None if the last REMB is recent enough."""
        if self._last_ms is not None and now_ms - self._last_ms < self.interval_ms:
            return None
        self._last_ms = now_ms
        return self.ceiling
