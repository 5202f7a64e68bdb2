"""Page endpoints: a server-rendered shell per role; the page's JS does the live part over Socket.IO
(the public page over plain HTTP: ``server.citizens``).

Links carry the credential in the URL fragment (never sent to the server), so every
page renders the same shell for anyone; what a visitor may see and do is decided when
its socket connects.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from rooms.commands import BIDANG, ELECTORATES, METHODS, SCALES, SUMBER_DANA
from rooms.errors import NotFound
from rooms.log.chain import verify
from rooms.roster import MAX_INTERACTIVE
from rooms.session import LEVELS
from service.sessions import Sessions
from web.i18n import COOKIE, LANGUAGES, Translator, chosen

_HERE = Path(__file__).resolve().parent
STATIC = _HERE / "static"
# The browser libraries the pages load, from npm (package.json): web/vendor/{package}/ holds symlinks into
# node_modules, which a wheel's build turns into copies of the files, so an installed hub serves them
# without the checkout. Package → the file a page imports.
VENDOR = _HERE / "vendor"
CLIENTS = {"socket.io": "socket.io.esm.min.js",  # web/static/js/live.js
           "hls.js": "hls.light.min.mjs"}  # web/static/js/player.js (and its worker, hls.worker.js)

_log = logging.getLogger(__name__)
ROLES = ("chair", "moderator", "village")  # /s/{session}/{role}; the public page is /s/{session}
_YEAR = 365 * 24 * 3600
# The enums the forms offer, as the domain defines them; their labels come from the catalogs.
_CHOICES = {"bidang": list(BIDANG), "sumber_dana": list(SUMBER_DANA), "scales": list(SCALES), "methods": list(METHODS),
            "electorates": list(ELECTORATES)}

# Pages load scripts, styles and media from the hub only; nothing inline runs.
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'self'")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=True,  # everything a participant typed is rendered as text
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _render(request: web.Request, template: str, context: dict[str, Any], page: dict[str, Any] | None = None,
            status: int = 200, response: web.Response | None = None) -> web.Response:
    """Render a template in the visitor's language (into ``response``, if given: it may carry a cookie
    already); ``page`` is handed to the page's JS as JSON."""
    lang, remember = chosen(request)
    t = Translator(lang)
    config = {"lang": lang, "now": time.time(), "catalog": t.texts, "maxInteractive": MAX_INTERACTIVE,
              "levels": LEVELS, **(page or {})}  # levels: lowest first, as carry-up climbs them
    html = _env.get_template(template).render(t=t, lang=lang, languages=LANGUAGES, page=config, **context)
    response = response or web.Response()
    response.set_status(status)
    response.content_type, response.charset, response.text = "text/html", "utf-8", html
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    if remember:
        response.set_cookie(COOKIE, lang, max_age=_YEAR, path="/", samesite="Lax")
    return response


@dataclass(frozen=True)
class Wiring:
    """What the pages need from the hub, handed in by the app: web/ imports no server internals."""

    sessions: Callable[[], Sessions]  # the application service (there once the app has started)
    # a public visitor gets its browser token (a cookie on the response); whether it holds one now
    admit: Callable[[web.Request, web.StreamResponse], bool]


async def _session_model(hub: Wiring, session_id: str) -> dict[str, Any] | None:
    try:
        assembly = await hub.sessions().get(session_id, fresh=False)
    except NotFound:
        return None
    model: dict[str, Any] = assembly.read_models(["session"], "public")["session"]
    return model


async def landing(hub: Wiring, request: web.Request) -> web.Response:
    sessions = []
    for sid in await hub.sessions().ids():
        model = await _session_model(hub, sid)
        if model is not None:
            sessions.append({"id": sid, "title": model.get("title", sid), "status": model.get("status", "")})
    return _render(request, "landing.html", {"sessions": sessions})


async def _role_page(hub: Wiring, request: web.Request, role: str,
                     admit: Callable[[web.Request, web.StreamResponse], bool] | None = None) -> web.Response:
    sid = request.match_info["session"]
    model = await _session_model(hub, sid)
    if model is None:
        return _render(request, "not_found.html", {"session_id": sid}, status=404)
    opd = list(hub.sessions().rules.opd.items())  # the hub's list of OPD tujuan (--opd)
    page: dict[str, Any] = {"session": sid, "role": role}
    response = web.Response()
    if admit is not None:  # the page's scripts never see the HttpOnly cookie: they are told about it
        page["browser"] = admit(request, response)
    return _render(request, f"{role}.html", {"session": model, "opd": opd, **_CHOICES}, page, response=response)


async def public(hub: Wiring, request: web.Request) -> web.Response:
    """The public page; a browser without a token gets one here (in an HttpOnly cookie), within its
    address's hourly cap, so its "dukung" counts once."""
    return await _role_page(hub, request, "public", hub.admit)


async def role(hub: Wiring, request: web.Request) -> web.Response:
    return await _role_page(hub, request, request.match_info["role"])


_MAX_RECEIPT = 80


async def receipt(hub: Wiring, request: web.Request) -> web.Response:
    """A voter checks its secret-ballot receipt: counted or not, never which choice (the hub cannot tell).

    The code comes in a POST body, so it stays out of URLs, history and access logs."""
    sid = request.match_info["session"]
    model = await _session_model(hub, sid)
    if model is None:
        return _render(request, "not_found.html", {"session_id": sid}, status=404)
    outcome = None
    if request.method == "POST":
        code = str((await request.post()).get("code", "")).strip()
        status = await hub.sessions().check_receipt(sid, code) if 0 < len(code) <= _MAX_RECEIPT else None
        outcome = {"closed": "counted", "open": "in_box"}.get(status or "", "unknown")
    return _render(request, "receipt.html", {"session": model, "outcome": outcome})


_HASH = re.compile(r"[0-9a-f]{64}")


async def verify_page(hub: Wiring, request: web.Request) -> web.Response:
    """What a printed hash (the minutes' QR code) says: the chain is recomputed from the log now, and
    the hash is its head (nothing came after), a record within it (the log went on since), or unknown."""
    sid, digest = request.match_info["session"], request.match_info["hash"]
    model = await _session_model(hub, sid)
    if model is None or not _HASH.fullmatch(digest):
        return _render(request, "not_found.html", {"session_id": sid}, status=404)
    records = await hub.sessions().log.read(sid)
    check = verify(records)
    seq = next((r.seq for r in records if r.hash == digest), None)
    outcome = ("broken" if not check.ok else "head" if digest == check.head
               else "within" if seq is not None else "unknown")
    return _render(request, "verify.html", {"session": model, "outcome": outcome, "count": check.count,
                                            "seq": seq, "digest": digest})


async def operator(request: web.Request) -> web.Response:
    """The hub operator's page: new sessions from a roster (its credential rides in the fragment)."""
    return _render(request, "operator.html", {"levels": LEVELS}, {"session": "", "role": "operator"})


async def vendor(request: web.Request) -> web.StreamResponse:
    package = VENDOR / request.match_info["package"]
    path = package / request.match_info["name"]  # a decoded %2F may bring "../": only the package's own files
    if path.parent != package or not path.is_file():
        raise web.HTTPNotFound(text=f"{package.name} belum dipasang: jalankan `npm ci`")
    return web.FileResponse(path, headers={"Cache-Control": "public, max-age=3600"})


def endpoints(hub: Wiring) -> list[web.RouteDef | web.StaticDef]:
    for package, client in CLIENTS.items():  # a wheel built before `npm ci` leaves them out without a word
        if not (VENDOR / package / client).is_file():
            _log.warning("%s tidak ada di %s: jalankan `npm ci`, lalu pasang ulang hub", package, VENDOR / package)
    return [
        web.get("/", partial(landing, hub)),
        web.get("/operator", operator),
        web.get("/s/{session}", partial(public, hub)),
        web.get("/s/{session}/{role:" + "|".join(ROLES) + "}", partial(role, hub)),
        web.get("/s/{session}/receipt", partial(receipt, hub)),
        web.post("/s/{session}/receipt", partial(receipt, hub)),
        web.get("/verify/{session}/{hash}", partial(verify_page, hub)),
        web.get("/vendor/{package:" + "|".join(re.escape(p) for p in CLIENTS) + "}/{name}", vendor),
        web.static("/static", STATIC),
    ]
