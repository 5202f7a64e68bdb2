"""Who may send which command: one role × command table, deny by default.

Grantees are the session roles (rooms.actors.Role values) plus "admin", the hub
operator, who holds no role inside a session beyond what this table grants.
A command missing from the table is forbidden to everyone.
"""

from __future__ import annotations

from collections.abc import Mapping

from rooms.actors import Actor, Kind, Role
from rooms.errors import Forbidden

ADMIN = "admin"
GRANTEES: tuple[str, ...] = (*(r.value for r in Role), ADMIN)

_STAFF = frozenset({Role.CHAIR.value, Role.MODERATOR.value})
_VILLAGES = frozenset({Role.INTERACTIVE.value, Role.VIEWONLY.value})

PERMISSIONS: Mapping[str, frozenset[str]] = {
    "session.start": _STAFF,
    "session.close": _STAFF,
    "attendance.join": frozenset({Role.SYSTEM.value}),
    "attendance.leave": frozenset({Role.SYSTEM.value}),
    "attendance.headcount": _STAFF | _VILLAGES,
    "agenda.add": _STAFF,
    "agenda.move": _STAFF,
    "agenda.open": _STAFF,
    "agenda.close": _STAFF,
    "proposal.submit": _VILLAGES,
    "proposal.edit": _VILLAGES,
    "proposal.accept": _STAFF,
    "proposal.merge": _STAFF,
    "proposal.reject": _STAFF,
    "proposal.carry": _STAFF | {ADMIN},  # the next level's staff or the operator, uploading a carry file
    "proposal.photo_add": _VILLAGES,  # through the upload route only (a shell command)
    "proposal.photo_remove": _STAFF | _VILLAGES,
    "ballot.open": _STAFF,
    "ballot.cast": _VILLAGES,
    "ballot.close": _STAFF,
    "support.give": frozenset({Role.PUBLIC.value}),
    "hand.raise": _VILLAGES,
    "hand.lower": _VILLAGES,
    "queue.move": _STAFF,
    "queue.remove": _STAFF,
    "floor.grant": _STAFF,
    "floor.yield": _VILLAGES,
    "floor.revoke": _STAFF,
    "floor.extend": _STAFF,
    "floor.pause": frozenset({Role.SYSTEM.value}),  # the hub, when the holder's media stops
    "floor.resume": frozenset({Role.SYSTEM.value}),
    "participant.mute": _STAFF,
    "participant.unmute": _STAFF,
    "spotlight.set": _STAFF,
    "screen.start": frozenset({Role.CHAIR.value}),  # the venue's screen: only the chair presents
    "screen.stop": frozenset({Role.CHAIR.value, Role.SYSTEM.value}),  # the hub, when the chair's media stops
    "village.promote": _STAFF,
    "village.demote": _STAFF,
    "delegates.set": _STAFF,
    "credential.revoke": _STAFF | {ADMIN},
    "credential.reissue": _STAFF | {ADMIN},
}

# Whose credentials each grantee may revoke or re-issue: the chair and the operator anyone's,
# a moderator the villages' only (not the chair's, nor another moderator's).
_EVERYONE = frozenset({Kind.CHAIR, Kind.MODERATOR, Kind.VILLAGE})
REVOKES: Mapping[str, frozenset[Kind]] = {
    Role.CHAIR.value: _EVERYONE,
    ADMIN: _EVERYONE,
    Role.MODERATOR.value: frozenset({Kind.VILLAGE}),
}
TARGETED = frozenset({"credential.revoke", "credential.reissue"})


def grantee(actor: Actor, role: Role | None) -> str | None:
    """The table column an actor is looked up under (None: nothing is granted)."""
    if role is not None:
        return role.value
    return ADMIN if actor.kind is Kind.ADMIN else None


def permitted(command: str, who: str | None) -> bool:
    return who is not None and who in PERMISSIONS.get(command, frozenset())


def require(command: str, who: str | None) -> None:
    if not permitted(command, who):
        raise Forbidden("Anda tidak berwenang menjalankan perintah ini")


def require_revoker(who: str | None, holder: Kind | None) -> None:
    """Refuse revoking (or re-issuing) a credential of a kind the grantee may not touch."""
    if holder is not None and holder not in REVOKES.get(who or "", frozenset()):
        raise Forbidden("Anda tidak berwenang mencabut kredensial peserta ini")
