"""A child process the hub keeps running (the composer, a recorder, an RTMP push).

When it dies it is started again after a short delay that doubles up to ``max_delay`` (a process
that keeps failing does not spin) and falls back once a run has lasted a while. Closing the hub's
end of its stdin is the orderly stop: the child finishes its files; one that does not is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Sequence
from typing import Literal

log = logging.getLogger(__name__)

State = Literal["starting", "running", "restarting", "stopped"]

_STABLE = 30.0  # seconds a run must last for the delay to fall back to its first value


class Child:
    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str,
        on_start: Callable[[asyncio.subprocess.Process], None] = lambda process: None,
        on_exit: Callable[[str], None] = lambda reason: None,
        on_line: Callable[[str], None] = lambda line: None,
        first_delay: float = 0.5,
        max_delay: float = 4.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.argv = list(argv)
        self.name = name
        self.state: State = "stopped"
        self.starts = 0
        self.reason = ""  # why the last run ended: its exit status and last line on stderr
        self.process: asyncio.subprocess.Process | None = None
        self._on_start, self._on_exit, self._on_line = on_start, on_exit, on_line
        self._first_delay, self._max_delay, self._stop_timeout = first_delay, max_delay, stop_timeout
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._keep_running(), name=f"child {self.name}")

    async def _keep_running(self) -> None:
        loop = asyncio.get_running_loop()
        delay = self._first_delay
        while not self._stopping:
            self.state = "starting"
            began = loop.time()
            try:
                process = await asyncio.create_subprocess_exec(
                    *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE)
            except OSError as exc:
                self.reason = f"cannot start: {exc}"
            else:
                self.process, self.state = process, "running"
                self.starts += 1
                self._on_start(process)
                last = await _last_line(process, self._on_line)
                code = await process.wait()
                self.process = None
                self.reason = f"exit {code}" + (f": {last}" if last else "")
            if self._stopping:
                break
            self.state = "restarting"
            self._on_exit(self.reason)
            log.warning("%s stopped (%s); starting it again in %.1f s", self.name, self.reason, delay)
            if loop.time() - began > _STABLE:
                delay = self._first_delay
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_delay)
        self.state = "stopped"

    async def close(self) -> None:
        """Close its stdin and wait for it to finish; kill it if it does not. Twice is harmless."""
        self._stopping = True
        process, task = self.process, self._task
        self._task = None
        if process is not None and process.returncode is None:
            if process.stdin is not None:
                process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), self._stop_timeout)
            except TimeoutError:
                log.warning("%s did not stop within %s s; killing it", self.name, self._stop_timeout)
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGKILL)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.state = "stopped"


async def _last_line(process: asyncio.subprocess.Process, on_line: Callable[[str], None]) -> str:
    """Read its stderr to the end (a full pipe would stall it), logging it and handing each line on
    (a child may report its state there); the last line says why it ended."""
    last = ""
    assert process.stderr is not None
    async for raw in process.stderr:
        line = raw.decode(errors="replace").rstrip()
        if line:
            last = line[-300:]
            log.info("child: %s", last)
            on_line(last)
    return last
