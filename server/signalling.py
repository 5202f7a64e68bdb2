"""Media signalling over Socket.IO, and telling the relay who receives what.

The relay knows peers and tracks only; this module turns the session into plain data for it:
relay participant ids ``"<session>/<actor id>"``, each subscriber's role ("staff", "interactive",
"viewonly"), and the session's media plan (venue, floor holder, spotlight, muted, interactive).
The chair's peer publishes the venue. Routes are recomputed whenever a peer joins or leaves and
whenever the log records something that changes the plan (floor, spotlight, mute, promote).
Who may publish (the chair, interactive villages) is the relay's check on the offer it parses; roles
are recomputed with the plan, and a hall demoted while it publishes has its tracks dropped at once.
When the floor holder's media stops or returns, the floor is paused or resumed (server.floorwatch);
a hall given the floor while its media is not arriving is paused after the same ``stall_after``.

Events (each acked ``{"ok": true, ...}`` or ``{"ok": false, "error", "message"}``), for the roles
that hold a peer (chair, moderators, villages; the public watches the stream and gets ``forbidden``):
``media.ice`` → ``{"iceServers": [...]}`` (STUN, TURN with time-limited credentials);
``media.offer {sdp, layers?, slots?}`` → ``{"sdp": answer}`` — non-trickle, one peer per
participant (a new offer replaces the old peer); ``media.leave`` closes the caller's peer.
Pushed to a page with a peer: ``media.routes {slot: participant}`` and, when its right to publish
changes, ``media.publish {allowed}`` (false: its tracks are dropped already; true: it may offer them).
Pushed to the staff room: ``speaking {participant, speaking}`` and, every few seconds,
``network {participant: {state, bitrate_in, bitrate_out, packets_lost_in, ...}}``.
All media peers of a session must be served by one hub process (the relay is per process).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any, NamedTuple

import socketio

from media.errors import MediaError
from media.ice import browser_ice_servers
from media.relay import RelayControl
from media.routes import plan_routes
from moderation.assembly import Assembly
from rooms.actors import Kind, Role
from rooms.errors import DomainError, Forbidden, Invalid
from rooms.events import RecordedEvent
from server.acks import refused
from server.floorwatch import follow_media
from server.push import room
from server.sockets import Channel, Connection
from service.sessions import Sessions

log = logging.getLogger(__name__)

_PLAN_MODELS = {"floor", "roster"}  # read models whose change can change who receives what
_SUBSCRIBER = {Role.CHAIR: "staff", Role.MODERATOR: "staff", Role.INTERACTIVE: "interactive"}


def _subscriber(role: Role | None) -> str:
    """What a session role receives, in the relay's words (everyone else watches)."""
    return _SUBSCRIBER.get(role, "viewonly") if role is not None else "viewonly"
_PUBLISHERS = {Role.CHAIR, Role.INTERACTIVE}
_MAX_SDP = 128 * 1024  # a console offers ~30 m-lines


class RelayId(NamedTuple):
    """The relay knows the participants of every session here by one string, "<session>/<actor id>"."""

    session: str
    ident: str

    def __str__(self) -> str:
        return f"{self.session}/{self.ident}"

    @classmethod
    def parse(cls, pid: str) -> RelayId:
        session, _, ident = pid.partition("/")
        return cls(session, ident)


def relay_id(session: str, ident: str) -> str:
    return str(RelayId(session, ident))



def _names(value: object, field: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > 64 or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) <= 16 and len(v) <= 16 for k, v in value.items()):
        raise Invalid(f"{field}: peta mid → nama (teks pendek)")
    return value


class Signalling:
    def __init__(self, sio: socketio.AsyncServer, channel: Channel, sessions: Sessions, relay: RelayControl,
                 stats_interval: float = 2.0) -> None:
        self.sio, self.channel, self.sessions, self.relay = sio, channel, sessions, relay
        self.ice = relay.config.ice
        relay.observe(self.speaking, self.presence)
        self._stats_interval = stats_interval
        self._owners: dict[str, str] = {}  # relay participant → the socket that owns its peer
        self._roles: dict[str, dict[str, str]] = {}  # session → relay participant → subscriber role
        self._publishers: set[str] = set()  # relay participants whose peer may publish now
        self._shown: dict[str, dict[str, str | None]] = {}  # subscriber → slot → who its page was told
        self._muted: dict[str, frozenset[str]] = {}  # session → its muted participants' relay ids
        self._stats_task: asyncio.Task[None] | None = None
        sio.on("media.ice", self.on_ice)
        sio.on("media.offer", self.on_offer)
        sio.on("media.leave", self.on_leave)
        channel.after_disconnect(self._disconnected)
        sessions.listen(self._changed)

    @staticmethod
    def participant(conn: Connection) -> str:
        return relay_id(conn.session, conn.actor.id)

    def _conn(self, sid: str) -> Connection:
        return self.channel.connection(sid)

    async def _peer_holder(self, sid: str) -> tuple[Connection, Assembly, Role]:
        """The caller's connection, session and role, if that role holds a media peer."""
        conn = self._conn(sid)
        assembly = await self.sessions.get(conn.session, fresh=False)
        role = assembly.role_of(conn.actor)
        if conn.actor.kind is Kind.PUBLIC or role is None:
            raise Forbidden("Halaman publik menonton siaran, bukan WebRTC")
        return conn, assembly, role

    async def on_ice(self, sid: str, *_: object) -> dict[str, Any]:
        try:
            conn = (await self._peer_holder(sid))[0]  # TURN credentials only for a page that holds a peer
        except DomainError as err:
            return refused(err)
        return {"ok": True, "iceServers": browser_ice_servers(self.ice, self.participant(conn), time.time()),
                "videoCodec": self.relay.config.video_codec}

    async def on_offer(self, sid: str, data: object = None, *_: object) -> dict[str, Any]:
        try:
            conn, assembly, role = await self._peer_holder(sid)
            if not isinstance(data, dict) or not isinstance(data.get("sdp"), str) or len(data["sdp"]) > _MAX_SDP:
                raise Invalid("media.offer membawa {sdp, layers?, slots?}")
            if set(data) - {"sdp", "layers", "slots"}:
                raise Invalid("Isian tidak dikenal pada media.offer")
            layers, slots = _names(data.get("layers"), "layers"), _names(data.get("slots"), "slots")
            pid, publish = self.participant(conn), role in _PUBLISHERS
            answer = await self.relay.answer(pid, data["sdp"], layers=layers, slots=slots, publish=publish)
        except (DomainError, MediaError) as err:
            return refused(err)
        self._owners[pid] = sid
        self._shown.pop(pid, None)  # a new peer: tell its page what every slot shows
        self._roles.setdefault(conn.session, {})[pid] = _subscriber(role)
        (self._publishers.add if publish else self._publishers.discard)(pid)
        # a demotion may have landed while the peer was set up: the roster as it is now decides
        assembly = self.sessions.cached(conn.session) or assembly
        self._follow_rights(assembly)
        self._route(assembly)
        return {"ok": True, "sdp": answer}

    async def on_leave(self, sid: str, *_: object) -> dict[str, Any]:
        try:
            conn = (await self._peer_holder(sid))[0]
        except DomainError as err:
            return refused(err)
        await self._close(self.participant(conn), sid)
        return {"ok": True}

    async def _disconnected(self, sid: str, conn: Connection) -> None:
        await self._close(self.participant(conn), sid)

    async def _close(self, pid: str, sid: str) -> None:
        if self._owners.get(pid) != sid:  # a newer connection of the same participant owns the peer
            return
        del self._owners[pid]
        self._shown.pop(pid, None)
        self._publishers.discard(pid)
        session = RelayId.parse(pid).session
        self._roles.get(session, {}).pop(pid, None)
        await self.relay.close_peer(pid)
        assembly = self.sessions.cached(session)
        if assembly is not None:
            self._route(assembly)

    def _changed(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        touched = Assembly.touched(records)
        if assembly.session_id in self._roles and touched & _PLAN_MODELS:
            self._follow_rights(assembly)
            self._route(assembly)
        if "floor" in touched:
            self._watch_holder(assembly)

    def _follow_rights(self, assembly: Assembly) -> None:
        """Each peer's role as the roster says now. One that lost the right to publish has its tracks
        dropped at once (a page that is slow or hostile would not re-offer); its page is told either way."""
        roles = self._roles.get(assembly.session_id, {})
        for pid in roles:
            owner = self._owners[pid]
            try:
                conn = self._conn(owner)
            except DomainError:  # disconnecting or revoked: its peer is about to close
                continue
            role = assembly.role_of(conn.actor)
            roles[pid] = _subscriber(role)
            allowed = role in _PUBLISHERS
            if allowed == (pid in self._publishers):
                continue
            (self._publishers.add if allowed else self._publishers.discard)(pid)
            if not allowed:
                self.relay.unpublish(pid)
            self.channel.spawn(self.sio.emit("media.publish", {"allowed": allowed}, to=owner))

    def _watch_holder(self, assembly: Assembly) -> None:
        """A hall given the floor whose media is not arriving (not joined, link already quiet) never
        reports going silent, so it is checked once: still silent after ``stall_after``, it is paused."""
        holder = assembly.media_plan()["floor"]  # None when nobody holds it or it is paused already
        if holder is not None and not self.relay.live(relay_id(assembly.session_id, holder)):
            self.channel.spawn(self._pause_if_silent(assembly.session_id, holder))

    async def _pause_if_silent(self, session: str, village: str) -> None:
        await asyncio.sleep(self.relay.config.stall_after)
        if not self.relay.live(relay_id(session, village)):
            await follow_media(self.sessions, session, village, False, time.time())

    def _route(self, assembly: Assembly) -> None:
        """Tell the relay what every subscriber of this session receives now."""
        sid = assembly.session_id
        roles = self._roles.get(sid, {})
        plan = assembly.media_plan()

        def pid(code: str | None) -> str | None:
            return relay_id(sid, code) if code else None

        relay_plan = {
            "venue": relay_id(sid, "chair"),
            "floor": pid(plan["floor"]),
            "spotlight": pid(plan["spotlight"]),
            "screen": plan["screen"],
            "interactive": [relay_id(sid, c) for c in plan["interactive"]],
            "muted": [relay_id(sid, c) for c in plan["muted"]],
        }
        routing = plan_routes(relay_plan, roles)
        for subscriber, slots in routing.routes.items():
            self.relay.route(subscriber, slots)
            shown = {slot: RelayId.parse(src.publisher).ident if src else None for slot, src in slots.items()}
            owner = self._owners.get(subscriber)
            if owner is not None and self._shown.get(subscriber) != shown:
                self._shown[subscriber] = shown
                self.channel.spawn(self.sio.emit("media.routes", shown, to=owner))
        self._muted[sid] = routing.muted
        self.relay.set_muted(frozenset().union(*self._muted.values()))  # the relay's mute list is global

    def speaking(self, pid: str, speaking: bool) -> None:
        session, ident = RelayId.parse(pid)
        report = {"participant": ident, "speaking": speaking}
        self.channel.spawn(self.sio.emit("speaking", report, room=room(session, "staff")))

    def reconnect(self, pids: set[str]) -> None:
        """The relay lost these participants' peers (a worker died): their pages offer again."""
        for pid in pids:
            if (sid := self._owners.get(pid)) is not None:
                self.channel.spawn(self.sio.emit("media.reconnect", {}, to=sid))

    def presence(self, pid: str, live: bool) -> None:
        session, ident = RelayId.parse(pid)
        self.channel.spawn(follow_media(self.sessions, session, ident, live, time.time()))

    async def _report_stats(self) -> None:
        while True:
            await asyncio.sleep(self._stats_interval)
            by_session: dict[str, dict[str, Any]] = {}
            for pid, stats in self.relay.stats().items():
                session, ident = RelayId.parse(pid)
                by_session.setdefault(session, {})[ident] = {k: v for k, v in stats.items() if k != "receiving"}
            for session, report in by_session.items():
                await self.sio.emit("network", report, room=room(session, "staff"))

    def start(self) -> None:
        self._stats_task = asyncio.get_running_loop().create_task(self._report_stats())

    async def close(self) -> None:
        if self._stats_task is not None:
            self._stats_task.cancel()
            await asyncio.gather(self._stats_task, return_exceptions=True)
        await self.relay.close()
