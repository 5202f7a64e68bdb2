"""The RTMP pushes of each live session, for the moderator page to read.

The session lifecycle opens a session's pushes with its other recording parts
(:meth:`Broadcasts.open`) and closes them as parts; a closed push drops out of the list here.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from recordings.paths import program_dir
from recordings.rtmp import RtmpPush


class Broadcasts:
    def __init__(self, urls: tuple[str, ...], recordings: Path, *, first_delay: float = 1.0,
                 max_delay: float = 30.0) -> None:
        self.urls = urls
        self._recordings = recordings
        self._delays = first_delay, max_delay
        self._pushes: dict[str, list[RtmpPush]] = {}

    def open(self, session: str) -> list[RtmpPush]:
        """Start pushing the session's program to every configured URL (none configured: no parts).
        Call it on the event loop; a session opened again replaces its list."""
        playlist = program_dir(self._recordings, session) / "main" / "index.m3u8"
        first, most = self._delays
        pushes = [RtmpPush(url, playlist, first_delay=first, max_delay=most) for url in self.urls]
        self._pushes[session] = pushes
        return pushes

    def states(self, session: str) -> list[dict[str, Any]]:
        """Each open push's target (key masked), state and reason."""
        pushes = [p for p in self._pushes.get(session, []) if not p.closed]
        if pushes:
            self._pushes[session] = pushes
        else:
            self._pushes.pop(session, None)
        return [p.status() for p in pushes]

    async def close(self) -> None:
        """The hub stops: every push still open ends its stream."""
        pushes = [p for group in self._pushes.values() for p in group]
        self._pushes.clear()
        await asyncio.gather(*(p.close() for p in pushes))
