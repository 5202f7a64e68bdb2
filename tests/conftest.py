"""Shared test plumbing: a real Redis URL and free loopback ports."""

from __future__ import annotations

import os
import socket

import pytest

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def redis_url() -> str:
    return REDIS_URL
