"""Background work: a failure is logged, not lost with its task; close cancels what still runs."""

from __future__ import annotations

import asyncio
import logging

import pytest

from media.tasks import Tasks


async def test_a_failing_task_is_logged_and_close_cancels_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    tasks = Tasks("relay")

    async def broken() -> None:
        raise RuntimeError("keyframe request failed")

    with caplog.at_level(logging.ERROR, logger="media.tasks"):
        failed = tasks.spawn(broken())
        await asyncio.gather(failed, return_exceptions=True)
        await asyncio.sleep(0)  # the done callback runs
    assert [r.exc_info[1].args for r in caplog.records if r.exc_info] == [("keyframe request failed",)]
    assert "relay" in caplog.records[0].getMessage()

    slow = tasks.spawn(asyncio.sleep(60))
    await tasks.close()
    assert slow.cancelled()
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1  # a cancel is not a failure
