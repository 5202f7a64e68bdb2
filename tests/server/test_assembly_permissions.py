"""Every command × every role against the permission table, through Assembly.decide."""

from typing import Any

import pytest

from harness.sample import usulan
from moderation.permissions import GRANTEES, PERMISSIONS
from rooms.actors import Actor, Kind
from rooms.commands import COMMAND_NAMES, SHELL_COMMANDS, parse_command
from rooms.errors import DomainError
from tests.server.test_assembly_kit import ALIYAN, BUBUK, CHAIR, MOD, SARONGAN, SYSTEM, VENUE, Hub, public, village

ACTORS: dict[str, Actor] = {
    "chair": CHAIR,
    "moderator": MOD,
    "interactive": BUBUK,
    "viewonly": ALIYAN,
    "public": public("b1"),
    "system": SYSTEM,
    "admin": Actor(Kind.ADMIN, "admin"),
}
OWN_SUBMITTED = {BUBUK.id: "U-001", ALIYAN.id: "U-002"}

PAYLOADS: dict[str, dict[str, Any]] = {
    "session.start": {},
    "session.close": {},
    "attendance.join": {"village": SARONGAN.id},
    "attendance.leave": {"village": VENUE},
    "attendance.headcount": {"total": 50, "women": 20},
    "agenda.add": {"title": "Penutupan"},
    "agenda.move": {"item": "A-02", "position": 1},
    "agenda.open": {"item": "A-02"},
    "agenda.close": {"item": "A-01"},
    "proposal.submit": usulan(),
    "proposal.edit": {"cost": 1},
    "proposal.accept": {"proposal": "U-001"},
    "proposal.merge": {"proposal": "U-001", "into": "U-003"},
    "proposal.reject": {"proposal": "U-001", "reason": "Ganda"},
    "proposal.photo_remove": {"photo": "F-0123456789ab"},
    "ballot.open": {"title": "P", "method": "approval", "options": ["U-003", "U-004"]},
    "ballot.cast": {"ballot": "B-01", "choice": ["U-003"]},
    "ballot.close": {"ballot": "B-01"},
    "support.give": {"proposal": "U-003"},
    "hand.raise": {},
    "hand.lower": {},
    "queue.move": {"village": SARONGAN.id, "position": 1},
    "queue.remove": {"village": SARONGAN.id},
    "floor.grant": {"seconds": 60},
    "floor.yield": {},
    "floor.revoke": {},
    "floor.extend": {"seconds": 30},
    "floor.pause": {"village": SARONGAN.id},
    "floor.resume": {"village": SARONGAN.id},
    "participant.mute": {"village": SARONGAN.id},
    "participant.unmute": {"village": SARONGAN.id},
    "spotlight.set": {"village": SARONGAN.id},
    "screen.start": {},
    "screen.stop": {},
    "village.promote": {"village": SARONGAN.id},
    "village.demote": {"village": VENUE},
    "delegates.set": {"delegates": [{"name": "Siti Aminah", "village": VENUE, "role": "Kepala Desa"}]},
    "credential.revoke": {"holder": ALIYAN.id},  # a hall the matrix does not connect
    "credential.reissue": {"holder": ALIYAN.id},
}


def payload(command: str, actor: Actor) -> dict[str, Any]:
    """The command's payload as this actor would send it (a village acts for itself)."""
    data = dict(PAYLOADS[command])
    if command == "attendance.headcount" and actor.kind is not Kind.VILLAGE:
        data["village"] = SARONGAN.id
    if command in ("proposal.edit", "proposal.photo_remove"):
        data["proposal"] = OWN_SUBMITTED.get(actor.id, "U-001")
    return data


@pytest.fixture(scope="module")
def hub() -> Hub:
    hub = Hub()
    hub.do(SYSTEM, "attendance.join", village=VENUE)
    hub.do(BUBUK, "proposal.submit", **usulan())
    hub.do(ALIYAN, "proposal.submit", **usulan())
    hub.accepted(BUBUK, ALIYAN)
    hub.do(MOD, "ballot.open", title="Prioritas", method="approval", options=["U-003", "U-004"])
    hub.do(MOD, "agenda.add", title="Pembukaan")
    hub.do(MOD, "agenda.add", title="Usulan")
    hub.do(MOD, "agenda.open", item="A-01")
    hub.do(SARONGAN, "hand.raise")
    return hub


def test_the_payload_table_covers_every_command() -> None:
    assert set(PAYLOADS) == COMMAND_NAMES == set(PERMISSIONS) - SHELL_COMMANDS  # those: tests/server/test_carry.py


@pytest.mark.parametrize("grantee", GRANTEES)
@pytest.mark.parametrize("command", sorted(COMMAND_NAMES))
def test_decide_follows_the_table(hub: Hub, command: str, grantee: str) -> None:
    actor = ACTORS[grantee]
    cmd = parse_command(command, payload(command, actor))
    before = hub.assembly.version
    try:
        hub.assembly.decide(cmd, actor, hub.now + 1)
        code = None
    except DomainError as err:
        code = err.code
    assert hub.assembly.version == before
    if grantee in PERMISSIONS[command]:
        assert code != "forbidden"
    else:
        assert code == "forbidden"


@pytest.mark.parametrize("command", sorted(COMMAND_NAMES))
def test_a_village_outside_the_roster_may_do_nothing(hub: Hub, command: str) -> None:
    stranger = village("35.10.99.2001")
    with pytest.raises(DomainError) as caught:
        hub.assembly.decide(parse_command(command, payload(command, stranger)), stranger, hub.now + 1)
    assert caught.value.code == "forbidden"


def test_allowed_commands_mostly_succeed(hub: Hub) -> None:
    """Guards the matrix against passing only because every decide fails for another reason."""
    passed = 0
    for command in COMMAND_NAMES:
        for grantee in PERMISSIONS[command]:
            actor = ACTORS[grantee]
            try:
                hub.assembly.decide(parse_command(command, payload(command, actor)), actor, hub.now + 1)
                passed += 1
            except DomainError:
                pass
    assert passed >= 50
