"""Photo routes: a village uploads a photo of its proposal's location, and anyone may see them (the
board is public). The work is service.photos'; this checks who asks. Removing one is a command
(``proposal.photo_remove``) over the channel, like the rest of screening."""

from __future__ import annotations

import re
import time

from aiohttp import web

from rooms.actors import Kind
from rooms.errors import DomainError, Forbidden, NotFound
from server.api import bearer
from server.keys import PHOTO_UPLOADS, PHOTOS
from service.credentials import Credential
from service.photos import MAX_UPLOAD, TooLarge

_CACHE = "public, max-age=3600"  # an id's picture never changes; a removed one is gone from caches within the hour
_FILE = re.compile(r"(F-[0-9a-f]{12})(\.thumb)?\.jpg")
_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")
UPLOADS_PER_HOUR = 60  # per village: each upload is a re-encoding's CPU, so a loop of add and remove is bounded


class TooManyUploads(DomainError):
    code = "rate_limited"


def _village(request: web.Request) -> Credential:
    """The Bearer credential of one of this session's villages; Forbidden otherwise (whose proposal it
    is, and whether the credential still holds, the record decides)."""
    cred = bearer(request)
    if cred is None or cred.session != request.match_info["session"] or cred.actor.kind is not Kind.VILLAGE:
        raise Forbidden("Hanya desa pengusul yang dapat menambah foto usulannya")
    return cred


async def _body(request: web.Request) -> bytes:
    """The upload, read no further than the limit (the app's body cap is for JSON, smaller)."""
    if (request.content_length or 0) > MAX_UPLOAD:
        raise TooLarge(f"Foto paling besar {MAX_UPLOAD // (1024 * 1024)} MB")
    data = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        data += chunk
        if len(data) > MAX_UPLOAD:
            raise TooLarge(f"Foto paling besar {MAX_UPLOAD // (1024 * 1024)} MB")
    return bytes(data)


async def upload(request: web.Request) -> web.Response:
    """``POST …/proposals/{proposal}/photos``: the body is the JPEG or PNG itself; ``?key=`` makes a retry safe."""
    cred = _village(request)
    if not request.app[PHOTO_UPLOADS].take(f"{cred.session}:{cred.actor.id}", time.monotonic()):
        raise TooManyUploads(f"Paling banyak {UPLOADS_PER_HOUR} unggahan foto sejam per desa")
    key = request.query.get("key")
    if key is not None and not _KEY.fullmatch(key):
        key = None
    data = await _body(request)
    m = request.match_info
    version = await request.app[PHOTOS].add(m["session"], m["proposal"], data, cred, time.time(), key)
    return web.json_response({"ok": True, "version": version}, status=201)


async def photo(request: web.Request) -> web.FileResponse:
    """A photo or its thumbnail, for anyone, while a proposal holds it."""
    found = _FILE.fullmatch(request.match_info["file"])
    if found is None:
        raise NotFound("Foto tidak ditemukan")
    photos, session = request.app[PHOTOS], request.match_info["session"]
    await photos.require_held(session, found[1])
    path = photos.files.path(session, found[1], thumb=bool(found[2]))
    if not path.exists():  # recorded by another node that keeps its own data folder
        raise NotFound("Berkas foto tidak ada di hub ini")
    return web.FileResponse(path, headers={"Cache-Control": _CACHE, "Content-Type": "image/jpeg",
                                           "X-Content-Type-Options": "nosniff"})


def endpoints() -> list[web.RouteDef]:
    return [
        web.post("/api/sessions/{session}/proposals/{proposal}/photos", upload),
        web.get("/api/sessions/{session}/photos/{file}", photo),
    ]
