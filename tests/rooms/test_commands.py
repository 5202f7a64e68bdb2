from typing import Any

import pytest

from harness.sample import usulan
from rooms.commands import COMMAND_NAMES, DEFAULT_FLOOR_SECONDS, KEEP, PROPOSAL_FIELDS, parse_command
from rooms.errors import Invalid, UnknownCommand

USULAN: dict[str, Any] = {
    "title": "  Rabat beton  ",
    "description": "Jalan rusak",
    "bidang": "pembangunan",
    "lokasi": {"dusun": "Krajan", "rt": "002", "rw": "001"},
    "volume": 1.5,
    "unit": "km",
    "cost": 150_000_000,
    "sumber_dana": "add",
    "scale": "desa",
}


def test_every_named_command_is_known() -> None:
    assert len(COMMAND_NAMES) == 39
    assert {"ballot.cast", "hand.raise", "credential.revoke", "spotlight.set", "delegates.set"} <= COMMAND_NAMES


@pytest.mark.parametrize("name", ["ballot.vote", "", None, 5, ["ballot.cast"]])
def test_unknown_commands(name: object) -> None:
    with pytest.raises(UnknownCommand):
        parse_command(name, {})


@pytest.mark.parametrize("payload", [None, [], "x", 3])
def test_payload_must_be_an_object(payload: object) -> None:
    with pytest.raises(Invalid):
        parse_command("hand.lower", payload)


def test_strings_are_stripped_defaults_filled_and_key_split_off() -> None:
    cmd = parse_command("proposal.submit", {**USULAN, "key": "k-1"})
    assert cmd.key == "k-1"
    assert cmd.args["title"] == "Rabat beton"
    assert parse_command("floor.grant", {}).args == {"village": None, "seconds": DEFAULT_FLOOR_SECONDS}
    opened = parse_command("ballot.open", {"title": "P", "method": "approval", "options": ["U-001", "U-002"]})
    assert (opened.args["allow_change"], opened.args["secret"], opened.args["max_choices"]) == (
        True,
        False,
        None,
    )
    assert parse_command("hand.lower", {}).key is None


def test_unknown_fields_are_named() -> None:
    with pytest.raises(Invalid, match="colour"):
        parse_command("hand.raise", {"colour": "red"})
    with pytest.raises(Invalid, match="lokasi.kampung"):
        parse_command("proposal.submit", {**USULAN, "lokasi": {**USULAN["lokasi"], "kampung": "x"}})


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        ("proposal.submit", {**USULAN, "title": "   "}),  # empty once stripped
        ("proposal.submit", {**USULAN, "title": "x" * 201}),
        ("proposal.submit", {**USULAN, "description": "x" * 2001}),
        ("proposal.submit", {**USULAN, "cost": True}),  # bool is not an int
        ("proposal.submit", {**USULAN, "cost": 1.0}),  # float is not an int
        ("proposal.submit", {**USULAN, "cost": 0}),
        ("proposal.submit", {**USULAN, "volume": 0}),
        ("proposal.submit", {**USULAN, "volume": float("nan")}),
        ("proposal.submit", {**USULAN, "volume": False}),
        ("proposal.submit", {**USULAN, "volume": 10**400}),  # too big for a float, still refused
        ("proposal.submit", {**USULAN, "volume": float("inf")}),
        ("proposal.submit", {**USULAN, "cost": 10**400}),
        ("proposal.submit", {**USULAN, "bidang": "olahraga"}),
        ("proposal.submit", {**USULAN, "sumber_dana": "apbn"}),
        ("proposal.submit", {**USULAN, "scale": "dunia"}),
        ("proposal.submit", {**USULAN, "lokasi": "Krajan"}),
        ("proposal.submit", {k: v for k, v in USULAN.items() if k != "unit"}),
        ("proposal.reject", {"proposal": "U-001", "reason": "x" * 501}),
        ("ballot.open", {"title": "P", "method": "approval", "options": ["U-001"]}),  # fewer than 2
        ("ballot.open", {"title": "P", "method": "plurality", "options": ["U-001", "U-002"]}),
        ("ballot.cast", {"ballot": "B-01", "choice": ["U-001", "U-001"]}),  # repeated
        ("ballot.cast", {"ballot": "B-01", "choice": ["U-001", 2]}),  # items validated
        ("ballot.cast", {"ballot": "B-01", "choice": []}),
        ("floor.grant", {"seconds": 0}),
        ("floor.extend", {"seconds": 3601}),
        ("hand.raise", {"point_of_order": "yes"}),
        ("spotlight.set", {}),  # village is required, though it may be null
        ("queue.move", {"village": "35.10.13.2007", "position": 0}),
        ("attendance.headcount", {"total": -1, "women": 0}),
        ("hand.lower", {"key": ""}),
        ("hand.lower", {"key": "k" * 65}),
        ("agenda.add", {"title": {"nested": ["junk"]}}),
    ],
)
def test_bad_payloads_are_invalid(name: str, payload: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        parse_command(name, payload)


def test_spotlight_takes_null() -> None:
    assert parse_command("spotlight.set", {"village": None}).args == {"village": None}


def test_edit_fields_are_all_optional() -> None:
    cmd = parse_command("proposal.edit", {"proposal": "U-001", "cost": 5, "opd": None})
    assert cmd.args["cost"] == 5 and cmd.args["opd"] is None  # an explicit null clears an optional field
    assert all(cmd.args[k] is KEEP for k in PROPOSAL_FIELDS if k not in ("cost", "opd"))


def test_a_map_point_is_checked() -> None:
    lokasi = {"dusun": "Krajan", "rt": "1", "rw": "2"}
    cmd = parse_command("proposal.submit", {**usulan(), "lokasi": {**lokasi, "titik": {"lat": -8.25, "lng": 114.3}}})
    assert cmd.args["lokasi"]["titik"] == {"lat": -8.25, "lng": 114.3} and cmd.args["masalah"] is None
    for titik in ({"lat": -91, "lng": 114}, {"lat": -8, "lng": 180.5}, {"lat": float("nan"), "lng": 1},
                  {"lat": True, "lng": 1}, {"lat": -8}, {"lat": "-8", "lng": 1}):
        with pytest.raises(Invalid):
            parse_command("proposal.submit", {**usulan(), "lokasi": {**lokasi, "titik": titik}})
