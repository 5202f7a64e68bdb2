"""Fixtures: clips encoded once per session, a relay per test, clients closed after it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from harness.peers import Client, Clip, make_client, make_clip, make_opus
from media.relay import Relay, RelayConfig


@pytest.fixture(scope="session")
def vp8_clip() -> Clip:
    return make_clip("VP8")


@pytest.fixture(scope="session")
def h264_clip() -> Clip:
    return make_clip("H264")


@pytest.fixture(scope="session")
def opus_packets() -> tuple[bytes, ...]:
    return make_opus()


@pytest.fixture
async def relay() -> AsyncIterator[Relay]:
    relay = Relay(RelayConfig())
    yield relay
    await relay.close()


@pytest.fixture
async def clients() -> AsyncIterator[Callable[..., Client]]:
    """``clients(publish=..., receive=...)`` makes a client that is closed after the test."""
    made: list[Client] = []

    def factory(**kwargs: Any) -> Client:
        client = make_client(**kwargs)
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.close()
