"""What the program shows at a moment, as plain data: which picture is large, which is small, the
caption and whose microphones are mixed. Pure: the composer passes in which inputs are alive (a
decoded frame within the last second) and the time, so a stalled input falls back at once.

The rules follow ``media.routes._program``: a spotlight, else the venue's shared screen, else the
floor holder, else the venue. A village large has the venue small; the screen has the chair's
camera small. A stalled village gives way to the venue, a stalled venue to a slate with the
session's title. Sound is the venue's microphone and the village on the program, mutes respected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from media.routes import Source
from recordings.scene import Floor, Scene

SCREEN_CAPTION = "Presentasi"


@dataclass(frozen=True, slots=True)
class Layout:
    main: Source | None  # None: the slate
    pip: Source | None
    slate: str  # the session's title, shown when ``main`` is None
    caption: tuple[str, ...]
    audio: tuple[Source, ...]


def _camera(publisher: str | None, alive: frozenset[Source], order: tuple[str, str]) -> Source | None:
    """A publisher's camera layer that is alive, in the order of preference given."""
    if publisher is None:
        return None
    for layer in order:
        if (source := Source(publisher, "video", layer)) in alive:
            return source
    return None


def _clock(seconds: float) -> str:
    whole = max(0, int(seconds + 0.999))  # 00:00 only once the time is really up
    return f"{whole // 60:02d}:{whole % 60:02d}"


def _village_caption(scene: Scene, village: str, now: float) -> tuple[str, ...]:
    floor = scene.floor
    if floor is not None and village == scene.floor_holder:
        line = f"{floor.name} · Kec. {floor.kecamatan}" if floor.kecamatan else floor.name
        if floor.deadline is not None and not floor.paused:
            line += f" · sisa {_clock(floor.deadline - now)}"
        return (line,)
    return (scene.names.get(village, village),)


def compose(scene: Scene, alive: frozenset[Source], now: float) -> Layout:
    venue = scene.venue
    village = scene.spotlight or scene.floor_holder
    agenda = (scene.agenda,) if scene.agenda else ()
    audio = tuple(Source(pid, "audio") for pid in dict.fromkeys((venue, village))
                  if pid is not None and pid not in scene.muted)
    venue_large = _camera(venue, alive, ("high", "low"))
    venue_small = _camera(venue, alive, ("low", "high"))
    screen = Source(venue, "video", "screen") if venue is not None else None
    if scene.screen and not scene.spotlight and screen in alive:
        return Layout(screen, venue_small, scene.title, (SCREEN_CAPTION, *agenda), audio)
    if village is not None and (large := _camera(village, alive, ("high", "low"))) is not None:
        return Layout(large, venue_small, scene.title, (*_village_caption(scene, village, now), *agenda), audio)
    if venue_large is not None:
        return Layout(venue_large, None, scene.title, agenda, audio)
    return Layout(None, None, scene.title, (), audio)


def wanted(scene: Scene) -> frozenset[Source]:
    """Every input ``compose`` may pick for this scene: what the program feed subscribes to."""
    sources: set[Source] = set()
    if scene.venue is not None:
        sources |= {Source(scene.venue, "video", layer) for layer in ("high", "low", "screen")}
        sources.add(Source(scene.venue, "audio"))
    for village in (scene.spotlight, scene.floor_holder):
        if village is not None:
            sources |= {Source(village, "video", "high"), Source(village, "video", "low"), Source(village, "audio")}
    return frozenset(sources)


# the scene crosses the pipe to the composer as JSON

def scene_to_dict(scene: Scene) -> dict[str, Any]:
    floor = scene.floor
    return {
        "session": scene.session, "title": scene.title, "venue": scene.venue,
        "floor_holder": scene.floor_holder, "spotlight": scene.spotlight, "screen": scene.screen,
        "muted": sorted(scene.muted), "agenda": scene.agenda, "names": dict(scene.names),
        "floor": None if floor is None else {
            "grant": floor.grant, "village": floor.village, "name": floor.name,
            "kecamatan": floor.kecamatan, "deadline": floor.deadline, "paused": floor.paused},
    }


def scene_from_dict(data: Mapping[str, Any]) -> Scene:
    floor = data.get("floor")

    def optional(key: str) -> str | None:
        value = data.get(key)
        return None if value is None else str(value)

    return Scene(
        session=str(data["session"]), title=str(data.get("title", "")), venue=optional("venue"),
        floor_holder=optional("floor_holder"), spotlight=optional("spotlight"), screen=bool(data.get("screen")),
        muted=frozenset(map(str, data.get("muted", ()))), agenda=str(data.get("agenda", "")),
        names={str(k): str(v) for k, v in dict(data.get("names", {})).items()},
        floor=None if floor is None else Floor(
            str(floor["grant"]), str(floor["village"]), str(floor["name"]), str(floor.get("kecamatan", "")),
            None if floor.get("deadline") is None else float(floor["deadline"]), bool(floor.get("paused"))),
    )
