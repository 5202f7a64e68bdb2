"""The SFU relay: one RTCPeerConnection per participant, encoded frames forwarded, never transcoded.

Signalling is non-trickle: :meth:`Relay.answer` takes a complete offer and returns a complete
answer (aiortc gathers every candidate before answering). A participant has exactly one peer; a
new offer replaces it. There is no renegotiation: what a participant receives changes server-side.

**Fixed receive slots.** Each recvonly m-line of the offer is a named slot ("program", "venue",
"floor", "venue_audio", "grid0", ...). :meth:`Relay.route` points a slot at a :class:`Source`;
the slot's SSRC, sequence numbers and RTP clock stay the subscriber's own, so swapping the source
is a server-side replaceTrack: no SDP round trip (which would need the Socket.IO layer, a glare
rule and a browser that copes with m-lines coming and going 25 times a session), and a video
switch lands on the new source's keyframe. The cost is a fixed number of grid slots per page.

**What the offer means.** m-lines the participant sends on (sendonly / sendrecv) are published
tracks; ``layers`` maps their mid to a layer name ("high", "low", "screen" for video; "mic" for
audio). m-lines it only receives on (recvonly) are slots; ``slots`` maps their mid to a slot
name. Without the maps, names follow m-line order per kind: video layers high, low, screen;
video slots program, venue, grid0, grid1, ...; audio slots floor, venue_audio, audio0, ...

**Who may publish.** ``answer(..., publish=False)`` refuses (``forbidden``) an offer with any
audio or video m-section the participant would send on, as aiortc's parser reads it; an offer it
cannot parse is ``bad_offer``. :meth:`Relay.unpublish` takes a publisher's tracks away at once
(a village demoted): its subscribers' slots fall silent and its peer goes on receiving.

**Codecs.** One video codec per relay (``RelayConfig.video_codec``, VP8 or H264) and Opus: the
answer is narrowed to them, since forwarded bytes are only valid in the publisher's codec.

**Keyframes.** A new slot or a switched slot waits for a keyframe (deltas are dropped before it)
and asks the publisher for one; subscribers' PLI/FIR reach the publisher as PLI, at most one per
``keyframe_interval`` per published track.

**Local consumers.** :meth:`Relay.consume` hands a source's encoded frames to a consumer in this
process (a recorder, ``recordings/``): no peer, no RTP; it stays attached when the source is
published again, and it must never make the relay wait (:class:`~media.feed.Consumer`).

**Presence.** ``on_presence(participant, live)`` reports a publisher's media starting and stopping:
its peer closing, or no RTP from it for ``stall_after`` seconds (a lost connection goes quiet long
before ICE gives up).

**Beyond one core.** The control surface is also plain messages (:meth:`Relay.handle`: dicts in,
dicts out), so :class:`~media.workers.RelayWorkers` holds one relay per worker process and sends
each message to the worker that owns the participant. A source some other worker needs is fanned
out by its own worker once per worker (:mod:`media.mesh`) into a :meth:`mirror` feed there, which
routes and consumers take as if it were published locally; its keyframe requests go back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from aiortc import RTCPeerConnection, RTCRtpReceiver, RTCSessionDescription
from aiortc.rtp import RtpPacket

from media import passthrough
from media.bandwidth import RembSchedule
from media.errors import BadOffer, CodecUnsupported, MediaError, PublishForbidden, UnknownOperation
from media.feed import Consumer, Feed
from media.ice import IceConfig, relay_configuration
from media.outlet import Outlet
from media.presence import Presence, PresenceCallback
from media.routes import VIDEO_LAYERS, Source
from media.speaker import SpeakerDetector
from media.tasks import Tasks

VIDEO_CODECS = {"VP8": "video/VP8", "H264": "video/H264"}
AUDIO_CODEC = "audio/opus"
DEFAULT_NAMES: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    # (kind, role of the m-line) -> (names in order, prefix for the rest)
    ("video", "publish"): (VIDEO_LAYERS, "video"),
    ("audio", "publish"): (("mic",), "audio"),
    ("video", "slot"): (("program", "venue"), "grid"),
    ("audio", "slot"): (("floor", "venue_audio"), "audio"),
}

SpeakingCallback = Callable[[str, bool], None]
SENDING = frozenset({"sendrecv", "sendonly"})  # offered directions in which the offerer publishes


@dataclass(frozen=True)
class RelayConfig:
    video_codec: str = "VP8"
    ice: IceConfig = field(default_factory=IceConfig)
    keyframe_interval: float = 0.5
    backlog_frames: Mapping[str, int] = field(default_factory=lambda: {"video": 8, "audio": 16})
    speaking_interval: float = 0.25
    publish_bitrate: int = 2_500_000  # the REMB every publisher gets (media/bandwidth.py)
    start_bitrate: int = 1_000_000  # what a publisher's Chrome starts at, should the first REMB come late
    stall_after: float = 1.0  # seconds without RTP from a publisher before its media counts as stopped

    def __post_init__(self) -> None:
        if self.video_codec not in VIDEO_CODECS:
            raise ValueError(f"codec video tidak didukung: {self.video_codec!r}")


@dataclass(eq=False)
class Peer:
    participant: str
    pc: RTCPeerConnection
    feeds: dict[Source, Feed] = field(default_factory=dict)
    receivers: list[RTCRtpReceiver] = field(default_factory=list)
    outlets: dict[str, Outlet] = field(default_factory=dict)
    speaker: SpeakerDetector | None = None
    remb: RembSchedule | None = None
    video_receiver: RTCRtpReceiver | None = None  # the one that sends the connection's REMB
    speaking: bool = False
    last_seen: float | None = None  # loop time
    sample: tuple[float, int, int] = (0.0, 0, 0)  # loop time, bytes in, bytes out at the previous stats()


class RelayControl(Protocol):
    """What the server drives: a :class:`Relay` in the hub, or :class:`~media.workers.RelayWorkers`."""

    config: RelayConfig

    def observe(self, on_speaking: SpeakingCallback, on_presence: PresenceCallback) -> None: ...

    async def answer(self, participant: str, offer_sdp: str, *, layers: Mapping[str, str] | None = None,
                     slots: Mapping[str, str] | None = None, publish: bool = True) -> str: ...

    def live(self, participant: str) -> bool: ...

    def unpublish(self, participant: str) -> None: ...

    async def close_peer(self, participant: str) -> None: ...

    def route(self, subscriber: str, slots: Mapping[str, Source | None]) -> None: ...

    def set_muted(self, participants: Iterable[str]) -> None: ...

    def consume(self, source: Source, consumer: Consumer) -> None: ...

    def release(self, source: Source, consumer: Consumer) -> None: ...

    def stats(self) -> dict[str, dict[str, Any]]: ...

    async def close(self) -> None: ...


def default_name(kind: str, role: str, index: int) -> str:
    names, prefix = DEFAULT_NAMES[(kind, role)]
    return names[index] if index < len(names) else f"{prefix}{index - len(names)}"


class Relay:
    """Peers by participant id, feeds by source, routes by subscriber; all on one event loop."""

    def __init__(
        self,
        config: RelayConfig | None = None,
        on_speaking: SpeakingCallback | None = None,
        on_presence: PresenceCallback | None = None,
    ) -> None:
        self.config = config or RelayConfig()
        self._on_speaking, self._on_presence = on_speaking, on_presence
        self._presence = Presence(self.config.stall_after, self._presence_changed)
        self._peers: dict[str, Peer] = {}
        self._feeds: dict[Source, Feed] = {}
        self._routes: dict[str, dict[str, Source | None]] = {}
        self._consumers: dict[Source, set[Consumer]] = {}
        self._muted: frozenset[str] = frozenset()
        self._tasks = Tasks("relay")  # failures are logged, not lost with the task

    def observe(self, on_speaking: SpeakingCallback, on_presence: PresenceCallback) -> None:
        """Who hears of talking and of media starting and stopping (the server, once it is wired)."""
        self._on_speaking, self._on_presence = on_speaking, on_presence

    def _presence_changed(self, participant: str, live: bool) -> None:
        if self._on_presence is not None:
            self._on_presence(participant, live)

    # signalling

    async def answer(
        self,
        participant: str,
        offer_sdp: str,
        *,
        layers: Mapping[str, str] | None = None,
        slots: Mapping[str, str] | None = None,
        publish: bool = True,
    ) -> str:
        """Open (or replace) the participant's peer from a complete offer; return the complete answer.

        ``publish=False``: the participant may only receive; an offer that sends is refused and any
        peer it has is kept.
        """
        if not publish:
            _require_receive_only(offer_sdp)
        await self._drop_peer(participant)
        pc = RTCPeerConnection(relay_configuration(self.config.ice))
        peer = Peer(
            participant, pc, remb=RembSchedule(self.config.publish_bitrate),
            sample=(asyncio.get_running_loop().time(), 0, 0),
        )
        self._peers[participant] = peer
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            self._set_up_tracks(peer, layers or {}, slots or {})
            await pc.setLocalDescription(await pc.createAnswer())
        except MediaError:
            await self._drop_peer(participant)
            raise
        except Exception as exc:
            await self._drop_peer(participant)
            raise BadOffer(f"penawaran SDP tidak dapat dipakai: {exc}") from exc
        pc.on("connectionstatechange", partial(self._on_connection_state, peer))
        for other in self._peers.values():
            self._apply_routes(other)
        return pc.localDescription.sdp

    def live(self, participant: str) -> bool:
        """Whether the participant's media is arriving now."""
        return self._presence.live(participant)

    def unpublish(self, participant: str) -> None:
        """Stop forwarding what the participant publishes, at once; its peer goes on receiving.

        Its subscribers' slots fall silent; what it still sends is dropped on arrival. Harmless if absent.
        """
        peer = self._peers.get(participant)
        if peer is None:
            return
        self._drop_feeds(peer)
        peer.video_receiver = None  # no more REMB: nothing it sends is wanted
        self._presence.gone(participant)
        if peer.speaking:
            peer.speaking = False
            if self._on_speaking is not None:
                self._on_speaking(participant, False)

    async def close_peer(self, participant: str) -> None:
        """Close the participant's peer and forget its routes. Harmless if absent."""
        self._routes.pop(participant, None)
        await self._drop_peer(participant)

    async def close(self) -> None:
        for participant in list(self._peers):
            await self._drop_peer(participant)
        self._routes.clear()
        self._consumers.clear()
        await self._presence.close()
        await self._tasks.close()

    # routing

    def route(self, subscriber: str, slots: Mapping[str, Source | None]) -> None:
        """Set everything ``subscriber`` receives: slot name -> source. Unnamed slots receive nothing.

        May come before the subscriber's peer exists; names of slots it did not offer are kept and
        ignored; a source that is not (yet) published leaves the slot silent until it is.
        """
        self._routes[subscriber] = dict(slots)
        peer = self._peers.get(subscriber)
        if peer is not None:
            self._apply_routes(peer)

    def set_muted(self, participants: Iterable[str]) -> None:
        """Server-side mute: these participants' audio is forwarded to nobody."""
        self._muted = frozenset(participants)
        for feed in self._feeds.values():
            self._mute(feed)

    def consume(self, source: Source, consumer: Consumer) -> None:
        """Hand ``source``'s encoded frames to ``consumer`` from now on, and each time it is published
        again; video asks the publisher for a keyframe to start on."""
        self._consumers.setdefault(source, set()).add(consumer)
        feed = self._feeds.get(source)
        if feed is not None:
            feed.consumers.add(consumer)
            feed.request_keyframe()

    def release(self, source: Source, consumer: Consumer) -> None:
        """Stop handing ``source``'s frames to ``consumer``. Harmless if it was not attached."""
        consumers = self._consumers.get(source, set())
        consumers.discard(consumer)
        if not consumers:
            self._consumers.pop(source, None)
        feed = self._feeds.get(source)
        if feed is not None:
            feed.consumers.discard(consumer)

    # mirrors: sources published in another worker (media/mesh.py)

    def mirror(self, source: Source, ask_keyframe: Callable[[], None]) -> Feed:
        """A feed of ``source`` whose frames another worker hands to :meth:`Feed.on_frame` and whose
        keyframe requests go back there; routes and consumers take it as if published here."""
        feed = Feed(source, lambda ssrc: ask_keyframe(), self.config.keyframe_interval)
        feed.media_ssrc = 0  # no RTP arrives here: a request must not wait for a first packet
        feed.consumers.update(self._consumers.get(source, ()))
        self._mute(feed)
        self.unmirror(source)
        self._feeds[source] = feed
        for peer in self._peers.values():
            self._apply_routes(peer)
        return feed

    def unmirror(self, source: Source) -> None:
        """The mirrored source ended (its publisher left, or its worker did). Harmless if absent."""
        feed = self._feeds.get(source)
        if feed is not None and not any(source in peer.feeds for peer in self._peers.values()):
            del self._feeds[source]
            feed.close()

    def request_keyframe(self, source: Source) -> None:
        """A mirror of ``source`` elsewhere waits for a keyframe. Harmless if it is not published."""
        feed = self._feeds.get(source)
        if feed is not None:
            feed.request_keyframe()

    # observation

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per participant: connection state, tracks, bitrates since the previous call, losses."""
        loop_now = asyncio.get_running_loop().time()
        wall_offset = time.time() - loop_now
        report: dict[str, dict[str, Any]] = {}
        for participant, peer in self._peers.items():
            bytes_in = sum(feed.bytes_in for feed in peer.feeds.values())
            bytes_out = sum(outlet.bytes_sent for outlet in peer.outlets.values())
            since, last_in, last_out = peer.sample
            elapsed = max(loop_now - since, 1e-3)
            peer.sample = (loop_now, bytes_in, bytes_out)
            report[participant] = {
                "state": peer.pc.connectionState,
                "publishing": sorted(f"{s.kind}/{s.layer}" for s in peer.feeds),
                "receiving": {
                    slot: outlet.feed.source.as_dict() if outlet.feed else None
                    for slot, outlet in peer.outlets.items()
                },
                "bitrate_in": int((bytes_in - last_in) * 8 / elapsed),
                "bitrate_out": int((bytes_out - last_out) * 8 / elapsed),
                "packets_lost_in": sum(passthrough.reception(receiver)[1] for receiver in peer.receivers),
                "packets_out": sum(outlet.packets_sent for outlet in peer.outlets.values()),
                "packets_lost_out": sum(outlet.remote_packets_lost for outlet in peer.outlets.values()),
                "frames_dropped": sum(outlet.frames_dropped for outlet in peer.outlets.values()),
                "speaking": peer.speaking,
                "last_seen": None if peer.last_seen is None else peer.last_seen + wall_offset,
            }
        return report

    def peer(self, participant: str) -> Peer | None:
        """The participant's peer, for inspection (tests, the benchmark); None if absent."""
        return self._peers.get(participant)

    # control as plain messages (one relay per worker process)

    async def handle(self, message: Mapping[str, Any]) -> dict[str, Any]:
        return await handle(self, message)

    # internals

    def _set_up_tracks(self, peer: Peer, layers: Mapping[str, str], slots: Mapping[str, str]) -> None:
        counts: dict[tuple[str, str], int] = {}
        if not peer.pc.getTransceivers():
            raise BadOffer("penawaran tanpa audio atau video")
        for transceiver in peer.pc.getTransceivers():
            kind = transceiver.kind
            wanted = VIDEO_CODECS[self.config.video_codec] if kind == "video" else AUDIO_CODEC
            if not passthrough.narrow_codecs(transceiver, wanted):
                raise CodecUnsupported(f"penawaran tidak memuat {wanted}")
            direction = passthrough.offered_direction(transceiver)
            role = {"recvonly": "publish", "sendrecv": "publish", "sendonly": "slot"}.get(direction)
            if role is None:
                continue
            index = counts.get((kind, role), 0)
            counts[(kind, role)] = index + 1
            mid = transceiver.mid or ""
            if role == "publish":
                source = Source(peer.participant, kind, layers.get(mid) or default_name(kind, role, index))
                if source in peer.feeds:
                    raise BadOffer(f"lapisan ganda: {source.layer}", "duplicate_layer")
                transceiver.direction = "recvonly"
                if kind == "video":
                    passthrough.start_bitrate(transceiver, self.config.start_bitrate)
                self._add_feed(peer, source, transceiver.receiver)
            else:
                name = slots.get(mid) or default_name(kind, role, index)
                if name in peer.outlets:
                    raise BadOffer(f"slot ganda: {name}", "duplicate_slot")
                transceiver.direction = "sendonly"
                outlet = Outlet(peer.participant, name, kind, self.config.backlog_frames[kind])
                passthrough.hook_sender(
                    transceiver.sender,
                    passthrough.SenderHooks(
                        on_ready=outlet.ready,
                        on_picture_loss=partial(self._picture_lost, peer, outlet),
                        on_nack=outlet.retransmit,
                        on_report=partial(self._reported, peer, outlet),
                    ),
                )
                peer.outlets[name] = outlet

    def _add_feed(self, peer: Peer, source: Source, receiver: RTCRtpReceiver) -> None:
        feed = Feed(source, partial(self._ask_keyframe, receiver), self.config.keyframe_interval)
        feed.consumers.update(self._consumers.get(source, ()))
        self._mute(feed)
        if source.kind == "audio" and peer.speaker is None:
            peer.speaker = SpeakerDetector(interval=self.config.speaking_interval)
        passthrough.tap_receiver(receiver, feed.on_frame, partial(self._on_packet, peer, feed))
        if source.kind == "video" and peer.video_receiver is None:
            peer.video_receiver = receiver
        peer.feeds[source] = feed
        peer.receivers.append(receiver)
        self._feeds[source] = feed

    def _mute(self, feed: Feed) -> None:
        feed.muted = feed.kind == "audio" and feed.source.publisher in self._muted

    def _apply_routes(self, peer: Peer) -> None:
        routes = self._routes.get(peer.participant, {})
        for name, outlet in peer.outlets.items():
            source = routes.get(name)
            feed = self._feeds.get(source) if source is not None and source.kind == outlet.kind else None
            outlet.attach(feed)

    def _on_packet(self, peer: Peer, feed: Feed, packet: RtpPacket) -> None:
        if feed.closed:  # unpublished: not forwarded, not live, not speaking
            return
        now = asyncio.get_running_loop().time()
        peer.last_seen = now
        if packet.payload and self._peers.get(peer.participant) is peer:  # media (not padding), not a straggler
            self._presence.seen(peer.participant, now)
        feed.bytes_in += len(packet.payload)
        if feed.media_ssrc is None:
            feed.media_ssrc = packet.ssrc
        if feed.kind == "video":
            self._send_remb_when_due(peer, now)
        level = packet.extensions.audio_level
        if level is None or peer.speaker is None:
            return
        voice, dbov = level
        feed.audio_level = voice << 7 | dbov
        speaking = peer.speaker.add(dbov, now)
        if speaking is not None:
            peer.speaking = speaking
            if self._on_speaking is not None:
                self._on_speaking(peer.participant, speaking)

    def _send_remb_when_due(self, peer: Peer, now: float) -> None:
        bitrate = peer.remb.due(int(now * 1000)) if peer.remb is not None else None
        if bitrate is not None and peer.video_receiver is not None:
            ssrcs = [f.media_ssrc for f in peer.feeds.values() if f.kind == "video" and f.media_ssrc is not None]
            self._tasks.spawn(passthrough.send_remb(peer.video_receiver, bitrate, ssrcs))

    def _picture_lost(self, peer: Peer, outlet: Outlet) -> None:
        peer.last_seen = asyncio.get_running_loop().time()
        outlet.picture_lost()

    def _reported(self, peer: Peer, outlet: Outlet, packets_lost: int) -> None:
        peer.last_seen = asyncio.get_running_loop().time()
        outlet.remote_packets_lost = packets_lost

    def _ask_keyframe(self, receiver: RTCRtpReceiver, media_ssrc: int) -> None:
        self._tasks.spawn(passthrough.request_keyframe(receiver, media_ssrc))

    def _on_connection_state(self, peer: Peer) -> None:
        if peer.pc.connectionState == "connected":
            # Before Chrome's first frame: it sizes its first frames by the estimate it has then.
            self._send_remb_when_due(peer, asyncio.get_running_loop().time())
        if peer.pc.connectionState in ("failed", "closed") and self._peers.get(peer.participant) is peer:
            self._tasks.spawn(self._drop_peer(peer.participant, peer))

    async def _drop_peer(self, participant: str, expected: Peer | None = None) -> None:
        peer = self._peers.get(participant)
        if peer is None or (expected is not None and peer is not expected):
            return
        del self._peers[participant]
        self._presence.gone(participant)
        self._drop_feeds(peer)
        for outlet in peer.outlets.values():
            outlet.close()
        peer.pc.remove_all_listeners()
        await peer.pc.close()

    def _drop_feeds(self, peer: Peer) -> None:
        for source, feed in peer.feeds.items():
            if self._feeds.get(source) is feed:
                del self._feeds[source]
            feed.close()
        peer.feeds.clear()


async def handle(relay: RelayControl, message: Mapping[str, Any]) -> dict[str, Any]:
    """``{"op": ..., ...}`` -> ``{"ok": True, ...}`` or ``{"ok": False, "error": code, "message": ...}``."""
    operation = _OPERATIONS.get(str(message.get("op")))
    try:
        if operation is None:
            raise UnknownOperation(f"operasi tidak dikenal: {message.get('op')!r}")
        return {"ok": True, **(await operation(relay, message))}
    except MediaError as exc:
        return {"ok": False, "error": exc.code, "message": exc.message}
    except (KeyError, TypeError, ValueError) as exc:
        return {"ok": False, "error": "invalid", "message": str(exc)}


def _require_receive_only(offer_sdp: str) -> None:
    try:
        directions = passthrough.offered_directions(offer_sdp)
    except Exception as exc:  # aiortc's parser asserts and indexes its way through
        raise BadOffer(f"penawaran SDP tidak dapat dibaca: {exc}") from exc
    if SENDING.intersection(directions):
        raise PublishForbidden("Peserta ini hanya menerima: penawarannya tidak boleh mengirim gambar atau suara")


def _slots_from_message(raw: Mapping[str, Any]) -> dict[str, Source | None]:
    return {name: Source.from_dict(value) if value else None for name, value in raw.items()}


async def _op_answer(relay: RelayControl, message: Mapping[str, Any]) -> dict[str, Any]:
    sdp = await relay.answer(
        str(message["participant"]), str(message["sdp"]), layers=message.get("layers"), slots=message.get("slots"),
        publish=bool(message.get("publish", True)),
    )
    return {"sdp": sdp}


async def _op_close_peer(relay: RelayControl, message: Mapping[str, Any]) -> dict[str, Any]:
    await relay.close_peer(str(message["participant"]))
    return {}


async def _op_unpublish(relay: RelayControl, message: Mapping[str, Any]) -> dict[str, Any]:
    relay.unpublish(str(message["participant"]))
    return {}


async def _op_route(relay: RelayControl, message: Mapping[str, Any]) -> dict[str, Any]:
    relay.route(str(message["subscriber"]), _slots_from_message(message["slots"]))
    return {}


async def _op_set_muted(relay: RelayControl, message: Mapping[str, Any]) -> dict[str, Any]:
    relay.set_muted(map(str, message["participants"]))
    return {}


async def _op_stats(relay: RelayControl, message: Mapping[str, Any]) -> dict[str, Any]:
    return {"stats": relay.stats()}


_OPERATIONS: dict[str, Callable[[RelayControl, Mapping[str, Any]], Awaitable[dict[str, Any]]]] = {
    "answer": _op_answer,
    "close_peer": _op_close_peer,
    "route": _op_route,
    "unpublish": _op_unpublish,
    "set_muted": _op_set_muted,
    "stats": _op_stats,
}
