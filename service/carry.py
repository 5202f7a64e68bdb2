"""Carry files: a session's ranked proposals with the log that proves them, written at one level and
taken in at the next.

The file is one JSON object: ``format``, the origin ``session`` (id, title, level, status), the log's
``head`` hash and ``count``, the ``proposals`` going up (rooms.carry.going_up) and the ``log`` itself,
the JSON lines of ``log.jsonl`` (so ``python -m server verify`` checks it as it stands). Taking one in
trusts nothing the file says beside its log: the chain is recomputed, the log folded again, and the
proposals recomputed from it must be the file's. A hash chain anyone can recompute proves the log
matches its head, not who wrote it: where the origin session is on this hub, its own log must hold that
head; elsewhere the head is what to compare with the origin's printed minutes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from moderation.assembly import Assembly
from rooms.actors import Actor
from rooms.commands import Command
from rooms.errors import DomainError, Invalid, NotFound, NothingToCarry
from rooms.events import RecordedEvent
from rooms.log.chain import canonical, read_export, to_json, verify
from service.credentials import Credential
from service.sessions import Sessions, well_formed

FORMAT = "musrenbang-carry/1"


class ChainBroken(DomainError):
    """The file's log does not recompute to its hashes (or to the head it names): nothing is taken."""

    code = "chain_broken"


class CarryMismatch(DomainError):
    """The file's proposals are not what its own log says."""

    code = "carry_mismatch"


class OriginMismatch(DomainError):
    """The origin session is on this hub and its log does not hold the file's head."""

    code = "origin_mismatch"


@dataclass(frozen=True)
class Carry:
    """A carry file taken apart and checked: its origin, its log's head and length, what goes up."""

    session: str
    head: str
    count: int
    proposals: list[dict[str, Any]]

    @property
    def title(self) -> str:
        """The origin session's title, as its log says."""
        title: str = self.proposals[0]["lineage"][-1]["title"]
        return title


def _folded(session_id: str, records: Sequence[RecordedEvent]) -> Assembly:
    assembly = Assembly(session_id)
    for record in records:
        assembly.apply(record)
    return assembly


def _json(value: Any) -> Any:
    """``value`` as JSON reads it back, so the file's proposals and the recomputed ones compare alike."""
    return json.loads(canonical(value))


def carry_file(session_id: str, records: Sequence[RecordedEvent]) -> bytes:
    """The carry file of a session whose log is ``records`` (a fold of its own, so file and log agree)."""
    check = verify(records)
    if not check.ok:  # never send up a log the next level would refuse
        raise ChainBroken(f"Log sidang ini rusak pada peristiwa #{check.first_bad} ({check.reason})")
    assembly = _folded(session_id, records)
    proposals = assembly.going_up(records, check.head, check.count)
    if not proposals:
        raise NothingToCarry("Belum ada usulan yang diterima dan diperingkat di atas garis pagu")
    session = assembly.read_models(["session"], "public")["session"]
    body = {"format": FORMAT, "session": {k: session[k] for k in ("id", "title", "level", "status")},
            "head": check.head, "count": check.count, "proposals": proposals,
            "log": "".join(canonical(to_json(r)).decode("utf-8") + "\n" for r in records)}
    return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8")


def read_carry(body: bytes) -> Carry:
    """Take a carry file apart and check it against its own log; a refusal names what is wrong."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Invalid("Berkas usulan harus JSON (carry.json dari sidang tingkat bawah)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise Invalid(f"Bukan berkas usulan {FORMAT}")
    session, log, head = doc.get("session"), doc.get("log"), doc.get("head")
    if not (isinstance(session, dict) and well_formed(session.get("id")) and isinstance(log, str)
            and isinstance(head, str)):
        raise Invalid("Berkas usulan tidak lengkap: session.id, head dan log wajib ada")
    records = read_export(log.splitlines())  # Invalid names the bad line
    check = verify(records)
    if not check.ok:
        raise ChainBroken(f"Rantai hash log rusak pada peristiwa #{check.first_bad} ({check.reason}); "
                          "tidak ada usulan yang diambil")
    if (check.head, check.count) != (head, doc.get("count")):
        raise ChainBroken("Hash terakhir log tidak sama dengan yang disebut berkas")
    try:
        proposals = _folded(session["id"], records).going_up(records, check.head, check.count)
    except DomainError:  # no_next_level: a kabupaten file
        raise
    except Exception:  # a log sealed right but not one this hub wrote: it must not take the hub down
        raise Invalid("Log berkas tidak dapat dibaca sebagai sidang") from None
    if _json(proposals) != doc.get("proposals"):
        raise CarryMismatch("Daftar usulan berkas tidak sama dengan yang dikatakan lognya")
    if not proposals:
        raise NothingToCarry("Log berkas tidak memuat usulan yang diperingkat")
    return Carry(session["id"], check.head, check.count, proposals)


async def _check_origin(sessions: Sessions, carry: Carry) -> None:
    if carry.session not in await sessions.ids():
        return
    records = await sessions.log.read(carry.session)
    if len(records) < carry.count or records[carry.count - 1].hash != carry.head:
        raise OriginMismatch("Log sidang asal di hub ini tidak memuat hash terakhir berkas")


async def take_in(sessions: Sessions, target: str, carry: Carry, actor: Actor,
                  credential: Credential | None) -> tuple[int, list[dict[str, Any]]]:
    """Carry the checked file's proposals into ``target``: its version, and where everything from that
    origin stands there now (earlier imports included)."""
    await _check_origin(sessions, carry)
    cmd = Command("proposal.carry", {"proposals": carry.proposals}, key=None)
    version = await sessions.execute(target, cmd, actor, time.time(), credential)
    return version, (await sessions.get(target)).carried_from(carry.session)


async def onward(sessions: Sessions, origin: str, village: str | None) -> list[dict[str, Any]]:
    """Where ``origin``'s carried proposals (one village's, or all) stand in the sessions that took them,
    and on up: a kecamatan's carried result is followed to the kabupaten. Each row names the proposal by
    its id in ``origin``; ``session``, ``level`` and ``here`` say where the row stands.

    A lookup over the hub's sessions as their logs fold, so it holds after a restart and on every node."""
    assemblies: list[Assembly] = []
    for sid in await sessions.ids():
        try:
            assemblies.append(await sessions.get(sid, fresh=False))
        except NotFound:
            continue

    found: dict[str, list[dict[str, Any]]] = {}

    def taken_from(source: str) -> list[dict[str, Any]]:
        if source not in found:
            found[source] = [row for a in assemblies if a.session_id != source for row in a.carried_from(source)]
        return found[source]

    out: list[dict[str, Any]] = []
    reached = [row for row in taken_from(origin) if village is None or row["village"] == village]
    while reached:  # one level up per round; the levels end at the kabupaten
        out.extend(reached)
        reached = [{**above, "proposal": row["proposal"]} for row in reached
                   for above in taken_from(row["session"]) if above["proposal"] == row["here"]]
    return out
