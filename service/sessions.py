"""The application layer: commands → decide → durable append → fold → notify.

Commands of one session are committed in batches: while one append is on its way to
disk, the commands that arrive queue up; then each is decided in turn against the
state the previous ones leave, and all their events go to the log in ONE append (one
transaction, one fsync, one Redis round trip). Nobody hears of an event — no ack, no
push — before its append returned. Deciding in turn means folding each command's
events before the append completes; if the append then fails, the cached state is
thrown away and rebuilt from the log, and the batch is decided again (a version
conflict: another node wrote first) or refused (the store failed).

Commands that come by the thousand and need no quick ack (citizens' "dukung") may *linger*: a
batch of only such commands waits that long for more to join it, so a storm of supports costs one
append every quarter second instead of one per append's round trip. Any command that does not
linger ends the wait at once.

A secret vote's choice leaves the decision as a ``ballot.boxed`` fact: here it becomes a
paper under a random token, and the voter gets a random receipt (in its ack only) whose digest is
kept as a stub apart from the paper. Paper and stub go in the same append as the roll event, so
the vote is acknowledged once all are durable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from moderation.assembly import Assembly
from rooms.actors import Actor
from rooms.ballot import BOXED, receipt_digest
from rooms.commands import Command
from rooms.errors import DomainError, Invalid, NotFound
from rooms.events import Event, Paper, RecordedEvent, Stub
from rooms.log.port import EventLog, VersionConflict
from rooms.proposal import DEFAULT_RULES, Rules
from service.credentials import Credential, require_unrevoked
from service.outcome import settle

log = logging.getLogger(__name__)

Listener = Callable[[Assembly, Sequence[RecordedEvent]], None]

_ATTEMPTS = 5  # version conflicts in a row before a batch is refused: only under a storm from other nodes
_BACKOFF = 0.01  # seconds: the most the n-th retry after a conflict waits is n times this
HUB_LOG = "_hub"  # the operator's own log: no session id can name it (a-z, 0-9 and '-')
SESSION_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # what provision.new_session_id makes


def well_formed(session_id: object) -> bool:
    return isinstance(session_id, str) and SESSION_ID.fullmatch(session_id) is not None


class Unavailable(DomainError):
    code = "unavailable"


@dataclass(frozen=True, slots=True)
class Done:
    """A command's outcome: the log version that holds it, and a secret vote's receipt."""

    version: int
    receipt: str | None = None


@dataclass(slots=True)
class _Lock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # holding or waiting: the entry goes when the last one is done


@dataclass(slots=True)
class _Pending:
    cmd: Command
    actor: Actor
    now: float
    credential: Credential | None
    done: asyncio.Future[Done]
    linger: float = 0.0  # seconds its batch may wait for more before it is decided


@dataclass(slots=True)
class _Queue:
    waiting: list[_Pending] = field(default_factory=list)
    draining: asyncio.Task[None] | None = None
    hurry: asyncio.Event = field(default_factory=asyncio.Event)  # a command that may not linger is waiting


_Decided = tuple[_Pending, Done | DomainError]  # a command and its outcome: its version or its refusal


@dataclass(slots=True)
class _Staged:
    """What a batch appends: events to the log, papers to the boxes, stubs apart."""

    events: list[Event] = field(default_factory=list)
    papers: list[Paper] = field(default_factory=list)
    stubs: list[Stub] = field(default_factory=list)

    def add(self, assembly: Assembly, events: Sequence[Event]) -> str | None:
        """Stage one command's events, folded ahead of the append; returns a secret vote's receipt.

        A paper's token and its receipt are drawn apart, so a receipt (even with the whole store)
        leads to no choice."""
        receipt = None
        for e in events:
            if e.type != BOXED:
                assembly.apply(RecordedEvent(assembly.version + 1, e.type, e.data, e.actor, e.at, e.key, ""))
                self.events.append(e)
                continue
            paper = Paper(e.data["ballot"], secrets.token_hex(32), tuple(e.data["choice"]))
            receipt = f"{paper.ballot}.{secrets.token_urlsafe(15)}"
            assembly.drop(paper)
            self.papers.append(paper)
            self.stubs.append(Stub(paper.ballot, receipt_digest(receipt)))
        return receipt


class Sessions:
    def __init__(self, log: EventLog, rules: Rules = DEFAULT_RULES) -> None:
        self.log = log
        self.rules = rules  # the hub's settings for proposals, handed to every session's state
        self._listeners: list[Listener] = []
        self._cache: dict[str, Assembly] = {}
        self._locks: dict[str, _Lock] = {}  # only while in use: asking about any id must not grow it
        self._queues: dict[str, _Queue] = {}

    def listen(self, listener: Listener) -> None:
        """Call ``listener`` with every batch of durable records (read models, media routes)."""
        self._listeners.append(listener)

    def _notify(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        """Tell every listener; one that fails is logged, because the records are durable all the same
        and the acks must say so (a refusal would invite a retry of what is already in the log)."""
        if not records:
            return
        for listener in self._listeners:
            try:
                listener(assembly, records)
            except Exception:
                log.exception("listener %r failed on session %s", listener, assembly.session_id)

    def cached(self, session_id: str) -> Assembly | None:
        return self._cache.get(session_id)

    @asynccontextmanager
    async def lock(self, session_id: str) -> AsyncIterator[None]:
        """Hold the session's lock; its entry lives only while someone holds or awaits it."""
        entry = self._locks.setdefault(session_id, _Lock())
        entry.users += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.users -= 1
            if entry.users == 0:
                del self._locks[session_id]

    def _fold(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        """Apply durable records, then tell the listeners."""
        for record in records:
            assembly.apply(record)
        self._notify(assembly, records)

    async def _catch_up(self, assembly: Assembly) -> None:
        self._fold(assembly, await self.log.read(assembly.session_id, after=assembly.version))
        for ballot in assembly.short_boxes():  # read after the log: the box holds at least its roll's papers
            assembly.refill(ballot, await self.log.box(assembly.session_id, ballot))

    async def _rebuild(self, session_id: str) -> Assembly:
        assembly = Assembly(session_id, self.rules)
        await self._catch_up(assembly)
        if assembly.version:  # an id with no log leaves nothing behind
            self._cache[session_id] = assembly
        return assembly

    async def get(self, session_id: str, fresh: bool = True) -> Assembly:
        """The session's state; ``fresh`` also reads what other nodes appended since."""
        if session_id == HUB_LOG:
            raise NotFound("Sesi tidak ditemukan")
        assembly = self._cache.get(session_id)
        if assembly is not None and not fresh:
            return assembly
        if not well_formed(session_id):  # before any state exists for it; the id is never echoed
            raise NotFound("Sesi tidak ditemukan")
        async with self.lock(session_id):
            assembly = self._cache.get(session_id)
            if assembly is None:
                assembly = await self._rebuild(session_id)
            else:
                await self._catch_up(assembly)
        if assembly.version == 0:
            raise NotFound("Sesi tidak ditemukan")
        return assembly

    async def create(self, session_id: str, events: Sequence[Event]) -> Assembly:
        """Open a new session's log with the events that create it."""
        if not well_formed(session_id):
            raise Invalid("Pengenal sesi: huruf kecil, angka dan '-', paling panjang 64")
        async with self.lock(session_id):
            records = await self.log.append(session_id, events, expected_version=0)
            assembly = self._cache[session_id] = Assembly(session_id, self.rules)
            self._fold(assembly, records)
        return assembly

    async def execute(self, session_id: str, cmd: Command, actor: Actor, now: float,
                      credential: Credential | None = None) -> int:
        """Apply one command; returns the log version that holds it (also for a retried key)."""
        return (await self.run(session_id, cmd, actor, now, credential)).version

    async def run(self, session_id: str, cmd: Command, actor: Actor, now: float,
                  credential: Credential | None = None, linger: float = 0.0) -> Done:
        """Apply one command; its version and, for a secret vote, the receipt (a retry gets none).

        ``linger`` (seconds): how long this command's batch may wait for more before it is decided.

        The credential is checked against the state the command is decided on: a revocation
        another node appended first makes this append conflict, and the retry sees it.
        """
        await self.get(session_id, fresh=False)  # NotFound before queueing
        queue = self._queues.setdefault(session_id, _Queue())
        done: asyncio.Future[Done] = asyncio.get_running_loop().create_future()
        queue.waiting.append(_Pending(cmd, actor, now, credential, done, linger))
        if not linger:
            queue.hurry.set()
        if queue.draining is None:
            queue.draining = asyncio.create_task(self._drain(session_id, queue))
        return await done

    async def _drain(self, session_id: str, queue: _Queue) -> None:
        try:
            while queue.waiting:
                # under a steady storm of supports every batch lingers, not only the first
                linger = min(item.linger for item in queue.waiting)
                if linger:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(queue.hurry.wait(), linger)
                queue.hurry.clear()
                batch, queue.waiting = queue.waiting, []
                async with self.lock(session_id):
                    await self._commit(session_id, batch)
        finally:
            queue.draining = None

    async def _commit(self, session_id: str, batch: list[_Pending]) -> None:
        try:
            for attempt in range(_ATTEMPTS):
                assembly = self._cache.get(session_id) or await self._rebuild(session_id)
                base = assembly.version
                staged, decided = self._decide_in_turn(assembly, batch)
                try:
                    records = (await self.log.append(session_id, staged.events, expected_version=base,
                                                     papers=staged.papers, stubs=staged.stubs)
                               if staged.events else [])
                except VersionConflict as conflict:  # another node wrote first: start again from the log
                    self._cache.pop(session_id, None)
                    refusal: DomainError = conflict
                    # two nodes that keep colliding in step would collide again: the retry waits a random while
                    await asyncio.sleep(random.uniform(0, _BACKOFF * (attempt + 1)))
                    continue
                self._notify(assembly, records)
                for item, outcome in decided:
                    settle(item.done, outcome)
                return
        except Exception:  # the store (or a fold) failed: refuse the batch; the log stays the truth
            log.exception("commit failed for session %s", session_id)
            self._cache.pop(session_id, None)
            refusal = Unavailable("Penyimpanan gagal; perintah tidak tercatat, coba lagi")
        for item in batch:
            settle(item.done, refusal)

    @staticmethod
    def _decide_in_turn(assembly: Assembly, batch: list[_Pending]) -> tuple[_Staged, list[_Decided]]:
        """Decide each command against the state the previous ones leave (folded ahead of the append)."""
        staged = _Staged()
        decided: list[_Decided] = []
        for item in batch:
            try:
                require_unrevoked(assembly, item.credential)
            except DomainError as err:
                decided.append((item, err))
                continue
            key = item.cmd.key
            earlier = assembly.applied_key(item.actor.id, key) if key is not None else None
            if earlier is not None:
                decided.append((item, Done(earlier)))
                continue
            try:
                events = assembly.decide(item.cmd, item.actor, item.now)
            except DomainError as err:
                decided.append((item, err))
                continue
            except Exception:  # a bug in one decider must not sink the others' commands
                log.exception("decide failed: %s", item.cmd.name)
                decided.append((item, DomainError("Kesalahan internal", "internal")))
                continue
            receipt = staged.add(assembly, events)
            decided.append((item, Done(assembly.version, receipt)))
        return staged, decided

    async def check_receipt(self, session_id: str, receipt: str) -> str | None:
        """"closed" or "open" (the ballot's state) when the receipt's stub is kept, else None."""
        ballot_id = receipt.partition(".")[0]
        assembly = await self.get(session_id)
        status = assembly.ballot_status(ballot_id)
        if status is None:
            return None
        return status if await self.log.has_stub(session_id, ballot_id, receipt_digest(receipt)) else None

    async def ids(self) -> list[str]:
        return [sid for sid in await self.log.sessions() if sid != HUB_LOG]
