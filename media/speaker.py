"""Active speaker from RTP audio levels (RFC 6464: 0 = loudest, 127 = silence, in -dBov). Pure."""

from __future__ import annotations


class SpeakerDetector:
    """Smoothed level with hysteresis; reports a change at most once per ``interval`` seconds."""

    def __init__(
        self,
        start_dbov: float = -40.0,
        stop_dbov: float = -50.0,
        smoothing: float = 0.5,  # browsers already smooth the level they send
        interval: float = 0.25,
    ) -> None:
        self._start = start_dbov
        self._stop = stop_dbov
        self._smoothing = smoothing
        self._interval = interval
        self._level = -127.0
        self._speaking = False
        self._reported = False
        self._reported_at = float("-inf")

    @property
    def level(self) -> float:
        """Smoothed level in dBov."""
        return self._level

    def add(self, level: int, now: float) -> bool | None:
        """Feed one packet's level; returns the new state when it should be reported."""
        self._level += self._smoothing * (-level - self._level)
        threshold = self._stop if self._speaking else self._start
        self._speaking = self._level > threshold
        if self._speaking == self._reported or now - self._reported_at < self._interval:
            return None
        self._reported = self._speaking
        self._reported_at = now
        return self._speaking
