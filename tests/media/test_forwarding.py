"""Encoded frames cross the relay for VP8, H264 and Opus — and nothing decodes or encodes them."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable

import aiortc.codecs
import aiortc.rtcrtpreceiver
import aiortc.rtcrtpsender
import pytest
from aiortc import RTCRtpSender

from harness.peers import Client, ClipTrack, OpusTrack, connect, offer, wait_for
from media.errors import MediaError
from media.relay import Relay, RelayConfig
from media.routes import Source


@pytest.fixture
async def relay_h264() -> AsyncIterator[Relay]:
    relay = Relay(RelayConfig(video_codec="H264"))
    yield relay
    await relay.close()


async def test_vp8_video_and_opus_audio_reach_a_subscriber(
    relay: Relay, clients: Callable[..., Client], vp8_clip, opus_packets
) -> None:
    publisher = clients(publish={"high": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets)})
    viewer = clients(receive={"program": "video", "floor": "audio"})
    relay.route("viewer", {"program": Source("village", "video", "high"), "floor": Source("village", "audio")})
    await connect(relay, "village", publisher)
    await connect(relay, "viewer", viewer)

    await wait_for(lambda: viewer.count("program") >= 30 and viewer.count("floor") >= 30)

    frames = viewer.frames["program"]
    assert frames[0].keyframe
    assert {f.digest for f in frames} <= vp8_clip.digests  # the publisher's bytes, untouched


async def test_a_village_publishes_two_layers_and_receives_every_slot_in_one_peer(
    relay: Relay, clients: Callable[..., Client], vp8_clip, opus_packets
) -> None:
    slots = {"program": "video", "venue": "video", "floor": "audio", "venue_audio": "audio"}
    venue = clients(publish={"high": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets)})
    village = clients(
        publish={"high": ClipTrack(vp8_clip), "low": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets)},
        receive=slots,
    )
    await connect(relay, "venue", venue)
    relay.route("desa", {"program": Source("venue", "video"), "venue": Source("venue", "video"),
                         "floor": Source("venue", "audio"), "venue_audio": Source("venue", "audio")})
    await connect(relay, "desa", village)

    await wait_for(lambda: all(village.count(slot) >= 10 for slot in slots))
    assert relay.stats()["desa"]["publishing"] == ["audio/mic", "video/high", "video/low"]


async def test_h264_video_reaches_a_subscriber(relay_h264: Relay, clients: Callable[..., Client], h264_clip) -> None:
    publisher = clients(publish={"high": ClipTrack(h264_clip)})
    viewer = clients(receive={"program": "video"})
    relay_h264.route("viewer", {"program": Source("village", "video")})
    await connect(relay_h264, "village", publisher)
    await connect(relay_h264, "viewer", viewer)

    await wait_for(lambda: viewer.count("program") >= 30)

    frames = viewer.frames["program"]
    assert frames[0].keyframe
    assert {f.digest for f in frames} <= h264_clip.digests


async def test_an_offer_without_the_hub_codec_is_refused(relay_h264: Relay, clients, vp8_clip) -> None:
    publisher = clients(publish={"high": ClipTrack(vp8_clip)})
    for transceiver in publisher.pc.getTransceivers():
        transceiver.setCodecPreferences(
            [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
        )
    sdp, _, _ = await offer(publisher)

    with pytest.raises(MediaError) as refused:
        await relay_h264.answer("village", sdp)
    assert refused.value.code == "codec_unsupported"
    assert relay_h264.peer("village") is None


async def test_no_decoder_or_encoder_is_created_for_forwarded_tracks(
    relay: Relay, clients: Callable[..., Client], vp8_clip, opus_packets, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoders: list[str] = []
    encoder_owners: list[object] = []

    def recording_decoder(codec):  # type: ignore[no-untyped-def]
        decoders.append(codec.mimeType)
        return real_decoder(codec)

    def recording_encoder(codec):  # type: ignore[no-untyped-def]
        encoder_owners.append(sys._getframe(1).f_locals.get("self"))  # the RTCRtpSender asking
        return real_encoder(codec)

    real_decoder, real_encoder = aiortc.codecs.get_decoder, aiortc.codecs.get_encoder
    # Patch every name the code paths look up at call time.
    for module in (aiortc.codecs, aiortc.rtcrtpreceiver):
        monkeypatch.setattr(module, "get_decoder", recording_decoder)
    for module in (aiortc.codecs, aiortc.rtcrtpsender):
        monkeypatch.setattr(module, "get_encoder", recording_encoder)

    publisher = clients(publish={"high": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets)})
    viewer = clients(receive={"program": "video", "floor": "audio"})
    relay.route("viewer", {"program": Source("village", "video"), "floor": Source("village", "audio")})
    await connect(relay, "village", publisher)
    await connect(relay, "viewer", viewer)
    await wait_for(lambda: viewer.count("program") >= 20 and viewer.count("floor") >= 20)

    relay_senders = {t.sender for pid in ("village", "viewer") for t in relay.peer(pid).pc.getTransceivers()}
    publisher_senders = {t.sender for t in publisher.pc.getTransceivers()}
    assert decoders == []
    assert set(encoder_owners) & relay_senders == set()
    # The patch sits on the live path: the stock publisher did ask for its (packing) encoders.
    assert publisher_senders <= set(encoder_owners)
