"""The bandwidth estimate a publisher gets: one REMB for its whole connection, from its first packets,
and an answer that asks Chrome to start above its own 300 kbit/s."""

from __future__ import annotations

from collections.abc import Callable

from aiortc import RTCRtpSender
from aiortc.rtp import RTCP_PSFB_APP, AnyRtcpPacket, RtcpPsfbPacket, unpack_remb_fci

from harness.peers import Client, Clip, ClipTrack, connect, offer, wait_for
from media.relay import Relay


def record_rembs(sender: RTCRtpSender, into: list[tuple[int, list[int]]]) -> None:
    handle = sender._handle_rtcp_packet

    async def handle_rtcp_packet(packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
            into.append(unpack_remb_fci(packet.fci))
        await handle(packet)

    sender._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]


async def test_a_publisher_gets_one_remb_for_both_layers_at_the_ceiling_from_the_start(
    relay: Relay, clients: Callable[..., Client], vp8_clip: Clip
) -> None:
    publisher = clients(publish={"high": ClipTrack(vp8_clip), "low": ClipTrack(vp8_clip)})
    rembs: list[tuple[int, list[int]]] = []
    for transceiver in publisher.pc.getTransceivers():
        record_rembs(transceiver.sender, rembs)
    await connect(relay, "venue", publisher)
    ssrcs = {t.sender._ssrc for t in publisher.pc.getTransceivers()}

    # the first within a second (Chrome only jumps to a REMB in its first 2 s), listing both layers
    await wait_for(lambda: any(set(listed) == ssrcs for _, listed in rembs), timeout=1.5)
    await wait_for(lambda: len(rembs) >= 3, timeout=5)
    # and never one layer's own estimate, which would cap the whole connection at that layer's rate
    assert {bitrate for bitrate, _ in rembs} == {relay.config.publish_bitrate}, rembs


async def test_the_answer_asks_a_publisher_to_start_at_the_start_bitrate(
    relay: Relay, clients: Callable[..., Client], vp8_clip: Clip
) -> None:
    publisher = clients(publish={"high": ClipTrack(vp8_clip)}, receive={"program": "video"})
    sdp, layers, slots = await offer(publisher)
    answer = await relay.answer("venue", sdp, layers=layers, slots=slots)
    sections = {("recvonly" if "a=recvonly" in m else "sendonly"): m for m in answer.split("\nm=")[1:]}
    wanted = f"x-google-start-bitrate={relay.config.start_bitrate // 1000}"
    assert wanted in sections["recvonly"]  # the m-line the publisher sends on
    assert "x-google-start-bitrate" not in sections["sendonly"]  # a slot's sender is the relay: no encoder
