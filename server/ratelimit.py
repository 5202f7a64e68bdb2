"""Limits per client: token buckets (a credential, a public browser), so one client cannot starve a
session; quotas per client address (new browser tokens an hour); and who that address is."""

from __future__ import annotations

from collections import Counter, OrderedDict, deque
from dataclasses import dataclass

from aiohttp import web


def client_address(request: web.BaseRequest | None, trusted: tuple[str, ...]) -> str:
    """The client's address: the peer's, or what a trusted proxy in front says it forwarded."""
    peer = str(getattr(request, "remote", None) or "?")
    forwarded = request.headers.get("X-Forwarded-For", "") if request is not None else ""
    if peer in trusted and forwarded:
        return forwarded.rsplit(",", 1)[-1].strip() or peer
    return peer


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


class Quota:
    """At most ``limit`` grants per key within any ``period`` seconds (a sliding window, not a bucket:
    "20 an hour" then holds for every hour, not 20 at once plus 20 more refilled)."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        # key → the times of its grants within the period, oldest first; keys by their latest grant
        self._grants: OrderedDict[str, deque[float]] = OrderedDict()

    def take(self, key: str, now: float) -> bool:
        self._forget(now)
        grants = self._grants.get(key, deque())
        while grants and grants[0] <= now - self.period:
            grants.popleft()
        if len(grants) >= self.limit:
            return False
        grants.append(now)
        self._grants[key] = grants
        self._grants.move_to_end(key)
        return True

    def __len__(self) -> int:
        return len(self._grants)

    def _forget(self, now: float) -> None:
        """Drop the keys whose latest grant is out of the period, so the map holds recent clients only."""
        while self._grants:
            key, grants = next(iter(self._grants.items()))
            if grants[-1] > now - self.period:
                return
            del self._grants[key]
