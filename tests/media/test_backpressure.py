"""A stalled or dead subscriber costs nobody else anything; closed and failed peers leave no trace."""

from __future__ import annotations

import asyncio
import gc
import threading
import tracemalloc
from collections.abc import Callable

from harness.peers import Client, ClipTrack, OpusTrack, connect, make_client, offer, wait_for
from media.feed import Feed, Frame
from media.outlet import Outlet
from media.relay import Relay
from media.routes import Source


async def test_a_stalled_subscriber_drops_its_oldest_frames_while_others_keep_full_rate(
    relay: Relay, clients: Callable[..., Client], vp8_clip
) -> None:
    track = ClipTrack(vp8_clip)
    await connect(relay, "venue", clients(publish={"high": track}))
    for pid in ("healthy", "stalled"):
        relay.route(pid, {"program": Source("venue", "video")})
    healthy = clients(receive={"program": "video"})
    await connect(relay, "healthy", healthy)
    # The stalled subscriber gets its answer but never uses it: no ICE, no DTLS, ever.
    stalled = clients(receive={"program": "video"})
    sdp, _, slots = await offer(stalled)
    await relay.answer("stalled", sdp, slots=slots)
    await wait_for(lambda: healthy.count("program") >= 5)
    # The stalled viewer asked once, at its attach. Counted at the outlet: the healthy viewer may ask
    # too (a busy machine loses packets), and a request reaches the publisher some time after it is sent.
    outlet = relay.peer("stalled").outlets["program"]
    sent, received = track.sent, healthy.count("program")
    asked = outlet.keyframes_asked
    await wait_for(lambda: track.sent >= sent + 60)  # two seconds of video
    await asyncio.sleep(0.1)

    assert outlet.frames_dropped > 0 and outlet.frames_sent == 0
    assert len(outlet._backlog) <= relay.config.backlog_frames["video"]
    assert healthy.count("program") - received >= 0.95 * (track.sent - sent)
    assert asked == 1 and outlet.keyframes_asked == asked  # a dead subscriber does not ask for keyframes


async def test_closed_and_failed_peers_are_cleaned_up(relay: Relay, vp8_clip, opus_packets) -> None:
    baseline = len(asyncio.all_tasks())
    publisher = make_client(publish={"high": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets)})
    leaving = make_client(receive={"program": "video", "floor": "audio"})
    vanishing = make_client(receive={"program": "video"})
    await connect(relay, "venue", publisher)
    for pid, client in (("leaving", leaving), ("vanishing", vanishing)):
        relay.route(pid, {"program": Source("venue", "video"), "floor": Source("venue", "audio")})
        await connect(relay, pid, client)
    await wait_for(lambda: leaving.count("program") >= 5 and vanishing.count("program") >= 5)
    feed = relay.peer("venue").feeds[Source("venue", "video")]
    assert len(feed.outlets) == 2

    await relay.close_peer("leaving")  # the server says goodbye
    await vanishing.close()  # the client goes away (DTLS close): the relay notices by itself
    await wait_for(lambda: relay.peer("vanishing") is None)
    assert feed.outlets == set()
    assert relay.stats().keys() == {"venue"}

    await relay.close_peer("venue")
    await asyncio.gather(leaving.close(), publisher.close())
    await wait_for(lambda: len(asyncio.all_tasks()) <= baseline)
    assert relay.stats() == {}


async def test_join_and_leave_200_times_leaves_tasks_and_memory_flat(relay: Relay, vp8_clip) -> None:
    publisher = make_client(publish={"high": ClipTrack(vp8_clip)})
    await connect(relay, "venue", publisher)

    async def join_and_leave(index: int) -> None:
        pid = f"viewer-{index % 20}"
        client = make_client(receive={"program": "video", "floor": "audio"})
        relay.route(pid, {"program": Source("venue", "video"), "floor": Source("venue", "audio")})
        await connect(relay, pid, client)
        await wait_for(lambda: client.count("program") >= 1, timeout=20)  # really joined: media flowed
        await relay.close_peer(pid)
        await client.close()

    async def rounds(count: int) -> None:
        for start in range(0, count, 20):
            await asyncio.gather(*(join_and_leave(i) for i in range(start, start + 20)))

    await rounds(40)  # warm caches (codec tables, certificates, logging)
    await asyncio.sleep(0.2)
    gc.collect()
    tasks, threads = len(asyncio.all_tasks()), threading.active_count()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    await rounds(200)
    await asyncio.sleep(0.2)
    gc.collect()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()

    growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(asyncio.all_tasks()) <= tasks
    assert threading.active_count() <= threads
    assert growth < 512 * 1024  # 200 peers of ~100 KB each would be 20 MB
    assert relay.stats().keys() == {"venue"}
    await publisher.close()


async def test_a_full_backlog_drops_the_oldest_frames_up_to_the_next_keyframe() -> None:
    requests: list[int] = []
    feed = Feed(Source("venue", "video"), requests.append, keyframe_interval=0.0)  # no rate limit
    feed.media_ssrc = 1234
    outlet = Outlet("viewer", "program", "video", backlog_frames=4)
    outlet.attach(feed)  # no wire yet: frames wait in the backlog
    assert requests == [1234]  # a new viewer asks for a keyframe once

    def frame(keyframe: bool) -> Frame:
        return Frame([b"x"], 0, keyframe, 0.0, None)

    for keyframe in (True, False, False, True, False):
        outlet.push(frame(keyframe), feed)

    # Full at the 5th frame: the oldest keyframe and the deltas that depend on it went together.
    assert [f.keyframe for f in outlet._backlog] == [True, False]
    assert outlet.frames_dropped == 3
    for _ in range(3):
        outlet.push(frame(False), feed)
    # Full again with no keyframe left to start from: everything goes, it waits for the next one.
    assert len(outlet._backlog) == 0 and outlet.frames_skipped == 0
    outlet.push(frame(False), feed)
    assert outlet.frames_skipped == 1
    outlet.push(frame(True), feed)
    assert [f.keyframe for f in outlet._backlog] == [True]
    assert requests == [1234]  # overflowing while not connected asks for nothing more
