"""A rung's live playlist across the composer's runs: ended by an orderly stop, live again when a
new run starts (a hub restarted mid-session)."""

from __future__ import annotations

import json
from pathlib import Path

from recordings.hls import Rung
from recordings.segments import JOURNAL, Rendition

RUNG = Rung("main", 1280, 720, 2_500_000, 128_000)


def test_the_stop_ends_the_live_playlist_and_the_next_run_opens_it_again(tmp_path: Path) -> None:
    journal = [{"n": n, "started": 1_796_400_000.0 + 2 * n, "discontinuity": False} for n in (1, 2)]
    (tmp_path / JOURNAL).write_text("".join(json.dumps(e) + "\n" + json.dumps({"n": e["n"], "duration": 2.0}) + "\n"
                                            for e in journal))
    first = Rendition(tmp_path, RUNG, segment_seconds=2, window=6)
    first.finish()
    live = (tmp_path / "index.m3u8").read_text()
    assert live.endswith("#EXT-X-ENDLIST\n") and "seg-00002.ts" in live
    Rendition(tmp_path, RUNG, segment_seconds=2, window=6)
    again = (tmp_path / "index.m3u8").read_text()
    assert "#EXT-X-ENDLIST" not in again and "seg-00002.ts" in again
    assert (tmp_path / "vod.m3u8").read_text().endswith("#EXT-X-ENDLIST\n")
