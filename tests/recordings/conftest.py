"""The relay, its peers and the encoded clips, as the media tests have them."""

from tests.media.conftest import clients, opus_packets, relay, vp8_clip

__all__ = ["clients", "opus_packets", "relay", "vp8_clip"]
