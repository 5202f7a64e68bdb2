"""Frames to a child process: the framing read back, drops up to a keyframe, a supervised child."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import sys
from collections.abc import Callable

import pytest

from media.routes import Source
from recordings.child import Child
from media.pipe import CONTROL, FRAME, HEADER, Link, Tap, pack_control, pack_frame, read_message, read_messages


def test_messages_read_back_and_a_torn_tail_is_ignored() -> None:
    stream = pack_control({"type": "track", "track": 3}) + pack_frame(3, True, 2**32 + 5, b"abc")
    stream += pack_frame(3, False, 7, b"x" * 10)[:-4]
    messages = list(read_messages(io.BytesIO(stream)))
    assert [(m.kind, m.track, m.keyframe, m.timestamp) for m in messages] == [(CONTROL, 0, False, 0), (FRAME, 3, True, 5)]
    assert messages[0].control() == {"type": "track", "track": 3}
    assert messages[1].body == b"abc"


def test_a_corrupt_header_is_an_error_not_a_huge_read() -> None:
    with pytest.raises(ValueError):
        list(read_messages(io.BytesIO(b"\x07" + b"\x00" * (HEADER.size - 1))))


async def test_a_socket_reads_the_same_messages_with_the_audio_level_kept() -> None:
    reader = asyncio.StreamReader()
    reader.feed_data(pack_frame(2, False, 960, b"opus", level=0x80 | 30) + pack_frame(2, True, 1, b"vp8"))
    reader.feed_data(pack_control({"type": "lost", "track": 2})[:-1])  # torn: the writer died mid-message
    reader.feed_eof()
    audio, video = await read_message(reader), await read_message(reader)
    assert audio is not None and (audio.body, audio.timestamp, audio.level) == (b"opus", 960, 0x80 | 30)
    assert video is not None and video.keyframe and video.level is None
    assert await read_message(reader) is None


class _Feed:
    def __init__(self) -> None:
        self.asked = 0
        self.audio_level: int | None = None

    def request_keyframe(self) -> None:
        self.asked += 1


async def _stalled_child() -> asyncio.subprocess.Process:
    """A child that never reads its stdin: the pipe fills."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import time; time.sleep(60)", stdin=asyncio.subprocess.PIPE)


async def test_a_full_pipe_drops_up_to_the_next_keyframe_and_asks_for_one() -> None:
    process = await _stalled_child()
    try:
        assert process.stdin is not None
        link = Link(limit=256 << 10)
        link.attach(process.stdin)
        tap, feed = Tap(link, 1, Source("35.10.13.2001", "video")), _Feed()
        tap.take(feed, "VP8", b"\x01" * 100, 0, False)  # a delta first: never sent
        assert (tap.frames_sent, tap.frames_dropped, feed.asked) == (0, 1, 1)
        frame = b"\x00" * 64_000
        for n in range(40):  # 2.5 MB into a pipe nobody reads
            tap.take(feed, "VP8", frame if n == 0 else b"\x01" + frame[1:], n * 3000, n == 0)
        sent, dropped = tap.frames_sent, tap.frames_dropped
        assert 0 < sent < 40 and dropped == 41 - sent and feed.asked > 1
        tap.take(feed, "VP8", b"\x01" * 10, 99, False)  # a small delta still waits for the keyframe
        assert tap.frames_sent == sent
    finally:
        process.kill()
        await process.wait()


async def test_a_killed_child_is_started_again_and_taps_announce_again(tmp_path: os.PathLike[str]) -> None:
    out = os.path.join(tmp_path, "seen")
    script = (f"import sys\nfrom media.pipe import read_messages\n"
              f"for m in read_messages(sys.stdin.buffer):\n"
              f"    open({out!r}, 'a').write(f'{{m.kind}} {{m.track}} {{m.keyframe}}\\n')\n")
    link = Link()
    child = Child([sys.executable, "-c", script], name="test child",
                  on_start=lambda p: link.attach(p.stdin) if p.stdin else None, on_exit=lambda _: link.detach())
    tap, feed = Tap(link, 2, Source("35.10.13.2001", "video")), _Feed()
    child.start()
    try:
        await _until(lambda: child.state == "running")
        tap.take(feed, "VP8", b"\x00key", 0, True)
        await _until(lambda: os.path.exists(out) and len(open(out).read().split("\n")) > 2)
        first = child.process
        assert first is not None
        first.send_signal(signal.SIGKILL)
        began = asyncio.get_running_loop().time()
        await _until(lambda: child.process is not None and child.process is not first and child.state == "running")
        assert asyncio.get_running_loop().time() - began < 5 and child.starts == 2 and "exit -9" in child.reason
        tap.take(feed, "VP8", b"\x01delta", 1, False)  # the new child must start at a keyframe
        tap.take(feed, "VP8", b"\x00key", 2, True)
        await _until(lambda: len(open(out).read().split("\n")) > 4)
    finally:
        await child.close()
    assert child.state == "stopped"
    assert open(out).read().split("\n")[:4] == ["1 0 False", "0 2 True", "1 0 False", "0 2 True"]


async def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)
