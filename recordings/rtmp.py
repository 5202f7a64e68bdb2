"""The RTMP push as the hub sees it: one :class:`RtmpPush` part per configured URL per live session,
running ``recordings.push`` under :class:`~recordings.child.Child` (started again with doubling
delay when the far end drops) and keeping its state for the moderator page.

States: ``waiting`` (no program yet), ``connecting``, ``live``, ``reconnecting`` (it was live and
the far end dropped or refuses now; it keeps trying) and ``failed`` (it never got through: the
reason says why; it keeps trying too, except for a URL that cannot work). A stream key is a
secret: only :func:`masked` forms of the URL are shown or logged, and the key reaches the child on
its stdin, not on its command line.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from recordings.child import Child
from recordings.scene import Scene

PushState = Literal["waiting", "connecting", "live", "reconnecting", "failed", "stopped"]
# why a push failed, as the child says it on stderr (the page translates each)
FAILURES = ("refused", "unreachable", "rejected", "dropped", "bad_url", "error")


def url_problem(url: str) -> str | None:
    """What makes a push URL unusable, or None: rtmp[s]://host[:port]/application/key."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError on a port that is not a number
    except ValueError:
        return "the URL does not parse"
    if parts.scheme not in ("rtmp", "rtmps"):
        return "the URL must begin with rtmp:// or rtmps://"
    if not parts.hostname:
        return "the URL names no server"
    path = parts.path.strip("/").split("/")
    if len(path) < 2 or not all(path):
        return "the URL needs an application and a stream key: rtmp://server/application/key"
    return None


def stream_key(url: str) -> str:
    """The last part of the URL's path: where YouTube, Facebook and nginx-rtmp take the key."""
    return url.split("?", 1)[0].rstrip("/").rpartition("/")[2]


def masked(url: str) -> str:
    """scheme://host[:port]/application/**** — the URL without its key, user or query."""
    try:
        parts = urlsplit(url)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(URL tidak sah)"
    app = parts.path.strip("/").rpartition("/")[0]
    return f"{parts.scheme}://{parts.hostname or ''}{port}/{app + '/' if app else ''}****"


class RtmpPush:
    """Pushes the session's program (its main rung's live playlist) to one RTMP URL."""

    def __init__(self, url: str, playlist: Path, *, first_delay: float = 1.0, max_delay: float = 30.0) -> None:
        self.target = masked(url)
        self.state: PushState = "connecting"
        self.reason = ""  # one of FAILURES, or "exited" (the child died without saying why)
        self.detail = ""  # what the far end or libav said, the key masked
        self.closed = False
        self._url = url
        self._ever_live = False
        self._said_why = False  # the running child reported its failure itself
        problem = url_problem(url)
        self._child: Child | None = None
        if problem is not None:
            self.state, self.reason, self.detail = "failed", "bad_url", problem
            return
        self._child = Child(
            [sys.executable, "-m", "recordings.push", "--playlist", str(playlist)], name=f"rtmp push {self.target}",
            on_start=self._started, on_exit=self._ended, on_line=self._heard,
            first_delay=first_delay, max_delay=max_delay)
        self._child.start()

    def update(self, scene: Scene) -> None:
        """Nothing to do: the push carries whatever the program shows."""

    async def close(self) -> None:
        """Stop pushing (the child closes the FLV stream). Twice is harmless."""
        if self._child is not None:
            await self._child.close()
        self.state, self.closed = "stopped", True

    def status(self) -> dict[str, Any]:
        return {"target": self.target, "state": self.state, "reason": self.reason, "detail": self.detail}

    def _started(self, process: asyncio.subprocess.Process) -> None:
        self._said_why = False
        assert process.stdin is not None
        process.stdin.write(f"{self._url}\n".encode())

    def _heard(self, line: str) -> None:
        if not line.startswith("state "):
            return  # libav or Python talking, not the push
        word, _, rest = line.removeprefix("state ").partition(" ")
        if word == "live":
            self.state, self.reason, self.detail, self._ever_live = "live", "", "", True
        elif word == "failed":
            code, _, detail = rest.partition(": ")
            self._trouble(code if code in FAILURES else "error", detail)
            self._said_why = True
        elif self.state in ("waiting", "connecting"):  # after trouble, the trouble shows until it is live again
            if word == "waiting":
                self.state = "waiting"
            elif word == "connecting":
                self.state = "connecting"

    def _ended(self, reason: str) -> None:
        if not self._said_why:
            self._trouble("exited", reason)

    def _trouble(self, code: str, detail: str) -> None:
        # the child masks the key itself; a crash's last line might not have
        self.reason, self.detail = code, detail.replace(stream_key(self._url), "****")
        self.state = "reconnecting" if self._ever_live else "failed"
