"""The JSON HTTP API: sessions, snapshots, the verified event log, health and metrics."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from moderation.assembly import Assembly
from recordings.paths import session_dir
from recordings.storage import usage
from rooms.actors import Kind
from rooms.ballot import box_digest
from rooms.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from rooms.events import RecordedEvent
from rooms.log.chain import canonical, to_json, verify
from rooms.roster import parse_roster_csv, pick_interactive
from rooms.session import DESA
from server import archive, minutes
from server.acks import refused
from server.credentials import BadCredential, Credential, require_unrevoked
from server.jobs import RUNNING, Result
from server.joinsheets import entries, join_sheet
from server.keys import BROADCASTS, CONFIG, JOBS, METRICS, RECORDING, SESSIONS, SIGNER
from server.operator import require_operator
from server.provision import Link, found_session
from server.sheets import FORMATS, render
from service.carry import carry_file, onward, read_carry, take_in
from service.exports import SHEETS

_STATUS = {"invalid": 400, "unknown_command": 400, "unauthorized": 401, "expired": 401, "forbidden": 403,
           "not_found": 404, "conflict": 409, "version_conflict": 409, "session_closed": 409,
           "level_mismatch": 409, "already_carried": 409, "nothing_to_carry": 409, "no_next_level": 409,
           "origin_mismatch": 409, "chain_broken": 422, "carry_mismatch": 422, "too_large": 413,
           "busy": 503, "log_broken": 500,
           "not_an_image": 415, "too_many_photos": 409, "photo_quota": 409, "rate_limited": 429,
           "no_browser_token": 403, "already_supported": 409, "unavailable": 503}
_EXPORT_BATCH = 1000  # log lines per write of an export
_MAX_BODY = 2 * 1024 * 1024  # a roster of a few thousand villages fits with room to spare
_MAX_CARRY = 64 * 1024 * 1024  # a carry file holds its session's whole log: a long regency-wide day fits


def _error(err: DomainError) -> web.Response:
    return web.json_response(refused(err), status=_STATUS.get(err.code, 400))


@web.middleware
async def domain_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except DomainError as err:
        request.app[METRICS].http_errors.labels(err.code).inc()
        return _error(err)


def bearer(request: web.Request) -> Credential | None:
    """The credential in ``Authorization: Bearer``, verified; None without the header."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    if not header.startswith("Bearer "):
        raise BadCredential("Gunakan Authorization: Bearer <kredensial>")
    return request.app[SIGNER].verify(header.removeprefix("Bearer ").strip())


async def _audience(request: web.Request, session_id: str) -> str:
    """Who reads: staff of this session, one of its villages, else the public."""
    cred = bearer(request)
    if cred is None or cred.session != session_id:
        return "public"
    require_unrevoked(await request.app[SESSIONS].get(session_id), cred)
    if cred.actor.kind in (Kind.CHAIR, Kind.MODERATOR):
        return "staff"
    return f"village:{cred.actor.id}" if cred.actor.kind is Kind.VILLAGE else "public"


async def healthz(request: web.Request) -> web.Response:
    sessions = await request.app[SESSIONS].ids()  # touches the store: a dead Redis fails the check
    return web.json_response({"ok": True, "store": "redis" if request.app[CONFIG].redis_url else "sqlite",
                              "sessions": len(sessions)})


async def metrics(request: web.Request) -> web.Response:
    return web.Response(body=request.app[METRICS].render(), content_type="text/plain", charset="utf-8")


async def list_sessions(request: web.Request) -> web.Response:
    sessions = request.app[SESSIONS]
    out = []
    for sid in await sessions.ids():
        model = (await sessions.get(sid, fresh=False)).read_models(["session"], "public")["session"]
        out.append({"id": sid, **model})
    return web.json_response({"sessions": out})


async def _operator(request: web.Request) -> None:
    cred = bearer(request)
    if cred is None or cred.actor.kind is not Kind.ADMIN:
        raise Forbidden("Hanya operator hub yang dapat membuat sesi")
    await require_operator(request.app[SESSIONS].log, cred)


async def _body(request: web.Request, known: set[str]) -> dict[str, Any]:
    """The operator's JSON object: only known fields; a roster rides in it, so it may be large."""
    if (request.content_length or 0) > _MAX_BODY:
        raise Invalid("Berkas terlalu besar")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise Invalid("Badan permintaan harus JSON") from None
    if not isinstance(body, dict) or set(body) - known:
        raise Invalid(f"Isian yang dikenal: {', '.join(sorted(known))}")
    return body


async def roster_preview(request: web.Request) -> web.Response:
    """The villages of a roster CSV, and (given a venue) the hub's pick of interactive ones — for the
    operator page, so the browser never parses a roster itself."""
    await _operator(request)
    body = await _body(request, {"roster_csv", "venue"})
    roster, venue = body.get("roster_csv"), body.get("venue")
    if not isinstance(roster, str) or not (venue is None or isinstance(venue, str)):
        raise Invalid("roster_csv wajib berupa teks; venue kode desa")
    villages = parse_roster_csv(roster)
    return web.json_response({
        "villages": [{"code": v.code, "name": v.name, "kecamatan": v.kecamatan_name} for v in villages],
        "interactive": pick_interactive(villages, venue) if venue else []})


async def create(request: web.Request) -> web.Response:
    await _operator(request)
    body = await _body(request, {"title", "roster_csv", "venue", "interactive", "level"})
    title, roster, venue, level = body.get("title"), body.get("roster_csv"), body.get("venue"), body.get("level", DESA)
    interactive = body.get("interactive")
    if not (isinstance(title, str) and isinstance(roster, str) and isinstance(venue, str) and isinstance(level, str)):
        raise Invalid("title, roster_csv, venue dan level wajib berupa teks")
    if interactive is not None and not (isinstance(interactive, list) and all(isinstance(x, str) for x in interactive)):
        raise Invalid("interactive harus daftar kode desa")
    sid, links = await found_session(request.app[SESSIONS], request.app[SIGNER], request.app[CONFIG].base_url,
                                     title, roster, venue, interactive=interactive, level=level)
    return web.json_response({"id": sid, "links": [_link(link) for link in links]}, status=201)


def _link(link: Link) -> dict[str, Any]:
    v = link.village
    return {"role": link.role, "village": v.code if v else None, "name": v.name if v else None,
            "kecamatan": v.kecamatan_name if v else None, "interactive": link.interactive, "url": link.url}


async def snapshot(request: web.Request) -> web.Response:
    sid = request.match_info["session"]
    assembly = await request.app[SESSIONS].get(sid)
    return web.json_response(assembly.snapshot(await _audience(request, sid)))


async def _staff_only(request: web.Request, sid: str) -> Assembly:
    """Only staff of the session and the operator read its log and what is built from it (it names who
    did what; a join sheet holds credentials). Returns the session's state."""
    cred = bearer(request)
    staff = cred is not None and (cred.actor.kind is Kind.ADMIN or (
        cred.session == sid and cred.actor.kind in (Kind.CHAIR, Kind.MODERATOR)))
    if not staff:
        raise Forbidden("Hanya untuk pimpinan, moderator dan operator sidang ini")
    assembly = await request.app[SESSIONS].get(sid)  # 404 for an unknown session
    if cred is not None and cred.actor.kind is Kind.ADMIN:
        await require_operator(request.app[SESSIONS].log, cred)
    else:
        require_unrevoked(assembly, cred)
    return assembly


async def event_log(request: web.Request) -> web.Response:
    """The whole log with its hash-chain verification — for staff and the operator (it names voters)."""
    sid = request.match_info["session"]
    await _staff_only(request, sid)
    records = await request.app[SESSIONS].log.read(sid)
    check = verify(records)
    boxes, bad_boxes = await _closed_boxes(request, sid, records)
    return web.json_response({
        "session": sid,
        "verification": {"ok": check.ok and not bad_boxes, "count": check.count, "head": check.head,
                         "first_bad": check.first_bad, "reason": check.reason, "bad_boxes": bad_boxes},
        "events": [to_json(r) for r in records],
        "boxes": boxes,
    })


async def _closed_boxes(request: web.Request, sid: str, records: list[RecordedEvent]
                        ) -> tuple[dict[str, list[list[Any]]], list[str]]:
    """Closed secret ballots' papers (sorted: no village, no order), and those not matching the
    digest their close committed to the chain. An open ballot's box stays shut: it would show tallies."""
    committed = {r.data["ballot"]: r.data["box"] for r in records if r.type == "ballot.closed" and "box" in r.data}
    boxes: dict[str, list[list[Any]]] = {}
    for ballot in committed:
        boxes[ballot] = [[p.token, list(p.choice)] for p in await request.app[SESSIONS].log.box(sid, ballot)]
    bad = [b for b, seal in committed.items()
           if seal != {"papers": len(boxes[b]), "digest": box_digest((t, c) for t, c in boxes[b])}]
    return boxes, bad


async def log_export(request: web.Request) -> web.StreamResponse:
    """The log as JSON lines, hash chain included, to keep and to check with ``python -m server verify``."""
    sid = request.match_info["session"]
    await _staff_only(request, sid)
    response = web.StreamResponse(headers={
        "Content-Type": "application/x-ndjson; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{sid}-log.jsonl"',
        "Cache-Control": "no-store",
    })
    await response.prepare(request)
    records = await request.app[SESSIONS].log.read(sid)
    for start in range(0, len(records), _EXPORT_BATCH):  # sent in parts: a slow reader holds no big buffer
        await response.write(export_lines(records[start:start + _EXPORT_BATCH]))
    await response.write_eof()
    return response


def export_lines(records: list[RecordedEvent]) -> bytes:
    """Records as the log export has them: one canonical JSON object a line."""
    return b"".join(canonical(to_json(r)) + b"\n" for r in records)


async def storage(request: web.Request) -> web.Response:
    """The recordings' size and the disk's free space, and how the session's recording fares: staff only."""
    sid = request.match_info["session"]
    await _staff_only(request, sid)
    config = request.app[CONFIG]
    root = config.recordings_root
    report = await asyncio.to_thread(usage, root, session_dir(root, sid), config.recordings_min_free << 20)
    return web.json_response({**report, "recording": request.app[RECORDING].status(sid)},
                             headers={"Cache-Control": "no-store"})


async def session_archive(request: web.Request) -> web.StreamResponse:
    """The log export, the manifest and the recordings as one tar, its length told up front: staff only."""
    sid = request.match_info["session"]
    await _staff_only(request, sid)
    records = await request.app[SESSIONS].log.read(sid)
    log = await asyncio.to_thread(export_lines, records)
    found = await asyncio.to_thread(archive.members, sid, log, session_dir(request.app[CONFIG].recordings_root, sid))
    response = web.StreamResponse(headers={
        "Content-Type": "application/x-tar",
        "Content-Disposition": f'attachment; filename="{sid}-arsip.tar"',
        "Cache-Control": "no-store",
    })
    response.content_length = archive.length(found)
    await response.prepare(request)
    await archive.send(response, found)
    await response.write_eof()
    return response


async def export(request: web.Request) -> web.Response:
    """One of the session's sheets (service.exports) as CSV, XLSX or JSON: staff and the operator."""
    sid, name, fmt = request.match_info["session"], request.match_info["sheet"], request.match_info["fmt"]
    if name not in SHEETS or fmt not in FORMATS:
        raise NotFound(f"Tidak ada ekspor {name}.{fmt}; ada: {', '.join(SHEETS)} sebagai {', '.join(FORMATS)}")
    sheet = SHEETS[name](await _staff_only(request, sid), request.app[CONFIG].base_url)
    body = await asyncio.to_thread(render, sheet, fmt)  # an XLSX of a big session takes a while: not on the loop
    return web.Response(body=body, content_type=FORMATS[fmt].split(";")[0], charset=(
        "utf-8" if ";" in FORMATS[fmt] else None), headers={
        "Content-Disposition": f'attachment; filename="{sid}-{name}.{fmt}"', "Cache-Control": "no-store"})


async def join_sheets(request: web.Request) -> web.Response:
    """The printable join sheet: every village's link as a QR code by kecamatan, or one village's page
    (``?village=CODE``, to print again after a re-issue). Staff and the operator only: it holds credentials."""
    sid = request.match_info["session"]
    assembly = await _staff_only(request, sid)
    code = request.query.get("village")
    chosen = entries(assembly, request.app[SIGNER], request.app[CONFIG].base_url, code)
    if not chosen:
        raise NotFound("Desa itu tidak ada dalam daftar sidang ini")
    name = f"{sid}-tautan-{code}.pdf" if code else f"{sid}-tautan.pdf"
    title = assembly.read_models(["session"], "public")["session"]["title"]
    pdf = await asyncio.to_thread(join_sheet, title, chosen)  # ~6 s for 217 villages: never on the event loop
    return web.Response(body=pdf, content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


async def carry_export(request: web.Request) -> web.Response:
    """The session's ranked proposals going up, with the log that proves them (service.carry): staff and
    the operator, as for the log itself."""
    sid = request.match_info["session"]
    await _staff_only(request, sid)
    records = await request.app[SESSIONS].log.read(sid)
    body = await asyncio.to_thread(carry_file, sid, records)  # a fold of the whole log: not on the loop
    return web.Response(body=body, content_type="application/json", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="{sid}-carry.json"', "Cache-Control": "no-store"})


async def _upload(request: web.Request, limit: int) -> bytes:
    """The request's body, read in parts and refused past ``limit`` (beyond the hub's usual body size)."""
    if (request.content_length or 0) > limit:
        raise DomainError("Berkas terlalu besar", "too_large")
    parts, size = [], 0
    async for chunk in request.content.iter_chunked(1 << 16):
        size += len(chunk)
        if size > limit:
            raise DomainError("Berkas terlalu besar", "too_large")
        parts.append(chunk)
    return b"".join(parts)


async def carry_import(request: web.Request) -> web.Response:
    """Take a lower session's carry file into this one: the operator or this session's chair and
    moderators. The file's chain is recomputed before anything is decided; a refusal changes nothing."""
    target = request.match_info["session"]
    await _staff_only(request, target)
    cred = bearer(request)
    assert cred is not None  # _staff_only refused anyone without one
    carry = await asyncio.to_thread(read_carry, await _upload(request, _MAX_CARRY))
    version, rows = await take_in(request.app[SESSIONS], target, carry, cred.actor, cred)
    return web.json_response({"ok": True, "version": version, "origin": carry.session, "origin_title": carry.title,
                              "head": carry.head, "carried": rows}, status=201)


async def carried(request: web.Request) -> web.Response:
    """Where this session's carried proposals stand at the next level: a village its own, staff all."""
    sid = request.match_info["session"]
    audience = await _audience(request, sid)
    if audience == "public":
        raise Forbidden("Hanya desa sidang ini, pimpinan dan moderator")
    village = audience.removeprefix("village:") if audience.startswith("village:") else None
    return web.json_response({"session": sid, "onward": await onward(request.app[SESSIONS], sid, village)})


async def broadcast(request: web.Request) -> web.Response:
    """The session's RTMP pushes and their state, for the moderator page (staff and the operator:
    it names where the program goes)."""
    sid = request.match_info["session"]
    await _staff_only(request, sid)
    return web.json_response({"session": sid, "pushes": request.app[BROADCASTS].states(sid)},
                             headers={"Cache-Control": "no-store"})


def _file(result: Result) -> web.Response:
    return web.Response(body=result.body, content_type=result.content_type, headers={
        "Content-Disposition": f'attachment; filename="{result.filename}"', "Cache-Control": "no-store"})


async def minutes_pdf(request: web.Request) -> web.Response:
    """The berita acara: a draft (watermarked) while the session runs, the kept final once it is closed.
    Staff and the operator; built in a worker thread, this request waiting for it."""
    sid = request.match_info["session"]
    assembly = await _staff_only(request, sid)
    app = request.app
    job = minutes.start(app[JOBS], app[SESSIONS], app[CONFIG], sid, closed=assembly.status == "closed")
    return _file(await job.outcome())


async def minutes_job(request: web.Request) -> web.Response:
    """Start building the minutes in the background (or join the build under way): the page polls the job."""
    sid = request.match_info["session"]
    assembly = await _staff_only(request, sid)
    app = request.app
    job = minutes.start(app[JOBS], app[SESSIONS], app[CONFIG], sid, closed=assembly.status == "closed")
    return web.json_response(job.view(), status=202)


async def job_status(request: web.Request) -> web.Response:
    """A background job's progress (0..1) and state: running, done, failed (with its error code)."""
    sid = request.match_info["session"]
    await _staff_only(request, sid)
    return web.json_response(request.app[JOBS].get(sid, request.match_info["job"]).view())


async def job_file(request: web.Request) -> web.Response:
    """What a finished job made, as a download (kept for a while after it finishes)."""
    sid = request.match_info["session"]
    await _staff_only(request, sid)
    job = request.app[JOBS].get(sid, request.match_info["job"])
    if job.state == RUNNING:
        raise Conflict("Dokumen masih disiapkan")
    return _file(await job.outcome())


def endpoints() -> list[web.RouteDef]:
    return [
        web.get("/healthz", healthz),
        web.get("/metrics", metrics),
        web.get("/api/sessions", list_sessions),
        web.post("/api/sessions", create),
        web.post("/api/roster", roster_preview),
        web.get("/api/sessions/{session}", snapshot),
        web.get("/api/sessions/{session}/log", event_log),
        web.get("/api/sessions/{session}/log.jsonl", log_export),
        web.get("/api/sessions/{session}/export/{sheet}.{fmt}", export),
        web.get("/api/sessions/{session}/joinsheet.pdf", join_sheets),
        web.get("/api/sessions/{session}/carry.json", carry_export),
        web.post("/api/sessions/{session}/carry", carry_import),
        web.get("/api/sessions/{session}/onward", carried),
        web.get("/api/sessions/{session}/broadcast", broadcast),
        web.get("/api/sessions/{session}/minutes.pdf", minutes_pdf),
        web.post("/api/sessions/{session}/minutes.pdf/job", minutes_job),
        web.get("/api/sessions/{session}/jobs/{job}", job_status),
        web.get("/api/sessions/{session}/jobs/{job}/file", job_file),
        web.get("/api/sessions/{session}/storage", storage),
        web.get("/api/sessions/{session}/archive.tar", session_archive),
    ]
