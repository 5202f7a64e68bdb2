"""The public page's data path over plain HTTP, so that a cache in front (nginx) carries the citizens.

``GET /s/{id}/live.json`` is the public audience's snapshot (what a public ``sync`` answers) as a
cacheable resource: a strong ETag from the session's version, ``public, max-age=1``, 304 on a
matching ``If-None-Match``, and never a cookie. Its body is built once per version and kept, so a
poll costs the hub a lookup whether nginx is in front or not; with several nodes the node reads
what the others appended at most every ``_REFRESH`` seconds, however many polls come.

``POST /s/{id}/support`` is a citizen's "dukung": the browser is the hub's ``mh_browser`` cookie
(``server.browsers``), the budget the same bucket a public connection of that address and browser
spends from, and the command lingers so that thousands of supports go to the log in one append
every ``support_batch`` seconds (``service.sessions``).
"""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from moderation.assembly import Assembly
from rooms.commands import parse_command
from rooms.errors import DomainError, Forbidden, Invalid
from rooms.events import RecordedEvent
from server.acks import refused
from server.browsers import require_browser
from server.keys import BROWSERS, CHANNEL, CONFIG, METRICS, SESSIONS
from server.ratelimit import client_address
from server.sockets import RateLimited, public_client
from service.sessions import Sessions, Unavailable

_REFRESH = 0.5  # seconds: how stale a node's view of another node's appends may be before a poll reads the log
_CACHE = "public, max-age=1, stale-while-revalidate=2"
_MAX_BODY = 4096  # a support is a proposal id and a key


@dataclass(frozen=True, slots=True)
class _Body:
    version: int
    plain: bytes
    packed: bytes  # gzip: the board is most of it, and compresses about tenfold


class LiveBodies:
    """The encoded public snapshot of each session at its durable version, dropped when a batch lands."""

    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions
        self._bodies: dict[str, _Body] = {}
        self._read: dict[str, float] = {}  # session → when this node last read its log for a poll
        sessions.listen(self.changed)

    def changed(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        self._bodies.pop(assembly.session_id, None)

    async def current(self, sid: str) -> _Body:
        sessions, now = self._sessions, time.monotonic()
        if now - self._read.get(sid, float("-inf")) >= _REFRESH:
            await sessions.get(sid)  # NotFound for an unknown id, before anything is kept for it
            self._read[sid] = now
        body = self._bodies.get(sid)
        if body is not None:
            return body
        await sessions.get(sid, fresh=False)
        # a batch is folded ahead of its append, under the lock: build from durable state only
        async with sessions.lock(sid):
            assembly = sessions.cached(sid)
            if assembly is not None:
                plain = json.dumps({"version": assembly.version, "models": assembly.snapshot("public")},
                                   ensure_ascii=False, separators=(",", ":")).encode()
                body = self._bodies[sid] = _Body(assembly.version, plain, gzip.compress(plain, 6, mtime=0))
        if body is None:  # dropped after a failed append; the next poll rebuilds it
            raise Unavailable("Penyimpanan gagal; coba lagi")
        return body


LIVE = web.AppKey("live", LiveBodies)


def _etag(version: int, packed: bool) -> str:
    return f'"v{version}{"-gz" if packed else ""}"'


async def live(request: web.Request) -> web.Response:
    body = await request.app[LIVE].current(request.match_info["session"])
    packed = "gzip" in request.headers.get("Accept-Encoding", "")
    etag = _etag(body.version, packed)
    # nginx counts max-age in whole seconds from its own, so "1" keeps a copy 1-2 s; told the absolute
    # second instead, it keeps it to the end of this one (0-1 s), and never passes the header on
    headers = {"ETag": etag, "Cache-Control": _CACHE, "Vary": "Accept-Encoding",
               "X-Accel-Expires": f"@{int(time.time())}"}
    if etag in (tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")):
        return web.Response(status=304, headers=headers)
    if packed:
        headers["Content-Encoding"] = "gzip"
    return web.Response(body=body.packed if packed else body.plain, content_type="application/json",
                        charset="utf-8", headers=headers)


def _same_origin(request: web.Request) -> None:
    """A browser's POST names its origin: only the hub's own and the configured ones may spend a
    citizen's cookie (SameSite=Lax already keeps it off other sites' POSTs; this holds without it)."""
    origin = request.headers.get("Origin")
    if origin is None or origin in request.app[CONFIG].origins or urlsplit(origin).netloc == request.host:
        return
    raise Forbidden("Asal permintaan tidak diizinkan")


async def _payload(request: web.Request) -> dict[str, Any]:
    if (request.content_length or 0) > _MAX_BODY:
        raise Invalid("Badan permintaan terlalu besar")
    try:
        body = json.loads(await request.read())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Invalid("Badan permintaan harus JSON") from None
    if not isinstance(body, dict):
        raise Invalid("Badan permintaan harus objek JSON")
    return body


async def support(request: web.Request) -> web.Response:
    started = time.perf_counter()
    metrics = request.app[METRICS]
    try:
        result = await _support(request)
    except DomainError as err:  # the API's middleware answers it with its status
        metrics.observe("support.give", refused(err), time.perf_counter() - started)
        raise
    metrics.observe("support.give", result, time.perf_counter() - started)
    return web.json_response(result, headers={"Cache-Control": "no-store"})


async def _support(request: web.Request) -> dict[str, Any]:
    app, sid = request.app, request.match_info["session"]
    _same_origin(request)
    await app[SESSIONS].get(sid, fresh=False)  # an unknown session before any budget is kept for it
    actor = app[BROWSERS].actor(request)
    buckets, config = app[CHANNEL].buckets, app[CONFIG]
    client = public_client(client_address(request, config.trusted_proxies), actor)
    buckets.join(client, time.monotonic())  # joined for this request only: the bucket outlives it until full
    try:
        if not buckets.take(client, time.monotonic(), 1.0):
            raise RateLimited("Terlalu banyak permintaan; tunggu sebentar")
    finally:
        buckets.leave(client)
    cmd = parse_command("support.give", await _payload(request))
    require_browser(actor)
    done = await app[SESSIONS].run(sid, cmd, actor, time.time(), linger=config.support_batch)
    return {"ok": True, "version": done.version, "now": time.time()}


def endpoints() -> list[web.RouteDef]:
    return [
        web.get("/s/{session}/live.json", live),
        web.post("/s/{session}/support", support),
    ]
