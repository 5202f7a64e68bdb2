"""Benchmark of the livestream's latency (not a test): from the moderator's click on "Beri waktu
bicara" to the citizen's player showing the new hall, in Chromium (issue 11 §2; target ≤ 6 s).

    flock /tmp/bench.lock .venv/bin/python bench/hls_latency.py          # 8 grants, 8 ends of turn

The setup of tests/web/test_live_program.py (``harness/on_air.py``): a hub composing the program,
the chair's console (venue camera: red) and an interactive hall (blue) in two Chromium processes,
the moderator's page and the public page. Each round the hall raises its hand, the moderator clicks
"Beri waktu bicara", and the public page polls its <video>'s pixels every ~50 ms until the main
picture is blue; a random 2–4 s later (so the clicks fall at any phase of a segment) the moderator
ends the turn ("Hentikan") and the page waits for red again.
Both times are Date.now() in the two pages of one browser process: one clock. Printed: each round,
then p50/p95/max of both directions, how far behind its playlist's newest media the player plays, and
the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.async_api import async_playwright, expect  # noqa: E402

from harness.on_air import hue_at, on_air  # noqa: E402

# how far the player plays behind the newest media its playlist lists
BEHIND = """() => { const v = document.getElementById("livestream"), r = v.seekable;
  return r.length ? r.end(r.length - 1) - v.currentTime : null; }"""
PATIENCE = 60.0  # seconds a change may take before the run gives up


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(name: str, values: list[float]) -> str:
    return (f"{name:>6}: n={len(values)} p50 {statistics.median(values):.2f} s  p95 {_quantile(values, 0.95):.2f} s"
            f"  max {max(values):.2f} s")


async def run(rounds: int, seed: int) -> None:
    pause = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="hls-latency-") as folder:
        async with async_playwright() as playwright, on_air(playwright, Path(folder)) as air:
            public = air.public
            await expect(public.locator("body")).to_have_attribute("data-player", "live", timeout=PATIENCE * 1000)
            await hue_at(public, "red", PATIENCE)
            await public.wait_for_timeout(5000)  # the player settles at its distance from the live edge
            grants: list[float] = []
            ends: list[float] = []
            print("round  grant→hall  end→venue  behind the edge  load (1 min)")
            for index in range(rounds):
                clicked = await air.grant()
                grants.append((await hue_at(public, "blue", PATIENCE) - clicked) / 1000)
                await public.wait_for_timeout(pause.uniform(2000, 4000))  # any phase of a segment
                clicked = await air.end_turn()
                ends.append((await hue_at(public, "red", PATIENCE) - clicked) / 1000)
                behind = await public.evaluate(BEHIND)
                behind_text = "      -" if behind is None else f"{behind:7.2f} s"
                print(f"{index + 1:5d}  {grants[-1]:8.2f} s  {ends[-1]:7.2f} s  {behind_text:>14}"
                      f"  {os.getloadavg()[0]:.2f}", flush=True)
                await public.wait_for_timeout(pause.uniform(2000, 4000))
            print(_summary("grant", grants))
            print(_summary("end", ends))
            print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=8, help="grants (and ends of turn) measured")
    parser.add_argument("--seed", type=int, default=11, help="of the random pauses between clicks")
    args = parser.parse_args()
    asyncio.run(run(args.rounds, args.seed))


if __name__ == "__main__":
    main()
