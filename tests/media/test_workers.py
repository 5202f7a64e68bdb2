"""The relay across worker processes: frames cross between workers, a killed worker comes back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import zlib
from collections.abc import AsyncIterator, Callable
from itertools import count

import pytest

from harness.peers import Client, ClipTrack, OpusTrack, connect, wait_for
from media.errors import MediaError
from media.feed import Feed
from media.ice import IceConfig
from media.relay import RelayConfig
from media.worker import config_from_dict, config_to_dict
from media.routes import Source
from media.workers import RelayWorkers

WORKERS = 2


def on_worker(index: int, prefix: str) -> str:
    """A participant id that the hash puts on worker ``index``."""
    return next(name for n in count() if zlib.crc32((name := f"{prefix}{n}").encode()) % WORKERS == index)


@pytest.fixture
async def workers() -> AsyncIterator[RelayWorkers]:
    relay = RelayWorkers(RelayConfig(), WORKERS)
    await relay.start()
    yield relay
    await relay.close()


class Taken:
    def __init__(self) -> None:
        self.frames: list[tuple[str, bool]] = []

    def take(self, feed: Feed, codec: str, data: bytes, timestamp: int, keyframe: bool) -> None:
        self.frames.append((codec, keyframe))

    def lose(self, feed: Feed) -> None:
        pass


def watcher(clients: Callable[..., Client]) -> Client:
    return clients(receive={"program": "video", "floor": "audio"})


def routes_to(publisher: str) -> dict[str, Source | None]:
    return {"program": Source(publisher, "video"), "floor": Source(publisher, "audio")}


async def test_a_publishers_frames_reach_a_subscriber_on_another_worker_untouched(
    workers: RelayWorkers, clients: Callable[..., Client], vp8_clip, opus_packets
) -> None:
    venue, hall = on_worker(0, "venue"), on_worker(1, "hall")
    publisher = clients(publish={"high": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets)})
    viewer = watcher(clients)
    workers.route(hall, routes_to(venue))
    await connect(workers, venue, publisher)
    await connect(workers, hall, viewer)

    await wait_for(lambda: viewer.count("program") >= 30 and viewer.count("floor") >= 30, timeout=10)
    frames = viewer.frames["program"]
    assert frames[0].keyframe
    assert {f.digest for f in frames} <= vp8_clip.digests  # the publisher's bytes, mirrored, not re-encoded
    await wait_for(lambda: venue in workers.stats() and hall in workers.stats(), timeout=5)
    assert workers.stats()[venue]["publishing"] == ["audio/mic", "video/high"]
    assert workers.live(venue) and not workers.live(hall)


async def test_a_late_subscriber_on_another_worker_gets_a_keyframe_asked_for_across(
    workers: RelayWorkers, clients: Callable[..., Client], vp8_clip
) -> None:
    venue, hall = on_worker(0, "venue"), on_worker(1, "hall")
    track = ClipTrack(vp8_clip)
    track.natural_keyframes = False  # after its first picture, a keyframe only when asked
    publisher = clients(publish={"high": track})
    await connect(workers, venue, publisher)
    await wait_for(lambda: workers.live(venue), timeout=10)
    asked_before = track.keyframe_requests

    viewer = watcher(clients)
    workers.route(hall, routes_to(venue))
    await connect(workers, hall, viewer)
    await wait_for(lambda: viewer.count("program") >= 10, timeout=10)
    assert viewer.frames["program"][0].keyframe
    assert track.keyframe_requests > asked_before


async def test_a_hub_consumer_takes_a_source_published_in_a_worker(
    workers: RelayWorkers, clients: Callable[..., Client], vp8_clip
) -> None:
    venue = on_worker(1, "venue")
    taken = Taken()
    workers.consume(Source(venue, "video"), taken)
    await connect(workers, venue, clients(publish={"high": ClipTrack(vp8_clip)}))
    await wait_for(lambda: len(taken.frames) >= 20, timeout=10)
    assert taken.frames[0] == ("VP8", True)

    workers.release(Source(venue, "video"), taken)
    seen = len(taken.frames)
    await asyncio.sleep(0.5)  # 15 frames' time
    assert len(taken.frames) == seen


async def test_a_refused_offer_keeps_its_code_across_the_process_boundary(workers: RelayWorkers) -> None:
    with pytest.raises(MediaError) as refused:
        await workers.answer(on_worker(1, "hall"), "v=0\r\nnot an offer\r\n")
    assert refused.value.code == "bad_offer"


async def test_a_killed_worker_comes_back_its_pages_are_told_and_the_others_keep_their_media(
    workers: RelayWorkers, clients: Callable[..., Client], vp8_clip, opus_packets
) -> None:
    venue, near, far = on_worker(0, "venue"), on_worker(0, "near"), on_worker(1, "far")
    lost: list[set[str]] = []
    workers.on_lost = lost.append
    await connect(workers, venue, clients(publish={"high": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets)}))
    near_viewer, far_viewer = watcher(clients), watcher(clients)
    for name, viewer in ((near, near_viewer), (far, far_viewer)):
        workers.route(name, routes_to(venue))
        await connect(workers, name, viewer)
    await wait_for(lambda: near_viewer.count("program") >= 10 and far_viewer.count("program") >= 10, timeout=10)

    victim = workers.pids()[1]
    os.kill(victim, signal.SIGKILL)
    await wait_for(lambda: lost == [{far}], timeout=10)
    assert victim not in workers.pids()
    seen = near_viewer.count("program")
    await wait_for(lambda: near_viewer.count("program") >= seen + 30, timeout=5)  # the venue's worker kept going

    again = watcher(clients)  # the page offers again, to the new worker, which knows its routes
    await connect(workers, far, again)
    await wait_for(lambda: again.count("program") >= 10, timeout=5)
    assert again.frames["program"][0].keyframe


async def test_when_the_publishers_worker_dies_it_is_gone_until_it_offers_again(
    workers: RelayWorkers, clients: Callable[..., Client], vp8_clip
) -> None:
    venue, hall = on_worker(1, "venue"), on_worker(0, "hall")
    presence: list[tuple[str, bool]] = []
    workers.observe(lambda participant, speaking: None, lambda participant, live: presence.append((participant, live)))
    await connect(workers, venue, clients(publish={"high": ClipTrack(vp8_clip)}))
    viewer = watcher(clients)
    workers.route(hall, routes_to(venue))
    await connect(workers, hall, viewer)
    await wait_for(lambda: viewer.count("program") >= 10, timeout=10)

    os.kill(workers.pids()[1], signal.SIGKILL)
    await wait_for(lambda: (venue, False) in presence, timeout=5)
    assert not workers.live(venue)

    # the venue's page offers again; the hall, on the worker that lived, needs no new offer
    await wait_for(lambda: len(workers.pids()) == WORKERS, timeout=10)
    seen = viewer.count("program")
    await connect(workers, venue, clients(publish={"high": ClipTrack(vp8_clip)}))
    await wait_for(lambda: viewer.count("program") >= seen + 10, timeout=10)
    assert presence[-1] == (venue, True)


async def test_closing_stops_every_worker() -> None:
    relay = RelayWorkers(RelayConfig(), WORKERS)
    await relay.start()
    pids = relay.pids()
    assert len(pids) == WORKERS
    await relay.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_workers_settings_survive_the_trip_to_its_process() -> None:
    config = RelayConfig(video_codec="H264", ice=IceConfig(("stun:127.0.0.1:3478",), ("turn:127.0.0.1",), "s"),
                         keyframe_interval=0.25, backlog_frames={"video": 4, "audio": 8})
    assert config_from_dict(json.loads(json.dumps(config_to_dict(config)))) == config
