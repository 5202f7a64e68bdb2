"""Routing from plain data: floor changes swap slots server-side; mute is enforced by the relay."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from harness.peers import Client, ClipTrack, OpusTrack, connect, make_clip, wait_for
from media.relay import Relay
from media.routes import Source


async def test_a_floor_change_switches_the_program_slot_on_a_keyframe(
    relay: Relay, clients: Callable[..., Client], vp8_clip
) -> None:
    other_clip = make_clip("VP8", width=160, height=96, seconds=1.0)
    first = clients(publish={"high": ClipTrack(vp8_clip)})
    second = clients(publish={"high": ClipTrack(other_clip)})
    viewer = clients(receive={"program": "video"})
    await connect(relay, "desa-a", first)
    await connect(relay, "desa-b", second)
    relay.route("viewer", {"program": Source("desa-a", "video")})
    await connect(relay, "viewer", viewer)
    await wait_for(lambda: viewer.count("program") >= 10)
    assert {f.digest for f in viewer.frames["program"]} <= vp8_clip.digests

    switched_at = viewer.count("program")
    relay.route("viewer", {"program": Source("desa-b", "video")})
    await wait_for(lambda: any(f.digest in other_clip.digests for f in viewer.frames["program"]))
    await wait_for(lambda: viewer.count("program") >= switched_at + 20)

    after = viewer.frames["program"][switched_at:]
    first_new = next(i for i, f in enumerate(after) if f.digest in other_clip.digests)
    assert after[first_new].keyframe  # the switch lands on the new source's keyframe
    assert all(f.digest in other_clip.digests for f in after[first_new:])  # and stays there
    assert all(f.digest in vp8_clip.digests for f in after[:first_new])  # old source until then
    timestamps = [f.timestamp for f in viewer.frames["program"]]
    assert timestamps == sorted(timestamps)  # one RTP clock across the switch



async def test_an_old_keyframe_while_a_switch_waits_is_held_back(
    relay: Relay, clients: Callable[..., Client], vp8_clip
) -> None:
    hall_clip = make_clip("VP8", width=160, height=96, seconds=1.0)
    hall = ClipTrack(hall_clip)
    hall.natural_keyframes, hall.lost_requests = False, 1_000_000  # its keyframe does not come yet
    await connect(relay, "venue", clients(publish={"high": ClipTrack(vp8_clip)}))  # a keyframe each loop
    await connect(relay, "hall", clients(publish={"high": hall}))
    viewer = clients(receive={"program": "video"})
    relay.route("viewer", {"program": Source("venue", "video")})
    await connect(relay, "viewer", viewer)
    await wait_for(lambda: viewer.count("program") >= 10)

    switched_at = viewer.count("program")
    relay.route("viewer", {"program": Source("hall", "video")})
    await asyncio.sleep(1.3 * len(vp8_clip.intra) / vp8_clip.fps)  # the venue's loop began again: a keyframe
    held = viewer.frames["program"][switched_at:]
    assert not any(f.keyframe for f in held)  # a page would take one for the hall's first picture
    hall.lost_requests = 0
    await wait_for(lambda: any(f.keyframe for f in viewer.frames["program"][switched_at:]))
    first_new = next(f for f in viewer.frames["program"][switched_at:] if f.keyframe)
    assert first_new.digest in hall_clip.digests


async def test_a_switch_asks_again_when_its_keyframe_request_is_lost(
    relay: Relay, clients: Callable[..., Client], vp8_clip
) -> None:
    hall = ClipTrack(vp8_clip)
    hall.natural_keyframes, hall.lost_requests = False, 1  # the switch's PLI is lost; nothing else would come
    await connect(relay, "venue", clients(publish={"high": ClipTrack(vp8_clip)}))
    await connect(relay, "hall", clients(publish={"high": hall}))
    viewer = clients(receive={"program": "video"})
    relay.route("viewer", {"program": Source("venue", "video")})
    await connect(relay, "viewer", viewer)
    await wait_for(lambda: viewer.count("program") >= 10)

    relay.route("viewer", {"program": Source("hall", "video")})
    outlet = relay.peer("viewer").outlets["program"]
    await wait_for(lambda: outlet.feed is not None and outlet.feed.source.publisher == "hall")
    assert hall.keyframe_requests >= 2 and hall.lost_requests == 0

async def test_mute_stops_audio_to_everyone_and_unmute_restores_it(
    relay: Relay, clients: Callable[..., Client], opus_packets
) -> None:
    speaker = clients(publish={"mic": OpusTrack(opus_packets)})
    listeners = [clients(receive={"floor": "audio"}) for _ in range(2)]
    await connect(relay, "desa-a", speaker)
    for index, listener in enumerate(listeners):
        relay.route(f"listener-{index}", {"floor": Source("desa-a", "audio")})
        await connect(relay, f"listener-{index}", listener)
    await wait_for(lambda: all(listener.count("floor") >= 10 for listener in listeners))

    relay.set_muted({"desa-a"})
    await asyncio.sleep(0.1)  # frames already in flight
    counts = [listener.count("floor") for listener in listeners]
    sent = speaker.tracks["mic"].sent
    await wait_for(lambda: speaker.tracks["mic"].sent >= sent + 15)  # the client keeps sending
    assert [listener.count("floor") for listener in listeners] == counts

    relay.set_muted(set())
    resumed = list(zip(listeners, counts, strict=True))
    await wait_for(lambda: all(listener.count("floor") >= count + 10 for listener, count in resumed))
