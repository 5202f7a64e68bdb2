import pytest

from rooms.actors import Actor, Kind
from rooms.errors import Forbidden, Invalid
from rooms.roster import Village, parse_roster_csv, pick_interactive
from rooms.session import create_session
from server.provision import banyuwangi_roster

ROSTER = parse_roster_csv(banyuwangi_roster())
VENUE = "35.10.13.2007"
ADMIN = Actor(Kind.ADMIN, "admin")


def test_the_opening_event_carries_the_roster_and_the_interactive_seats() -> None:
    picked = pick_interactive(ROSTER, VENUE)
    [event] = create_session("  Musrenbang RKPD 2021 ", ROSTER, VENUE, picked, ADMIN, 12.5)
    assert (event.type, event.actor, event.at) == ("session.created", "admin", 12.5)
    assert event.data["title"] == "Musrenbang RKPD 2021"
    assert event.data["venue"] == VENUE
    assert event.data["interactive"] == picked
    assert [Village.from_data(v) for v in event.data["villages"]] == ROSTER


@pytest.mark.parametrize(
    ("title", "villages", "venue", "interactive"),
    [
        ("  ", ROSTER, VENUE, []),
        ("x" * 201, ROSTER, VENUE, []),
        ("Musrenbang", [], VENUE, []),
        ("Musrenbang", ROSTER, "35.10.99.2001", []),
        ("Musrenbang", ROSTER, VENUE, ["35.10.99.2001"]),
        ("Musrenbang", ROSTER, VENUE, [VENUE, VENUE]),
        ("Musrenbang", ROSTER, VENUE, [v.code for v in ROSTER[:26]]),
        ("Musrenbang", [ROSTER[0], ROSTER[0]], ROSTER[0].code, []),
    ],
)
def test_bad_sessions_are_refused(
    title: str, villages: list[Village], venue: str, interactive: list[str]
) -> None:
    with pytest.raises(Invalid):
        create_session(title, villages, venue, interactive, ADMIN, 0.0)


def test_only_the_operator_or_chair_creates_sessions() -> None:
    create_session("Musrenbang", ROSTER, VENUE, [], Actor(Kind.CHAIR, "chair"), 0.0)
    with pytest.raises(Forbidden):
        create_session("Musrenbang", ROSTER, VENUE, [], Actor(Kind.VILLAGE, VENUE, VENUE), 0.0)
