"""Recording forwarded media without transcoding: :class:`TrackRecorder` writes one published track
(VP8 or Opus) to WebM clips as the relay forwards it (``Relay.consume``). The program feed for HLS
and RTMP, H.264 to MKV/MP4, the manifest and playback are later steps of issue 11."""

from recordings.track import TrackRecorder

__all__ = ["TrackRecorder"]
