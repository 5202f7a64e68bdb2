"""Debian's nginx with the shipped site (``server/deploy/nginx.conf``) in front of a test hub.

The site is used as shipped but for where it listens, where the hub is and where the cache lives:
those lines are rewritten (each must be found, so a changed site fails here loudly). nginx runs as
this process's child, under a prefix of its own, and is stopped by its pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from harness.net import free_port

NGINX = "/usr/sbin/nginx"
SITE = Path(__file__).resolve().parents[1] / "server" / "deploy" / "nginx.conf"


def site(upstream: str, port: int, cache: Path) -> str:
    """The shipped site, listening on ``port`` (loopback), proxying to ``upstream`` (host:port)."""
    text = SITE.read_text()
    for old, new in (("listen 80;", f"listen 127.0.0.1:{port};"), ("listen [::]:80;\n", ""),
                     ("server 127.0.0.1:8080;", f"server {upstream};"),
                     ("/var/cache/nginx/musrenbang", str(cache))):
        if old not in text:
            raise ValueError(f"{SITE} no longer has {old!r}")
        text = text.replace(old, new)
    return text


class Nginx:
    def __init__(self, folder: Path, upstream: str, workers: int = 1, connections: int = 4096) -> None:
        self.folder, self.upstream, self.workers, self.connections = folder, upstream, workers, connections
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def _conf(self) -> Path:
        folder = self.folder
        for sub in ("cache", "tmp"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        (folder / "site.conf").write_text(site(self.upstream, self.port, folder / "cache"))
        temp = "\n".join(f"  {kind}_temp_path {folder / 'tmp' / kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = folder / "nginx.conf"
        conf.write_text(f"""
{"user root;" if os.geteuid() == 0 else ""}  # workers must reach the test's private temp folders
worker_processes {self.workers};
worker_rlimit_nofile {2 * self.connections + 100};
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections {self.connections}; }}
http {{
  include /etc/nginx/mime.types;
  access_log off;
{temp}
  include {folder / "site.conf"};
}}
""")
        return conf

    def start(self) -> Nginx:
        conf = self._conf()
        self.proc = subprocess.Popen([NGINX, "-p", str(self.folder), "-c", str(conf), "-e",
                                      str(self.folder / "error.log"), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: {self.proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("nginx did not listen")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """CPU time of the master and its workers so far (user and system)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in [self.pid, *_children(self.pid)]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # nginx's fast shutdown: the workers go with it
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    @staticmethod
    def available() -> bool:
        return shutil.which(NGINX) is not None or Path(NGINX).is_file()


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
