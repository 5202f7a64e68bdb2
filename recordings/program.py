"""The program feed: the session's program composed once (the composer process) for the HLS, the
RTMP push and the program's recording.

The hub's side is small: taps on the relay for every input the layout may pick for the current
scene (:func:`recordings.layout.wanted`: the venue's camera layers, its screen and microphone; the
floor holder's or the spotlight's camera layers and microphone — not every publisher, which would
have the composer decode 26 halls to show one), and the scene itself sent as JSON on each change.
The composer chooses the layout from the inputs it has decoded, so a switch waits for the new
source's first picture and a stalled input falls back there, within a second, without the hub.

The composer is a :class:`~recordings.child.Child`: killed, it is started again within seconds
and the HLS goes on after a discontinuity; each new process hears the scene again and each tap
announces its track again at a keyframe.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from media.relay import RelayControl
from media.routes import Source
from recordings.child import Child
from recordings.composer import DEFAULT_RUNGS
from recordings.layout import scene_to_dict, wanted
from recordings.paths import program_dir
from media.pipe import Link, Tap, pack_control
from recordings.scene import Scene


class ProgramFeed:
    """A :class:`~recordings.scene.Part`: ``ProgramFeed(relay, root, session, title)`` from a running
    event loop; the composer writes ``{root}/{session}/program/`` (``recordings/paths.py``)."""

    def __init__(
        self,
        relay: RelayControl,
        root: Path,
        session: str,
        title: str,
        *,
        rungs: Sequence[str] = DEFAULT_RUNGS,
        preset: str = "veryfast",
        audio_bitrate: int = 128_000,
        segment_seconds: float = 2.0,
        pipe_limit: int = 1 << 20,  # ~3 s of the inputs: a composer further behind loses frames, not latency
    ) -> None:
        self.relay = relay
        self.folder = program_dir(root, session)
        self.link = Link(limit=pipe_limit)
        self._taps: dict[Source, Tap] = {}
        self._tracks: dict[Source, int] = {}  # a source keeps its track number across taps
        self._scene: Scene | None = None
        self._closed = False
        argv = [sys.executable, "-m", "recordings.composer", "--out", str(self.folder), "--title", title,
                "--rungs", *rungs, "--preset", preset, "--audio-bitrate", str(audio_bitrate),
                "--segment", str(segment_seconds)]
        self.child = Child(argv, name=f"composer {session}", on_start=self._started, on_exit=self._stopped)
        self.child.start()

    def update(self, scene: Scene) -> None:
        if self._closed:
            return
        self._scene = scene
        self._send_scene()
        needed = wanted(scene)
        for source in set(self._taps) - needed:
            self.relay.release(source, self._taps.pop(source))
        for source in needed - set(self._taps):
            # a fresh tap each time: it announces its track again and starts on a keyframe
            track = self._tracks.setdefault(source, len(self._tracks) + 1)
            self._taps[source] = tap = Tap(self.link, track, source)
            self.relay.consume(source, tap)

    def status(self) -> dict[str, Any]:
        """For the moderator page: the composer's state, how often it started, why it last stopped."""
        return {"state": self.child.state, "starts": self.child.starts, "reason": self.child.reason,
                "frames_dropped": sum(tap.frames_dropped for tap in self._taps.values())}

    async def close(self) -> None:
        """Detach from the relay and let the composer finish: the last segment, the VOD playlists."""
        if self._closed:
            return
        self._closed = True
        for source, tap in self._taps.items():
            self.relay.release(source, tap)
        self._taps.clear()
        await self.child.close()
        self.link.detach()

    def _started(self, process: asyncio.subprocess.Process) -> None:
        if process.stdin is not None:
            self.link.attach(process.stdin)
            self._send_scene()  # the taps announce their tracks themselves, from a keyframe they ask for

    def _stopped(self, reason: str) -> None:
        self.link.detach()

    def _send_scene(self) -> None:
        if self._scene is not None:
            self.link.send(pack_control({"type": "scene", "scene": scene_to_dict(self._scene)}), bounded=False)
