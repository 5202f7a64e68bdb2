"""The relay reports a publisher's media stopping (quiet, or its peer closed) and starting again."""

from __future__ import annotations

from collections.abc import Callable

from harness.peers import Client, ClipTrack, OpusTrack, connect, wait_for
from media.relay import Relay, RelayConfig


async def test_media_that_goes_quiet_or_closes_is_reported_gone(
    clients: Callable[..., Client], vp8_clip, opus_packets
) -> None:
    changes: list[tuple[str, bool]] = []
    relay = Relay(RelayConfig(stall_after=0.5), on_presence=lambda p, live: changes.append((p, live)))
    try:
        tracks = {"high": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets)}
        await connect(relay, "hall", clients(publish=tracks))
        await connect(relay, "viewer", clients(receive={"program": "video"}))  # receives only: never live
        await wait_for(lambda: changes == [("hall", True)])

        for track in tracks.values():  # the connection drops: nothing arrives, nothing closes
            track.held = True
        await wait_for(lambda: changes[-1] == ("hall", False))
        for track in tracks.values():
            track.held = False
        await wait_for(lambda: changes[-1] == ("hall", True))

        await relay.close_peer("hall")  # a reload
        assert changes == [("hall", True), ("hall", False), ("hall", True), ("hall", False)]
        await relay.close_peer("viewer")
        assert len(changes) == 4
    finally:
        await relay.close()
