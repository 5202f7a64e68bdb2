"""One WebM clip written from forwarded encoded frames: remuxed with PyAV, never decoded.

PyAV adds a stream only for an encoder; it opens that encoder once per clip (which gives Opus its
header) and never feeds it a picture or a sample.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av

# codec name as aiortc gives it -> (PyAV encoder whose stream parameters WebM needs, RTP clock rate)
CODECS = {"VP8": ("libvpx", 90000), "opus": ("libopus", 48000)}
_VP8_START_CODE = b"\x9d\x01\x2a"
# live: cluster sizes are not patched in afterwards, so a killed recorder leaves a file that plays to its
# last frame; every packet is flushed, and a cluster lasts at most a second
_LIVE = {"live": "1", "cluster_time_limit": "1000", "flush_packets": "1"}


class WebmClip:
    def __init__(self, path: Path, codec: str, first: bytes) -> None:
        """Open ``path`` for ``codec``; ``first`` is the clip's first frame (a keyframe)."""
        encoder, clock_rate = CODECS[codec]
        self.path = path
        self._time_base = Fraction(1, clock_rate)
        self._container = av.open(str(path), "w", format="webm", options=_LIVE)
        # rate: a hint for the muxer only; every packet carries its time from the RTP clock
        self._stream = self._container.add_stream(encoder, rate=30 if codec == "VP8" else clock_rate)
        if isinstance(self._stream, av.VideoStream):
            self._stream.width, self._stream.height = vp8_size(first)
        elif isinstance(self._stream, av.AudioStream):
            self._stream.layout = "stereo"  # WebRTC's Opus is always signalled as 2 channels

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
