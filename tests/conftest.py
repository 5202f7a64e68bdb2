"""Shared test plumbing: a real Redis URL and free loopback ports."""

from __future__ import annotations

# hypothesis is imported first: on CPython 3.11.7 its plugin's late import at the end of a run that never
# used it can fail ("AST constructor recursion depth mismatch") after the media tests
import hypothesis  # noqa: F401
import pytest

from harness.net import REDIS_URL, free_port

__all__ = ["REDIS_URL", "free_port"]


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL
