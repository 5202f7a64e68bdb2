"""The recording lifecycle on the real application service (the in-memory log): a Scene for every
change of a live session, parts made at its start and closed at its close, a failing part isolated,
a hub restarted mid-turn resuming with the turn's grant, and the free-space floor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.peers import wait_for
from recordings.scene import Scene
from rooms.actors import Actor, Kind
from rooms.commands import parse_command
from rooms.session import create_session
from server.config import parse_args
from server.recording import Recording
from server.stores.memory import MemoryLog
from service.sessions import Sessions
from tests.server.test_assembly_kit import ADMIN, ROSTER

SESSION = "musrenbang-rekam-01"
MOD = Actor(Kind.MODERATOR, "mod:1")
VENUE, HALLS = ROSTER[0].code, [ROSTER[1].code, ROSTER[2].code]


class Taped:
    """A part that keeps what it is told."""

    def __init__(self, sid: str, title: str) -> None:
        self.sid, self.title = sid, title
        self.scenes: list[Scene] = []
        self.closed = False

    def update(self, scene: Scene) -> None:
        self.scenes.append(scene)

    async def close(self) -> None:
        self.closed = True


class Broken(Taped):
    def update(self, scene: Scene) -> None:
        raise RuntimeError("a part's bug")

    async def close(self) -> None:
        raise RuntimeError("a part's bug on close")


async def new_session(log: MemoryLog) -> Sessions:
    sessions = Sessions(log)
    await sessions.create(SESSION, create_session("Musrenbang Rekam", ROSTER[:6], VENUE, HALLS, ADMIN, 1.0))
    return sessions


async def do(sessions: Sessions, name: str, **payload: Any) -> int:
    return await sessions.execute(SESSION, parse_command(name, payload), MOD, 10.0)


def factories(made: list[Taped]) -> list[Any]:
    def taped(sid: str, title: str) -> list[Taped]:
        made.append(Taped(sid, title))
        return made[-1:]

    def failing(sid: str, title: str) -> list[Taped]:
        raise RuntimeError("cannot make this part")

    return [lambda sid, title: [Broken(sid, title)], failing, taped]


async def test_a_live_session_s_parts_follow_its_scene_and_close_with_it(tmp_path: Path) -> None:
    sessions, made = await new_session(MemoryLog()), []
    recording = Recording(sessions, tmp_path, factories(made), min_free=0)
    await do(sessions, "agenda.add", title="Pembahasan usulan")
    assert made == [] and recording.status(SESSION)["state"] == "off"  # a draft is not recorded

    await do(sessions, "session.start")
    [part] = made  # the broken part and the failing factory are logged; this one goes on
    assert part.title == "Musrenbang Rekam" and recording.status(SESSION)["state"] == "recording"
    venue = f"{SESSION}/chair"
    first = part.scenes[-1]
    assert first.venue == venue and first.publishers[0] == venue and first.codes[venue] == VENUE
    assert {first.codes[p] for p in first.publishers[1:]} == set(HALLS) - {VENUE}
    assert first.floor is None and first.agenda_id is None

    await do(sessions, "agenda.open", item="A-01")
    grant = await do(sessions, "floor.grant", village=HALLS[1], seconds=90)
    scene = part.scenes[-1]
    assert scene.agenda_id == "A-01" and scene.agenda == "Pembahasan usulan"
    assert scene.floor is not None and scene.floor.grant == str(grant) and scene.floor.village == HALLS[1]
    assert scene.floor.name == ROSTER[2].name and scene.floor.deadline == 10.0 + 90
    assert scene.floor_holder == f"{SESSION}/{HALLS[1]}"

    told = len(part.scenes)
    await do(sessions, "session.close")
    await wait_for(lambda: part.closed, timeout=2)
    assert len(part.scenes) == told and recording.status(SESSION)["state"] == "off"
    await recording.close()


async def test_a_hub_restarted_mid_turn_resumes_recording_with_the_turn_s_grant(tmp_path: Path) -> None:
    log = MemoryLog()
    sessions = await new_session(log)
    await do(sessions, "session.start")
    grant = await do(sessions, "floor.grant", village=HALLS[0], seconds=60)
    await do(sessions, "agenda.add", title="Lain-lain")  # a later record: the grant is not the last one

    made: list[Taped] = []
    recording = Recording(Sessions(log), tmp_path, factories(made), min_free=0)  # a new hub on the same store
    recording.start()
    await wait_for(lambda: bool(made and made[0].scenes), timeout=2)
    floor = made[0].scenes[-1].floor
    assert floor is not None and floor.grant == str(grant) and floor.village == HALLS[0]
    await recording.close()
    assert made[0].closed  # the hub's stop closes every part


async def test_below_the_free_space_floor_nothing_records_until_space_is_back(tmp_path: Path) -> None:
    sessions, made = await new_session(MemoryLog()), []
    recording = Recording(sessions, tmp_path / "not-made-yet", factories(made), min_free=1 << 60)
    await do(sessions, "session.start")
    status = recording.status(SESSION)
    assert made == [] and status["state"] == "refused" and "di bawah batas" in status["reason"]

    recording.min_free = 0  # space freed: the session's next change starts its recording
    await do(sessions, "floor.grant", village=HALLS[0], seconds=60)
    assert len(made) == 1 and made[0].scenes[-1].floor is not None
    await recording.close()


def test_the_free_space_floor_is_a_hub_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    base = ["--data", str(tmp_path), "--secret", "s"]
    assert parse_args(base).recordings_min_free == 500
    monkeypatch.setenv("MH_RECORDINGS_MIN_FREE", "2048")
    assert parse_args(base).recordings_min_free == 2048
    assert parse_args([*base, "--recordings-min-free", "0"]).recordings_min_free == 0
