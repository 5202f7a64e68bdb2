"""The one place that reaches into aiortc's internals (aiortc is pinned to 1.16.0 for this).

aiortc has no public way to receive or send *encoded* frames (aiortc issues 449 and 627), so:

- Receiving: ``RTCRtpReceiver`` hands each complete frame (jitter-buffer output) to a decoder
  thread through a private queue. :func:`tap_receiver` puts a :class:`_FrameTap` in that queue's
  place before the receiver starts: complete frames go to a callback on the event loop, and the
  decoder thread finds nothing to decode and ends at once — no decoder is ever created.
- Sending: ``RTCRtpSender`` would re-packetize one frame per subscriber in its own task.
  :func:`hook_sender` parks the sender on a track that never yields (so it never asks for an
  encoder), keeps it for negotiation and RTCP, and hands out a :class:`Wire` once DTLS is up:
  a pre-serialized RTP packet goes through SRTP protect and one ``sendto`` — no task, no await.
- Reading offers: who publishes is read with aiortc's own SDP parser (``aiortc.sdp``, not exported),
  so the right to publish is checked on the same reading that sets up the tracks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import MediaStreamTrack, RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.codecs import is_rtx
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterBuffer
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpCodecParameters, RTCRtpSendParameters
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    AnyRtcpPacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
)
from aiortc.sdp import SessionDescription
from aiortc.utils import uint16_add

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
AUDIO_LEVEL_URI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

FrameSink = Callable[[str, bytes, int], None]  # codec name ("VP8", "H264", "opus"), frame, RTP time
PacketSink = Callable[[RtpPacket], None]


class _FrameTap:
    """Stands in for the receiver's decoder queue (a ``queue.Queue`` in aiortc)."""

    def __init__(self, sink: FrameSink) -> None:
        self._sink = sink

    def put(self, task: tuple[RTCRtpCodecParameters, Any] | None) -> None:
        # Called on the event loop by RTCRtpReceiver._handle_rtp_packet; None means "stop".
        if task is not None:
            codec, frame = task
            self._sink(codec.name, frame.data, frame.timestamp)

    def get(self) -> None:
        # The decoder thread's first read: nothing to decode, so it ends without a decoder.
        return None


def tap_receiver(receiver: RTCRtpReceiver, on_frame: FrameSink, on_packet: PacketSink | None = None) -> None:
    """Deliver a receiver's complete encoded frames to ``on_frame`` instead of a decoder.

    Call before the receiver starts (right after ``setRemoteDescription``). ``on_packet`` sees
    each media RTP packet first (SSRC, header extensions such as the audio level); not RTX.
    """
    receiver._RTCRtpReceiver__decoder_queue = _FrameTap(on_frame)  # type: ignore[attr-defined]
    if receiver._RTCRtpReceiver__kind == "audio":  # type: ignore[attr-defined]
        # Stock audio buffering holds 4 frames back for a decoder; forwarding wants 1.
        receiver._RTCRtpReceiver__jitter_buffer = JitterBuffer(capacity=16)  # type: ignore[attr-defined]
    else:
        receiver._RTCRtpReceiver__jitter_buffer = ForwardingJitterBuffer()  # type: ignore[attr-defined]
        # Its REMB would cover its own stream only, and Chrome caps the whole connection with it:
        # the relay sends one per connection instead (send_remb, media/bandwidth.py).
        receiver._RTCRtpReceiver__remote_bitrate_estimator = None  # type: ignore[attr-defined]
    if on_packet is not None:
        handle = receiver._handle_rtp_packet
        codecs: dict[int, RTCRtpCodecParameters] = receiver._RTCRtpReceiver__codecs  # type: ignore[attr-defined]

        async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
            codec = codecs.get(packet.payload_type)
            # Not RTX: Chrome probes bandwidth with RTX padding before any media (another SSRC).
            if codec is not None and not is_rtx(codec):
                on_packet(packet)
            await handle(packet, arrival_time_ms=arrival_time_ms)

        receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]


class ForwardingJitterBuffer(JitterBuffer):
    """aiortc's video buffer, but it stops waiting for a lost packet once ``patience`` frames wait.

    The stock buffer holds every later frame until the gap is filled or 512 newer packets arrived
    (seconds of video, for every subscriber). When a retransmission does not come, a forwarder
    gives up on the broken frame instead and asks for a keyframe (the returned PLI flag).
    """

    def __init__(self, capacity: int = 512, patience: int = 4, look_after: int = 16) -> None:
        super().__init__(capacity=capacity, is_video=True)
        self._patience = patience
        self._look_after = look_after  # packets beyond the oldest one before looking for a gap

    def add(self, packet: RtpPacket) -> tuple[bool, Any]:
        pli_flag, frame = super().add(packet)
        if frame is None and self._origin is not None:
            if uint16_add(packet.sequence_number, -self._origin) >= self._look_after:
                skip = self._gap_to_skip()
                if skip:
                    self.remove(skip)
                    return True, self._remove_frame(packet.sequence_number)
        return pli_flag, frame

    def _gap_to_skip(self) -> int:
        """Slots up to the first frame that starts after a gap, if ``patience`` frames wait behind it."""
        assert self._origin is not None
        window = [self._packets[(self._origin + i) % self._capacity] for i in range(self._capacity)]
        gap = next((i for i, packet in enumerate(window) if packet is None), None)
        if gap is None:
            return 0
        timestamps: list[int] = []
        first_of_next = 0
        for index in range(gap, self._capacity):
            packet = window[index]
            if packet is not None and (not timestamps or packet.timestamp != timestamps[-1]):
                timestamps.append(packet.timestamp)
                if len(timestamps) == 2:
                    first_of_next = index  # the frame right after the gap may have lost its start
        return first_of_next if len(timestamps) > self._patience else 0


def request_keyframe(receiver: RTCRtpReceiver, media_ssrc: int) -> Any:
    """Send a PLI for ``media_ssrc`` to the publisher behind ``receiver`` (a coroutine)."""
    return receiver._send_rtcp_pli(media_ssrc)


async def send_remb(receiver: RTCRtpReceiver, bitrate: int, media_ssrcs: list[int]) -> None:
    """Send the publisher behind ``receiver`` a REMB for its whole connection."""
    rtcp_ssrc = receiver._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined]
    if rtcp_ssrc is not None:
        fci = pack_remb_fci(bitrate, media_ssrcs)
        await receiver._send_rtcp(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0, fci=fci))


def reception(receiver: RTCRtpReceiver) -> tuple[int, int]:
    """RTP packets received and lost so far (the receiver's RTCP statistics)."""
    streams = receiver._RTCRtpReceiver__remote_streams.values()  # type: ignore[attr-defined]
    return sum(s.packets_received for s in streams), sum(s.packets_lost for s in streams)


def is_keyframe(codec: str, data: bytes) -> bool:
    """VP8: the P bit of the frame tag is 0. H264 (Annex B): an IDR (5) or SPS (7) NAL unit."""
    if codec == "VP8":
        return bool(data) and not data[0] & 1
    if codec == "H264":
        pos = data.find(b"\x00\x00\x01")
        while pos != -1 and pos + 3 < len(data):
            if data[pos + 3] & 0x1F in (5, 7):
                return True
            pos = data.find(b"\x00\x00\x01", pos + 3)
        return False
    return True


def packetize(codec: str, data: bytes, picture_id: int) -> list[bytes]:
    """RTP payloads for one frame: aiortc's own packetizers, run once per frame."""
    if codec == "VP8":
        return Vp8Encoder._packetize(data, picture_id)
    if codec == "H264":
        return H264Encoder._packetize(H264Encoder._split_bitstream(data))
    return [data]


class _IdleTrack(MediaStreamTrack):
    """Parks an ``RTCRtpSender``'s own RTP loop: ``recv`` never yields, so no encoder is made."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> Any:
        await asyncio.Event().wait()
        raise MediaStreamError


class Wire:
    """A negotiated outbound RTP stream: SSRC, payload type, header-extension ids, SRTP + socket."""

    def __init__(self, sender: RTCRtpSender, parameters: RTCRtpSendParameters) -> None:
        self.ssrc = sender._ssrc
        codec = parameters.codecs[0]
        assert codec.payloadType is not None  # negotiated before send() is called
        self.payload_type: int = codec.payloadType
        self.clock_rate = codec.clockRate
        ids = {ext.uri: ext.id for ext in parameters.headerExtensions}
        self.mid_element = b""
        if MID_URI in ids and parameters.muxId:
            mid = parameters.muxId.encode()
            self.mid_element = bytes([ids[MID_URI] << 4 | (len(mid) - 1)]) + mid
        self.abs_send_time_id = ids.get(ABS_SEND_TIME_URI, 0)
        self.audio_level_id = ids.get(AUDIO_LEVEL_URI, 0)
        self.layout = (self.mid_element, self.abs_send_time_id, self.audio_level_id)
        self._sender = sender
        self._dtls = sender.transport
        self._protect = self._dtls._tx_srtp.protect
        pair = self._dtls.transport._connection._nominated[1]
        self._socket = pair.protocol.transport  # asyncio's UDP transport, or aioice's TURN one
        self._address = pair.remote_addr
        raw = getattr(self._socket, "_sock", None)
        # asyncio's sendto re-checks state in Python per datagram; the socket itself is enough
        # while nothing is buffered (writable() is checked per frame).
        self._sendto = raw.sendto if raw is not None else self._socket.sendto

    def writable(self) -> bool:
        if self._dtls._state is not DtlsState.CONNECTED:
            return False
        buffered = getattr(self._socket, "get_write_buffer_size", None)
        return buffered is None or buffered() == 0

    def send(self, packet: bytes) -> None:
        data = self._protect(packet)
        try:
            self._sendto(data, self._address)
        except BlockingIOError:
            self._socket.sendto(data, self._address)  # asyncio buffers it; writable() turns False
        except OSError:
            pass  # UDP: a datagram the network refused is a lost packet, not an error

    def account(self, ntp_time: int, rtp_timestamp: int, packets: int, octets: int) -> None:
        """Keep the sender's RTCP sender reports true (they map RTP time to wall time for A/V sync)."""
        sender = self._sender
        sender._RTCRtpSender__ntp_timestamp = ntp_time  # type: ignore[attr-defined]
        sender._RTCRtpSender__rtp_timestamp = rtp_timestamp  # type: ignore[attr-defined]
        sender._RTCRtpSender__packet_count += packets  # type: ignore[attr-defined]
        sender._RTCRtpSender__octet_count += octets  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class SenderHooks:
    on_ready: Callable[[Wire], None]
    on_picture_loss: Callable[[], None]  # PLI or FIR
    on_nack: Callable[[list[int]], None]
    on_report: Callable[[int], None]  # cumulative packets lost, from a receiver report


def hook_sender(sender: RTCRtpSender, hooks: SenderHooks) -> None:
    """Take over a sender's RTP path; keep aiortc's negotiation, RTCP reports and stats."""
    sender.replaceTrack(_IdleTrack(sender.kind))
    send = sender.send
    handle_rtcp = sender._handle_rtcp_packet

    async def send_and_hand_over(parameters: RTCRtpSendParameters) -> None:
        await send(parameters)
        hooks.on_ready(Wire(sender, parameters))

    async def handle_rtcp_packet(packet: AnyRtcpPacket) -> None:
        if isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
            hooks.on_picture_loss()
        elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
            hooks.on_nack(packet.lost)
            return  # aiortc's own history is empty: nothing more to do
        elif isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
            for report in packet.reports:
                if report.ssrc == sender._ssrc:
                    hooks.on_report(report.packets_lost)
        await handle_rtcp(packet)

    sender.send = send_and_hand_over  # type: ignore[method-assign]
    sender._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]


def offered_directions(sdp: str) -> list[str]:
    """The direction of each audio and video m-section of an offer, read by the parser that
    ``setRemoteDescription`` runs (so whatever its line ends or spellings, this is what aiortc acts
    on); a section without one is sendrecv (RFC 4566 §6). Raises what the parser raises."""
    sections = SessionDescription.parse(sdp).media
    return [m.direction or "sendrecv" for m in sections if m.kind in ("audio", "video")]


def offered_direction(transceiver: RTCRtpTransceiver) -> str:
    """The direction the offer asks of us: "recvonly" means the remote side publishes."""
    return transceiver._offerDirection or "inactive"


def narrow_codecs(transceiver: RTCRtpTransceiver, mime_type: str) -> bool:
    """Answer with one codec (and its RTX): forwarded bytes are only valid in the publisher's codec.

    Must run between ``setRemoteDescription`` and ``createAnswer``. False if the offer lacks it.
    """
    codecs: list[RTCRtpCodecParameters] = transceiver._codecs
    main = next((c for c in codecs if c.mimeType.lower() == mime_type.lower()), None)
    if main is None:
        return False
    rtx = [c for c in codecs if is_rtx(c) and c.parameters.get("apt") == main.payloadType]
    transceiver._codecs = [main, *rtx[:1]]
    return True


def start_bitrate(transceiver: RTCRtpTransceiver, bitrate: int) -> None:
    """Ask Chrome to start sending at ``bitrate`` (its own start is 300 kbit/s for the connection).

    Chrome reads ``x-google-start-bitrate`` (kbit/s) from the answer's fmtp. Starting low, its
    encoder opens the high layer below program size and takes many seconds to scale back up.
    Must run after :func:`narrow_codecs`, before ``createAnswer``.
    """
    transceiver._codecs[0].parameters["x-google-start-bitrate"] = bitrate // 1000
