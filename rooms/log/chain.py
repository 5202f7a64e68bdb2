"""The hash chain: sealing events into numbered records, verifying a log, and its export form. Pure.

A record's ``hash`` is the SHA-256 hex of ``prev_hash`` followed by the canonical JSON of its fields
``seq, type, data, actor, at, key``; the first record chains onto ``GENESIS``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from rooms.errors import Invalid
from rooms.events import Event, RecordedEvent

GENESIS: Final = "0" * 64

# What an exported record must hold, and of which JSON type ("data" and "key" are checked apart).
_EXPORT_TYPES: Final[Mapping[str, type | tuple[type, ...]]] = {
    "seq": int,
    "type": str,
    "actor": str,
    "at": (int, float),
    "prev_hash": str,
    "hash": str,
}


def _plain_mapping(obj: Any) -> dict[str, Any]:
    if isinstance(obj, Mapping):
        return dict(obj)
    raise TypeError(f"{type(obj).__name__} is not a JSON value")


def canonical(obj: Any) -> bytes:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 unescaped; NaN and infinities refused."""
    return json.dumps(
        obj,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_plain_mapping,
    ).encode("utf-8")


def _digest(prev_hash: str, seq: int, type_: str, data: Any, actor: str, at: float, key: str | None) -> str:
    body = {"seq": seq, "type": type_, "data": data, "actor": actor, "at": at, "key": key}
    return hashlib.sha256(prev_hash.encode("utf-8") + canonical(body)).hexdigest()


def seal(seq: int, event: Event, prev_hash: str) -> RecordedEvent:
    """Number ``event`` and chain it onto ``prev_hash``.

    ``data`` is normalised to what a store gives back (plain dicts and lists, string keys) and ``at``
    to a float, so a sealed record equals the record later read from any store.
    """
    texts = (event.type, event.actor, "" if event.key is None else event.key)
    if not all(isinstance(text, str) for text in texts):
        raise Invalid("Jenis, aktor dan kunci peristiwa harus berupa teks")
    if not isinstance(event.data, Mapping):
        raise Invalid("Data peristiwa harus berupa objek JSON")
    try:
        data: dict[str, Any] = json.loads(canonical(event.data))
        at = float(event.at)
        hash_ = _digest(prev_hash, seq, event.type, data, event.actor, at, event.key)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"Peristiwa {event.type!r} tidak bisa disimpan sebagai JSON: {exc}") from exc
    return RecordedEvent(seq, event.type, data, event.actor, at, event.key, prev_hash, hash_)


def seal_all(events: Iterable[Event], version: int, head: str) -> list[RecordedEvent]:
    """Seal ``events`` in order onto a log at ``version`` whose last hash is ``head``."""
    records: list[RecordedEvent] = []
    for seq, event in enumerate(events, start=version + 1):
        records.append(seal(seq, event, head))
        head = records[-1].hash
    return records


@dataclass(frozen=True)
class Verification:
    """The outcome of :func:`verify`.

    ``count`` and ``head`` describe the longest sound prefix; ``first_bad`` is the position (the seq
    it should have had) of the first bad record; ``reason`` is ``"seq_gap"`` (missing, extra or
    reordered record), ``"broken_link"`` (prev_hash is not the previous record's hash) or
    ``"hash_mismatch"`` (the content was changed after sealing).
    """

    ok: bool
    count: int
    head: str
    first_bad: int | None
    reason: str | None


def _recomputed(rec: RecordedEvent) -> str:
    return _digest(rec.prev_hash, rec.seq, rec.type, rec.data, rec.actor, rec.at, rec.key)


def verify(records: Iterable[RecordedEvent]) -> Verification:
    """Check seq contiguity from 1, each prev_hash link and each recomputed hash.

    A log cut short at its end still verifies: compare ``head`` with a head kept elsewhere for that.
    """
    count, head = 0, GENESIS
    for rec in records:
        expected_seq = count + 1
        if rec.seq != expected_seq:
            reason = "seq_gap"
        elif rec.prev_hash != head:
            reason = "broken_link"
        elif rec.hash != _recomputed(rec):
            reason = "hash_mismatch"
        else:
            count, head = expected_seq, rec.hash
            continue
        return Verification(False, count, head, expected_seq, reason)
    return Verification(True, count, head, None, None)


def to_json(rec: RecordedEvent) -> dict[str, Any]:
    """The export form of a record: a JSON object with every field, hashes included."""
    return {
        "seq": rec.seq,
        "type": rec.type,
        "data": dict(rec.data),
        "actor": rec.actor,
        "at": rec.at,
        "key": rec.key,
        "prev_hash": rec.prev_hash,
        "hash": rec.hash,
    }


def from_json(d: Mapping[str, Any]) -> RecordedEvent:
    """Read back the export form; the values are taken as they are (use :func:`verify` to trust them)."""
    for name, kind in _EXPORT_TYPES.items():
        if not isinstance(d.get(name), kind) or isinstance(d.get(name), bool):
            raise Invalid(f"Rekaman log tidak sah: kolom {name!r} hilang atau salah jenis")
    data, key = d.get("data"), d.get("key")
    if not isinstance(data, Mapping) or not (key is None or isinstance(key, str)):
        raise Invalid("Rekaman log tidak sah: kolom 'data' atau 'key' salah jenis")
    return RecordedEvent(
        seq=d["seq"],
        type=d["type"],
        data=dict(data),
        actor=d["actor"],
        at=float(d["at"]),
        key=key,
        prev_hash=d["prev_hash"],
        hash=d["hash"],
    )


def read_export(lines: Iterable[str]) -> list[RecordedEvent]:
    """Records from a JSON-lines export (one :func:`to_json` object per line; blank lines skipped)."""
    records: list[RecordedEvent] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(from_json(json.loads(line)))
        except (ValueError, Invalid) as exc:  # JSONDecodeError is a ValueError
            raise Invalid(f"baris {number}: {exc}") from exc
    return records


__all__ = [
    "GENESIS",
    "Verification",
    "canonical",
    "from_json",
    "read_export",
    "seal",
    "seal_all",
    "to_json",
    "verify",
]
