"""The Socket.IO channel: connect with a credential, commands as events with acks.

A client connects with ``auth={"token": ...}`` (chair, moderator, village) or
``auth={"session": id, "browser": id}`` (the public, read-only but for "dukung").
After connecting it asks ``sync`` for a snapshot of its audience; later changes come
as ``update`` pushes carrying their log version. Every other event name is a domain
command: ``emit("ballot.cast", {..., "key": idem}, callback)`` is acked with
``{"ok": true, "version": n}`` or ``{"ok": false, "error": code, "message": text}``.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import socketio

from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from rooms.errors import DomainError, Forbidden, Invalid, UnknownCommand
from rooms.events import RecordedEvent
from server.assembly import Assembly
from server.credentials import BadCredential, Credential, Signer, require_unrevoked
from server.metrics import Metrics
from server.push import room
from server.ratelimit import TokenBucket
from server.service import Sessions

log = logging.getLogger(__name__)

_BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
COSTS: dict[str, float] = {}
MALFORMED_LIMIT = 3


@dataclass(slots=True)
class Connection:
    session: str
    actor: Actor
    credential: Credential | None  # None for the public
    audience: str  # the room its pushes come to: "staff" or "public"
    bucket: TokenBucket


def _fail(err: DomainError) -> dict[str, Any]:
    return {"ok": False, "error": err.code, "message": err.message}


class Channel:
    """Socket.IO handlers bound to one hub's sessions."""

    def __init__(self, sio: socketio.AsyncServer, sessions: Sessions, signer: Signer, metrics: Metrics,
                 rate: float, burst: int) -> None:
        self.sio, self.sessions, self.signer, self.metrics = sio, sessions, signer, metrics
        self.rate, self.burst = rate, burst
        self.conns: dict[str, Connection] = {}
        self._present: dict[tuple[str, str], int] = {}  # (session, village) → open connections here
        self.disconnect_hooks: list[Callable[[str, Connection], Awaitable[None]]] = []
        self._tasks: set[asyncio.Task[None]] = set()  # sends started without waiting
        sessions.listen(self._revoked)
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        sio.on("sync", self.on_sync)
        sio.on("*", self.on_command)

    async def _identify(self, auth: object) -> tuple[str, Actor, Credential | None]:
        if not isinstance(auth, dict):
            raise BadCredential("Kredensial diperlukan")
        if "token" in auth:
            cred = self.signer.verify(auth["token"])
            if cred.actor.kind is Kind.ADMIN:
                raise Forbidden("Kredensial operator tidak untuk ruang sidang")
            return cred.session, cred.actor, cred
        session, browser = auth.get("session"), auth.get("browser")
        if not isinstance(session, str) or not isinstance(browser, str) or not _BROWSER_ID.match(browser):
            raise Invalid("Sesi dan pengenal peramban diperlukan")
        return session, Actor(Kind.PUBLIC, f"public:{browser}"), None

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: object = None) -> None:
        try:
            session, actor, credential = await self._identify(auth)
            assembly = await self.sessions.get(session)
            require_unrevoked(assembly, credential)
            if assembly.role_of(actor) is None:
                raise Forbidden("Peserta tidak terdaftar di sesi ini")
        except DomainError as err:
            self.metrics.refused.labels(err.code).inc()
            raise socketio.exceptions.ConnectionRefusedError(
                err.message, {"error": err.code, "message": err.message}) from None
        if actor.kind in (Kind.CHAIR, Kind.MODERATOR):
            audience = "staff"
        else:
            audience = "public"
        conn = Connection(session, actor, credential, audience, TokenBucket(self.rate, self.burst))
        self.conns[sid] = conn
        await self.sio.enter_room(sid, room(session, audience))
        if actor.kind is Kind.VILLAGE:
            await self._attendance(conn, +1)
        self.metrics.connections.inc()

    async def on_disconnect(self, sid: str, *_: object) -> None:
        conn = self.conns.pop(sid, None)
        if conn is None:
            return
        self.metrics.connections.dec()
        for hook in self.disconnect_hooks:
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

    def spawn(self, send: Coroutine[Any, Any, None]) -> None:
        """Start a send without waiting for it; keep it referenced until it is done."""
        task = asyncio.get_running_loop().create_task(send)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

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

    async def on_sync(self, sid: str, *_: object) -> dict[str, Any]:
        conn = self.conns.get(sid)
        if conn is None:
            return _fail(BadCredential("Belum terhubung"))
        assembly = await self.sessions.get(conn.session)
        try:
            require_unrevoked(assembly, conn.credential)
        except DomainError as err:
            return _fail(err)
        audience = f"village:{conn.actor.id}" if conn.actor.kind is Kind.VILLAGE else conn.audience
        snapshot = assembly.snapshot(audience)
        return {"ok": True, "version": assembly.version, "models": snapshot, "now": time.time(),
                "me": {"kind": conn.actor.kind.value, "id": conn.actor.id}}

    async def on_command(self, event: str, sid: object, *args: object) -> dict[str, Any]:
        if not isinstance(sid, str):
            # an event literally named "*" reaches this catch-all without its name: (sid, data)
            return _fail(UnknownCommand("Perintah tidak dikenal: '*'"))
        started = time.perf_counter()
        conn = self.conns.get(sid)
        result = await self._command(conn, event, args)
        self.metrics.observe(event, result, time.perf_counter() - started)
        return result

    async def _command(self, conn: Connection | None, event: str, args: tuple[object, ...]) -> dict[str, Any]:
        if conn is None:
            return _fail(BadCredential("Belum terhubung"))
        if not conn.bucket.take(time.monotonic()):
            return _fail(DomainError("Terlalu banyak permintaan; tunggu sebentar", "rate_limited"))
        try:
            if len(args) != 1:
                raise Invalid("Perintah membawa tepat satu objek data")
            cmd = parse_command(event, args[0])
            done = await self.sessions.run(conn.session, cmd, conn.actor, time.time(), conn.credential)
            if cmd.name == "credential.reissue":
                return {"ok": True, "version": done.version, "link": await self._link(conn.session, cmd.args["holder"])}
        except DomainError as err:
            return _fail(err)
        except Exception:  # never crash the hub on one command; the log says what happened
            log.exception("command %s failed", event)
            return _fail(DomainError("Kesalahan internal", "internal"))
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
