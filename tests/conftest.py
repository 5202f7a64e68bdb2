"""Shared test plumbing: a real Redis URL and free loopback ports."""

from __future__ import annotations

import pytest

from harness.net import REDIS_URL, free_port

__all__ = ["REDIS_URL", "free_port"]


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL
