"""The storage report on a real disk: the recordings' size, the free space, the warning at 90 % full."""

from __future__ import annotations

from pathlib import Path

from recordings.storage import usage


def test_a_disk_90_percent_full_warns_and_one_below_the_floor_says_so(tiny_disk: Path) -> None:
    session = tiny_disk / "sidang-1"
    (session / "tracks").mkdir(parents=True)
    (session / "tracks" / "a.webm").write_bytes(b"\0" * 400_000)
    report = usage(tiny_disk, session, min_free=100_000)
    assert report["recordings_bytes"] == report["session_bytes"] == 400_000
    assert report["warn"] is False and report["below_floor"] is False and report["total_bytes"] == 1 << 20

    (tiny_disk / "other.bin").write_bytes(b"\0" * 560_000)  # another session's clips: > 90 % full now
    report = usage(tiny_disk, session, min_free=100_000)
    assert report["used"] >= 0.9 and report["warn"] is True and report["below_floor"] is True
    assert report["recordings_bytes"] == 960_000 and report["session_bytes"] == 400_000


def test_a_recordings_folder_not_made_yet_reports_its_disk(tmp_path: Path) -> None:
    report = usage(tmp_path / "recordings", tmp_path / "recordings" / "sidang-1", min_free=0)
    assert report["recordings_bytes"] == 0 and report["free_bytes"] > 0
