"""The program's layout: who is large, who is small, the caption, the mix, and the fallbacks."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from media.routes import Source
from recordings.layout import Layout, compose, scene_from_dict, scene_to_dict, wanted
from recordings.scene import Floor, Scene

VENUE, VILLAGE, OTHER = "s1:venue", "s1:35.10.13.2001", "s1:35.10.13.2002"
NOW = 1_000_000.0


def video(pid: str, layer: str = "high") -> Source:
    return Source(pid, "video", layer)


def mic(pid: str) -> Source:
    return Source(pid, "audio")


EVERYTHING = frozenset({video(VENUE), video(VENUE, "low"), video(VENUE, "screen"), video(VILLAGE),
                        video(VILLAGE, "low"), video(OTHER), mic(VENUE), mic(VILLAGE), mic(OTHER)})
FLOOR = Floor("g1", VILLAGE, "Kemiren", "Glagah", NOW + 125.2)


def scene(**changes: object) -> Scene:
    base: dict[str, object] = dict(session="s1", title="Musrenbang Kecamatan Glagah", venue=VENUE,
                                   floor_holder=None, spotlight=None, screen=False, agenda="Infrastruktur jalan")
    base.update(changes)
    return Scene(**base)  # type: ignore[arg-type]


def test_the_venue_alone_is_full_frame_with_the_agenda() -> None:
    assert compose(scene(), EVERYTHING, NOW) == Layout(
        video(VENUE), None, "Musrenbang Kecamatan Glagah", ("Infrastruktur jalan",), (mic(VENUE),))


def test_the_floor_holder_is_large_with_the_venue_small_and_both_heard() -> None:
    layout = compose(scene(floor_holder=VILLAGE, floor=FLOOR), EVERYTHING, NOW)
    assert (layout.main, layout.pip) == (video(VILLAGE), video(VENUE, "low"))
    assert layout.caption == ("Kemiren · Kec. Glagah · sisa 02:06", "Infrastruktur jalan")
    assert layout.audio == (mic(VENUE), mic(VILLAGE))


def test_time_left_is_left_out_while_untimed_or_paused_and_never_negative() -> None:
    untimed = Floor("g1", VILLAGE, "Kemiren", "Glagah", None)
    assert compose(scene(floor_holder=VILLAGE, floor=untimed), EVERYTHING, NOW).caption[0] == "Kemiren · Kec. Glagah"
    late = compose(scene(floor_holder=VILLAGE, floor=FLOOR), EVERYTHING, NOW + 999)
    assert late.caption[0].endswith("sisa 00:00")


def test_the_screen_is_large_with_the_chairs_camera_small() -> None:
    layout = compose(scene(screen=True, floor_holder=VILLAGE, floor=FLOOR), EVERYTHING, NOW)
    assert (layout.main, layout.pip) == (video(VENUE, "screen"), video(VENUE, "low"))
    assert layout.caption == ("Presentasi", "Infrastruktur jalan")


def test_a_spotlight_is_shown_like_the_floor_over_the_screen() -> None:
    layout = compose(scene(screen=True, spotlight=OTHER, names={OTHER: "Olehsari"}), EVERYTHING, NOW)
    assert (layout.main, layout.pip, layout.caption[0]) == (video(OTHER), video(VENUE, "low"), "Olehsari")
    assert layout.audio == (mic(VENUE), mic(OTHER))


def test_mutes_are_respected() -> None:
    layout = compose(scene(floor_holder=VILLAGE, floor=FLOOR, muted=frozenset({VILLAGE})), EVERYTHING, NOW)
    assert layout.audio == (mic(VENUE),)


def test_a_stalled_village_falls_back_to_the_venue_and_a_stalled_venue_to_the_slate() -> None:
    only_venue = frozenset({video(VENUE)})
    layout = compose(scene(floor_holder=VILLAGE, floor=FLOOR), only_venue, NOW)
    assert (layout.main, layout.pip, layout.caption) == (video(VENUE), None, ("Infrastruktur jalan",))
    assert compose(scene(screen=True), only_venue, NOW).main == video(VENUE)
    slate = compose(scene(floor_holder=VILLAGE, floor=FLOOR), frozenset(), NOW)
    assert (slate.main, slate.pip, slate.slate) == (None, None, "Musrenbang Kecamatan Glagah")


def test_a_missing_high_layer_is_replaced_by_the_low_one() -> None:
    alive = frozenset({video(VENUE, "high"), video(VILLAGE, "low")})
    layout = compose(scene(floor_holder=VILLAGE, floor=FLOOR), alive, NOW)
    assert (layout.main, layout.pip) == (video(VILLAGE, "low"), video(VENUE, "high"))


def test_the_feed_subscribes_to_what_the_layout_may_pick() -> None:
    assert wanted(scene(venue=None)) == frozenset()
    assert wanted(scene(floor_holder=VILLAGE)) == {
        video(VENUE), video(VENUE, "low"), video(VENUE, "screen"), mic(VENUE),
        video(VILLAGE), video(VILLAGE, "low"), mic(VILLAGE)}


def test_the_scene_crosses_the_pipe_unchanged() -> None:
    original = scene(floor_holder=VILLAGE, floor=FLOOR, muted=frozenset({OTHER}), names={OTHER: "Olehsari"})
    assert scene_from_dict(scene_to_dict(original)) == original


PIDS = st.sampled_from([VENUE, VILLAGE, OTHER])


@given(holder=st.none() | PIDS, spotlight=st.none() | PIDS, screen=st.booleans(),
       alive=st.frozensets(st.sampled_from(sorted(EVERYTHING, key=str))), muted=st.frozensets(PIDS))
def test_the_layout_only_ever_shows_live_wanted_inputs_and_mixes_no_muted_mic(
        holder: str | None, spotlight: str | None, screen: bool, alive: frozenset[Source],
        muted: frozenset[str]) -> None:
    current = scene(floor_holder=holder, spotlight=spotlight, screen=screen, muted=muted)
    layout = compose(current, alive, NOW)
    shown = {layout.main, layout.pip} - {None}
    assert shown <= alive and shown <= wanted(current)
    assert set(layout.audio) <= wanted(current) and not {s.publisher for s in layout.audio} & muted
    assert (layout.main is None) == (layout.pip is None and not shown)
    assert layout.main is not None or not (alive & {video(VENUE), video(VENUE, "low")})
