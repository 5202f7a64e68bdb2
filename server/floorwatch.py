"""The floor follows its holder's media: paused while the hall's media is gone, resumed on its return;
the chair's shared screen ends with the venue's media.

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
from service.sessions import Sessions

log = logging.getLogger(__name__)

HUB = Actor(Kind.SYSTEM, "hub")


async def follow_media(sessions: Sessions, session: str, ident: str, live: bool, now: float) -> None:
    """Pause (or resume) the floor when its holder's media stops (or returns); end the chair's
    screen share when the venue's media stops (the console closed: nobody is left to stop it)."""
    assembly = sessions.cached(session)
    if assembly is None:
        return
    if ident == "chair" and not live and assembly.media_plan()["screen"]:
        cmd = parse_command("screen.stop", {})
    elif ident == assembly.floor_holder:
        cmd = parse_command("floor.resume" if live else "floor.pause", {"village": ident})
    else:
        return
    try:
        await sessions.execute(session, cmd, HUB, now)
    except DomainError as err:  # already in that state, the turn just ended, the session closed
        log.debug("%s for %s refused: %s", cmd.name, ident, err.code)
