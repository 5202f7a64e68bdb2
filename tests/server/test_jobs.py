"""The job registry: work runs in the background with its progress, the same work for the same session
is joined rather than started twice, the hub runs only so many at once, and a failure keeps its code."""

from __future__ import annotations

import asyncio
import threading

import pytest

from rooms.errors import DomainError, NotFound
from server.jobs import Busy, Jobs, Report, Result, Work


def _slow(gate: threading.Event) -> Work:
    async def work(report: Report) -> Result:
        def heavy() -> Result:  # as the minutes do: the heavy part in a worker thread
            report(0.5)
            gate.wait(5)
            return Result(b"%PDF", "application/pdf", "x.pdf")
        return await asyncio.to_thread(heavy)
    return work


async def test_a_job_reports_progress_is_joined_and_keeps_its_result() -> None:
    jobs, gate = Jobs(running=2), threading.Event()
    job = jobs.start("s1", "minutes-draft", _slow(gate))
    assert jobs.start("s1", "minutes-draft", _slow(gate)) is job
    while job.progress < 0.5:
        await asyncio.sleep(0.01)
    assert job.view() == {"job": job.id, "kind": "minutes-draft", "state": "running", "progress": 0.5}
    gate.set()
    assert (await job.outcome()).body == b"%PDF"
    assert jobs.get("s1", job.id).view()["state"] == "done"
    with pytest.raises(NotFound):
        jobs.get("s2", job.id)  # another session's job is unknown there
    await jobs.close()


async def test_only_so_many_run_at_once_and_a_failure_keeps_its_code() -> None:
    jobs, gate = Jobs(running=1), threading.Event()
    first = jobs.start("s1", "minutes-draft", _slow(gate))
    with pytest.raises(Busy):
        jobs.start("s2", "minutes-draft", _slow(gate))
    gate.set()
    await first.outcome()

    async def broken(report: Report) -> Result:
        raise DomainError("Rantai rusak", "log_broken")

    failed = jobs.start("s2", "minutes-draft", broken)
    with pytest.raises(DomainError) as caught:
        await failed.outcome()
    assert caught.value.code == "log_broken"
    assert failed.view()["state"] == "failed" and failed.view()["error"] == "log_broken"
    await jobs.close()
