"""Moments of the session placed on the recording: by the segments' program date, across a restart's gap."""

from __future__ import annotations

from recordings.chapters import chapters
from recordings.timeline import parse

# A composer restart at 12:00:06: the clock jumps 4 s (nothing recorded), the recording does not.
RESTARTED = """#EXTM3U
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-PROGRAM-DATE-TIME:2026-12-04T12:00:00.000Z
#EXTINF:2.000,
seg-00001.ts
#EXTINF:2.000,
seg-00002.ts
#EXTINF:2.000,
#EXT-X-PROGRAM-DATE-TIME:2026-12-04T12:00:04.000Z
seg-00003.ts
#EXT-X-DISCONTINUITY
#EXTINF:2.000,
#EXT-X-PROGRAM-DATE-TIME:2026-12-04T12:00:10.000Z
seg-00004.ts
#EXT-X-ENDLIST
"""
NOON = 1796385600.0  # 2026-12-04T12:00:00Z


def test_a_moment_maps_into_its_segment_and_a_gap_maps_to_where_the_recording_goes_on() -> None:
    timeline = parse(RESTARTED, started_at=NOON)
    assert timeline.length == 8.0
    assert timeline.offset(NOON - 5) == 0.0  # before the program
    assert timeline.offset(NOON + 3.5) == 3.5  # seg 2 has no date: it follows seg 1 on the clock
    assert timeline.offset(NOON + 7) == 6.0  # in the restart's gap
    assert timeline.offset(NOON + 11) == 7.0
    assert timeline.offset(NOON + 60) == 8.0


def test_without_program_dates_the_programs_start_is_the_origin() -> None:
    undated = "\n".join(line for line in RESTARTED.splitlines() if "PROGRAM-DATE-TIME" not in line)
    timeline = parse(undated, started_at=NOON)
    assert timeline.offset(NOON + 7) == 7.0 and timeline.offset(NOON + 99) == 8.0 and timeline.offset(0) == 0.0


class E:
    def __init__(self, type: str, at: float, **data: object) -> None:
        self.type, self.at, self.data = type, at, data


def test_a_turn_still_running_at_the_close_ends_with_the_recording() -> None:
    timeline = parse(RESTARTED, started_at=NOON)
    found = chapters([E("agenda.item_added", NOON, item="A-01", title="Paparan"),
                      E("agenda.item_opened", NOON + 1, item="A-01"),
                      E("floor.granted", NOON + 2, village="35.10.13.2007", seconds=60)], {"35.10.13.2007": "Bubuk"})
    assert [(c.kind, c.title, c.end) for c in found] == [("agenda", "Paparan", None), ("turn", "Bubuk", None)]
    assert found[1].view(timeline, ended_at=NOON + 11) == {
        "kind": "turn", "ref": "35.10.13.2007", "title": "Bubuk", "start": NOON + 2, "end": None,
        "offset": 2.0, "duration": 5.0}
