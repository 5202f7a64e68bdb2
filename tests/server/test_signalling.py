"""Media signalling over the real Socket.IO channel with real aiortc peers: who may publish,
who receives what as the floor moves, server-side mute, speaking reports, cleanup."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import socketio
from aiortc import RTCSessionDescription

from harness.peers import Client, ClipTrack, OpusTrack, make_client, offer, wait_for
from harness.sample import VENUE
from server.keys import SESSIONS, SIGNALLING
from tests.server.conftest import Hub

pytestmark = pytest.mark.parametrize("hub", ["sqlite"], indirect=True)  # media does not depend on the store


class Peer:
    """A participant: its Socket.IO connection and its aiortc peer, with what the hub told it."""

    def __init__(self, sio: socketio.AsyncClient, client: Client) -> None:
        self.sio, self.client = sio, client
        self.routes: dict[str, Any] = {}
        self.events: list[tuple[str, Any]] = []
        sio.on("media.routes", self._routes)
        sio.on("speaking", lambda data: self.events.append(("speaking", data)))

    async def _routes(self, routes: dict[str, Any]) -> None:
        self.routes = routes

    async def join(self) -> dict[str, Any]:
        sdp, layers, slots = await offer(self.client)
        reply: dict[str, Any] = await self.sio.call("media.offer", {"sdp": sdp, "layers": layers, "slots": slots},
                                                    timeout=20)
        if reply.get("ok"):
            await self.client.pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))
        return reply


def publisher(vp8_clip: Any, opus_packets: tuple[bytes, ...], level: int | None = None) -> Client:
    return make_client(publish={"high": ClipTrack(vp8_clip), "low": ClipTrack(vp8_clip), "mic": OpusTrack(opus_packets, level)},
                       receive={"program": "video", "floor": "audio", "venue_audio": "audio"})


def viewer() -> Client:
    return make_client(receive={"program": "video", "floor": "audio", "venue_audio": "audio"})


async def test_the_floor_moves_the_program_and_mute_silences(hub: Hub, vp8_clip: Any, opus_packets: tuple[bytes, ...]) -> None:
    speaker_code = next(c for c in hub.interactive if c != VENUE)
    watcher_code = next(c for c in hub.villages if c not in hub.interactive)
    chair = Peer((await hub.connect("chair")).sio, publisher(vp8_clip, opus_packets))
    speaker = Peer((await hub.connect(speaker_code)).sio, publisher(vp8_clip, opus_packets, level=-10))
    watcher = Peer((await hub.connect(watcher_code)).sio, viewer())
    mod = await hub.connect("moderator")
    try:
        for peer in (chair, speaker, watcher):
            assert (await peer.join())["ok"]
        await wait_for(lambda: watcher.routes.get("program") == "chair", 10)
        await wait_for(lambda: watcher.client.count("program") > 10 and watcher.client.count("venue_audio") > 10, 10)
        assert watcher.client.frames["program"][0].keyframe  # a late joiner starts on a keyframe

        await mod.ok("session.start")
        await mod.ok("floor.grant", village=speaker_code, seconds=60)
        await wait_for(lambda: watcher.routes.get("program") == speaker_code, 10)
        await wait_for(lambda: watcher.client.count("floor") > 10, 10)
        # the floor holder does not hear itself, and the chair hears the floor holder
        assert speaker.routes.get("floor") is None
        await wait_for(lambda: chair.client.count("floor") > 10, 10)
        await wait_for(lambda: any(e[1]["participant"] == speaker_code for e in chair.events), 10)

        await mod.ok("participant.mute", village=speaker_code)
        await asyncio.sleep(0.5)  # frames already in flight
        muted_at = watcher.client.count("floor")
        await asyncio.sleep(1.0)
        assert watcher.client.count("floor") == muted_at  # nothing forwarded while muted
        assert watcher.client.count("program") > 0
        await mod.ok("participant.unmute", village=speaker_code)
        await wait_for(lambda: watcher.client.count("floor") > muted_at + 10, 10)
    finally:
        for peer in (chair, speaker, watcher):
            await peer.client.close()


async def test_only_publishers_may_send_and_peers_close_with_their_socket(hub: Hub, vp8_clip: Any,
                                                                          opus_packets: tuple[bytes, ...]) -> None:
    watcher_code = next(c for c in hub.villages if c not in hub.interactive)
    viewonly = Peer((await hub.connect(watcher_code)).sio, publisher(vp8_clip, opus_packets))
    public = Peer((await hub.connect(None)).sio, viewer())
    mod = Peer((await hub.connect("moderator")).sio, publisher(vp8_clip, opus_packets))
    try:
        assert (await viewonly.join())["error"] == "forbidden"
        assert (await public.join())["error"] == "forbidden"
        assert (await mod.join())["error"] == "forbidden"
        bad = await viewonly.sio.call("media.offer", {"sdp": 5}, timeout=5)
        assert bad["error"] == "invalid"

        # promoted, the same hall may publish
        staff = await hub.connect("moderator")
        await staff.ok("session.start")
        await staff.ok("village.promote", village=watcher_code)
        promoted = Peer((await hub.connect(watcher_code)).sio, publisher(vp8_clip, opus_packets))
        assert (await promoted.join())["ok"]
        relay_id = f"{hub.session}/{watcher_code}"
        relay = hub.app[SIGNALLING].relay
        assert relay.peer(relay_id) is not None
        await promoted.sio.disconnect()
        await wait_for(lambda: relay.peer(relay_id) is None, 5)
        await promoted.client.close()
    finally:
        for peer in (viewonly, public, mod):
            await peer.client.close()


async def test_the_floor_pauses_while_its_holders_media_is_gone(hub: Hub, vp8_clip: Any, opus_packets: tuple[bytes, ...]) -> None:
    speaker_code = next(c for c in hub.interactive if c != VENUE)
    chair = Peer((await hub.connect("chair")).sio, publisher(vp8_clip, opus_packets))
    speaker_sio = (await hub.connect(speaker_code)).sio
    speaker = Peer(speaker_sio, publisher(vp8_clip, opus_packets))
    watcher = Peer((await hub.connect(next(c for c in hub.villages if c not in hub.interactive))).sio, viewer())
    mod = await hub.connect("moderator")
    await mod.sync()
    paused = lambda models: models["floor"]["paused_at"] is not None  # noqa: E731
    relay = hub.app[SIGNALLING].relay
    back = None
    try:
        for peer in (chair, speaker, watcher):
            assert (await peer.join())["ok"]
        await mod.ok("session.start")
        await wait_for(lambda: relay.live(f"{hub.session}/{speaker_code}"), 10)  # its media arrives
        await mod.ok("floor.grant", village=speaker_code, seconds=120)
        await wait_for(lambda: watcher.routes.get("program") == speaker_code, 10)

        for track in speaker.client.tracks.values():  # the hall's link goes quiet (no close, no socket drop)
            track.held = True
        await mod.wait_for(paused, 10)
        await wait_for(lambda: watcher.routes.get("program") == "chair", 10)  # the program falls back to the venue
        for track in speaker.client.tracks.values():
            track.held = False
        await mod.wait_for(lambda m: not paused(m), 10)
        await wait_for(lambda: watcher.routes.get("program") == speaker_code, 10)

        await speaker_sio.disconnect()  # a reload: the socket and the peer close
        await mod.wait_for(paused, 10)
        back = Peer((await hub.connect(speaker_code)).sio, publisher(vp8_clip, opus_packets))
        assert (await back.join())["ok"]
        await mod.wait_for(lambda m: not paused(m), 10)
        await wait_for(lambda: watcher.routes.get("program") == speaker_code, 10)

        records = await hub.app[SESSIONS].log.read(hub.session)
        pauses = [(r.type, r.actor) for r in records if r.type in ("floor.paused", "floor.resumed")]
        assert pauses == [("floor.paused", "hub"), ("floor.resumed", "hub")] * 2
    finally:
        for peer in (chair, speaker, watcher, back):
            if peer is not None:
                await peer.client.close()


async def test_a_hall_given_the_floor_before_its_media_arrives_is_paused_until_it_does(
        hub: Hub, vp8_clip: Any, opus_packets: tuple[bytes, ...]) -> None:
    speaker_code = next(c for c in hub.interactive if c != VENUE)
    chair = Peer((await hub.connect("chair")).sio, publisher(vp8_clip, opus_packets))
    watcher = Peer((await hub.connect(next(c for c in hub.villages if c not in hub.interactive))).sio, viewer())
    mod = await hub.connect("moderator")
    await mod.sync()
    speaker = None
    try:
        for peer in (chair, watcher):
            assert (await peer.join())["ok"]
        await mod.ok("session.start")
        await mod.ok("floor.grant", village=speaker_code, seconds=120)  # the hall has not joined yet
        await mod.wait_for(lambda m: m["floor"]["paused_at"] is not None, 10)
        await wait_for(lambda: watcher.routes.get("program") == "chair", 10)

        speaker = Peer((await hub.connect(speaker_code)).sio, publisher(vp8_clip, opus_packets))
        assert (await speaker.join())["ok"]
        await mod.wait_for(lambda m: m["floor"]["paused_at"] is None, 10)
        await wait_for(lambda: watcher.routes.get("program") == speaker_code, 10)
    finally:
        for peer in (chair, watcher, speaker):
            if peer is not None:
                await peer.client.close()


async def test_the_chairs_screen_share_ends_when_the_venue_media_does(hub: Hub, vp8_clip: Any,
                                                                     opus_packets: tuple[bytes, ...]) -> None:
    chair_sio = (await hub.connect("chair")).sio
    chair = Peer(chair_sio, publisher(vp8_clip, opus_packets))
    staff = await hub.connect("chair")
    await staff.sync()
    try:
        assert (await chair.join())["ok"]
        await wait_for(lambda: hub.app[SIGNALLING].relay.live(f"{hub.session}/chair"), 10)
        await staff.ok("session.start")
        await staff.ok("screen.start")
        await staff.wait_for(lambda m: m["floor"]["screen"] is True, 10)
        await chair_sio.disconnect()  # the console closes while presenting: nobody is left to stop it
        await staff.wait_for(lambda m: m["floor"]["screen"] is False, 10)
        records = await hub.app[SESSIONS].log.read(hub.session)
        assert [(r.type, r.actor) for r in records if r.type.startswith("screen.")] == [
            ("screen.started", "chair"), ("screen.stopped", "hub")]
    finally:
        await chair.client.close()


async def test_a_demoted_hall_stops_publishing_at_once(hub: Hub, vp8_clip: Any, opus_packets: tuple[bytes, ...]) -> None:
    """Demoted, a hall's tracks are dropped by the hub itself (its page need not re-offer) and its page is told."""
    speaker_code = next(c for c in hub.interactive if c != VENUE)
    speaker = Peer((await hub.connect(speaker_code)).sio, publisher(vp8_clip, opus_packets))
    watcher_code = next(c for c in hub.villages if c not in hub.interactive)
    watcher = Peer((await hub.connect(watcher_code)).sio, viewer())
    told: list[Any] = []
    speaker.sio.on("media.publish", told.append)
    mod = await hub.connect("moderator")
    relay = hub.app[SIGNALLING].relay
    pid = f"{hub.session}/{speaker_code}"
    try:
        for peer in (speaker, watcher):
            assert (await peer.join())["ok"]
        await mod.ok("session.start")
        await mod.ok("floor.grant", village=speaker_code, seconds=120)
        await wait_for(lambda: watcher.client.count("program") > 10, 10)  # the watcher sees the speaker

        await mod.ok("village.demote", village=speaker_code)
        await wait_for(lambda: told == [{"allowed": False}], 10)
        speaking = relay.peer(pid)
        assert speaking is not None and not speaking.feeds  # still watching, publishing nothing
        assert relay.stats()[pid]["publishing"] == []
        seen = relay.peer(f"{hub.session}/{watcher_code}")
        assert seen is not None
        assert all(o.feed is None or o.feed.source.publisher != pid for o in seen.outlets.values())
        again = Peer(speaker.sio, publisher(vp8_clip, opus_packets))  # the same page offering its camera again
        assert (await again.join())["error"] == "forbidden"
        await again.client.close()

        await mod.ok("village.promote", village=speaker_code)
        await wait_for(lambda: told == [{"allowed": False}, {"allowed": True}], 10)
        back = Peer(speaker.sio, publisher(vp8_clip, opus_packets))
        assert (await back.join())["ok"]
        await wait_for(lambda: bool(relay.stats()[pid]["publishing"]), 10)
        await back.client.close()
    finally:
        for peer in (speaker, watcher):
            await peer.client.close()


@pytest.mark.hub(turn_urls=("turn:turn.example.test:3478",), turn_secret="uji-rahasia")
async def test_only_pages_that_hold_a_peer_get_ice_servers(hub: Hub) -> None:
    public = await hub.connect(None)
    for event, data in (("media.ice", {}), ("media.offer", {"sdp": "v=0\r\n"}), ("media.leave", {})):
        reply = await public.sio.call(event, data, timeout=5)
        assert reply["ok"] is False and reply["error"] == "forbidden" and "iceServers" not in reply, (event, reply)
    viewonly = next(c for c in hub.villages if c not in hub.interactive)
    for who in ("chair", "moderator", hub.interactive[0], viewonly):
        reply = await (await hub.connect(who)).sio.call("media.ice", {}, timeout=5)
        assert reply["ok"], (who, reply)
        assert [s["urls"] for s in reply["iceServers"] if "credential" in s] == [["turn:turn.example.test:3478"]]
