"""The benchmark's light viewer counts what a full aiortc receiver gets, and the relay keeps it as a live peer.

"Exactly" means: between two quiet points (the publisher held, everything the relay sent arrived),
the light viewer's packets, video frames (marker bits) and audio frames equal the full receiver's
``packetsReceived`` and delivered frames over the same window, and the relay's own count of what
it sent each of them. Each viewer has its own SSRC per slot (the relay's outlet's).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aioice.ice
import pytest

from bench.lightviewer import LightViewer
from harness.peers import Client, ClipTrack, OpusTrack, connect, wait_for
from media import passthrough
from media.relay import Relay
from media.routes import Source

SLOTS = {"program": "video", "floor": "audio"}


def sent_to(relay: Relay, subscriber: str) -> dict[str, tuple[int, int]]:
    peer = relay.peer(subscriber)
    assert peer is not None
    return {slot: (outlet.packets_sent, outlet.frames_sent) for slot, outlet in peer.outlets.items()}


def full_counts(viewer: Client) -> tuple[int, int, int]:
    packets = sum(passthrough.reception(t.receiver)[0] for t in viewer.pc.getTransceivers())
    return packets, viewer.count("program"), viewer.count("floor")


def light_counts(viewer: LightViewer) -> tuple[int, int, int]:
    frames = viewer.frames()
    return viewer.packets(), frames["program"], frames["floor"]


async def quiet(relay: Relay, light: LightViewer, full: Client) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """Wait until both viewers hold every packet the relay sent them; their counts then."""
    def settled() -> bool:
        light_sent = sum(p for p, _ in sent_to(relay, "light").values())
        full_sent = sum(p for p, _ in sent_to(relay, "full").values())
        return light.packets() == light_sent and full_counts(full)[0] == full_sent

    await asyncio.sleep(0.2)  # a frame in flight when the publisher was held
    await wait_for(settled)
    return light_counts(light), full_counts(full)


async def test_light_viewer_counts_what_a_full_receiver_gets_and_stays_live(
    relay: Relay, clients: Callable[..., Client], vp8_clip: Any, opus_packets: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    video, audio = ClipTrack(vp8_clip), OpusTrack(opus_packets)
    publisher = clients(publish={"high": video, "mic": audio})
    await connect(relay, "venue", publisher)
    for subscriber in ("light", "full"):
        relay.route(subscriber, {"program": Source("venue", "video", "high"), "floor": Source("venue", "audio")})
    full = clients(receive=SLOTS)
    await connect(relay, "full", full)
    light = LightViewer(SLOTS)
    await connect(relay, "light", light.client)
    try:
        await wait_for(lambda: full.count("program") >= 5 and light.frames().get("program", 0) >= 5
                       and "floor" in light.frames())
        assert len(light.streams) == 2 and {s.kind for s in light.streams.values()} == {"video", "audio"}
        # consent checks every ~0.2 s, a peer gone after 3 unanswered: the relay's liveness, shortened
        monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 0.2)
        monkeypatch.setattr(aioice.ice, "CONSENT_FAILURES", 3)

        video.held = audio.held = True
        light_before, full_before = await quiet(relay, light, full)
        sent_before, relay_before = video.sent, (sent_to(relay, "light"), sent_to(relay, "full"))
        video.held = audio.held = False
        await asyncio.sleep(4.0)  # past several consent rounds and receiver reports
        video.held = audio.held = True
        light_after, full_after = await quiet(relay, light, full)
        relay_after = (sent_to(relay, "light"), sent_to(relay, "full"))

        light_delta = tuple(a - b for a, b in zip(light_after, light_before, strict=True))
        full_delta = tuple(a - b for a, b in zip(full_after, full_before, strict=True))
        assert light_delta == full_delta
        assert light_delta[1] == video.sent - sent_before > 90  # every published frame, ~30 fps
        for slot_before, slot_after in zip(relay_before, relay_after, strict=True):
            packets = sum(slot_after[s][0] - slot_before[s][0] for s in SLOTS)
            assert packets == light_delta[0]
        assert light.lost() == 0

        peer = relay.peer("light")
        assert peer is not None
        assert {s.ssrc for s in light.streams.values()} == {o.wire.ssrc for o in peer.outlets.values() if o.wire}

        # live: consent answered, SRTCP receiver reports decrypted and read by the relay
        stats = relay.stats()["light"]
        assert stats["state"] == "connected" and stats["packets_lost_out"] == 0
        assert light.reports_sent >= 3 and peer.last_seen is not None
        assert asyncio.get_running_loop().time() - peer.last_seen < 2.0
        # a PLI of ours reaches the publisher as a keyframe request
        asked = video.keyframe_requests
        await asyncio.sleep(0.6)  # past the relay's keyframe_interval since the last request
        light.request_keyframe(light.by_kind("video")[0].ssrc)
        await wait_for(lambda: video.keyframe_requests > asked)

        # the control: a viewer that stops answering consent is dropped by the same relay
        light.deafen()
        await wait_for(lambda: relay.peer("light") is None, timeout=6.0)
    finally:
        await light.close()
