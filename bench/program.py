"""Benchmark of the program feed (not a test): the composer against ffmpeg, and the relay with the
composer attached against without.

    .venv/bin/python bench/program.py            # 2 rounds of 30 s
    .venv/bin/python bench/program.py --quick    # 1 round of 12 s

**Composer vs ffmpeg.** The same inputs (two 640x360 30 fps VP8 cameras at ~1 Mbit/s with moving
noise, so that x264 has work, and two Opus microphones) and the same job: the village large, the
venue small, a two-line caption, the two microphones mixed, two rungs (1280x720 2.5 Mbit/s, 640x360
0.7 Mbit/s, libx264 ``--preset`` with zerolatency, a keyframe every 2 s, the same VBV) and AAC
128 kbit/s once, into 2 s HLS segments. The composer is fed over its pipe in real time; ffmpeg reads
the same frames from WebM files at their own rate (``-re``). CPU is read from /proc/PID/stat over
the same window of each run (after a warm-up: start-up is not the steady cost).

**Effect on the relay.** In one process, as bench/recorder.py does: a Feed forwards the venue's
camera and microphone in real time to one subscriber's Outlet (SRTP and ``sendto`` per packet),
without and then with the program feed's taps writing the same frames to a real composer. Given:
the loop thread's CPU per frame (what the relay pays), the packets delivered, the frames the taps
dropped, and how late the paced frames left (the composer competes for the same 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.recorder import LoopbackWire  # noqa: E402
from harness.peers import make_clip, make_opus  # noqa: E402
from media.feed import Feed  # noqa: E402
from media.outlet import Outlet  # noqa: E402
from media.routes import Source  # noqa: E402
from recordings.layout import scene_to_dict  # noqa: E402
from media.pipe import Link, Tap, pack_control, pack_frame  # noqa: E402
from recordings.scene import Floor, Scene  # noqa: E402
from recordings.webm import WebmClip  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WARM = 3.0
CAPTION = ("Kemiren · Kec. Glagah · sisa 01:00", "Infrastruktur jalan desa")
VENUE, VILLAGE = "venue", "desa"


def cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def window_cpu(process: subprocess.Popen[bytes], seconds: float) -> float:
    """CPU seconds the process uses from WARM to ``seconds`` - 1 after it started."""
    began = time.monotonic()
    time.sleep(WARM)
    start = cpu(process.pid)
    time.sleep(max(0.0, began + seconds - 1 - time.monotonic()))
    return cpu(process.pid) - start


def scene() -> Scene:
    return Scene(session="bench", title="Musrenbang", venue=VENUE, floor_holder=VILLAGE, spotlight=None,
                 screen=False, agenda=CAPTION[1],
                 floor=Floor("g1", VILLAGE, "Kemiren", "Glagah", time.time() + 60))


def feed_composer(stdin: object, cameras: dict[int, list[bytes]], mics: dict[int, list[bytes]],
                  seconds: float) -> None:
    write = stdin.write  # type: ignore[attr-defined]
    began = time.monotonic()
    for index in range(int(seconds * 30)):
        for track, frames in cameras.items():
            write(pack_frame(track, index % len(frames) == 0, index * 3000, frames[index % len(frames)]))
        for track, packets in mics.items():
            for half in (0, 1):
                position = (index * 5 // 3 + half) % len(packets)  # 50 packets a second against 30 frames
                write(pack_frame(track, True, position * 960, packets[position]))
        stdin.flush()  # type: ignore[attr-defined]
        time.sleep(max(0.0, began + (index + 1) / 30 - time.monotonic()))


def composer_run(folder: Path, preset: str, seconds: float, venue: list[bytes], village: list[bytes],
                 mic: list[bytes]) -> float:
    process = subprocess.Popen([sys.executable, "-m", "recordings.composer", "--out", str(folder),
                                "--title", "Musrenbang", "--preset", preset], stdin=subprocess.PIPE, cwd=ROOT)
    assert process.stdin is not None
    announce = [pack_control({"type": "track", "track": n, "codec": codec, "source": Source(p, kind).as_dict()})
                for n, p, kind, codec in ((1, VENUE, "video", "VP8"), (2, VILLAGE, "video", "VP8"),
                                          (3, VENUE, "audio", "opus"), (4, VILLAGE, "audio", "opus"))]
    process.stdin.write(b"".join(announce) + pack_control({"type": "scene", "scene": scene_to_dict(scene())}))
    feeder = threading.Thread(target=feed_composer, args=(process.stdin, {1: venue, 2: village}, {3: mic, 4: mic},
                                                          seconds))
    feeder.start()
    used = window_cpu(process, seconds)
    feeder.join()
    process.stdin.close()
    process.wait()
    return used


def write_inputs(folder: Path, venue: list[bytes], village: list[bytes], mic: list[bytes]) -> list[Path]:
    paths = []
    for name, frames, codec, step in (("village", village, "VP8", 3000), ("venue", venue, "VP8", 3000),
                                      ("village-mic", mic, "opus", 960), ("venue-mic", mic, "opus", 960)):
        path = folder / f"{name}.webm"
        clip = WebmClip(path, codec, frames[0])
        for index, data in enumerate(frames):
            clip.write(data, index * step, index == 0 or codec == "opus")
        clip.close()
        paths.append(path)
    return paths


def ffmpeg_command(inputs: list[Path], out: Path, preset: str) -> list[str]:
    def text(line: str, y: str) -> str:
        escaped = line.replace(":", r"\:")
        return f"drawtext=fontfile={FONT}:text='{escaped}':x=27:y={y}:fontsize=27:fontcolor=white"

    graph = (f"[0:v]fps=25,scale=1280:720[big];[1:v]fps=25,scale=320:180[small];"
             f"[big][small]overlay=x=W-w-20:y=20,drawbox=x=0:y=ih-108:w=iw:h=108:color=0x1c2634@1:t=fill,"
             f"{text(CAPTION[0], 'h-94')},{text(CAPTION[1], 'h-54')},split[main][rest];[rest]scale=640:360[low];"
             f"[2:a][3:a]amix=inputs=2:normalize=0[sound]")
    x264 = "keyint=50:min-keyint=50:scenecut=0"
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    for path in inputs:
        command += ["-re", "-i", str(path)]
    command += ["-filter_complex", graph, "-map", "[main]", "-map", "[low]", "-map", "[sound]",
                "-c:v", "libx264", "-preset", preset, "-tune", "zerolatency", "-profile:v", "main",
                "-x264-params", x264, "-b:v:0", "2500k", "-maxrate:v:0", "2500k", "-bufsize:v:0", "2500k",
                "-b:v:1", "700k", "-maxrate:v:1", "700k", "-bufsize:v:1", "700k",
                "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2",
                "-f", "hls", "-hls_time", "2", "-hls_list_size", "6", "-hls_flags", "program_date_time",
                "-var_stream_map", "v:0,agroup:sound v:1,agroup:sound a:0,agroup:sound",
                "-master_pl_name", "master.m3u8", "-hls_segment_filename", f"{out}/%v/seg-%05d.ts",
                f"{out}/%v/index.m3u8"]
    return command


def ffmpeg_run(inputs: list[Path], out: Path, preset: str, seconds: float) -> float:
    out.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(ffmpeg_command(inputs, out, preset), stdin=subprocess.DEVNULL)
    used = window_cpu(process, seconds)
    if process.wait() != 0:
        raise RuntimeError("ffmpeg failed")
    return used


async def relay_run(seconds: float, video: list[bytes], audio: list[bytes], composer: bool) -> dict[str, float]:
    """The venue's camera and microphone forwarded in real time, with or without the program feed."""
    loop = asyncio.get_running_loop()
    camera = Feed(Source(VENUE, "video"), lambda ssrc: None, 0.5)
    mic = Feed(Source(VENUE, "audio"), lambda ssrc: None, 0.5)
    outlets = []
    for feed, rate in ((camera, 90000), (mic, 48000)):
        outlet = Outlet("viewer", "program" if feed is camera else "floor", feed.kind, 16)
        outlet.ready(LoopbackWire(rate))  # type: ignore[arg-type]
        outlet.attach(feed)
        outlets.append(outlet)
    process, taps = None, []
    if composer:
        folder = tempfile.mkdtemp(prefix="bench-program-")
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "recordings.composer", "--out", folder, "--title", "Musrenbang",
            stdin=asyncio.subprocess.PIPE, cwd=ROOT)
        assert process.stdin is not None
        link = Link()
        link.attach(process.stdin)
        link.send(pack_control({"type": "scene", "scene": scene_to_dict(scene())}), bounded=False)
        taps = [Tap(link, 1, camera.source), Tap(link, 2, mic.source)]
        camera.consumers.add(taps[0])
        mic.consumers.add(taps[1])
        await asyncio.sleep(WARM)  # the composer is up before the measurement starts
    lateness: list[float] = []
    began = loop.time()
    thread_cpu, process_cpu = time.thread_time(), time.process_time()
    for index in range(int(seconds * 50)):  # a 20 ms audio tick; a picture on 3 ticks of 5 (30 fps)
        due = began + index * 0.02
        lateness.append(max(0.0, loop.time() - due))
        mic.on_frame("opus", audio[index % len(audio)], index * 960)
        if index * 3 // 5 != (index - 1) * 3 // 5 or index == 0:
            picture = index * 3 // 5
            camera.on_frame("VP8", video[picture % len(video)], picture * 3000)
        await asyncio.sleep(max(0.0, began + (index + 1) * 0.02 - loop.time()))
    result = {"loop_cpu": time.thread_time() - thread_cpu, "process_cpu": time.process_time() - process_cpu,
              "packets": sum(outlet.packets_sent for outlet in outlets),
              "late_p99_ms": statistics.quantiles(lateness, n=100)[98] * 1000, "late_max_ms": max(lateness) * 1000,
              "tap_dropped": sum(tap.frames_dropped for tap in taps), "tap_sent": sum(tap.frames_sent for tap in taps),
              "composer_cpu": 0.0}
    if process is not None:
        result["composer_cpu"] = cpu(process.pid)
        assert process.stdin is not None
        process.stdin.close()
        await process.wait()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--preset", default="veryfast")
    args = parser.parse_args()
    seconds, rounds = (12.0, 1) if args.quick else (30.0, 2)
    venue = list(make_clip("VP8", 640, 360, 30, seconds, bitrate=1_000_000, noise_rows=32).delta)
    village = list(make_clip("VP8", 640, 360, 30, seconds, bitrate=1_000_000, noise_rows=32).delta)
    mic = list(make_opus(seconds))
    measured = seconds - 1 - WARM
    print(f"load average {os.getloadavg()}; preset {args.preset}; {seconds:.0f} s runs, CPU over {measured:.0f} s")
    print("| run | composer CPU s | composer % of a core | ffmpeg CPU s | ffmpeg % of a core | composer / ffmpeg |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        inputs = write_inputs(folder, venue, village, mic)
        for round_ in range(rounds):
            ours = composer_run(folder / f"composer{round_}", args.preset, seconds, venue, village, mic)
            theirs = ffmpeg_run(inputs, folder / f"ffmpeg{round_}", args.preset, seconds)
            print(f"| {round_ + 1} | {ours:.2f} | {ours / measured * 100:.0f} | {theirs:.2f} | "
                  f"{theirs / measured * 100:.0f} | {ours / theirs:.2f} |")
    print(f"\nload average {os.getloadavg()}")
    print("| relay | frames | packets out | loop µs / frame | process µs / frame | late p99 ms | late max ms "
          "| tap frames sent / dropped | composer CPU s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    relay_seconds = seconds / 2
    for _ in range(rounds):
        for composer in (False, True):
            result = asyncio.run(relay_run(relay_seconds, venue, mic, composer))
            frames = int(relay_seconds * 50 * 8 / 5)  # audio ticks plus pictures
            print(f"| {'with the composer' if composer else 'alone'} | {frames:,} | {int(result['packets']):,} "
                  f"| {result['loop_cpu'] * 1e6 / frames:.1f} | {result['process_cpu'] * 1e6 / frames:.1f} "
                  f"| {result['late_p99_ms']:.1f} | {result['late_max_ms']:.1f} "
                  f"| {int(result['tap_sent']):,} / {int(result['tap_dropped']):,} | {result['composer_cpu']:.1f} |")
    print(f"\nload average {os.getloadavg()}")


if __name__ == "__main__":
    main()
