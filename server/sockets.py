"""The Socket.IO channel: connect with a credential, commands as events with acks.

A client connects with ``auth={"token": ...}`` (chair, moderator, village) or
``auth={"session": id}`` (the public, read-only but for "dukung", which needs the browser token
the public page's cookie brings: ``server.browsers``).
After connecting it asks ``sync`` for a snapshot of its audience; later changes come
as ``update`` pushes carrying their log version. Every other event name is a domain
command: ``emit("ballot.cast", {..., "key": idem}, callback)`` is acked with
``{"ok": true, "version": n}`` or ``{"ok": false, "error": code, "message": text}``.

Limits: every event costs from one budget per client (a credential, shared by its
connections; a public browser token), snapshots and offers dearer; a credential holds at most a
few connections and one address a capped number of public ones; frames that do not parse
are logged once per connection, which is closed after a few.
"""

from __future__ import annotations

import functools
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import socketio
from aiohttp import web

from media.tasks import Tasks
from moderation.assembly import Assembly
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from rooms.errors import DomainError, Forbidden, Invalid
from rooms.events import RecordedEvent
from server.acks import refused
from server.browsers import ANONYMOUS, Browsers, require_browser
from server.config import Config
from server.credentials import BadCredential, Credential, Signer, require_unrevoked
from server.metrics import Metrics
from server.protocol import MALFORMED
from server.push import room
from server.ratelimit import Buckets, client_address
from service.sessions import Sessions

log = logging.getLogger(__name__)

# a snapshot is big, an offer a peer to set up; a hall's three screens loading at once still fit the burst
COSTS: dict[str, float] = {"sync": 5.0, "media.offer": 5.0}
MALFORMED_LIMIT = 3  # frames that do not parse a connection may send before it is closed
_UNMETERED = {"connect", "disconnect", MALFORMED}  # a bad frame is counted, never refused: it must close


class RateLimited(DomainError):
    code = "rate_limited"


class TooManyConnections(DomainError):
    code = "too_many_connections"


class OfferTooLarge(DomainError):
    code = "offer_too_large"


def public_client(ip: str, actor: Actor) -> str:
    """The public's budget key: its address and browser (those without a token share the address's)."""
    return f"public:{ip}:{actor.id}"


def _media_lines(data: tuple[object, ...]) -> int:
    sdp = data[0].get("sdp") if data and isinstance(data[0], dict) else None
    # split as aiortc's parser splits (every break str.splitlines knows, not only CR and LF)
    return sum(line.startswith("m=") for line in sdp.splitlines()) if isinstance(sdp, str) else 0


@dataclass(slots=True)
class Connection:
    session: str
    actor: Actor
    credential: Credential | None  # None for the public
    audience: str  # the room its pushes come to: "staff" or "public"
    client: str  # the budget its events cost from (shared by a credential's connections)
    holder: str  # what its connection counts against: its credential, or its address for the public
    malformed: int = 0  # frames that did not parse


def _me(conn: Connection) -> dict[str, Any]:
    """Who the page speaks for; the public's page learns only whether its browser holds a token."""
    if conn.actor.kind is Kind.PUBLIC:
        return {"kind": "public", "id": None, "browser": conn.actor != ANONYMOUS}
    return {"kind": conn.actor.kind.value, "id": conn.actor.id}



class Channel:
    """Socket.IO handlers bound to one hub's sessions."""

    def __init__(self, sio: socketio.AsyncServer, sessions: Sessions, signer: Signer, browsers: Browsers,
                 metrics: Metrics, config: Config) -> None:
        self.sio, self.sessions, self.signer, self.metrics, self.config = sio, sessions, signer, metrics, config
        self.browsers = browsers
        self.buckets = Buckets(config.rate, config.burst)
        self.conns: dict[str, Connection] = {}
        self._held: Counter[str] = Counter()  # credential or public address → open connections here
        self._present: dict[tuple[str, str], int] = {}  # (session, village) → open connections here
        self._disconnect_hooks: list[Callable[[str, Connection], Awaitable[None]]] = []
        self._tasks = Tasks("channel")  # sends started without waiting
        sessions.listen(self._revoked)
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        sio.on("sync", self.on_sync)
        sio.on("*", self.on_command)
        sio.on(MALFORMED, self.on_malformed)

    def _identify(self, auth: object, request: web.BaseRequest | None) -> tuple[str, Actor, Credential | None]:
        if not isinstance(auth, dict):
            raise BadCredential("Kredensial diperlukan")
        if "token" in auth:
            cred = self.signer.verify(auth["token"])
            if cred.actor.kind is Kind.ADMIN:
                raise Forbidden("Kredensial operator tidak untuk ruang sidang")
            return cred.session, cred.actor, cred
        session = auth.get("session")
        if not isinstance(session, str):
            raise Invalid("Sesi diperlukan")
        # the browser is who the handshake's cookie says, never an id the client sends
        return session, self.browsers.actor(request), None

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        request = environ.get("aiohttp.request")  # the handshake: its cookie and its address
        try:
            session, actor, credential = self._identify(auth, request)
            assembly = await self.sessions.get(session)
            require_unrevoked(assembly, credential)
            if assembly.role_of(actor) is None:
                raise Forbidden("Peserta tidak terdaftar di sesi ini")
            client, holder = self._hold(actor, credential, client_address(request, self.config.trusted_proxies))
        except DomainError as err:
            self.metrics.refused.labels(err.code).inc()
            raise socketio.exceptions.ConnectionRefusedError(
                err.message, {"error": err.code, "message": err.message}) from None
        audience = "staff" if actor.kind in (Kind.CHAIR, Kind.MODERATOR) else "public"
        conn = Connection(session, actor, credential, audience, client, holder)
        self.conns[sid] = conn
        self.buckets.join(client, time.monotonic())
        await self.sio.enter_room(sid, room(session, audience))
        if actor.kind is Kind.VILLAGE:
            await self._attendance(conn, +1)
        self.metrics.connections.inc()

    def _hold(self, actor: Actor, credential: Credential | None, ip: str) -> tuple[str, str]:
        """Count one more connection for its credential (or its address); its budget key and holder."""
        if credential is not None:
            client = holder = f"credential:{credential.id}"
            cap, why = self.config.per_credential, "Tautan ini sudah terbuka di {} sambungan; tutup salah satu"
        else:
            client, holder = public_client(ip, actor), f"ip:{ip}"
            cap, why = self.config.public_per_ip, "Terlalu banyak sambungan publik dari alamat ini (paling banyak {})"
        if self._held[holder] >= cap:
            raise TooManyConnections(why.format(cap))
        self._held[holder] += 1
        return client, holder

    async def on_disconnect(self, sid: str, *_: object) -> None:
        conn = self.conns.pop(sid, None)
        if conn is None:
            return
        self._held[conn.holder] -= 1
        if self._held[conn.holder] <= 0:
            del self._held[conn.holder]
        self.buckets.leave(conn.client)
        self.metrics.connections.dec()
        for hook in self._disconnect_hooks:
            await hook(sid, conn)
        if conn.actor.kind is Kind.VILLAGE:
            await self._attendance(conn, -1)

    async def _attendance(self, conn: Connection, delta: int) -> None:
        """Record a village's arrival on its first connection here and departure on its last."""
        key = (conn.session, conn.actor.id)
        count = self._present.get(key, 0) + delta
        self._present[key] = count
        if count == (1 if delta > 0 else 0):
            if count == 0:
                del self._present[key]
            name = "attendance.join" if delta > 0 else "attendance.leave"
            cmd = parse_command(name, {"village": conn.actor.id})
            try:
                await self.sessions.execute(conn.session, cmd, Actor(Kind.SYSTEM, "hub"), time.time())
            except DomainError as err:  # e.g. session closed: attendance is then history
                log.info("attendance not recorded for %s: %s", conn.actor.id, err.code)

    def after_disconnect(self, hook: Callable[[str, Connection], Awaitable[None]]) -> None:
        """Call ``hook(sid, connection)`` when a connection that joined a session goes."""
        self._disconnect_hooks.append(hook)

    def spawn(self, send: Coroutine[Any, Any, None]) -> None:
        """Start a send without waiting for it."""
        self._tasks.spawn(send)

    async def close(self) -> None:
        await self._tasks.close()

    def _revoked(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        """Close this node's connections that hold a credential just revoked."""
        if not any(r.type == "credential.revoked" for r in records):
            return
        for sid, conn in list(self.conns.items()):
            cred = conn.credential
            if conn.session == assembly.session_id and cred is not None and assembly.is_revoked(
                    cred.id, cred.actor.id, cred.generation):
                self.spawn(self.sio.disconnect(sid))

    def connection(self, sid: str) -> Connection:
        """The connection behind ``sid``, its credential still unrevoked and current (for the media events)."""
        conn = self.conns.get(sid)
        if conn is None:
            raise BadCredential("Belum terhubung")
        assembly = self.sessions.cached(conn.session)
        if assembly is not None:
            require_unrevoked(assembly, conn.credential)
        return conn

    def meter(self) -> None:
        """Charge every event handler registered so far to its client's budget (once all are)."""
        for event, handler in list(self.sio.handlers.get("/", {}).items()):
            if event not in _UNMETERED:
                self.sio.on(event, self._metered(event, handler))

    def _metered(self, event: str, handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        @functools.wraps(handler)
        async def metered(*args: Any) -> Any:
            # the catch-all gets (event, sid, *data), every other handler (sid, *data): no event is named
            # "*" (server.protocol renames it)
            name, sid, data = (args[0], args[1], args[2:]) if event == "*" else (event, args[0], args[1:])
            refusal = self._admit(sid, name, data)
            if refusal is not None:
                self.metrics.observe(name, refusal, 0.0)
                return refusal
            return await handler(*args)

        return metered

    def _admit(self, sid: str, event: str, data: tuple[object, ...]) -> dict[str, Any] | None:
        """A refusal if the event is over its client's budget or an offer too large; else None."""
        conn = self.conns.get(sid)
        if conn is None:  # the handler refuses it
            return None
        if not self.buckets.take(conn.client, time.monotonic(), COSTS.get(event, 1.0)):
            return refused(RateLimited("Terlalu banyak permintaan; tunggu sebentar"))
        if event == "media.offer" and _media_lines(data) > self.config.media_lines:
            return refused(OfferTooLarge(f"Penawaran media paling banyak {self.config.media_lines} baris m="))
        return None

    async def on_malformed(self, sid: str, *_: object) -> None:
        """A frame that did not parse: logged once per connection, closed after a few."""
        conn = self.conns.get(sid)
        if conn is None:
            return
        conn.malformed += 1
        if conn.malformed == 1:
            log.warning("protocol error: a frame that does not parse from %s (%s)", sid, conn.actor.id)
        if conn.malformed > MALFORMED_LIMIT:  # tell it why, then close the transport it abuses
            transport = self.sio.manager.eio_sid_from_sid(sid, "/")
            await self.sio.disconnect(sid)
            if transport is not None:
                await self.sio.eio.disconnect(transport)

    async def on_sync(self, sid: str, *_: object) -> dict[str, Any]:
        conn = self.conns.get(sid)
        if conn is None:
            return refused(BadCredential("Belum terhubung"))
        assembly = await self.sessions.get(conn.session)
        try:
            require_unrevoked(assembly, conn.credential)
        except DomainError as err:
            return refused(err)
        audience = f"village:{conn.actor.id}" if conn.actor.kind is Kind.VILLAGE else conn.audience
        snapshot = assembly.snapshot(audience)
        return {"ok": True, "version": assembly.version, "models": snapshot, "now": time.time(), "me": _me(conn)}

    async def on_command(self, event: str, sid: str, *args: object) -> dict[str, Any]:
        started = time.perf_counter()
        conn = self.conns.get(sid)
        result = await self._command(conn, event, args)
        self.metrics.observe(event, result, time.perf_counter() - started)
        return result

    async def _command(self, conn: Connection | None, event: str, args: tuple[object, ...]) -> dict[str, Any]:
        if conn is None:
            return refused(BadCredential("Belum terhubung"))
        try:
            if len(args) != 1:
                raise Invalid("Perintah membawa tepat satu objek data")
            cmd = parse_command(event, args[0])
            require_browser(conn.actor)
            done = await self.sessions.run(conn.session, cmd, conn.actor, time.time(), conn.credential)
            if cmd.name == "credential.reissue":
                return {"ok": True, "version": done.version, "link": await self._link(conn.session, cmd.args["holder"])}
        except DomainError as err:
            return refused(err)
        except Exception:  # never crash the hub on one command; the log says what happened
            log.exception("command %s failed", event)
            return refused(DomainError("Kesalahan internal", "internal"))
        # a secret vote's receipt goes to its voter alone, here, and is kept nowhere in clear
        return {"ok": True, "version": done.version, **({"receipt": done.receipt} if done.receipt else {})}

    async def _link(self, session: str, holder: str) -> str:
        """The page link (path and fragment) of a holder's credential of the current generation."""
        assembly = await self.sessions.get(session, fresh=False)
        kind = assembly.holder_kind(holder)
        assert kind is not None  # the re-issue was decided against this roster
        village = holder if kind is Kind.VILLAGE else None
        token = self.signer.issue(session, kind, holder, village, assembly.generation(holder))
        return f"/s/{session}/{kind.value}#t={token}"
