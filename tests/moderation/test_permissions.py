from moderation.permissions import ADMIN, GRANTEES, PERMISSIONS, grantee, permitted
from rooms.actors import Actor, Kind, Role
from rooms.commands import COMMAND_NAMES, SHELL_COMMANDS


def test_every_command_has_a_row_and_only_known_grantees() -> None:
    assert set(PERMISSIONS) == COMMAND_NAMES | SHELL_COMMANDS  # the shell's own: a route checks before it decides
    assert all(who <= set(GRANTEES) and who for who in PERMISSIONS.values())


def test_deny_by_default() -> None:
    assert not permitted("ballot.vote", "chair")  # not in the table: nobody
    assert not permitted("session.start", None)


def test_the_system_only_records_attendance_pauses_the_floor_and_ends_a_lost_screen_share() -> None:
    system = {"attendance.join", "attendance.leave", "floor.pause", "floor.resume", "screen.stop"}
    assert {c for c, who in PERMISSIONS.items() if "system" in who} == system
    assert {c for c, who in PERMISSIONS.items() if "public" in who} == {"support.give"}
    assert {c for c, who in PERMISSIONS.items() if ADMIN in who} == {"credential.revoke", "credential.reissue",
                                                                      "proposal.carry"}


def test_only_villages_vote_and_only_staff_run_ballots_and_the_floor() -> None:
    villages = {"interactive", "viewonly"}
    assert PERMISSIONS["ballot.cast"] == villages
    assert PERMISSIONS["hand.raise"] == villages
    for command in ("ballot.open", "ballot.close", "floor.grant", "floor.revoke", "village.promote"):
        assert PERMISSIONS[command] == {"chair", "moderator"}


def test_grantee_columns() -> None:
    assert grantee(Actor(Kind.ADMIN, "admin"), None) == ADMIN
    assert grantee(Actor(Kind.VILLAGE, "35.10.99.2001"), None) is None  # not in this session
    assert grantee(Actor(Kind.VILLAGE, "35.10.13.2007"), Role.VIEWONLY) == "viewonly"
