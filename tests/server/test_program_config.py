"""The program feed's rungs from the command line and the environment, checked before the hub starts."""

from __future__ import annotations

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
