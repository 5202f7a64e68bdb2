"""Benchmark of the track recorder (not a test): CPU per recorded frame against the relay's own
forwarding of the same frames, in one process, in the same run.

    .venv/bin/python bench/recorder.py            # 3 rounds of 30 s of 640x360 VP8 + Opus
    .venv/bin/python bench/recorder.py --quick

The relay's real code runs on the event loop: a Feed hands each encoded frame to one subscriber's
Outlet, whose wire does what the relay's does per packet (SRTP protect, ``sendto`` on a loopback
UDP socket) — the baseline. Then the same frames go to a TrackRecorder (the loop's ``take`` and
the writer thread's WebM muxing to a temporary folder), paced so that nothing is dropped. CPU is
``time.process_time`` (both threads) and ``time.thread_time`` (the loop's share: what the relay
pays on its own thread for having a recorder attached).

Then the same frames through a tap to the recorder child the hub runs (``recordings.recorder``):
the loop pays the tap (a header and a pipe write); the child's CPU is read from ``/proc/PID/stat``
once it has started (its start-up, importing PyAV, is a one-off per session) and once it has
written everything.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pylibsrtp import Policy, Session  # noqa: E402

from harness.peers import make_clip, make_opus  # noqa: E402
from media.feed import Feed  # noqa: E402
from media.outlet import Outlet  # noqa: E402
from media.routes import Source  # noqa: E402
from media.pipe import Link, Tap  # noqa: E402
from recordings.track import TrackRecorder  # noqa: E402

STEP = {"VP8": 3000, "opus": 960}  # RTP ticks per frame: 30 fps at 90 kHz, 20 ms at 48 kHz


class LoopbackWire:
    """What the relay's Wire does per packet, without a peer: SRTP protect and one sendto."""

    def __init__(self, clock_rate: int) -> None:
        self.ssrc, self.payload_type, self.clock_rate = 1234, 96, clock_rate
        self.layout = (b"", 0, 0)
        self._protect = Session(Policy(key=os.urandom(30), ssrc_type=Policy.SSRC_ANY_OUTBOUND)).protect
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._address = ("127.0.0.1", 9)  # discard: nobody reads it, the kernel still sends it

    def writable(self) -> bool:
        return True

    def send(self, packet: bytes) -> None:
        self._socket.sendto(self._protect(packet), self._address)

    def account(self, ntp_time: int, rtp_timestamp: int, packets: int, octets: int) -> None:
        pass


async def feed_frames(feed: Feed, codec: str, frames: list[bytes], wait: Callable[[], bool]) -> None:
    for index, data in enumerate(frames):
        feed.on_frame(codec, data, index * STEP[codec])
        while wait():
            await asyncio.sleep(0.001)  # let the writer catch up: this measures cost, not drops


async def forwarding(kind: str, codec: str, frames: list[bytes]) -> tuple[float, float, int]:
    """CPU seconds (process, loop thread) to forward the frames to one subscriber; packets sent."""
    feed = Feed(Source("venue", kind), lambda ssrc: None, 0.5)
    outlet = Outlet("viewer", "program", kind, 8)
    outlet.ready(LoopbackWire(90000 if kind == "video" else 48000))  # type: ignore[arg-type]
    outlet.attach(feed)
    cpu, loop_cpu = time.process_time(), time.thread_time()
    await feed_frames(feed, codec, frames, lambda: False)
    return time.process_time() - cpu, time.thread_time() - loop_cpu, outlet.packets_sent


async def recording(kind: str, codec: str, frames: list[bytes], folder: Path) -> tuple[float, float, int]:
    """CPU seconds (process, loop thread) to record the frames; frames written."""
    feed = Feed(Source("venue", kind), lambda ssrc: None, 0.5)
    recorder = TrackRecorder(feed.source, folder)
    feed.consumers.add(recorder)
    cpu, loop_cpu = time.process_time(), time.thread_time()
    await feed_frames(feed, codec, frames, lambda: recorder._queue.qsize() > 32)
    loop_cpu = time.thread_time() - loop_cpu
    await recorder.close()
    assert recorder.frames_dropped == 0 and recorder.failed is None
    return time.process_time() - cpu, loop_cpu, recorder.frames_written


def child_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def settled(pid: int) -> float:
    """The process's CPU once it stops rising (it waits on its stdin)."""
    last = -1.0
    while (now := child_cpu(pid)) != last:
        last = now
        await asyncio.sleep(0.3)
    return now


async def recording_in_child(kind: str, codec: str, frames: list[bytes], folder: Path) -> tuple[float, float, int]:
    """CPU seconds (loop thread + child, loop thread) to record the frames in the recorder child."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "recordings.recorder", folder, f"bench-{kind}", stdin=asyncio.subprocess.PIPE,
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stdin is not None
    link = Link()
    link.attach(process.stdin)
    feed = Feed(Source("venue", kind), lambda ssrc: None, 0.5)
    feed.consumers.add(tap := Tap(link, 1, feed.source))
    link.send(b"", bounded=False)
    started = await settled(process.pid)
    loop_cpu = time.thread_time()
    await feed_frames(feed, codec, frames, lambda: process.stdin.transport.get_write_buffer_size() > 1 << 20)
    loop_cpu = time.thread_time() - loop_cpu
    await process.stdin.drain()
    written = await settled(process.pid) - started
    process.stdin.close()
    await process.wait()
    assert tap.frames_dropped == 0
    return written + loop_cpu, loop_cpu, tap.frames_sent


def row(name: str, frames: int, packets: int, cpu: float, loop_cpu: float, baseline: float | None) -> str:
    ratio = f"{cpu / baseline:.2f}" if baseline else "1.00"
    return (f"| {name} | {frames:,} | {packets:,} | {cpu * 1e6 / frames:.1f} | {loop_cpu * 1e6 / frames:.1f} "
            f"| {cpu * 1e6 / packets:.1f} | {ratio} |")


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    seconds, rounds = (5.0, 1) if args.quick else (30.0, 3)
    clip = make_clip("VP8", 640, 360, 30, seconds, bitrate=1_000_000, noise_rows=32)
    video = list(clip.delta)
    audio = list(make_opus(seconds))
    print("| work | frames | RTP packets | CPU µs / frame | loop µs / frame | CPU µs / packet | × forwarding |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(rounds):
            for kind, codec, frames in (("video", "VP8", video), ("audio", "opus", audio)):
                cpu, loop_cpu, packets = await forwarding(kind, codec, frames)
                print(row(f"forward {codec}, 1 subscriber", len(frames), packets, cpu, loop_cpu, None))
                rec_cpu, rec_loop, written = await recording(kind, codec, frames, Path(folder))
                print(row(f"record {codec}", written, packets, rec_cpu, rec_loop, cpu))
                rec_cpu, rec_loop, written = await recording_in_child(kind, codec, frames, Path(folder))
                print(row(f"record {codec} in the recorder child", written, packets, rec_cpu, rec_loop, cpu))


if __name__ == "__main__":
    asyncio.run(main())
