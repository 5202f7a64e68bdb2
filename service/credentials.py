"""Whether a credential still holds: who it speaks for, and the session's word on it (revoked, or past
its time). How credentials are signed and read is the server's (server.credentials)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from moderation.assembly import Assembly
from rooms.actors import Actor
from rooms.errors import DomainError


class BadCredential(DomainError):
    code = "unauthorized"


class ExpiredCredential(DomainError):
    code = "expired"


@dataclass(frozen=True, slots=True)
class Credential:
    session: str  # "*" for the hub operator (admin)
    actor: Actor
    id: str
    generation: int = 0
    expires: float = 0.0  # epoch seconds


def require_current(credential: Credential | None) -> None:
    """Refuse a credential past its expiry (one from before expiries has none, so it is past too)."""
    if credential is not None and time.time() > credential.expires:
        raise ExpiredCredential("Tautan ini sudah kedaluwarsa")


def require_unrevoked(assembly: Assembly, credential: Credential | None) -> None:
    """Refuse a credential the session's log has revoked, or whose time is over (the public has none)."""
    if credential is None:
        return
    if assembly.is_revoked(credential.id, credential.actor.id, credential.generation):
        raise BadCredential("Kredensial telah dicabut")
    require_current(credential)
