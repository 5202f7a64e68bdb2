"""The control surface as plain messages, and the stats a network board reads."""

from __future__ import annotations

from collections.abc import Callable

from aiortc import RTCSessionDescription

from harness.peers import Client, ClipTrack, OpusTrack, offer, wait_for
from media.relay import Relay


async def test_the_relay_runs_from_plain_messages_and_reports_stats(
    relay: Relay, clients: Callable[..., Client], vp8_clip, opus_packets
) -> None:
    publisher = clients(publish={"high": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets)})
    viewer = clients(receive={"program": "video", "floor": "audio"})
    for pid, client in (("venue", publisher), ("viewer", viewer)):
        sdp, layers, slots = await offer(client)
        reply = await relay.handle({"op": "answer", "participant": pid, "sdp": sdp, "layers": layers, "slots": slots})
        assert reply["ok"], reply
        await client.pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))
    video = {"publisher": "venue", "kind": "video", "layer": "high"}
    audio = {"publisher": "venue", "kind": "audio"}
    reply = await relay.handle({"op": "route", "subscriber": "viewer", "slots": {"program": video, "floor": audio}})
    assert reply == {"ok": True}
    await wait_for(lambda: viewer.count("program") >= 20 and viewer.count("floor") >= 20)

    stats = (await relay.handle({"op": "stats"}))["stats"]
    assert stats["venue"]["state"] == "connected"
    assert stats["venue"]["publishing"] == ["audio/mic", "video/high"]
    assert stats["venue"]["bitrate_in"] > 0 and stats["viewer"]["bitrate_out"] > 0
    assert stats["viewer"]["receiving"]["program"] == video
    # A subscriber sends no media: it is seen through its RTCP reports (about one a second).
    await wait_for(lambda: relay.stats()["viewer"]["last_seen"] is not None, timeout=5)
    assert stats["venue"]["packets_lost_in"] == 0

    assert (await relay.handle({"op": "set_muted", "participants": ["venue"]})) == {"ok": True}
    assert (await relay.handle({"op": "dance"}))["error"] == "unknown_operation"
    assert (await relay.handle({"op": "answer", "participant": "x", "sdp": "nonsense"}))["error"] == "bad_offer"
    assert (await relay.handle({"op": "route", "subscriber": "viewer"}))["error"] == "invalid"
    assert (await relay.handle({"op": "close_peer", "participant": "viewer"})) == {"ok": True}
    assert relay.stats().keys() == {"venue"}
    assert (await relay.handle({"op": "unpublish", "participant": "venue"})) == {"ok": True}
    assert relay.stats()["venue"]["publishing"] == [] and relay.stats()["venue"]["state"] == "connected"
    watcher = {"op": "answer", "participant": "w", "sdp": publisher.pc.localDescription.sdp, "publish": False}
    assert (await relay.handle(watcher))["error"] == "forbidden"
