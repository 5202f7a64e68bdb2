"""Whose media is arriving: a publisher counts as live while its RTP packets keep coming.

A reload closes the peer at once; a lost connection only goes quiet (ICE consent takes ~30 s to
fail), so silence longer than ``stall_after`` counts as gone too. Changes are reported as
``on_change(participant, live)``; what they mean (pausing a floor) is for the server to decide.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

PresenceCallback = Callable[[str, bool], None]


class Presence:
    def __init__(self, stall_after: float, on_change: PresenceCallback | None) -> None:
        self._stall_after = stall_after
        self._on_change = on_change
        self._last: dict[str, float] = {}  # live participant → loop time of its last packet
        self._watch: asyncio.Task[None] | None = None

    def live(self, participant: str) -> bool:
        return participant in self._last

    def seen(self, participant: str, now: float) -> None:
        """A packet from ``participant`` arrived (called per packet: keep it cheap)."""
        fresh = participant not in self._last
        self._last[participant] = now
        if fresh:
            self._report(participant, True)
            if self._watch is None:
                self._watch = asyncio.get_running_loop().create_task(self._run())

    def gone(self, participant: str) -> None:
        """The participant's peer closed."""
        if self._last.pop(participant, None) is not None:
            self._report(participant, False)

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None
        self._last.clear()

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._last:
                await asyncio.sleep(self._stall_after / 4)
                quiet_since = loop.time() - self._stall_after
                for participant in [p for p, last in self._last.items() if last < quiet_since]:
                    self.gone(participant)
        finally:
            self._watch = None

    def _report(self, participant: str, live: bool) -> None:
        if self._on_change is not None:
            self._on_change(participant, live)
