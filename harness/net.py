"""Loopback plumbing."""

from __future__ import annotations

import os
import socket

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")  # a real Redis; `make test` sees to it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
