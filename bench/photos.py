"""What a photo upload costs, and whether uploads slow the live session's votes.

1. In this process: ``service.photos.reencode`` on a 12-megapixel camera-like JPEG (with EXIF GPS)
   and on a PNG screenshot, against the baseline of Pillow only decoding the same file (ratio).
2. Against a hub process: vote ack latency at an offered rate (``bench/votes.py``'s open loop),
   once alone and once while uploaders send 12-megapixel photos back to back (each upload then
   removed over the channel, so every one is a full re-encoding). Run:
   ``.venv/bin/python bench/photos.py`` (``--quick`` for short runs).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from PIL import ExifTags, Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.votes import _hub_ballot, _measure  # noqa: E402
from harness.hubproc import PROPOSAL, HubProcess, signer  # noqa: E402
from rooms.actors import Kind  # noqa: E402
from service.photos import reencode  # noqa: E402


def camera_jpeg(size: tuple[int, int] = (4000, 3000)) -> bytes:
    """A photo-like 12 MP JPEG (a gradient with grain, so it compresses as a photo does) with EXIF GPS."""
    grain = Image.effect_noise((size[0] // 4, size[1] // 4), 40).resize(size).convert("RGB")
    img = Image.blend(Image.linear_gradient("L").resize(size).convert("RGB"), grain, 0.5)
    exif = Image.Exif()
    exif.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] = "S"
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def screenshot_png(size: tuple[int, int] = (1920, 1080)) -> bytes:
    out = io.BytesIO()
    Image.linear_gradient("L").resize(size).convert("RGBA").save(out, "PNG")
    return out.getvalue()


def _cpu(fn: Any, data: bytes, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        fn(data)
    return (time.process_time() - start) / n


def _decode_only(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as img:
        img.load()


def _uploader(url: str, session: str, villages: list[str], seconds: float, go: Any, out: Any) -> None:
    """Back-to-back uploads (one proposal per village, a photo added then removed), for ``seconds``."""
    body = camera_jpeg()

    async def run() -> None:
        clients: dict[str, tuple[socketio.AsyncClient, str, str]] = {}
        for code in villages:
            token = signer().issue(session, Kind.VILLAGE, code, code)
            c = socketio.AsyncClient()
            await c.connect(url, auth={"token": token}, transports=["websocket"])
            await c.call("proposal.submit", dict(PROPOSAL, title=f"Foto {code}"), timeout=10)
            board = (await c.call("sync", {}, timeout=10))["models"]["board"]["proposals"]
            clients[code] = (c, token, [p["proposal"] for p in board if p["village"] == code][-1])
        done = 0
        out.put("ready")
        await asyncio.to_thread(go.wait)
        end = time.perf_counter() + seconds
        async with aiohttp.ClientSession() as http:
            while time.perf_counter() < end:
                c, token, pid = clients[villages[done % len(villages)]]
                async with http.post(f"{url}/api/sessions/{session}/proposals/{pid}/photos", data=body,
                                     headers={"Authorization": f"Bearer {token}"}) as r:
                    assert r.status == 201, await r.text()
                board = (await c.call("sync", {}, timeout=10))["models"]["board"]["proposals"]
                [photo] = next(p["photos"] for p in board if p["proposal"] == pid)
                await c.call("proposal.photo_remove", {"proposal": pid, "photo": photo["photo"]}, timeout=10)
                done += 1
        out.put(done)
        for c, _, _ in clients.values():
            await c.disconnect()

    asyncio.run(run())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voters", type=int, default=100)
    ap.add_argument("--rate", type=float, default=500, help="offered votes/s")
    ap.add_argument("--uploaders", type=int, default=2)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args()
    seconds = 4.0 if a.quick else a.seconds
    jpeg, png = camera_jpeg(), screenshot_png()
    print(f"camera JPEG {len(jpeg) / 1e6:.1f} MB (4000×3000), screenshot PNG {len(png) / 1e6:.1f} MB (1920×1080)")
    for name, data in (("camera JPEG", jpeg), ("screenshot PNG", png)):
        base, cost = _cpu(_decode_only, data, 3), _cpu(reencode, data, 3)
        kept = reencode(data)
        print(f"{name:15} decode only {1000 * base:6.0f} ms CPU; reencode {1000 * cost:6.0f} ms CPU "
              f"({cost / base:.2f}× decode); kept {len(kept.photo) / 1e3:.0f} KB "
              f"+ thumbnail {len(kept.thumb) / 1e3:.0f} KB")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        hub = asyncio.run(HubProcess(Path(tmp) / "hub").start())
        try:
            ballot, options, tokens = asyncio.run(_hub_ballot(hub.url, a.voters))
            session = signer().verify(tokens[0]).session
            rows.append(("votes alone", _measure(hub.url, hub.pid, tokens, ballot, options, 1, a.rate, seconds), 0))
            go, queue = mp.Event(), mp.Queue()
            codes = [signer().verify(t).actor.id for t in tokens[a.voters // 2:]][: 4 * a.uploaders]
            ups = [mp.Process(target=_uploader, args=(hub.url, session, codes[i::a.uploaders], seconds, go, queue))
                   for i in range(a.uploaders)]
            for p in ups:
                p.start()
            for _ in ups:
                assert queue.get(timeout=120) == "ready"
            go.set()
            result = _measure(hub.url, hub.pid, tokens, ballot, options, 1, a.rate, seconds)
            uploads = sum(queue.get(timeout=seconds + 120) for _ in ups)
            for p in ups:
                p.join()
            rows.append((f"votes + {a.uploaders} uploaders", result, uploads))
        finally:
            hub.stop()
    print(f"\n{a.voters} voters, offered {a.rate:.0f} votes/s, {seconds:.0f} s per run; {os.cpu_count()} cores, "
          f"load avg {os.getloadavg()[0]:.2f}")
    print(f"{'run':24} {'acked/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'CPU µs/vote':>12} {'uploads':>8}")
    for name, r, uploads in rows:
        print(f"{name:24} {r['acked_per_s']:8.0f} {r['p50_ms']:7.1f} {r['p99_ms']:7.1f} "
              f"{r['cpu_us_per_vote']:12.0f} {uploads:8d}")
    print(f"p99 with uploads / alone: {rows[1][1]['p99_ms'] / rows[0][1]['p99_ms']:.2f}")


if __name__ == "__main__":
    main()
