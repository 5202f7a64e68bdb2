"""One clip file written from forwarded encoded frames: remuxed with PyAV, never decoded. VP8 and
Opus go to WebM; H.264 (a relay run with ``--video-codec H264``) to Matroska, WebM's parent format.

For WebM PyAV adds a stream only for an encoder; it opens that encoder once per clip (which gives
Opus its header) and never feeds it a picture or a sample. For H.264 the clip's first keyframe is
parsed as a raw H.264 stream and the output stream copies what that found (the picture size, the
SPS and PPS the muxer turns into the Matroska codec header).

Both are written live (no sizes patched in afterwards) and flushed at every packet, a cluster a
second at most: a killed recorder leaves a file that plays to its last frame.
"""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import av
from av.stream import Stream

# codec name as aiortc gives it -> (PyAV encoder whose stream parameters WebM needs, RTP clock rate);
# H.264 has no encoder: its parameters come from its first keyframe
CODECS = {"VP8": ("libvpx", 90000), "opus": ("libopus", 48000), "H264": ("", 90000)}
EXTENSION = {"VP8": "webm", "opus": "webm", "H264": "mkv"}
_VP8_START_CODE = b"\x9d\x01\x2a"
_LIVE = {"live": "1", "cluster_time_limit": "1000", "flush_packets": "1"}


class WebmClip:
    def __init__(self, path: Path, codec: str, first: bytes) -> None:
        """Open ``path`` for ``codec``; ``first`` is the clip's first frame (a keyframe). ValueError:
        that frame cannot begin a clip (an H.264 keyframe without its SPS)."""
        encoder, clock_rate = CODECS[codec]
        self.path = path
        self._time_base = Fraction(1, clock_rate)
        self._stream: Stream
        if codec == "H264":
            template = _h264_stream(first)
            self._container = av.open(str(path), "w", format="matroska", options=_LIVE)
            self._stream = self._container.add_stream_from_template(template)
            return
        self._container = av.open(str(path), "w", format="webm", options=_LIVE)
        # rate: a hint for the muxer only; every packet carries its time from the RTP clock
        stream = self._container.add_stream(encoder, rate=30 if codec == "VP8" else clock_rate)
        if isinstance(stream, av.VideoStream):
            stream.width, stream.height = vp8_size(first)
        elif isinstance(stream, av.AudioStream):
            stream.layout = "stereo"  # WebRTC's Opus is always signalled as 2 channels
        self._stream = stream

    def write(self, data: bytes, pts: int, keyframe: bool) -> None:
        """Mux one frame; ``pts`` counts RTP clock ticks from the clip's start."""
        packet = av.Packet(data)
        packet.stream = self._stream
        packet.time_base = self._time_base
        packet.pts = packet.dts = pts
        packet.is_keyframe = keyframe
        self._container.mux(packet)

    def close(self) -> None:
        self._container.close()


def vp8_size(keyframe: bytes) -> tuple[int, int]:
    """Width and height from a VP8 keyframe's header (RFC 6386 §9.1)."""
    if keyframe[3:6] != _VP8_START_CODE:
        raise ValueError("not a VP8 keyframe")
    return int.from_bytes(keyframe[6:8], "little") & 0x3FFF, int.from_bytes(keyframe[8:10], "little") & 0x3FFF


def _h264_stream(keyframe: bytes) -> av.VideoStream:
    """The stream a raw H.264 demuxer finds in one keyframe (Annex B, as the relay forwards it)."""
    try:
        stream = av.open(io.BytesIO(keyframe), format="h264").streams.video[0]
    except (av.FFmpegError, IndexError) as exc:
        raise ValueError(f"not an H.264 keyframe: {exc}") from exc
    if not stream.codec_context.extradata or not stream.codec_context.width:
        raise ValueError("an H.264 keyframe without its SPS and PPS")
    return stream
