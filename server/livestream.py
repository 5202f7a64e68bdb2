"""The citizens' livestream and the session's recording over HTTP: public, anyone may watch.

    GET /s/{id}/live/{path}             the program's HLS (recordings/paths.py): playlists and segments
    GET /s/{id}/recordings/{file}       a clip the manifest lists, as a download
    GET /api/sessions/{id}/recording    the recording: its VOD, chapters, each village's turns, clips, proposals

Everything here is the same for every visitor and carries a Cache-Control that lets nginx or a CDN
keep it: thousands of citizens cost the hub one request per cache and lifetime, not one each.
Segment names are never reused (the composer numbers on across restarts), so segments are immutable.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from moderation.assembly import Assembly
from recordings.chapters import TURN, chapters
from recordings.paths import RUNGS, manifest_path, program_dir, session_dir
from recordings.timeline import Timeline, parse
from rooms.errors import NotFound
from server.acks import refused
from server.keys import CONFIG, SESSIONS

_log = logging.getLogger(__name__)

LIVE_PLAYLIST = "public, max-age=1"  # rewritten every segment: a cache may answer within a second
VOD_PLAYLIST = "public, max-age=3600"  # written once at the close
SEGMENT = "public, max-age=31536000, immutable"
CLIP_DONE, CLIP_OPEN = "public, max-age=86400", "no-cache"  # a clip still recording grows
RECORDING_CLOSED, RECORDING_LIVE = "public, max-age=60", "public, max-age=5"
MISSING = "public, max-age=1"  # pages poll master.m3u8 until the program starts: a cache absorbs that too

TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".m4s": "video/iso.segment",
         ".mp4": "video/mp4"}
CLIP_TYPES = {".webm": "webm", ".mkv": "x-matroska", ".mp4": "mp4"}
VOD = "vod.m3u8"
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # no dot files, no "..", no separators


def _missing(message: str) -> web.Response:
    return web.json_response(refused(NotFound(message)), status=404, headers={"Cache-Control": MISSING})


def _inside(folder: Path, relative: str) -> Path | None:
    """``relative`` as a file of ``folder``: plain names only, and no symlink out of it."""
    parts = relative.split("/")
    if not all(_PART.fullmatch(p) for p in parts):
        return None
    path = folder.joinpath(*parts)
    try:
        if not path.resolve(strict=True).is_relative_to(folder.resolve(strict=True)) or not path.is_file():
            return None
    except OSError:  # not there (yet)
        return None
    return path


async def _existing(request: web.Request) -> tuple[str, Assembly] | None:
    sid = request.match_info["session"]
    try:
        return sid, await request.app[SESSIONS].get(sid, fresh=False)
    except NotFound:
        return None


async def live(request: web.Request) -> web.StreamResponse:
    found = await _existing(request)
    if found is None:
        return _missing("Sesi tidak ditemukan")
    relative = request.match_info["path"]
    kind = TYPES.get(Path(relative).suffix)
    path = _inside(program_dir(request.app[CONFIG].recordings_root, found[0]), relative) if kind else None
    if path is None or kind is None:
        return _missing("Siaran belum dimulai atau berkas tidak ada")
    cache = (SEGMENT if kind != TYPES[".m3u8"] else VOD_PLAYLIST if path.name == VOD else LIVE_PLAYLIST)
    return web.FileResponse(path, headers={"Cache-Control": cache, "Content-Type": kind,
                                           "Access-Control-Allow-Origin": "*"})  # a CDN's player page may differ


def _manifest(root: Path, session: str) -> list[dict[str, Any]]:
    path = manifest_path(root, session)
    try:
        clips = json.loads(path.read_text(encoding="utf-8"))["clips"]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as err:  # the recorders write it whole; say so if not
        _log.warning("manifest %s unreadable: %s", path, err)
        return []
    return [c for c in clips if isinstance(c, dict) and isinstance(c.get("file"), str)]


async def clip(request: web.Request) -> web.StreamResponse:
    found = await _existing(request)
    if found is None:
        return _missing("Sesi tidak ditemukan")
    sid, root, name = found[0], request.app[CONFIG].recordings_root, request.match_info["file"]
    listed = next((c for c in _manifest(root, sid) if c["file"] == name), None)
    subtype = CLIP_TYPES.get(Path(name).suffix)
    path = _inside(session_dir(root, sid), name) if listed and subtype else None
    if listed is None or path is None:
        return _missing("Rekaman tidak ada")
    media = "audio" if listed.get("kind") == "audio" and subtype == "webm" else "video"
    return web.FileResponse(path, headers={
        "Content-Type": f"{media}/{subtype}",
        "Content-Disposition": f'attachment; filename="{sid}-{path.name}"',  # _PART: nothing to escape
        "Cache-Control": CLIP_DONE if listed.get("end") is not None else CLIP_OPEN})


def _timeline(folder: Path, started_at: float) -> Timeline:
    for rung in RUNGS:
        try:
            return parse((folder / rung / VOD).read_text(encoding="utf-8"), started_at)
        except OSError:
            continue
    return Timeline((), started_at)


def _program(folder: Path) -> dict[str, Any]:
    try:
        program: dict[str, Any] = json.loads((folder / "program.json").read_text(encoding="utf-8"))
        return program
    except (OSError, ValueError):
        return {}


def _clip_view(sid: str, listed: dict[str, Any], timeline: Timeline | None) -> dict[str, Any]:
    start = listed.get("start")
    offset = round(timeline.offset(start), 3) if timeline and isinstance(start, int | float) else None
    return {"url": f"/s/{sid}/recordings/{listed['file']}", "name": Path(listed["file"]).name,
            "kind": listed.get("kind"), "layer": listed.get("layer"), "bytes": listed.get("bytes"),
            "start": start, "end": listed.get("end"),
            "offset": offset}


async def recording(request: web.Request) -> web.Response:
    """What the playback page shows: the VOD, its chapters and, per village, its turns, clips and proposals."""
    found = await _existing(request)
    if found is None:
        return _missing("Sesi tidak ditemukan")
    sid, assembly = found
    if assembly.status != "closed":  # waiting pages ask every 15 s: no log read until there is a recording to show
        return web.json_response({"session": sid, "status": assembly.status, "vod": None,
                                  "live": f"/s/{sid}/live/master.m3u8"}, headers={"Cache-Control": RECORDING_LIVE})
    root = request.app[CONFIG].recordings_root
    folder = program_dir(root, sid)
    program = _program(folder)
    ended_at = program.get("ended_at")
    timeline = _timeline(folder, float(program.get("started_at") or 0.0))
    has_vod = (folder / VOD).is_file()
    villages: dict[str, dict[str, Any]] = {}

    def village(code: str) -> dict[str, Any]:
        if code not in villages:
            v = assembly.village(code)
            villages[code] = {"village": code, "name": v.name if v else code,
                              "kecamatan": v.kecamatan_name if v else "", "turns": [], "clips": [], "proposals": []}
        return villages[code]

    roster = assembly.read_models(["roster"], "public")["roster"]
    listed: list[dict[str, Any]] = []
    for c in chapters(await request.app[SESSIONS].log.read(sid), {v["village"]: v["name"] for v in roster}):
        view = c.view(timeline, ended_at)
        if c.kind == TURN:
            entry = village(c.ref)
            view["kecamatan"] = entry["kecamatan"]
            entry["turns"].append(len(listed))
        listed.append(view)
    for clip_entry in _manifest(root, sid):
        code = clip_entry.get("publisher")  # a village's clips are its own tracks (the venue's: the venue's village)
        if isinstance(code, str) and assembly.village(code) is not None:
            village(code)["clips"].append(_clip_view(sid, clip_entry, timeline if has_vod else None))
    for p in assembly.read_models(["board"], "public")["board"]["proposals"]:
        if p["village"] in villages and p["status"] != "rejected":
            villages[p["village"]]["proposals"].append({"proposal": p["proposal"], "title": p["title"],
                                                        "status": p["status"]})
    body = {"session": sid, "status": assembly.status, "vod": f"/s/{sid}/live/{VOD}" if has_vod else None,
            "live": f"/s/{sid}/live/master.m3u8", "started_at": program.get("started_at"), "ended_at": ended_at,
            "length": round(timeline.length, 3), "chapters": listed, "villages": list(villages.values())}
    return web.json_response(body, headers={"Cache-Control": RECORDING_CLOSED})


def endpoints() -> list[web.RouteDef]:
    return [
        web.get("/s/{session}/live/{path:.+}", live),
        web.get("/s/{session}/recordings/{file:.+}", clip),
        web.get("/api/sessions/{session}/recording", recording),
    ]
