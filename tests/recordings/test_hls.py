"""The program's playlists from its segments: the live window, the VOD, the master."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from recordings.hls import Rung, Segment, live_playlist, master_playlist, vod_playlist

START = 1_796_400_000.0


def run(first: int, count: int, at: float) -> list[Segment]:
    return [Segment(first + n, at + 2 * n, 2.0, discontinuity=n == 0 and first > 1) for n in range(count)]


def test_the_live_window_counts_the_discontinuities_that_slid_out() -> None:
    segments = run(1, 3, START) + run(4, 5, START + 20)  # a restart before segment 4
    live = live_playlist(segments, window=4, target=2)
    assert "#EXT-X-MEDIA-SEQUENCE:5\n#EXT-X-DISCONTINUITY-SEQUENCE:1\n" in live
    assert [line for line in live.splitlines() if line.startswith("seg-")] == [
        "seg-00005.ts", "seg-00006.ts", "seg-00007.ts", "seg-00008.ts"]
    assert "#EXT-X-DISCONTINUITY\n" not in live and "#EXT-X-ENDLIST" not in live
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-12-04T" in live and "#EXT-X-TARGETDURATION:2\n" in live


def test_an_ended_live_window_says_so_and_lists_the_same_segments() -> None:
    segments = run(1, 8, START)
    live, ended = live_playlist(segments, 4, 2), live_playlist(segments, 4, 2, ended=True)
    assert ended == live + "#EXT-X-ENDLIST\n"


def test_the_vod_lists_everything_with_the_restart_and_ends() -> None:
    vod = vod_playlist(run(1, 3, START) + run(4, 2, START + 20), target=2)
    assert vod.count("#EXT-X-DISCONTINUITY\n") == 1 and vod.index("#EXT-X-DISCONTINUITY\n") > vod.index("seg-00003")
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in vod and vod.endswith("#EXT-X-ENDLIST\n")


def test_a_long_segment_raises_the_target_duration() -> None:
    assert "#EXT-X-TARGETDURATION:3\n" in vod_playlist([Segment(1, START, 2.4)], target=2)


def test_the_master_lists_the_rungs_best_first() -> None:
    master = master_playlist([Rung("main", 1280, 720, 2_500_000, 128_000), Rung("low", 640, 360, 700_000, 128_000)],
                             "index.m3u8")
    lines = master.splitlines()
    assert lines[2].startswith("#EXT-X-STREAM-INF:BANDWIDTH=2890800,RESOLUTION=1280x720,")
    assert lines[3] == "main/index.m3u8" and lines[5] == "low/index.m3u8"


@given(runs=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=6),
       window=st.integers(min_value=1, max_value=8))
def test_the_window_is_the_tail_of_the_vod(runs: list[int], window: int) -> None:
    segments: list[Segment] = []
    for length in runs:
        segments += run(len(segments) + 1, length, START + 100 * len(segments))
    live, vod = live_playlist(segments, window, 2), vod_playlist(segments, 2)
    live_names = [line for line in live.splitlines() if line.startswith("seg-")]
    vod_names = [line for line in vod.splitlines() if line.startswith("seg-")]
    assert vod_names[-len(live_names):] == live_names and len(live_names) == min(window, len(segments))
    sequence = int(live.split("#EXT-X-DISCONTINUITY-SEQUENCE:")[1].split()[0])
    assert sequence + live.count("#EXT-X-DISCONTINUITY\n") == vod.count("#EXT-X-DISCONTINUITY\n")
