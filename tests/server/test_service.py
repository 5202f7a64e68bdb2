"""The application service against the in-memory log: batching, conflicts with another node, a
failing store, a failing listener and idempotency keys, without a server or a disk."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence

import pytest

from moderation.assembly import Assembly
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from rooms.errors import DomainError, NotFound
from rooms.events import Event, Paper, RecordedEvent, Stub
from rooms.log.port import VersionConflict
from rooms.session import create_session as session_events
from server.stores.memory import MemoryLog, Shelf
from harness.hubproc import PROPOSAL
from service.sessions import Done, Sessions, Unavailable
from tests.server.test_assembly_kit import ADMIN, ROSTER

SESSION = "musrenbang-uji-0001"
VILLAGES = [Actor(Kind.VILLAGE, v.code) for v in ROSTER[1:6]]
MOD = Actor(Kind.MODERATOR, "mod:1")


class Log(MemoryLog):
    """The memory log with its appends counted, and failures or rival writes injected before them."""

    def __init__(self, shelf: Shelf | None = None) -> None:
        super().__init__(shelf)
        self.appends = 0
        self.failures = 0  # appends to fail with OSError, as a full disk would
        self.rival: list[Event] = []  # events another node appends just before each of ours, once

    async def append(self, session_id: str, events: Sequence[Event], expected_version: int,
                     papers: Sequence[Paper] = (), stubs: Sequence[Stub] = ()) -> list[RecordedEvent]:
        self.appends += 1
        if self.failures:
            self.failures -= 1
            raise OSError("disk full")
        if self.rival:
            rival, self.rival = self.rival, []
            await MemoryLog(self.shelf).append(session_id, rival, await self.version(session_id))
        return await super().append(session_id, events, expected_version, papers, stubs)


async def open_session(log: Log) -> Sessions:
    sessions = Sessions(log)
    await sessions.create(SESSION, session_events("Uji", ROSTER[:6], ROSTER[0].code, [], ADMIN, 1.0))
    await sessions.execute(SESSION, parse_command("session.start", {}), MOD, 2.0)
    return sessions


async def queue(sessions: Sessions) -> list[dict[str, object]]:
    return (await sessions.get(SESSION)).read_models(["queue"], "public")["queue"]  # type: ignore[no-any-return]


async def raise_hand(sessions: Sessions, village: Actor, key: str | None = None) -> int:
    payload = {"key": key} if key else {}
    return await sessions.execute(SESSION, parse_command("hand.raise", payload), village, 3.0)


async def test_commands_that_arrive_together_go_to_the_log_in_one_append() -> None:
    log = Log()
    sessions = await open_session(log)
    before = log.appends
    versions = await asyncio.gather(*[raise_hand(sessions, v) for v in VILLAGES])
    assert log.appends - before <= 2  # the first goes alone, the rest queue behind it as one batch
    assert sorted(versions) == list(range(versions[0], versions[0] + len(VILLAGES)))
    assert [r.type for r in await log.read(SESSION)][-len(VILLAGES):] == ["hand.raised"] * len(VILLAGES)


async def test_a_conflict_with_another_node_decides_the_command_again_on_the_fresh_log() -> None:
    log = Log()
    sessions = await open_session(log)
    version = await log.version(SESSION)
    log.rival = [Event("hand.raised", {"village": VILLAGES[0].id, "point_of_order": False}, VILLAGES[0].id, 3.0)]
    with pytest.raises(DomainError) as refused:  # the rival's raise is seen: the same hand cannot go up twice
        await raise_hand(sessions, VILLAGES[0])
    assert refused.value.code == "conflict"
    assert await raise_hand(sessions, VILLAGES[1]) == version + 2
    assert [e["village"] for e in await queue(sessions)] == [VILLAGES[0].id, VILLAGES[1].id]


async def test_endless_conflicts_refuse_the_batch_and_write_nothing() -> None:
    class Storm(Log):
        async def append(self, session_id: str, events: Sequence[Event], expected_version: int,
                         papers: Sequence[Paper] = (), stubs: Sequence[Stub] = ()) -> list[RecordedEvent]:
            raise VersionConflict(session_id, expected_version, expected_version + 1)

    log = Storm()
    sessions = await open_session(Log(log.shelf))  # set up through a calm node on the same shelf
    sessions.log = log
    version = await log.version(SESSION)
    with pytest.raises(VersionConflict):
        await raise_hand(sessions, VILLAGES[0])
    assert await log.version(SESSION) == version


async def test_a_failing_store_refuses_the_batch_and_the_next_command_starts_clean() -> None:
    log = Log()
    sessions = await open_session(log)
    version = await log.version(SESSION)
    log.failures = 1
    outcomes = await asyncio.gather(*[raise_hand(sessions, v) for v in VILLAGES[:2]],
                                    return_exceptions=True)
    assert all(isinstance(o, Unavailable) for o in outcomes)
    assert await log.version(SESSION) == version and sessions.cached(SESSION) is None  # nothing half-folded
    assert await raise_hand(sessions, VILLAGES[0]) == version + 1
    assert len(await queue(sessions)) == 1


async def test_a_failing_listener_does_not_turn_a_durable_command_into_a_refusal() -> None:
    log = Log()
    sessions = await open_session(log)
    heard: list[str] = []

    def broken(assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        raise RuntimeError("push failed")

    sessions.listen(broken)
    sessions.listen(lambda assembly, records: heard.extend(r.type for r in records))
    version = await raise_hand(sessions, VILLAGES[0])
    assert version == await log.version(SESSION)  # the ack says what the log says
    assert heard == ["hand.raised"]  # the next listener still heard of it


async def test_a_retried_key_gets_the_first_version_and_writes_once() -> None:
    log = Log()
    sessions = await open_session(log)
    first = await raise_hand(sessions, VILLAGES[0], key="angkat-1")
    again = await raise_hand(sessions, VILLAGES[0], key="angkat-1")
    assert again == first == await log.version(SESSION)
    fresh = Sessions(MemoryLog(log.shelf))  # another node, rebuilding from the log, knows the key too
    assert await raise_hand(fresh, VILLAGES[0], key="angkat-1") == first


async def test_unknown_and_ill_formed_sessions_leave_nothing_behind() -> None:
    sessions = await open_session(Log())
    for sid in ("tidak-ada-0001", "X" * 200, "../etc"):
        with pytest.raises(NotFound):
            await sessions.get(sid)
        assert sessions.cached(sid) is None
    assert await sessions.ids() == [SESSION]


async def _proposal(sessions: Sessions) -> str:
    await sessions.execute(SESSION, parse_command("proposal.submit", PROPOSAL), VILLAGES[0], 3.0)
    board = (await sessions.get(SESSION)).read_models(["board"], "public")["board"]
    return str(board["proposals"][0]["proposal"])


def _support(sessions: Sessions, proposal: str, browser: int, linger: float) -> Awaitable[Done]:
    return sessions.run(SESSION, parse_command("support.give", {"proposal": proposal}),
                        Actor(Kind.PUBLIC, f"public:b{browser}"), 4.0, linger=linger)


async def test_lingering_supports_gather_into_one_append() -> None:
    """Citizens' supports wait for each other: hundreds of them cost the log one append, not one each."""
    log = Log()
    sessions = await open_session(log)
    proposal = await _proposal(sessions)
    before = log.appends
    done = await asyncio.gather(*[_support(sessions, proposal, n, linger=0.05) for n in range(300)])
    assert log.appends - before == 1
    assert len({d.version for d in done}) == 300
    board = (await sessions.get(SESSION)).read_models(["board"], "public")["board"]
    assert board["proposals"][0]["support"] == 300


async def test_a_command_that_may_not_linger_ends_the_wait_of_those_that_do() -> None:
    log = Log()
    sessions = await open_session(log)
    proposal = await _proposal(sessions)
    before = log.appends
    # a support alone would wait its whole minute; the hand raised beside it sends both at once
    both = asyncio.gather(_support(sessions, proposal, 1, linger=60.0), raise_hand(sessions, VILLAGES[1]))
    await asyncio.wait_for(both, 10)
    assert log.appends - before == 1
