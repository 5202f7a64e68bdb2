"""Benchmark of the media relay (not a test): CPU per forwarded packet, delivery, join time.

    .venv/bin/python bench/relay.py            # N = 1, 10, 50, 100 + stock baseline + topology
    .venv/bin/python bench/relay.py --quick    # N = 1, 10, shorter windows, small topology
    .venv/bin/python bench/relay.py --workers 1,2 --ns 50,100 --halls 25   # ours in the hub, then 2 workers

One publisher (VP8 640x360 ~1 Mbit/s 30 fps + Opus) -> N subscribers that do not decode, in
several processes; the relay runs in its own process and its CPU is read from /proc/PID/stat.
The baseline is aiortc's stock ``MediaRelay`` (decode once, re-encode per subscriber) in the same
run. Then the session topology: 1 venue + 25 interactive villages publishing two layers each.
``--workers``: ours is run once per worker count (``media.workers``; CPU is the relay process and
its workers together, and each of them).
RELAY_BENCH_VERBOSE=1 also prints the relay's counters and every slot's frame count to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from media.routes import Source, plan_routes  # noqa: E402

ROLES = str(Path(__file__).with_name("relay_roles.py"))
TICK = os.sysconf("SC_CLK_TCK")
VENUE_LAYERS = {"high": {"width": 640, "height": 360, "fps": 30, "bitrate": 1_000_000, "noise": 32}}
VILLAGE_LAYERS = {
    "high": {"width": 640, "height": 360, "fps": 20, "bitrate": 500_000, "noise": 12},
    "low": {"width": 320, "height": 180, "fps": 15, "bitrate": 120_000, "noise": 8},
}
VIEWER_SLOTS = {"program": "video", "venue": "video", "floor": "audio", "venue_audio": "audio"}
NICE = 10  # publishers and subscribers yield to the relay: on 2 shared cores it would starve first


class Child:
    def __init__(self, role: str, args: dict[str, Any]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, ROLES, role, json.dumps(args)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
        )

    def read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"child {self.process.args[2]} ended early")
        return json.loads(line)

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        try:
            self.send("stop")
            self.process.wait(timeout=20)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def post(url: str, message: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(url, json.dumps(message).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def route(url: str, routes: dict[str, dict[str, Source | None]]) -> None:
    for subscriber, slots in routes.items():
        wire = {slot: source.as_dict() if source else None for slot, source in slots.items()}
        assert post(url, {"op": "route", "subscriber": subscriber, "slots": wire})["ok"]


def split(items: list[str], parts: int) -> list[list[str]]:
    return [chunk for chunk in (items[i::parts] for i in range(parts)) if chunk]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@dataclass
class Figures:
    label: str
    subscribers: int
    cpu_core: float  # relay's share of one core (its workers included)
    us_per_packet: float
    us_per_subscriber: float  # relay CPU per subscriber per second of session, in µs/s
    rss_mb: float
    fps_min: float  # video frames per second received, worst subscriber
    fps_median: float
    delivered_min: float  # worst subscriber: frames received / frames sent
    rtp_loss: float
    join_p50: float
    join_p95: float
    load_generator_cores: float  # publishers' and subscribers' processes, for context
    cpu_each: tuple[float, ...] = ()  # with workers: the relay process's share, then each worker's

    def row(self) -> str:
        return (
            f"| {self.label} | {self.subscribers} | {self.cpu_core:.2f}{self.split()} | {self.us_per_packet:.1f} | "
            f"{self.us_per_subscriber / 1000:.1f} | {self.rss_mb:.0f} | {self.fps_min:.1f} / {self.fps_median:.1f} | "
            f"{100 * self.delivered_min:.1f} % | {100 * self.rtp_loss:.2f} % | "
            f"{1000 * self.join_p50:.0f} / {1000 * self.join_p95:.0f} | {self.load_generator_cores:.2f} |"
        )


    def split(self) -> str:
        return f" ({' + '.join(f'{c:.2f}' for c in self.cpu_each)})" if len(self.cpu_each) > 1 else ""


HEADER = (
    "| relay | N | CPU (cores) | µs / forwarded packet | ms CPU / subscriber / s | RSS MB | "
    "fps min / median | delivered (worst) | RTP loss | join→first frame p50 / p95 ms | load generator (cores) |\n"
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
)


def run(
    label: str, kind: str, publishers: list[tuple[list[str], dict[str, Any], dict[str, str]]],
    routes: dict[str, dict[str, Source | None]], subscribers: list[str], slots: dict[str, str],
    watched: dict[str, tuple[str, str]], window: float, processes: int, light: bool = True, workers: int = 1,
) -> Figures:
    """``watched``: slot -> (publisher, layer) whose sent frames the slot should match."""
    relay = Child("relay", {"kind": kind, "workers": workers})
    children: list[Child] = []
    try:
        ready = relay.read()
        url, relay_pids = ready["url"], [relay.process.pid, *ready["workers"]]
        route(url, routes)
        for participants, layers, publisher_slots in publishers:
            child = Child("participants", {"url": url, "participants": participants, "layers": layers,
                                           "slots": publisher_slots, "batch": 5, "nice": NICE})
            child.read()
            children.append(child)
        viewers = [Child("participants", {"url": url, "participants": chunk, "slots": slots, "batch": 10, "nice": NICE,
                                          "light": light})
                   for chunk in split(subscribers, processes)]
        for child in viewers:
            child.read()
        children += viewers
        time.sleep(2.0)  # settle: every subscriber has had its keyframe

        def mark() -> tuple[float, list[float], float, list[dict[str, Any]]]:
            others = sum(cpu_seconds(child.process.pid) for child in children)
            for child in children:
                child.send("mark")
            relay.send("mark")
            counters = relay.read()
            if os.environ.get("RELAY_BENCH_VERBOSE"):
                print(json.dumps({"relay": counters}), file=sys.stderr)
            return time.monotonic(), [cpu_seconds(pid) for pid in relay_pids], others, [child.read() for child in children]

        start, cpu_start, others_start, before = mark()
        time.sleep(window)
        end, cpu_end, others_end, after = mark()
        rss = sum(rss_mb(pid) for pid in relay_pids)
    finally:
        for child in children:
            child.stop()
        relay.stop()
    elapsed = end - start
    cpu_each = tuple((e - s) / elapsed for s, e in zip(cpu_start, cpu_end, strict=True))
    cpu = sum(cpu_each)
    keys = ("sent", "frames", "rtp", "join")
    merged = [{key: {k: v for part in snapshot for k, v in part[key].items()} for key in keys}
              for snapshot in (before, after)]
    sent = {pid: {layer: merged[1]["sent"][pid][layer] - merged[0]["sent"][pid][layer] for layer in layers}
            for pid, layers in merged[1]["sent"].items()}
    if os.environ.get("RELAY_BENCH_VERBOSE"):
        frames = {pid: {slot: merged[1]["frames"][pid][slot] - merged[0]["frames"][pid].get(slot, 0) for slot in slots}
                  for pid, slots in merged[1]["frames"].items()}
        print(json.dumps({"sent": sent, "frames": frames}), file=sys.stderr)
    fps, delivered, joins = [], [], []
    packets = lost = 0
    receivers = [pid for pid, frames in merged[1]["frames"].items() if frames]
    for pid in receivers:
        received_rtp = merged[1]["rtp"][pid][0] - merged[0]["rtp"][pid][0]
        lost_rtp = merged[1]["rtp"][pid][1] - merged[0]["rtp"][pid][1]
        packets += received_rtp
        lost += max(lost_rtp, 0)
        for slot, (publisher, layer) in watched.items():
            if slot not in merged[1]["frames"][pid] or publisher == pid:
                continue
            frames = merged[1]["frames"][pid][slot] - merged[0]["frames"][pid][slot]
            if layer != "mic":
                fps.append(frames / elapsed)
            delivered.append(frames / max(sent[publisher][layer], 1))
        if pid in merged[1]["join"] and pid in subscribers:
            joins.append(merged[1]["join"][pid])
    return Figures(
        label, len(subscribers), cpu, 1e6 * cpu * elapsed / max(packets, 1), 1e6 * cpu / max(len(receivers), 1),
        rss, min(fps, default=0), statistics.median(fps) if fps else 0, min(delivered, default=0),
        lost / max(packets + lost, 1), percentile(joins, 0.5), percentile(joins, 0.95),
        (others_end - others_start) / elapsed, cpu_each,
    )


def viewer_processes(n: int, light: bool) -> int:
    """Full aiortc viewers cost ~8 ms of CPU per second each, light ones well under 1 ms."""
    return max(1, min(4, n // (100 if light else 15) + 1))


def ours(workers: int) -> str:
    return "ours" if workers == 1 else f"ours, {workers} workers"


def single_publisher(kind: str, n: int, window: float, light: bool, workers: int = 1) -> Figures:
    subscribers = [f"viewer-{i:03d}" for i in range(n)]
    routes = {pid: {"program": Source("venue", "video"), "floor": Source("venue", "audio")} for pid in subscribers}
    return run(
        ours(workers) if kind == "ours" else "aiortc MediaRelay", kind, [(["venue"], VENUE_LAYERS, {})], routes,
        subscribers, {"program": "video", "floor": "audio"}, {"program": ("venue", "high"), "floor": ("venue", "mic")},
        window, viewer_processes(n, light), light, workers,
    )


VIEWER_HEADER = (
    "| viewers | N | load-generator process CPU (cores) | ms CPU / viewer / s | packets / viewer / s | "
    "µs / received packet | video frames delivered (worst) |\n| --- | --- | --- | --- | --- | --- | --- |"
)


def viewer_cost(n: int, window: float) -> list[str]:
    """N light and N full aiortc viewers, one process each, on one relay and one publisher, measured together."""
    kinds = {"light": [f"light-{i:03d}" for i in range(n)], "full": [f"full-{i:03d}" for i in range(n)]}
    slots = {"program": "video", "floor": "audio"}
    relay = Child("relay", {"kind": "ours"})
    children: dict[str, Child] = {}
    try:
        url = relay.read()["url"]
        route(url, {pid: {"program": Source("venue", "video"), "floor": Source("venue", "audio")}
                    for pids in kinds.values() for pid in pids})
        children["venue"] = Child("participants", {"url": url, "participants": ["venue"], "layers": VENUE_LAYERS,
                                                   "nice": NICE})
        children["venue"].read()
        for kind, pids in kinds.items():
            children[kind] = Child("participants", {"url": url, "participants": pids, "slots": slots, "batch": 10,
                                                    "nice": NICE, "light": kind == "light"})
            children[kind].read()
        time.sleep(2.0)

        def mark() -> tuple[float, dict[str, float], dict[str, dict[str, Any]]]:
            cpu = {name: cpu_seconds(child.process.pid) for name, child in children.items()}
            for child in children.values():
                child.send("mark")
            return time.monotonic(), cpu, {name: child.read() for name, child in children.items()}

        start, cpu_start, before = mark()
        time.sleep(window)
        end, cpu_end, after = mark()
    finally:
        for child in children.values():
            child.stop()
        relay.stop()
    elapsed = end - start
    sent = after["venue"]["sent"]["venue"]["high"] - before["venue"]["sent"]["venue"]["high"]
    rows = []
    for kind, pids in kinds.items():
        cores = (cpu_end[kind] - cpu_start[kind]) / elapsed
        packets = sum(after[kind]["rtp"][pid][0] - before[kind]["rtp"][pid][0] for pid in pids)
        worst = min((after[kind]["frames"][pid].get("program", 0) - before[kind]["frames"][pid].get("program", 0))
                    for pid in pids)
        rows.append(f"| {kind} | {n} | {cores:.3f} | {1000 * cores / n:.2f} | {packets / n / elapsed:.0f} | "
                    f"{1e6 * cores * elapsed / max(packets, 1):.1f} | {100 * worst / max(sent, 1):.1f} % |")
    return rows


def topology(viewers: int, window: float, light: bool, workers: int = 1) -> Figures:
    villages = [f"desa-{i:02d}" for i in range(25)]
    subscribers = [f"balai-{i:03d}" for i in range(viewers)]
    # The chair's console is the venue's own peer: it sees the whole grid of villages.
    roles = {"venue": "staff", **{pid: "interactive" for pid in villages}, **{pid: "viewonly" for pid in subscribers}}
    plan = {"venue": "venue", "floor": villages[0], "spotlight": None, "muted": [], "interactive": villages}
    routing = plan_routes(plan, roles, interactive_thumbnails=False)
    chair_slots = {**VIEWER_SLOTS, **{f"grid{i}": "video" for i in range(25)}}
    publishers = [(["venue"], VENUE_LAYERS, chair_slots)] + [
        (chunk, VILLAGE_LAYERS, VIEWER_SLOTS) for chunk in split(villages, 2)
    ]
    watched = {"program": (villages[0], "high"), "venue": ("venue", "high")}
    return run(f"{ours(workers)}, session of {viewers} halls", "ours", publishers, routing.routes, subscribers,
               VIEWER_SLOTS, watched, window, viewer_processes(viewers, light), light, workers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 1, 10; short windows; one small topology")
    parser.add_argument("--ns", default=None, help="comma-separated subscriber counts")
    parser.add_argument("--stock-ns", default="1,5", help="subscriber counts for aiortc's MediaRelay")
    parser.add_argument("--halls", default=None, help="comma-separated view-only hall counts for the topology")
    parser.add_argument("--window", type=float, default=None, help="seconds measured per scenario")
    parser.add_argument("--workers", default="1", help="comma-separated relay worker counts to run ours with")
    parser.add_argument("--full-viewers", action="store_true", help="subscribers as full aiortc receivers, not light")
    parser.add_argument("--compare-viewers", type=int, default=None,
                        help="N light vs N full viewers on one relay, CPU of each load-generator process (0: skip)")
    args = parser.parse_args()
    window = args.window or (5.0 if args.quick else 10.0)
    default_ns, default_halls = ("1,10", "10") if args.quick else ("1,10,50,100", "25,50,100")
    ns = [int(n) for n in (default_ns if args.ns is None else args.ns).split(",") if n]
    stock_ns = [int(n) for n in args.stock_ns.split(",") if n]
    halls = [int(n) for n in (default_halls if args.halls is None else args.halls).split(",") if n]
    compare = (10 if args.quick else 50) if args.compare_viewers is None else args.compare_viewers
    light = not args.full_viewers
    worker_counts = [int(n) for n in args.workers.split(",") if n]

    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}", flush=True)
    if compare:
        print(VIEWER_HEADER, flush=True)
        for row in viewer_cost(compare, window):
            print(row, flush=True)
    print(f"subscribers: {'light' if light else 'full aiortc'} viewers", flush=True)
    print(HEADER, flush=True)
    for n in stock_ns:
        print(single_publisher("stock", n, window, light).row(), flush=True)
    for workers in worker_counts:
        for n in ns:
            print(single_publisher("ours", n, window, light, workers).row(), flush=True)
        for count in halls:
            print(topology(count, window, light, workers).row(), flush=True)
    print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}", flush=True)


if __name__ == "__main__":
    main()
