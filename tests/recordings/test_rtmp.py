"""The RTMP push against a real nginx-rtmp on loopback: the program read back and decoded, a composer
restart passed through, a far end that drops and comes back, and pushes that cannot get through."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.rtmp import SIZE, FfmpegProgram, RtmpServer, codecs, video_frames
from recordings.rtmp import RtmpPush


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RtmpServer]:
    nginx = RtmpServer(tmp_path / "nginx")
    nginx.start()
    yield nginx
    nginx.stop()


@pytest.fixture
def program(tmp_path: Path) -> Iterator[FfmpegProgram]:
    live = FfmpegProgram(tmp_path / "program" / "main")
    live.start()
    yield live
    live.stop()


async def settles(push: RtmpPush, state: str, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while push.state != state:
        assert loop.time() < deadline, f"still {push.status()} after {timeout} s, not {state}"
        await asyncio.sleep(0.1)


async def listed(program: FfmpegProgram, tag: str, timeout: float = 15.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while tag not in program.playlist.read_text():
        assert loop.time() < deadline, f"no {tag} in the playlist after {timeout} s"
        await asyncio.sleep(0.1)


async def test_the_program_reaches_the_rtmp_server_through_a_composer_restart_and_a_far_end_drop(
        server: RtmpServer, program: FfmpegProgram) -> None:
    url = server.url("sesi-uji-kunci-rahasia")
    push = RtmpPush(url, program.playlist, first_delay=0.5, max_delay=2.0)
    try:
        assert push.state in ("connecting", "waiting") and "kunci-rahasia" not in push.target
        await settles(push, "live")
        frames = await asyncio.to_thread(video_frames, url, 25)
        assert [f[:2] for f in frames] == [SIZE] * 25
        assert await asyncio.to_thread(codecs, url) == ["aac", "h264"]  # both carried, as they came

        # the composer is killed and starts again: a discontinuity; the same child carries on
        reading = asyncio.create_task(asyncio.to_thread(video_frames, url, 200, 20.0))
        await asyncio.sleep(2.0)
        program.restart()
        await listed(program, "#EXT-X-DISCONTINUITY")  # seen while it is in the window (6 s of it)
        frames = await reading
        assert [f[:2] for f in frames] == [SIZE] * 200  # 8 s of pictures across the restart
        times = [f[2] for f in frames]
        assert all(b > a for a, b in zip(times, times[1:], strict=False)), "timestamps went back"
        assert max(b - a for a, b in zip(times, times[1:], strict=False)) < 3.0
        assert push.state == "live" and push._child is not None and push._child.starts == 1, push.status()

        # the far end drops: reconnecting, with why; back by itself when it returns
        server.stop()
        await settles(push, "reconnecting")
        assert push.reason in ("dropped", "refused", "rejected") and push.detail
        await asyncio.sleep(1.5)  # a retry or two against nothing: still reconnecting, not failed
        assert push.state == "reconnecting"
        server.start()
        await settles(push, "live")
        frames = await asyncio.to_thread(video_frames, url, 25)
        assert [f[:2] for f in frames] == [SIZE] * 25
    finally:
        await push.close()
    assert push.state == "stopped"
    await push.close()  # twice is harmless


async def test_a_push_that_cannot_get_through_fails_and_says_why(server: RtmpServer, program: FfmpegProgram) -> None:
    nobody = RtmpServer(server.folder.parent / "nobody")  # a port nothing listens on
    refused = RtmpPush(nobody.url("kunci-1"), program.playlist, first_delay=0.5, max_delay=1.0)
    rejected = RtmpPush(server.url("kunci-2", app="tidak-ada"), program.playlist, first_delay=0.5, max_delay=1.0)
    unknown = RtmpPush("rtmp://tidak-ada.invalid/live/kunci-siaran-1", program.playlist, first_delay=0.5, max_delay=1.0)
    bad = RtmpPush("http://127.0.0.1/live/k", program.playlist)
    try:
        assert (bad.state, bad.reason) == ("failed", "bad_url") and "rtmp://" in bad.detail
        await settles(refused, "failed")
        assert refused.reason == "refused" and refused.detail == "Connection refused"
        await settles(rejected, "failed")
        assert rejected.reason == "rejected" and "stream key" in rejected.detail
        await settles(unknown, "failed")
        assert unknown.reason == "unreachable" and "tidak-ada.invalid" in unknown.detail
        await asyncio.sleep(2.0)  # it keeps trying, and keeps saying why
        assert (refused.state, refused.reason) == ("failed", "refused")
        assert refused._child is not None and refused._child.starts >= 2
    finally:
        await asyncio.gather(refused.close(), rejected.close(), unknown.close(), bad.close())


async def test_fragmented_mp4_segments_are_pushed_too(server: RtmpServer, tmp_path: Path) -> None:
    program = FfmpegProgram(tmp_path / "fmp4", fragmented=True)
    program.start()
    url = server.url("kunci-fmp4")
    push = RtmpPush(url, program.playlist, first_delay=0.5, max_delay=2.0)
    try:
        await settles(push, "live")
        assert "#EXT-X-MAP" in program.playlist.read_text()
        frames = await asyncio.to_thread(video_frames, url, 25)
        assert [f[:2] for f in frames] == [SIZE] * 25
    finally:
        await push.close()
        program.stop()
