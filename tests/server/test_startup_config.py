"""Hub settings checked before it starts: the program feed's rungs, the relay's worker processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from server.config import parse_args


def test_rungs_from_flags_then_the_environment_then_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = ["--data", str(tmp_path)]
    assert parse_args(data).program_rungs == ("main:1280x720:2500000", "low:640x360:700000")
    monkeypatch.setenv("MH_PROGRAM_RUNGS", "main:960x540:1500000,phone:426x240:300000")
    assert parse_args(data).program_rungs == ("main:960x540:1500000", "phone:426x240:300000")
    assert parse_args([*data, "--program-rung", "main:640x360:800000"]).program_rungs == ("main:640x360:800000",)


@pytest.mark.parametrize("rung", ["low:640x360:700000", "main:641x360:700000", "main:1280x720", "main:axb:1"])
def test_a_rung_that_cannot_work_stops_the_hub_with_its_reason(
        rung: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--data", str(tmp_path), "--program-rung", rung])
    assert stopped.value.code == 2 and "rung" in capsys.readouterr().err


def test_relay_workers_from_flags_then_the_environment_and_auto_is_every_core(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = ["--data", str(tmp_path)]
    assert parse_args(data).relay_workers == 1  # the relay in the hub's own process, as on one core
    monkeypatch.setenv("MH_RELAY_WORKERS", "3")
    assert parse_args(data).relay_workers == 3
    assert parse_args([*data, "--relay-workers", "auto"]).relay_workers == (os.cpu_count() or 1)


@pytest.mark.parametrize("count", ["0", "65", "dua"])
def test_a_worker_count_that_cannot_work_stops_the_hub(count: str, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--data", str(tmp_path), "--relay-workers", count])
