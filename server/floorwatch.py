"""The floor follows its holder's media: paused while the hall's media is gone, resumed on its return.

The relay reports media starting and stopping; this decides what that means for the session. The
command goes through the log like any other (the hub is its actor), so the pause is part of the
record and every page sees it. Whether the holder's turn is in the state a report would change is
the decider's business: reports may come faster than their commands commit.
"""

from __future__ import annotations

import logging

from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from rooms.errors import DomainError
from server.service import Sessions

log = logging.getLogger(__name__)

HUB = Actor(Kind.SYSTEM, "hub")


async def follow_media(sessions: Sessions, session: str, village: str, live: bool, now: float) -> None:
    """Pause (or resume) the floor when its holder's media stops (or returns)."""
    assembly = sessions.cached(session)
    if assembly is None or assembly.floor_holder != village:
        return
    cmd = parse_command("floor.resume" if live else "floor.pause", {"village": village})
    try:
        await sessions.execute(session, cmd, HUB, now)
    except DomainError as err:  # already in that state, the turn just ended, the session closed
        log.debug("floor not %s for %s: %s", "resumed" if live else "paused", village, err.code)
