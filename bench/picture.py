"""Benchmark of the program picture (not a test): what a hall on the floor sends, what a view-only hall gets.

    .venv/bin/python bench/picture.py                  # 20 s, the relay's own bandwidth settings
    .venv/bin/python bench/picture.py --ceiling 300    # the REMB a thin uplink would get (kbit/s)

A hub on loopback and real headless Chromium (fake 30 fps camera): one interactive hall that is
given the floor as soon as it publishes, one view-only hall (no chair page: its encoders would only
take CPU). Every second (``--interval``), from getStats():
the hall's high and low layers (size, kbit/s, fps, limitation, Chrome's target) and the view-only
hall's program inbound (size, kbit/s, fps). The baseline is the publisher in the same second: the
program's fps and kbit/s are also given as a share of what the high layer sent (CPU contention lowers
both ends at once; the share shows what the relay lost). The load average is printed with each row.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import Page, async_playwright  # noqa: E402

from harness.browser import (  # noqa: E402
    CAMERA_30,
    CHROMIUM,  # noqa: E402
    OUTBOUND,
    PROGRAM_INBOUND,
    join_publishing,
    rate,
)
from harness.hub import start_hub  # noqa: E402
from harness.sample import VENUE, small_roster
from rooms.actors import Actor, Kind  # noqa: E402
from rooms.commands import parse_command  # noqa: E402
from server.keys import (  # noqa: E402
    SESSIONS,
    SIGNALLING,  # noqa: E402
    SIGNER,
)
from server.provision import found_session  # noqa: E402

HEADER = ("  t  load | high: size     kbit/s fps limit     target | low: size    kbit/s target"
          " | program: size    kbit/s fps  fps% kbit%")


async def open_page(browser: Any, url: str) -> Page:
    page: Page = await (await browser.new_context(viewport={"width": 1366, "height": 768})).new_page()
    page.set_default_timeout(30_000)
    await page.goto(url)
    await page.wait_for_selector('body[data-connection="online"]')
    return page


async def join(page: Page) -> None:
    await page.get_by_role("button", name="Masuk ke sidang").click()
    await page.wait_for_selector("#live", state="visible")


def row(t: float, hall: tuple[dict[str, Any], dict[str, Any]], program: tuple[Any, Any]) -> str:
    before, now = hall
    if "low" not in before or "low" not in now:
        return f"{t:3.0f} {os.getloadavg()[0]:5.1f} | (no stats yet: {sorted(now)})"
    high, low = now["high"], now["low"]
    high_kbps, high_fps = rate(before["high"], high)
    low_kbps, _ = rate(before["low"], low)
    text = (f"{t:3.0f} {os.getloadavg()[0]:5.1f} | {high['width']:4}x{high['height']:<4} {high_kbps:6.0f}"
            f" {high_fps:3.0f} {high['reason']:<9} {high['target'] // 1000:6}"
            f" | {low['width']:3}x{low['height']:<4} {low_kbps:6.0f} {low['target'] // 1000:6}")
    previous, current = program
    if previous and current:
        kbps, fps = rate(previous, current)
        text += (f" | {current['width']:4}x{current['height']:<4} {kbps:6.0f} {fps:3.0f}"
                 f" {100 * fps / max(high_fps, 1e-3):5.0f} {100 * kbps / max(high_kbps, 1e-3):5.0f}")
    return text


async def run(seconds: float, interval: float, ceiling: int | None) -> None:
    with tempfile.TemporaryDirectory() as data:
        runner, url, app = await start_hub(Path(data), "sqlite", f"mhbench-{os.getpid()}")
        try:
            if ceiling is not None:
                relay = app[SIGNALLING].relay
                relay.config = replace(relay.config, publish_bitrate=ceiling * 1000)
            sessions = app[SESSIONS]
            sid, links = await found_session(sessions, app[SIGNER], url, "Bench", small_roster(), VENUE)
            speaker = next(link for link in links if link.role == "village" and link.interactive)
            viewer = next(link for link in links if link.role == "village" and not link.interactive)
            assert speaker.village is not None
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CAMERA_30)
                watcher = await open_page(browser, viewer.url)
                await join(watcher)
                hall = await open_page(browser, speaker.url)
                await join_publishing(hall)
                await hall.wait_for_selector('body[data-media="connected"]', state="attached")
                for name, payload, actor in (("session.start", {}, Actor(Kind.CHAIR, "chair")),
                                             ("floor.grant", {"village": speaker.village.code, "seconds": 600},
                                              Actor(Kind.MODERATOR, "mod:1"))):
                    await sessions.execute(sid, parse_command(name, payload), actor, time.time())
                print(HEADER)
                sent = await hall.evaluate(OUTBOUND)
                received = await watcher.evaluate(PROGRAM_INBOUND)
                start = time.monotonic()
                while time.monotonic() - start < seconds:
                    await asyncio.sleep(interval)
                    now_sent, now_received = await hall.evaluate(OUTBOUND), await watcher.evaluate(PROGRAM_INBOUND)
                    print(row(time.monotonic() - start, (sent, now_sent), (received, now_received)), flush=True)
                    sent, received = now_sent, now_received
                await browser.close()
        finally:
            await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between rows")
    parser.add_argument("--ceiling", type=int, default=None, help="the publishers' REMB in kbit/s")
    args = parser.parse_args()
    asyncio.run(run(args.seconds, args.interval, args.ceiling))


if __name__ == "__main__":
    main()
