"""Recording forwarded media without transcoding: :class:`TrackRecorder` writes one published track
(VP8 or Opus) to WebM clips as the relay forwards it (``Relay.consume``); ``chapters`` and ``timeline``
place the session's log on the program's recording for the playback page; :class:`RtmpPush` pushes
the program's HLS to an RTMP(S) URL, remuxed in a child process. The program feed itself, H.264 to
MKV/MP4 and the manifest are later steps of issue 11."""

from recordings.rtmp import RtmpPush
from recordings.track import TrackRecorder

__all__ = ["RtmpPush", "TrackRecorder"]
