"""Events: the only thing that changes a session, and the unit of its log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Event:
    """A fact decided by the domain, not yet numbered by the log.

    ``data`` holds JSON values only (str, int, float, bool, None, list, dict)
    so every store can keep it and every node folds it the same way.
    """

    type: str
    data: Mapping[str, Any]
    actor: str
    at: float
    key: str | None = None  # the command's idempotency key, so a retried emit is applied once


@dataclass(frozen=True, slots=True)
class RecordedEvent:
    """An event as the log keeps it: numbered from 1 and hash-chained to its predecessor."""

    seq: int
    type: str
    data: Mapping[str, Any]
    actor: str
    at: float
    key: str | None
    prev_hash: str
    hash: str = field(default="")


@dataclass(frozen=True, slots=True)
class Paper:
    """A ballot paper in a secret ballot's box: a choice with no village, no time, no order.

    ``token`` is random, so the box sorted by token says nothing of who dropped what, or when.
    Papers are stored beside the log, never in it.
    """

    ballot: str
    token: str
    choice: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Stub:
    """A secret vote's receipt as the store keeps it: the SHA-256 of the code only its voter saw.

    Kept in a set of its own, apart from the papers, so that a receipt proves a vote was dropped
    and counted, and never which choice it was (not even to someone holding the store).
    """

    ballot: str
    digest: str
