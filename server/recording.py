"""The recordings of every live session, wired to the session record.

This follows the sessions (``Sessions.listen``, and at start the sessions already live), derives a
:class:`recordings.scene.Scene` from the session's state on every change that can alter it (the
floor, the roster, the agenda, the session's status), and for each live session keeps the parts
the factories made (the track recorders, the program feed, the RTMP push): each is told the scene
on every change and closed when the session closes or the hub stops. A part that fails is logged
and the others go on: recording must never take the hub down nor slow its event loop (a part's
``update`` returns at once; this module does no disk I/O on the loop but one statvfs).

Below the free-space floor (``--recordings-min-free``) a session's recording is refused, with the
reason kept for the moderator page; the session goes on, and the next change looks again.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from moderation.assembly import Assembly
from recordings.scene import Floor, Part, Scene
from recordings.storage import existing
from rooms.events import RecordedEvent
from server.signalling import relay_id
from service.sessions import Sessions

log = logging.getLogger(__name__)

PartFactory = Callable[[str, str], Sequence[Part]]  # session id, title → the parts recording it (an RTMP push per URL)
_SCENE_MODELS = {"floor", "roster", "agenda", "session"}
_LIVE, _CLOSED = "live", "closed"


@runtime_checkable
class Reporting(Protocol):
    """A part that can say how it fares, for the moderator page."""

    def state(self) -> dict[str, Any]: ...


def scene_of(assembly: Assembly, grant: str | None) -> Scene:
    """What the recordings show of the session now; ``grant``: the running turn's grant id."""
    sid = assembly.session_id
    plan = assembly.media_plan()
    models = assembly.read_models(["floor", "session"], "staff")
    view, session = models["floor"], models["session"]
    venue, venue_code = relay_id(sid, "chair"), plan["venue"]
    halls = [code for code in plan["interactive"] if code != venue_code]  # the venue publishes as the chair
    codes = {venue: venue_code, **{relay_id(sid, code): code for code in halls}}
    names = {pid: village.name for pid, code in codes.items() if (village := assembly.village(code)) is not None}
    holder = view["holder"]
    floor = None
    if holder is not None and grant is not None:
        paused = view["paused_at"] is not None
        floor = Floor(grant, holder["village"], holder["name"], holder["kecamatan"],
                      None if paused or not view["seconds"] else view["deadline"], paused)
    item = session["current_item"]
    return Scene(
        session=sid, title=session["title"], venue=venue,
        floor_holder=relay_id(sid, plan["floor"]) if plan["floor"] else None,
        spotlight=relay_id(sid, plan["spotlight"]) if plan["spotlight"] else None,
        screen=bool(plan["screen"]), muted=frozenset(relay_id(sid, c) for c in plan["muted"]),
        publishers=tuple(codes), floor=floor, agenda_id=item["item"] if item else None,
        agenda=item["title"] if item else "", names=names, codes=codes)


def last_grant(records: Iterable[RecordedEvent]) -> str | None:
    """The id of the latest floor grant: its event's sequence number in the log."""
    grant = None
    for record in records:
        if record.type == "floor.granted":
            grant = str(record.seq)
    return grant


def free_space(root: Path) -> int:
    """Bytes free on the disk holding the recordings (the root may not exist yet)."""
    return shutil.disk_usage(existing(root)).free


@dataclass(slots=True)
class _Live:
    parts: list[Part] = field(default_factory=list)
    scene: Scene | None = None


class Recording:
    def __init__(self, sessions: Sessions, root: Path, factories: Sequence[PartFactory], min_free: int) -> None:
        self.sessions, self.root, self.min_free = sessions, root, min_free
        self._factories = list(factories)
        self._live: dict[str, _Live] = {}
        self._refused: dict[str, str] = {}  # session → why its recording did not start
        self._grants: dict[str, str | None] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._starting: asyncio.Task[None] | None = None
        sessions.listen(self._changed)

    def start(self) -> None:
        """Record the sessions live already (a hub restarted mid-session), in the background: folding
        every session's log must not hold up the hub's start."""
        self._starting = asyncio.get_running_loop().create_task(self._resume())

    async def _resume(self) -> None:
        try:
            await self._resume_live()
        except Exception:  # the store failing at start: the next change of a session starts its recording
            log.exception("cannot resume the recordings of the sessions live already")

    async def _resume_live(self) -> None:
        for sid in await self.sessions.ids():
            assembly = await self.sessions.get(sid, fresh=False)
            if assembly.status == _LIVE and sid not in self._live:
                if assembly.floor_holder is not None:
                    self._grants[sid] = last_grant(await self.sessions.log.read(sid))
                self._follow(assembly)

    def _changed(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        sid = assembly.session_id
        grant = last_grant(records)
        if grant is not None:
            self._grants[sid] = grant
        if assembly.status == _CLOSED:
            self._refused.pop(sid, None)
            self._grants.pop(sid, None)
            live = self._live.pop(sid, None)
            if live is not None:
                self._close_later(sid, live.parts)
        elif assembly.status == _LIVE and Assembly.touched(records) & _SCENE_MODELS:
            self._follow(assembly)

    def _follow(self, assembly: Assembly) -> None:
        sid = assembly.session_id
        scene = scene_of(assembly, self._grants.get(sid))
        live = self._live.get(sid)
        if live is None:
            live = self._begin(sid, scene.title)
            if live is None:
                return
        if scene == live.scene:
            return
        live.scene = scene
        for part in live.parts:
            try:
                part.update(scene)
            except Exception:
                log.exception("recording part %r of session %s failed to update", part, sid)

    def _begin(self, sid: str, title: str) -> _Live | None:
        free = free_space(self.root)
        if free < self.min_free:
            reason = (f"Ruang disk tinggal {free >> 20} MB, di bawah batas {self.min_free >> 20} MB: "
                      "rekaman tidak dimulai")
            if self._refused.get(sid) != reason:
                log.error("session %s: recording refused: %s MB free, below the floor of %s MB",
                          sid, free >> 20, self.min_free >> 20)
            self._refused[sid] = reason
            return None
        self._refused.pop(sid, None)
        live = self._live[sid] = _Live()
        for factory in self._factories:
            try:
                live.parts.extend(factory(sid, title))
            except Exception:
                log.exception("a recording part of session %s could not be made", sid)
        return live

    def status(self, sid: str) -> dict[str, Any]:
        """For the moderator page: recording or not, why not, and each part's own state."""
        live = self._live.get(sid)
        if live is None:
            refused = self._refused.get(sid)
            return {"state": "refused" if refused else "off", "reason": refused or "", "parts": []}
        return {"state": "recording", "reason": "",
                "parts": [part.state() for part in live.parts if isinstance(part, Reporting)]}

    def _close_later(self, sid: str, parts: list[Part]) -> None:
        task = asyncio.get_running_loop().create_task(self._close_parts(sid, parts))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_parts(self, sid: str, parts: list[Part]) -> None:
        outcomes = await asyncio.gather(*(part.close() for part in parts), return_exceptions=True)
        for part, outcome in zip(parts, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                log.error("recording part %r of session %s failed to close: %r", part, sid, outcome)

    async def close(self) -> None:
        """The hub stops: every part finishes its files."""
        if self._starting is not None:
            self._starting.cancel()
            await asyncio.gather(self._starting, return_exceptions=True)
        for sid, live in list(self._live.items()):
            self._close_later(sid, live.parts)
        self._live.clear()
        await asyncio.gather(*self._closing, return_exceptions=True)
