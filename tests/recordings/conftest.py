"""The relay, its peers and the encoded clips, as the media tests have them."""

from tests.media.conftest import clients, h264_clip, opus_packets, relay, vp8_clip

__all__ = ["clients", "h264_clip", "opus_packets", "relay", "vp8_clip"]
