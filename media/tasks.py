"""Work an owner starts without awaiting it: kept referenced until it is done (asyncio holds tasks
weakly), a failure logged rather than lost with the task, and everything still running cancelled
when the owner closes. The relay and the server's adapters all start their background work here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import Any

log = logging.getLogger(__name__)


class Tasks:
    def __init__(self, owner: str) -> None:
        self._owner = owner
        self._running: set[asyncio.Future[Any]] = set()

    def spawn(self, work: Awaitable[Any]) -> asyncio.Future[Any]:
        task = asyncio.ensure_future(work)
        self._running.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Future[Any]) -> None:
        self._running.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("%s: background task failed", self._owner, exc_info=error)

    async def close(self) -> None:
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
