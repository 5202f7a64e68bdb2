"""A track recorder writes what the relay forwards to WebM, never decoding, never slowing the relay."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import av

from harness.peers import Client, ClipTrack, OpusTrack, connect, wait_for
from media.feed import Feed
from media.relay import Relay
from media.routes import Source
from recordings.track import TrackRecorder
from recordings.webm import WebmClip

VIDEO, AUDIO = Source("village", "video"), Source("village", "audio")


def loop_keyframes_only(clip) -> ClipTrack:  # type: ignore[no-untyped-def]
    """A camera whose keyframes are its loop's start only (every 2 s): the harness answers a request
    with a picture of another encoding, which a decoder cannot go on from; requests are counted."""
    camera = ClipTrack(clip)
    camera.lost_requests = 1 << 30
    return camera


def read(path: Path) -> tuple[str, list[av.Packet]]:
    """The file's codec and its packets (demuxed, not decoded)."""
    assert b"webm" in path.read_bytes()[:64]  # the EBML DocType
    with av.open(str(path)) as container:
        stream = container.streams[0]
        return stream.codec_context.name, [p for p in container.demux(stream) if p.size]


def decoded_pictures(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))  # raises on a broken stream


async def test_video_and_audio_are_recorded_as_forwarded(
    relay: Relay, clients: Callable[..., Client], vp8_clip, opus_packets, tmp_path: Path
) -> None:
    camera, mic = ClipTrack(vp8_clip), OpusTrack(opus_packets)
    video, audio = TrackRecorder(VIDEO, tmp_path), TrackRecorder(AUDIO, tmp_path)
    relay.consume(VIDEO, video)  # before the publisher is there: attached when it publishes
    relay.consume(AUDIO, audio)
    await connect(relay, "village", clients(publish={"high": camera, "mic": mic}))

    await wait_for(lambda: video.frames_written >= 60 and audio.frames_written >= 100, timeout=15)
    relay.release(VIDEO, video)
    relay.release(AUDIO, audio)
    pictures_sent, packets_sent = camera.sent, mic.sent
    await video.close()
    await audio.close()

    codec, packets = read(video.clips[0])
    assert codec == "vp8" and packets[0].is_keyframe
    assert decoded_pictures(video.clips[0]) >= 0.8 * pictures_sent
    codec, packets = read(audio.clips[0])
    assert codec == "opus" and len(packets) >= 0.8 * packets_sent
    assert len(video.clips) == len(audio.clips) == 1 and video.frames_dropped == 0


async def test_a_split_begins_the_next_clip_at_a_keyframe(
    relay: Relay, clients: Callable[..., Client], vp8_clip, tmp_path: Path
) -> None:
    camera = loop_keyframes_only(vp8_clip)
    await connect(relay, "village", clients(publish={"high": camera}))
    video = TrackRecorder(VIDEO, tmp_path)
    relay.consume(VIDEO, video)  # joins a running track: waits for the keyframe it asks for
    await wait_for(lambda: video.frames_written >= 15, timeout=10)

    requests = camera.keyframe_requests
    video.split()
    await wait_for(lambda: len(video.clips) == 2 and video.frames_written >= 45, timeout=10)
    assert camera.keyframe_requests > requests  # the split asked for the keyframe it waits for
    relay.release(VIDEO, video)
    await video.close()

    for clip in video.clips:
        codec, packets = read(clip)
        assert codec == "vp8" and packets[0].is_keyframe
        assert decoded_pictures(clip) == len(packets)


async def test_a_stalled_writer_drops_frames_without_holding_up_the_relay(
    relay: Relay, clients: Callable[..., Client], vp8_clip, tmp_path: Path
) -> None:
    gate = threading.Event()  # closed: the writer's thread waits at its first write (a stalled disk)
    writes: list[tuple[int, bool]] = []

    class StalledClip(WebmClip):
        def write(self, data: bytes, pts: int, keyframe: bool) -> None:
            gate.wait()
            writes.append((pts, keyframe))
            super().write(data, pts, keyframe)

    camera = loop_keyframes_only(vp8_clip)
    viewer = clients(receive={"program": "video"})
    video = TrackRecorder(VIDEO, tmp_path, queue_frames=8, open_clip=StalledClip)
    relay.consume(VIDEO, video)
    relay.route("viewer", {"program": VIDEO})
    await connect(relay, "village", clients(publish={"high": camera}))
    await connect(relay, "viewer", viewer)
    try:
        await wait_for(lambda: video.frames_dropped > 0, timeout=10)
        received, requests = viewer.count("program"), camera.keyframe_requests
        await wait_for(lambda: viewer.count("program") >= received + 30, timeout=10)  # the viewer goes on
        assert video.frames_written == 0  # still stalled
    finally:
        gate.set()
    await wait_for(lambda: video.frames_written >= 30, timeout=10)
    relay.release(VIDEO, video)
    await video.close()

    # writes[0] held the thread, writes[1..8] waited in the queue; the next one came after the drops
    resumed = writes[8 + 1]
    assert resumed[1] and resumed[0] - writes[8][0] > 3000  # a keyframe, after a gap of dropped frames
    assert camera.keyframe_requests > requests  # the recorder asked
    assert decoded_pictures(video.clips[0]) == len(writes)


async def test_a_codec_it_cannot_hold_stops_the_recorder_not_the_relay(tmp_path: Path) -> None:
    feed = Feed(VIDEO, lambda ssrc: None, 0.5)
    video = TrackRecorder(VIDEO, tmp_path)
    feed.consumers.add(video)
    feed.on_frame("VP9", b"\x82\x49\x83\x42\x00", 0)  # returns: the relay goes on
    await video.close()
    assert video.failed and video.clips == [] and video.frames_written == 0


async def test_a_publisher_that_comes_back_goes_on_in_the_same_clip(
    relay: Relay, clients: Callable[..., Client], vp8_clip, tmp_path: Path
) -> None:
    video = TrackRecorder(VIDEO, tmp_path)
    relay.consume(VIDEO, video)
    await connect(relay, "village", clients(publish={"high": ClipTrack(vp8_clip)}))
    await wait_for(lambda: video.frames_written >= 15, timeout=10)
    await relay.close_peer("village")
    before = video.frames_written

    await connect(relay, "village", clients(publish={"high": ClipTrack(vp8_clip)}))  # a new RTP clock
    await wait_for(lambda: video.frames_written >= before + 15, timeout=10)
    relay.release(VIDEO, video)
    await video.close()

    _, packets = read(video.clips[0])
    times = [p.pts for p in packets]
    assert len(video.clips) == 1 and times == sorted(set(times))  # one clip, its time only rising
    comeback = max(range(1, len(times)), key=lambda i: times[i] - times[i - 1])  # after the gap
    assert comeback >= 15 and packets[comeback].is_keyframe  # the new feed begins at a keyframe
    assert decoded_pictures(video.clips[0]) == len(packets)
