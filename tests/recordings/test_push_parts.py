"""The RTMP push's pure parts: timestamps that only go forward, real-time pacing, what a failure is
called, and a URL shown without its key."""

from __future__ import annotations

from fractions import Fraction

import av
import pytest

from recordings.push import Pace, Timeline, failure
from recordings.rtmp import FAILURES, masked, stream_key, url_problem

TS = Fraction(1, 90000)


def test_a_run_starts_at_zero_and_keeps_its_spacing() -> None:
    line = Timeline()
    line.segment(Fraction(3), False)
    assert line.place(0, 3 * 90000, 3 * 90000, 3600, TS) == (0, 0)
    assert line.place(0, 3 * 90000 + 7200, 3 * 90000 + 3600, 3600, TS) == (7200, 3600)
    line.segment(Fraction(3) + Fraction(2, 25), False)  # the next segment follows on: no rebase
    assert line.place(0, None, 3 * 90000 + 7200, 3600, TS) == (None, 7200)


def test_after_a_discontinuity_timestamps_carry_on_from_the_end() -> None:
    line = Timeline()
    line.segment(Fraction(100), False)
    line.place(0, 100 * 90000, 100 * 90000, 90000, TS)  # one second long: ends at 1 s
    line.segment(Fraction(1, 2), True)  # the composer began again, its clock back near zero
    assert line.place(0, 45000, 45000, 3600, TS) == (90000, 90000)


def test_a_jump_without_the_tag_is_a_new_run_too_and_nothing_goes_back() -> None:
    line = Timeline()
    line.segment(Fraction(0), False)
    line.place(0, 0, 0, 90000, TS)
    line.segment(Fraction(600), False)  # ten minutes on: the writer restarted without saying so
    assert line.place(0, 600 * 90000, 600 * 90000, 3600, TS) == (90000, 90000)
    assert line.place(0, 590 * 90000, 590 * 90000, 3600, TS) is None  # ten seconds back: out of place, dropped
    assert line.place(1, 600 * 90000 - 1, 600 * 90000 - 1, 3600, TS) is not None  # each stream on its own


def test_a_new_run_whose_first_dts_comes_before_its_start_moves_on_and_keeps_its_keyframe() -> None:
    line = Timeline()
    line.segment(Fraction(0), False)
    assert line.place(0, 0, 0, 3600, TS) == (0, 0)  # ends at 3600
    line.segment(Fraction(5), True)  # a B-frame encoder: pts starts at 5 s, the first dts 80 ms before
    assert line.place(0, 5 * 90000, 5 * 90000 - 7200, 3600, TS) == (3600 + 7200, 3600)
    assert line.place(0, 5 * 90000 + 3600, 5 * 90000 - 3600, 3600, TS) == (3600 + 10800, 7200)  # spacing kept


def test_pacing_waits_for_a_packets_time_and_does_not_catch_up_after_a_stall() -> None:
    pace = Pace()
    assert pace.delay(0.0, now=50.0) == 0.0
    assert pace.delay(0.5, now=50.1) == pytest.approx(0.4)
    assert pace.delay(1.0, now=55.0) == 0.0  # the program stalled 4 s: the clock starts again here
    assert pace.delay(1.5, now=55.0) == pytest.approx(0.5)


def test_failures_are_named_and_never_show_the_key() -> None:
    key = "abcd-efgh-ijkl"
    assert failure(av.error.ConnectionRefusedError(111, "Connection refused"), key) == ("refused", "Connection refused")
    assert failure(av.error.BrokenPipeError(32, "Broken pipe"), key)[0] == "dropped"
    assert failure(av.error.EOFError(541478725, "End of file"), key)[0] == "dropped"
    assert failure(av.error.ProtocolNotFoundError(1330794744, "Protocol not found"), key)[0] == "bad_url"
    assert failure(av.error.OSError(5, "Input/output error"), key)[0] == "rejected"
    said = av.error.OSError(5, "Input/output error", None, (16, "tcp", f"Failed to resolve hostname x/{key}\n"))
    assert failure(said, key) == ("unreachable", "Failed to resolve hostname x/****")
    assert failure(ValueError("odd"), key) == ("error", "odd")
    # every name it gives is one the hub keeps and the page translates (tests/web/test_catalogs.py)
    assert {"refused", "unreachable", "rejected", "dropped", "bad_url", "error"} == set(FAILURES)


@pytest.mark.parametrize(("url", "shown"), [
    ("rtmp://a.rtmp.youtube.com/live2/xxxx-yyyy-zzzz", "rtmp://a.rtmp.youtube.com/live2/****"),
    ("rtmps://live-api-s.facebook.com:443/rtmp/FB-123?s_bl=1&a=secret", "rtmps://live-api-s.facebook.com:443/rtmp/****"),
    ("rtmp://user:pw@127.0.0.1:1935/live/key", "rtmp://127.0.0.1:1935/live/****"),
    ("rtmp://host:port/live/key", "(URL tidak sah)"),
])
def test_a_url_is_shown_without_its_key(url: str, shown: str) -> None:
    assert masked(url) == shown
    assert stream_key(url) not in shown


@pytest.mark.parametrize(("url", "problem"), [
    ("rtmp://a.rtmp.youtube.com/live2/key", None),
    ("http://a.rtmp.youtube.com/live2/key", "rtmp://"),
    ("rtmp:///live/key", "no server"),
    ("rtmp://host/live", "stream key"),
    ("rtmp://host:99999/live/key", "parse"),
])
def test_a_url_that_cannot_work_is_told_apart(url: str, problem: str | None) -> None:
    found = url_problem(url)
    assert found is None if problem is None else (found is not None and problem in found)
