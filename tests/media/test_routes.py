"""Routes computed from a session plan (pure)."""

from __future__ import annotations

import pytest

from media.routes import Source, plan_routes

PLAN = {
    "venue": "venue",
    "floor": "desa-b",
    "spotlight": None,
    "muted": ["desa-c"],
    "interactive": ["desa-a", "desa-b", "desa-c"],
}


def test_a_viewer_gets_venue_and_floor_holder_only() -> None:
    routing = plan_routes(PLAN, {"balai-1": "viewonly"})
    assert routing.routes["balai-1"] == {
        "program": Source("desa-b", "video", "high"),
        "venue": Source("venue", "video", "high"),
        "floor": Source("desa-b", "audio", "mic"),
        "venue_audio": Source("venue", "audio", "mic"),
    }
    assert routing.muted == {"desa-c"}


def test_staff_see_every_interactive_low_layer_and_nobody_gets_their_own_media() -> None:
    routing = plan_routes(PLAN, {"venue": "staff", "desa-b": "interactive"})
    chair = routing.routes["venue"]
    assert [chair[f"grid{i}"] for i in range(3)] == [Source(p, "video", "low") for p in ("desa-a", "desa-b", "desa-c")]
    assert chair["venue"] is None and chair["venue_audio"] is None
    floor_holder = routing.routes["desa-b"]
    assert floor_holder["floor"] is None and floor_holder["program"] is None  # no echo of itself
    assert [floor_holder[f"grid{i}"] for i in range(2)] == [Source(p, "video", "low") for p in ("desa-a", "desa-c")]


def test_spotlight_takes_the_program_and_without_a_floor_the_venue_has_it() -> None:
    assert plan_routes({**PLAN, "spotlight": "desa-a"}, {"x": "viewonly"}).routes["x"]["program"] == Source(
        "desa-a", "video"
    )
    quiet = plan_routes({**PLAN, "floor": None}, {"x": "viewonly"}).routes["x"]
    assert quiet["program"] == Source("venue", "video") and quiet["floor"] is None


def test_the_chairs_shared_screen_takes_the_program_over_the_floor_but_not_over_the_spotlight() -> None:
    shared = plan_routes({**PLAN, "screen": True}, {"x": "viewonly", "venue": "staff"}).routes
    assert shared["x"]["program"] == Source("venue", "video", "screen")
    assert shared["x"]["pip"] == Source("venue", "video", "low")  # the chair's camera, picture-in-picture
    assert shared["x"]["floor"] == Source(PLAN["floor"], "audio")  # the holder is still heard
    assert shared["venue"]["program"] is None  # the chair shows its own screen
    spot = plan_routes({**PLAN, "screen": True, "spotlight": "desa-a"}, {"x": "viewonly"}).routes["x"]
    assert spot["program"] == Source("desa-a", "video") and "pip" not in spot


def test_thumbnails_for_interactive_villages_are_optional_and_roles_are_checked() -> None:
    routes = plan_routes(PLAN, {"desa-a": "interactive"}, interactive_thumbnails=False).routes
    assert not any(slot.startswith("grid") for slot in routes["desa-a"])
    with pytest.raises(ValueError):
        plan_routes(PLAN, {"x": "king"})
