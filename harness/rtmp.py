"""A real RTMP server and a real live HLS program on loopback, for the RTMP push's tests.

:class:`RtmpServer` is Debian's nginx with libnginx-mod-rtmp, a process of the test's own (temp
prefix, free port, stopped by its PID), which can be stopped and started again on the same port as a
far end that drops. :class:`FfmpegProgram` is Debian's ffmpeg writing what the composer writes: a
sliding-window playlist of MPEG-TS segments, H.264 1280x720 at 25 fps and AAC, in real time. Unlike
``harness.program.LiveProgram`` (PyAV in threads of the test's own process) it is a process that can
be SIGKILLed mid-segment like a crashed composer; started again it numbers on in the same playlist
after an EXT-X-DISCONTINUITY, as a restarted composer does.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import av

from harness.net import free_port

MODULES = (Path("/usr/lib/nginx/modules/ngx_rtmp_module.so"), Path("/usr/share/nginx/modules/ngx_rtmp_module.so"))
SIZE = (1280, 720)


def _module() -> Path:
    for path in MODULES:
        if path.exists():
            return path
    raise RuntimeError("no ngx_rtmp_module.so: install libnginx-mod-rtmp (scripts/deps.sh --test)")


class RtmpServer:
    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder, self.port = folder, free_port()
        self.conf = folder / "nginx.conf"
        self.conf.write_text(
            f"load_module {_module()};\n"
            "daemon off;\nmaster_process off;\n"  # one process: its PID is all there is to stop
            f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'} info;\n"
            "events { worker_connections 64; }\n"
            f"rtmp {{ server {{ listen 127.0.0.1:{self.port}; application live {{ live on; record off; }} }} }}\n")
        self._process: subprocess.Popen[bytes] | None = None

    def url(self, key: str, app: str = "live") -> str:
        return f"rtmp://127.0.0.1:{self.port}/{app}/{key}"

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["nginx", "-p", str(self.folder), "-e", str(self.folder / "error.log"), "-c", str(self.conf)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"nginx exited {self._process.returncode}: see {self.folder / 'error.log'}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("nginx did not listen within 10 s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(10)
        self._process = None


class FfmpegProgram:
    def __init__(self, folder: Path, *, fragmented: bool = False) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.playlist = folder / "index.m3u8"
        self.fragmented = fragmented  # fragmented MP4 segments after an EXT-X-MAP, not MPEG-TS
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        width, height = SIZE
        self._process = subprocess.Popen([
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin", "-re",
            "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-bf", "2",  # B-frames, as a composer may have: a segment's first dts comes before its first pts
            "-g", "25", "-keyint_min", "25", "-sc_threshold", "0", "-b:v", "1500k",
            "-c:a", "aac", "-b:a", "96k",
            "-f", "hls", "-hls_time", "1", "-hls_list_size", "6",
            "-hls_segment_type", "fmp4" if self.fragmented else "mpegts",
            "-hls_flags", "delete_segments+append_list+omit_endlist", str(self.playlist),
        ], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def restart(self) -> None:
        """Killed mid-segment, as a crashed composer is, then started again on the same playlist."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(10)
        self.start()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(10)
        self._process = None


def codecs(url: str, timeout: float = 15.0) -> list[str]:
    """The codecs of an RTMP stream's tracks, as a subscriber sees them."""
    with av.open(url, timeout=timeout) as container:
        return sorted(s.codec_context.name for s in container.streams)


def video_frames(url: str, count: int, timeout: float = 15.0) -> list[tuple[int, int, float]]:
    """Subscribe to an RTMP stream and decode ``count`` video frames: each one's size and time (s)."""
    frames: list[tuple[int, int, float]] = []
    with av.open(url, timeout=timeout) as container:
        for frame in container.decode(video=0):
            frames.append((frame.width, frame.height, float(frame.time or 0.0)))
            if len(frames) >= count:
                break
    return frames
