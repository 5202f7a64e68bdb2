"""Token buckets per client (a credential, a public browser), so one client cannot starve a session."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(slots=True)
class TokenBucket:
    rate: float  # tokens added per second
    burst: float  # bucket size
    tokens: float = -1.0
    stamp: float = 0.0

    def _refill(self, now: float) -> None:
        if self.tokens < 0:  # first use: start full
            self.tokens, self.stamp = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        self._refill(now)
        cost = min(cost, self.burst)  # the dearest event stays possible with a small burst
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.burst


class Buckets:
    """One bucket per client key, shared by all of its connections.

    A key's bucket outlives its connections until it has filled up again, so reconnecting
    does not buy a fresh budget; then it goes, so the map holds only clients seen lately.
    """

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[str, TokenBucket] = {}
        self._users: Counter[str] = Counter()

    def join(self, key: str, now: float) -> None:
        self._prune(now)
        self._users[key] += 1
        self._buckets.setdefault(key, TokenBucket(self.rate, self.burst))

    def leave(self, key: str) -> None:
        self._users[key] -= 1
        if self._users[key] <= 0:
            del self._users[key]

    def take(self, key: str, now: float, cost: float) -> bool:
        return self._buckets[key].take(now, cost)

    def _prune(self, now: float) -> None:
        for key in [k for k, b in self._buckets.items() if k not in self._users and b.full(now)]:
            del self._buckets[key]
