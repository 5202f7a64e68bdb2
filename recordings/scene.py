"""What the recordings know of a live session, as plain data: the server derives a :class:`Scene`
from the session's state on every change and hands it to each part that records the session (the
program feed, the track recorders, the RTMP push), so ``recordings`` never reads the domain."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Floor:
    """The village holding the floor, for the caption and for splitting clips at each turn."""

    grant: str  # the floor grant's id: a new one is a new turn
    village: str  # its code
    name: str
    kecamatan: str
    deadline: float | None  # unix seconds the turn's time runs out; None while paused or untimed
    paused: bool = False  # its media is gone: the program shows the venue


@dataclass(frozen=True, slots=True)
class Scene:
    session: str
    title: str
    venue: str | None  # relay ids (``server.signalling.relay_id``) of the publishers below
    floor_holder: str | None  # None when nobody holds the floor or the holder is paused
    spotlight: str | None
    screen: bool  # the venue shares a screen
    muted: frozenset[str] = frozenset()
    publishers: tuple[str, ...] = ()  # every participant that may publish: the venue and the interactive halls
    floor: Floor | None = None
    agenda_id: str | None = None  # the agenda item under discussion
    agenda: str = ""  # its title
    names: dict[str, str] = field(default_factory=dict)  # relay id → the village's name, for captions
    codes: dict[str, str] = field(default_factory=dict)  # relay id → the village's code, for file names


class Part(Protocol):
    """One thing that records a live session. ``update`` must return at once (it runs on the event
    loop, at every change); slow work belongs to a thread or a child process of its own."""

    def update(self, scene: Scene) -> None: ...

    async def close(self) -> None:
        """The session closed or the hub stops: finish the files (a VOD playlist, the last clip)."""
