"""Following a live playlist: each segment once, from the live edge, with the composer's restarts marked."""

from __future__ import annotations

import pytest

from recordings.follow import Follower, Segment, parse


def playlist(first: int, count: int, *, discontinuity_at: int | None = None, tail: str = "") -> str:
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:2", f"#EXT-X-MEDIA-SEQUENCE:{first}"]
    for n in range(first, first + count):
        if n == discontinuity_at:
            lines.append("#EXT-X-DISCONTINUITY")
        lines += ["#EXTINF:1.960,", f"seg{n}.ts"]
    return "\n".join(lines) + "\n" + tail


def test_parse_numbers_segments_from_the_media_sequence_and_marks_discontinuities() -> None:
    assert parse(playlist(7, 3, discontinuity_at=8)) == [
        Segment(7, "seg7.ts", 1.96, False), Segment(8, "seg8.ts", 1.96, True), Segment(9, "seg9.ts", 1.96, False)]


def test_fragmented_mp4_segments_name_their_initialisation_section() -> None:
    text = '#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:3\n#EXT-X-MAP:URI="init-2.mp4"\n#EXTINF:2.0,\nseg-3.m4s\n'
    assert parse(text) == [Segment(3, "seg-3.m4s", 2.0, False, "init-2.mp4")]
    assert parse(playlist(0, 1))[0].init is None
    with pytest.raises(ValueError):
        parse("#EXTM3U\n#EXT-X-MAP:BYTERANGE=10\nseg.m4s\n")


def test_a_line_still_being_written_is_left_out() -> None:
    assert [s.uri for s in parse(playlist(0, 2, tail="#EXTINF:2.0,\nseg2.t"))] == ["seg0.ts", "seg1.ts"]


def test_a_malformed_number_raises() -> None:
    with pytest.raises(ValueError):
        parse("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:x\nseg.ts\n")


def test_it_starts_at_the_newest_segment_and_then_takes_each_new_one_once() -> None:
    follower = Follower()
    assert [s.sequence for s in follower.new(parse(playlist(0, 5)))] == [4]
    assert follower.new(parse(playlist(0, 5))) == []
    assert [s.sequence for s in follower.new(parse(playlist(2, 5)))] == [5, 6]
    assert follower.new([]) == []


def test_a_discontinuity_in_the_playlist_comes_through() -> None:
    follower = Follower()
    follower.new(parse(playlist(0, 3)))
    assert [(s.sequence, s.discontinuity) for s in follower.new(parse(playlist(0, 5, discontinuity_at=3)))] == [
        (3, True), (4, False)]


def test_numbering_that_goes_back_or_leaves_the_reader_behind_jumps_to_the_newest_as_a_discontinuity() -> None:
    follower = Follower()
    follower.new(parse(playlist(40, 5)))  # takes 44
    assert [(s.sequence, s.discontinuity) for s in follower.new(parse(playlist(0, 2)))] == [(1, True)]
    assert [(s.sequence, s.discontinuity) for s in follower.new(parse(playlist(10, 3)))] == [(12, True)]
