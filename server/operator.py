"""The hub operator's credential: printed on the first start or on request, only the newest one valid.

Each issue is an ``operator.issued`` event in the hub's own log (beside the sessions' logs, in the same
store, so every node sees it); issuing a new one revokes every earlier one. ``python -m server
operator-token`` is the request, and the way to revoke a leaked operator credential.
"""

from __future__ import annotations

import time

from rooms.actors import Kind
from rooms.events import Event
from rooms.log.port import EventLog, VersionConflict
from server.credentials import BadCredential, Credential, Signer
from service.sessions import HUB_LOG

_ISSUED = "operator.issued"


async def _head(log: EventLog) -> tuple[int, int | None]:
    """The hub log's version and the newest operator generation (None: none issued yet)."""
    records = await log.read(HUB_LOG)
    generations = [r.data["generation"] for r in records if r.type == _ISSUED]
    return (records[-1].seq if records else 0), (generations[-1] if generations else None)


async def issue_operator(log: EventLog, signer: Signer, first_only: bool = False) -> str | None:
    """A new operator credential, revoking the earlier ones; with ``first_only``, only if none was ever issued."""
    while True:
        version, newest = await _head(log)
        if first_only and newest is not None:
            return None
        generation = 0 if newest is None else newest + 1
        try:
            await log.append(HUB_LOG, [Event(_ISSUED, {"generation": generation}, actor="admin", at=time.time())],
                             expected_version=version)
        except VersionConflict:  # another node or command issued one meanwhile: count again
            continue
        return signer.issue("*", Kind.ADMIN, "admin", generation=generation)


async def require_operator(log: EventLog, credential: Credential) -> None:
    """Refuse an operator credential that a newer one has replaced."""
    _, newest = await _head(log)
    if credential.generation != (newest or 0):
        raise BadCredential("Kredensial operator telah diganti; minta yang baru (python -m server operator-token)")
