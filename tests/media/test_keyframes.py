"""Keyframes and repairs: late joiners start on a keyframe, PLIs reach the publisher rate-limited,
NACKs are answered from the subscriber's own history."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from harness.peers import Client, ClipTrack, connect, wait_for
from media.relay import Relay
from media.routes import Source


async def test_a_late_joiner_starts_on_a_keyframe_it_asked_for(
    relay: Relay, clients: Callable[..., Client], vp8_clip
) -> None:
    track = ClipTrack(vp8_clip)  # one keyframe per 2 s loop, more only on request
    publisher = clients(publish={"high": track})
    first = clients(receive={"program": "video"})
    await connect(relay, "venue", publisher)
    relay.route("first", {"program": Source("venue", "video")})
    await connect(relay, "first", first)
    await wait_for(lambda: first.count("program") >= 10)
    requests_before = track.keyframe_requests

    late = clients(receive={"program": "video"})
    relay.route("late", {"program": Source("venue", "video")})
    await connect(relay, "late", late)
    await wait_for(lambda: late.count("program") >= 5)

    assert late.frames["program"][0].keyframe  # no delta before the first keyframe
    assert track.keyframe_requests > requests_before  # the relay asked the publisher


async def test_subscriber_plis_reach_the_publisher_at_most_once_per_interval(
    relay: Relay, clients: Callable[..., Client], vp8_clip
) -> None:
    track = ClipTrack(vp8_clip)
    publisher = clients(publish={"high": track})
    viewer = clients(receive={"program": "video"})
    await connect(relay, "venue", publisher)
    relay.route("viewer", {"program": Source("venue", "video")})
    await connect(relay, "viewer", viewer)
    await wait_for(lambda: viewer.count("program") >= 10)
    await asyncio.sleep(relay.config.keyframe_interval)  # let the join request's window pass
    before = track.keyframe_requests

    receiver = viewer.pc.getTransceivers()[0].receiver
    ssrc = next(iter(receiver._RTCRtpReceiver__remote_streams))
    for _ in range(50):
        await receiver._send_rtcp_pli(ssrc)
    await wait_for(lambda: track.keyframe_requests > before)
    await asyncio.sleep(relay.config.keyframe_interval * 1.5)

    # 50 PLIs within a few ms: one now, one deferred to the end of the window.
    assert 1 <= track.keyframe_requests - before <= 2


async def test_a_nack_is_answered_from_the_slots_history(
    relay: Relay, clients: Callable[..., Client], vp8_clip
) -> None:
    await connect(relay, "venue", clients(publish={"high": ClipTrack(vp8_clip)}))
    viewer = clients(receive={"program": "video"})
    relay.route("viewer", {"program": Source("venue", "video")})
    await connect(relay, "viewer", viewer)
    await wait_for(lambda: viewer.count("program") >= 10)

    receiver = viewer.pc.getTransceivers()[0].receiver
    ((ssrc, stream),) = receiver._RTCRtpReceiver__remote_streams.items()
    await receiver._send_rtcp_nack(ssrc, [stream.max_seq - 2, stream.max_seq - 1])

    # Same SSRC and sequence number: SRTP accepts it only where the original was really lost
    # (here it was not, so the viewer's replay check drops the copies).
    outlet = relay.peer("viewer").outlets["program"]
    await wait_for(lambda: outlet.packets_resent == 2)
