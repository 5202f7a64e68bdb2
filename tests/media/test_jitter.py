"""The forwarding jitter buffer gives up on a lost packet after a few frames, not 512 packets."""

from __future__ import annotations

from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket

from media.passthrough import ForwardingJitterBuffer


def stream(frames: int, packets_per_frame: int, lost: int) -> list[RtpPacket]:
    packets = []
    for seq in range(frames * packets_per_frame):
        if seq != lost:
            packet = RtpPacket(sequence_number=seq, timestamp=3000 * (seq // packets_per_frame))
            packet._data = bytes([seq % 256])  # type: ignore[attr-defined]
            packets.append(packet)
    return packets


def released(buffer: JitterBuffer, packets: list[RtpPacket]) -> tuple[list[int], bool]:
    timestamps, asked = [], False
    for packet in packets:
        pli, frame = buffer.add(packet)
        asked |= pli
        if frame is not None:
            timestamps.append(frame.timestamp)
    return timestamps, asked


def test_a_lost_packet_costs_its_frame_and_a_keyframe_request_then_frames_flow_again() -> None:
    packets = stream(frames=30, packets_per_frame=4, lost=4 * 5 + 1)  # inside frame 5

    stock, _ = released(JitterBuffer(capacity=512, is_video=True), packets)
    forwarding, asked = released(ForwardingJitterBuffer(), packets)

    assert stock == [3000 * i for i in range(5)]  # stuck behind the gap until 512 packets came
    assert asked
    assert 3000 * 5 not in forwarding  # the broken frame is never forwarded
    assert forwarding[:5] == stock and forwarding[-1] == 3000 * 28  # and the rest flows
    assert len(forwarding) >= 28 - 7  # only the frames held while it waited are lost


def test_without_loss_it_releases_exactly_what_the_stock_buffer_releases() -> None:
    packets = stream(frames=30, packets_per_frame=40, lost=-1)  # big frames: keyframe-sized
    assert released(ForwardingJitterBuffer(), packets) == released(JitterBuffer(capacity=512, is_video=True), packets)
