"""Telling every node at once that a session's credentials were revoked (Redis pub/sub).

Each node folds a session's log only when it next reads it, so a node that did not append the
revocation would keep a revoked hall's open connection until then. The node that folds a
``credential.revoked`` publishes the session id; every node then reads that session's log, and its
channel closes the connections the log now refuses.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import redis.asyncio as aioredis

from media.tasks import Tasks
from moderation.assembly import Assembly
from rooms.errors import DomainError
from rooms.events import RecordedEvent
from service.sessions import Sessions

log = logging.getLogger(__name__)


class RevocationBus:
    def __init__(self, url: str, prefix: str, sessions: Sessions) -> None:
        self._redis = aioredis.Redis.from_url(url)
        self._channel = f"{prefix}:revoked"
        self._sessions = sessions
        self._tasks = Tasks("revocation bus")

    def start(self) -> None:
        self._tasks.spawn(self._listen())
        self._sessions.listen(self._changed)

    def _changed(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        if any(r.type == "credential.revoked" for r in records):
            self._tasks.spawn(self._redis.publish(self._channel, assembly.session_id))

    async def _listen(self) -> None:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(self._channel)
        try:
            async for message in pubsub.listen():
                if message["type"] == "message":
                    await self._catch_up(message["data"].decode())
        finally:
            await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis 8.2 on

    async def _catch_up(self, session_id: str) -> None:
        try:
            await self._sessions.get(session_id)  # folds the revocation; the channel's listener acts on it
        except DomainError as err:
            log.info("revocation of %s not caught up: %s", session_id, err.code)

    async def close(self) -> None:
        await self._tasks.close()
        await self._redis.aclose()
