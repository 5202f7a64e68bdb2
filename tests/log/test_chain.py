"""The pure hash chain: canonical JSON, sealing, verifying, export form."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rooms.errors import Invalid
from rooms.events import Event, RecordedEvent
from rooms.log.chain import GENESIS, canonical, from_json, seal, seal_all, to_json, verify

EVENT = Event("ballot.cast", {"ballot": "b1", "choice": "jalan"}, "3510010001", 1579590000.5, "k-1")


def test_genesis_is_64_zeros() -> None:
    assert GENESIS == "0" * 64


def test_canonical_sorts_keys_drops_spaces_and_keeps_unicode() -> None:
    expected = '{"a":[1,{"y":"é","z":null}],"b":1}'.encode()
    assert canonical({"b": 1, "a": [1, {"z": None, "y": "é"}]}) == expected
    assert canonical({"b": 1, "a": 2}) == canonical({"a": 2, "b": 1})
    assert canonical(MappingProxyType({"x": 1})) == b'{"x":1}'


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), {1, 2}, object()])
def test_canonical_refuses_what_json_cannot_hold(bad: Any) -> None:
    with pytest.raises((ValueError, TypeError)):
        canonical({"v": bad})


def test_seal_hashes_prev_hash_and_the_canonical_fields() -> None:
    record = seal(7, EVENT, "ab" * 32)

    body = {"seq": 7, "type": "ballot.cast", "data": dict(EVENT.data), "actor": "3510010001",
            "at": 1579590000.5, "key": "k-1"}
    expected = hashlib.sha256(("ab" * 32).encode() + json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    assert record.hash == expected
    assert (record.seq, record.prev_hash, record.type, record.actor, record.key) == (
        7, "ab" * 32, "ballot.cast", "3510010001", "k-1")


def test_seal_depends_on_every_field() -> None:
    base = seal(1, EVENT, GENESIS).hash
    variants = [
        seal(2, EVENT, GENESIS),
        seal(1, EVENT, "1" * 64),
        seal(1, dataclasses.replace(EVENT, type="ballot.opened"), GENESIS),
        seal(1, dataclasses.replace(EVENT, data={"ballot": "b1", "choice": "irigasi"}), GENESIS),
        seal(1, dataclasses.replace(EVENT, actor="3510010002"), GENESIS),
        seal(1, dataclasses.replace(EVENT, at=1579590000.25), GENESIS),
        seal(1, dataclasses.replace(EVENT, key=None), GENESIS),
    ]
    assert len({base, *(v.hash for v in variants)}) == len(variants) + 1


def test_seal_normalises_data_and_time_to_what_stores_give_back() -> None:
    event = Event("t", MappingProxyType({"tuple": (1, 2), "nested": MappingProxyType({"n": 1})}), "a", 5)
    record = seal(1, event, GENESIS)
    assert record.data == {"tuple": [1, 2], "nested": {"n": 1}}
    assert type(record.data) is dict and type(record.at) is float
    assert record.hash == seal(1, Event("t", {"tuple": [1, 2], "nested": {"n": 1}}, "a", 5.0), GENESIS).hash


@pytest.mark.parametrize(
    "event",
    [
        Event("t", {"v": float("nan")}, "a", 1.0),
        Event("t", {"v": {1, 2}}, "a", 1.0),
        Event("t", ["not", "a", "mapping"], "a", 1.0),  # type: ignore[arg-type]
        Event("t", {}, "a", float("inf")),
        Event("t", {}, 3510010001, 1.0),  # type: ignore[arg-type]
        Event("t", {}, "a", 1.0, key=7),  # type: ignore[arg-type]
    ],
)
def test_seal_refuses_unstorable_events(event: Event) -> None:
    with pytest.raises(Invalid):
        seal(1, event, GENESIS)


def test_seal_all_chains_from_a_version_and_head() -> None:
    records = seal_all([EVENT, EVENT, EVENT], 4, "cd" * 32)
    assert [r.seq for r in records] == [5, 6, 7]
    assert [r.prev_hash for r in records] == ["cd" * 32, records[0].hash, records[1].hash]


def chain(n: int) -> list[RecordedEvent]:
    return seal_all([dataclasses.replace(EVENT, data={"i": i}) for i in range(n)], 0, GENESIS)


def test_verify_an_empty_log() -> None:
    assert verify([]) == verify(iter([]))
    result = verify([])
    assert (result.ok, result.count, result.head) == (True, 0, GENESIS)
    assert (result.first_bad, result.reason) == (None, None)


def test_verify_a_sound_chain() -> None:
    records = chain(5)
    result = verify(records)
    assert (result.ok, result.count, result.head) == (True, 5, records[-1].hash)


def test_verify_names_the_first_bad_record_and_why() -> None:
    records = chain(5)
    edited = dataclasses.replace(records[2], data={"i": 99})
    forged = seal(3, dataclasses.replace(EVENT, data={"i": 99}), "f" * 64)  # self-consistent, wrong link
    cases = {
        "hash_mismatch": [*records[:2], edited, *records[3:]],
        "seq_gap": [*records[:2], *records[3:]],
        "broken_link": [*records[:2], forged, *records[3:]],
    }
    for reason, tampered in cases.items():
        result = verify(tampered)
        assert (result.ok, result.first_bad, result.reason, result.count, result.head) == (
            False, 3, reason, 2, records[1].hash), reason
    assert verify([records[1], records[0]]).first_bad == 1
    assert verify(records[1:]).reason == "seq_gap"


def test_export_form_round_trips() -> None:
    records = chain(3)
    exported = json.loads(json.dumps([to_json(r) for r in records]))
    assert set(exported[0]) == {"seq", "type", "data", "actor", "at", "key", "prev_hash", "hash"}
    assert [from_json(d) for d in exported] == records


@pytest.mark.parametrize(
    "change", [{"seq": "1"}, {"hash": None}, {"data": []}, {"key": 5}, {"at": "noon"}, {"seq": True}]
)
def test_from_json_refuses_malformed_records(change: dict[str, Any]) -> None:
    with pytest.raises(Invalid):
        from_json({**to_json(chain(1)[0]), **change})
    with pytest.raises(Invalid):
        from_json({k: v for k, v in to_json(chain(1)[0]).items() if k != "actor"})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(
    data=st.dictionaries(st.text(), json_values, max_size=5),
    at=st.floats(allow_nan=False, allow_infinity=False),
    key=st.none() | st.text(),
)
def test_any_json_event_survives_export_and_verifies(
    data: dict[str, Any], at: float, key: str | None
) -> None:
    records = seal_all([Event("t", data, "aktor", at, key)] * 2, 0, GENESIS)
    exported = json.loads(canonical([to_json(r) for r in records]))
    imported = [from_json(d) for d in exported]
    assert imported == records
    assert verify(imported).ok
