"""Long work (the minutes of a long session, later a session's archive) as background jobs a page polls.

A job is an ``async`` piece of work that gathers what it needs on the event loop and does its heavy
part off the loop — a worker thread (``asyncio.to_thread``, as the exports and join sheets do) or a
process of its own (the minutes) — reporting its progress 0..1 as it goes; the report is one float
store, safe from a thread. A second start of the
same kind of work for the same session joins the running job, so many staff pages pressing the same
button build once. At most ``running`` jobs run at once on the hub (the machine has few cores and
the live session comes first); a finished job's result is kept ``keep`` seconds for its download.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from rooms.errors import DomainError, NotFound

log = logging.getLogger(__name__)

Report = Callable[[float], None]
RUNNING, DONE, FAILED = "running", "done", "failed"


class Busy(DomainError):
    code = "busy"


@dataclass(frozen=True)
class Result:
    body: bytes
    content_type: str
    filename: str


Work = Callable[[Report], Awaitable[Result]]


def part(report: Report, low: float, high: float) -> Report:
    """A report for one stage of a job: its 0..1 mapped onto [low, high] of the whole."""
    return lambda fraction: report(low + (high - low) * fraction)


@dataclass
class Job:
    id: str
    session: str
    kind: str
    state: str = RUNNING
    progress: float = 0.0
    result: Result | None = None
    error: dict[str, str] | None = None  # {"error": code, "message": ...} once failed
    finished_at: float | None = None  # monotonic
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def report(self, fraction: float) -> None:
        self.progress = max(self.progress, min(1.0, fraction))  # never backwards on the page

    def view(self) -> dict[str, Any]:
        return {"job": self.id, "kind": self.kind, "state": self.state, "progress": round(self.progress, 3),
                **(self.error or {})}

    async def outcome(self) -> Result:
        """Wait for the job; a waiter that goes away (a closed request) does not cancel it."""
        if self.task is not None:
            await asyncio.shield(self.task)
        if self.result is None:
            raise DomainError((self.error or {}).get("message", "Pekerjaan gagal"),
                              (self.error or {}).get("error", "internal"))
        return self.result


class Jobs:
    def __init__(self, running: int = 2, keep: float = 600.0) -> None:
        self._running, self._keep = running, keep
        self._jobs: dict[str, Job] = {}

    def start(self, session: str, kind: str, work: Work) -> Job:
        """Start ``work`` for the session, or join the same kind of work already running for it."""
        self._prune()
        for job in self._jobs.values():
            if job.session == session and job.kind == kind and job.state == RUNNING:
                return job
        if sum(j.state == RUNNING for j in self._jobs.values()) >= self._running:
            raise Busy("Hub sedang menyiapkan dokumen lain; coba lagi sebentar lagi")
        job_id = secrets.token_urlsafe(9)
        job = self._jobs[job_id] = Job(job_id, session, kind)
        job.task = asyncio.get_running_loop().create_task(self._run(job, work))
        return job

    async def _run(self, job: Job, work: Work) -> None:
        try:
            job.result = await work(job.report)
            job.state, job.progress = DONE, 1.0
        except DomainError as err:
            job.state, job.error = FAILED, {"error": err.code, "message": err.message}
        except Exception:
            log.exception("job %s (%s) of session %s failed", job.id, job.kind, job.session)
            job.state, job.error = FAILED, {"error": "internal", "message": "Pekerjaan gagal di hub"}
        finally:
            job.finished_at = time.monotonic()

    def get(self, session: str, job_id: str) -> Job:
        """The session's job; another session's id is as unknown as a made-up one."""
        self._prune()
        job = self._jobs.get(job_id)
        if job is None or job.session != session:
            raise NotFound("Pekerjaan tidak ditemukan (atau sudah kedaluwarsa)")
        return job

    def _prune(self) -> None:
        now = time.monotonic()
        for key in [k for k, j in self._jobs.items() if j.finished_at is not None and now - j.finished_at > self._keep]:
            del self._jobs[key]

    async def close(self) -> None:
        tasks = [j.task for j in self._jobs.values() if j.task is not None and not j.task.done()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
