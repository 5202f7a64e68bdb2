"""Real aiortc peers for the relay's tests and benchmark: pre-encoded publishers, counting subscribers.

Clips are encoded once (PyAV) into memory: a "delta" stream with a single keyframe and an
all-keyframe stream of the same pictures. A publisher plays the delta stream and takes the next
picture from the keyframe stream when a PLI/FIR arrives — an encoder's behaviour, at no cost.
Subscribers tap encoded frames the way the relay does: nothing is ever decoded or encoded.
"""

from __future__ import annotations

import asyncio
import fractions
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import av
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.codecs.h264 import H264Encoder
from aiortc.rtcrtpsender import RTCEncodedFrame

from media import passthrough

VIDEO_RATE = 90000
AUDIO_RATE = 48000
ENCODERS = {"VP8": "libvpx", "H264": "libx264"}


@dataclass(frozen=True)
class Clip:
    codec: str
    fps: int
    delta: tuple[bytes, ...]  # one keyframe, then deltas
    intra: tuple[bytes, ...]  # the same pictures, every one a keyframe

    @property
    def digests(self) -> set[int]:
        return {frame_digest(self.codec, data) for data in self.delta + self.intra}


def frame_digest(codec: str, data: bytes) -> int:
    """Identity of a frame's content; H264 start codes (3 or 4 bytes) may change on the way."""
    if codec == "H264":
        return hash(tuple(H264Encoder._split_bitstream(data)))
    return hash(data)


def _pictures(width: int, height: int, count: int, noise_rows: int) -> list[av.VideoFrame]:
    frames = []
    chroma = bytes([128]) * (width // 2 * height // 2)
    for index in range(count):
        frame = av.VideoFrame(width, height, "yuv420p")
        row = bytes((x + 4 * index) & 0xFF for x in range(width))
        luma = row * (height - noise_rows) + os.urandom(width * noise_rows)
        frame.planes[0].update(luma)
        frame.planes[1].update(chroma)
        frame.planes[2].update(chroma)
        frames.append(frame)
    return frames


def _encode(codec: str, pictures: Sequence[av.VideoFrame], fps: int, bitrate: int, gop: int) -> tuple[bytes, ...]:
    context = av.CodecContext.create(ENCODERS[codec], "w")
    context.width, context.height = pictures[0].width, pictures[0].height
    context.pix_fmt = "yuv420p"
    context.time_base = fractions.Fraction(1, fps)
    context.framerate = fps
    context.bit_rate = bitrate
    context.gop_size = gop
    if codec == "VP8":
        context.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    else:
        context.options = {"tune": "zerolatency", "preset": "ultrafast"}
        context.profile = "Baseline"
    packets: list[bytes] = []
    for index, picture in enumerate(pictures):
        picture.pts = index
        packets += [bytes(p) for p in context.encode(picture)]
    packets += [bytes(p) for p in context.encode(None)]
    return tuple(packets)


def make_clip(
    codec: str, width: int = 320, height: int = 180, fps: int = 30, seconds: float = 2.0,
    bitrate: int = 300_000, noise_rows: int = 8,
) -> Clip:
    pictures = _pictures(width, height, int(fps * seconds), noise_rows)
    delta = _encode(codec, pictures, fps, bitrate, gop=10_000)
    intra = _encode(codec, pictures, fps, bitrate, gop=1)
    assert passthrough.is_keyframe(codec, delta[0]) and not passthrough.is_keyframe(codec, delta[1])
    return Clip(codec, fps, delta, intra)


def make_opus(seconds: float = 1.0) -> tuple[bytes, ...]:
    """20 ms Opus packets of a tone."""
    context = av.CodecContext.create("libopus", "w")
    context.sample_rate = AUDIO_RATE
    context.layout = "stereo"
    context.format = "s16"
    context.bit_rate = 32000
    packets: list[bytes] = []
    tone = bytes(((i * 7) & 0xFF) for i in range(960 * 4))
    for index in range(int(seconds * 50)):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        frame.planes[0].update(tone)
        frame.sample_rate = AUDIO_RATE
        frame.pts = index * 960
        packets += [bytes(p) for p in context.encode(frame)]
    return tuple(packets)


class _PacedTrack(MediaStreamTrack):
    """Yields pre-encoded ``av.Packet``s in real time."""

    def __init__(self, kind: str, interval: float, clock_rate: int) -> None:
        super().__init__()
        self.kind = kind
        self._interval = interval
        self._time_base = fractions.Fraction(1, clock_rate)
        self._step = int(interval * clock_rate)
        self._index = 0
        self._start: float | None = None
        self.sent = 0
        self.held = False  # a publisher that goes quiet (a lost connection) without closing

    def _payload(self, index: int) -> bytes:
        raise NotImplementedError

    async def recv(self) -> av.Packet:
        if self._start is None:
            self._start = time.monotonic()
        delay = self._start + self._index * self._interval - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        while self.held:
            await asyncio.sleep(self._interval)
        packet = av.Packet(self._payload(self._index))
        packet.pts = self._index * self._step
        packet.time_base = self._time_base
        self._index += 1
        self.sent += 1
        return packet


class ClipTrack(_PacedTrack):
    def __init__(self, clip: Clip) -> None:
        super().__init__("video", 1 / clip.fps, VIDEO_RATE)
        self.clip = clip
        self.keyframe_requests = 0
        self.natural_keyframes = True  # False: after the first picture, keyframes only on request
        self.lost_requests = 0  # keyframe requests that never arrive (a PLI lost on the way)
        self._keyframe_wanted = False

    def request_keyframe(self) -> None:
        self.keyframe_requests += 1
        if self.lost_requests:
            self.lost_requests -= 1
        else:
            self._keyframe_wanted = True

    def _payload(self, index: int) -> bytes:
        position = index % len(self.clip.delta)
        if self._keyframe_wanted or (position == 0 and (index == 0 or self.natural_keyframes)):
            self._keyframe_wanted = False
            return self.clip.intra[position]
        return self.clip.delta[position or 1]


class OpusTrack(_PacedTrack):
    def __init__(self, packets: Sequence[bytes], level_dbov: int | None = None) -> None:
        super().__init__("audio", 0.02, AUDIO_RATE)
        self.packets = packets
        self.level_dbov = level_dbov  # sent in the ssrc-audio-level extension when set

    def _payload(self, index: int) -> bytes:
        return self.packets[index % len(self.packets)]


def _send_levels(sender: RTCRtpSender, track: OpusTrack) -> None:
    """Stock aiortc only measures levels of frames it encodes: stamp the track's level instead."""
    next_frame = sender._next_encoded_frame

    async def with_level(codec: Any) -> RTCEncodedFrame | None:
        frame = await next_frame(codec)
        if frame is not None and track.level_dbov is not None:
            frame.audio_level = track.level_dbov
        return frame

    sender._next_encoded_frame = with_level  # type: ignore[method-assign]


@dataclass(frozen=True)
class Received:
    keyframe: bool
    digest: int  # hash of the frame bytes: which clip picture this was
    timestamp: int
    at: float


@dataclass
class Client:
    """One participant's aiortc peer: published tracks by layer, received frames by slot."""

    pc: RTCPeerConnection
    tracks: dict[str, _PacedTrack] = field(default_factory=dict)
    frames: dict[str, list[Received]] = field(default_factory=dict)
    layers: dict[str, str] = field(default_factory=dict)  # mid -> layer, sent with the offer
    slots: dict[str, str] = field(default_factory=dict)  # mid -> slot, sent with the offer

    def count(self, slot: str) -> int:
        return len(self.frames[slot])

    async def close(self) -> None:
        await self.pc.close()


def make_client(
    publish: Mapping[str, _PacedTrack] | None = None,
    receive: Mapping[str, str] | None = None,
    configuration: RTCConfiguration | None = None,
    recorder: Callable[[list[Received]], passthrough.FrameSink] | None = None,
) -> Client:
    """``publish``: layer -> track; ``receive``: slot -> kind ("video" | "audio")."""
    # max-bundle: aiortc's balanced policy loses the 2nd audio slot when video comes first.
    default = RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    client = Client(RTCPeerConnection(configuration or default))
    for layer, track in (publish or {}).items():
        transceiver = client.pc.addTransceiver(track, direction="sendonly")
        client.tracks[layer] = track
        if isinstance(track, ClipTrack):
            transceiver.sender._send_keyframe = track.request_keyframe  # type: ignore[method-assign]
        elif isinstance(track, OpusTrack):
            _send_levels(transceiver.sender, track)
        client.layers[str(id(transceiver))] = layer
    for slot, kind in (receive or {}).items():
        transceiver = client.pc.addTransceiver(kind, direction="recvonly")
        frames: list[Received] = []
        client.frames[slot] = frames
        client.slots[str(id(transceiver))] = slot
        passthrough.tap_receiver(transceiver.receiver, (recorder or _recorder)(frames))
    return client


def _recorder(frames: list[Received]) -> passthrough.FrameSink:
    def record(codec: str, data: bytes, timestamp: int) -> None:
        keyframe = passthrough.is_keyframe(codec, data)
        frames.append(Received(keyframe, frame_digest(codec, data), timestamp, time.monotonic()))

    return record


async def offer(client: Client) -> tuple[str, dict[str, str], dict[str, str]]:
    """Non-trickle offer plus the mid -> layer and mid -> slot maps that travel with it."""
    await client.pc.setLocalDescription(await client.pc.createOffer())
    by_id = {str(id(t)): t.mid or "" for t in client.pc.getTransceivers()}
    layers = {by_id[key]: layer for key, layer in client.layers.items()}
    slots = {by_id[key]: slot for key, slot in client.slots.items()}
    return client.pc.localDescription.sdp, layers, slots


async def connect(relay: Any, participant: str, client: Client) -> None:
    sdp, layers, slots = await offer(client)
    answer = await relay.answer(participant, sdp, layers=layers, slots=slots)
    await client.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))


async def wait_for(predicate: Any, timeout: float = 5.0, interval: float = 0.02) -> None:
    """Poll until ``predicate()`` holds; fail with the timeout otherwise (never a timing assertion)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached within the time limit")
        await asyncio.sleep(interval)
