"""The OPD list and the photo quota are the hub's settings: a CSV read once at start (a bad one stops
the hub, naming the line), and flags or environment variables like the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from rooms.errors import Invalid
from rooms.opd import parse_opd_csv
from server.config import Config, parse_args, proposal_rules, shipped_opd_csv


def test_the_shipped_list_names_banyuwangis_agencies_by_code() -> None:
    agencies = parse_opd_csv(shipped_opd_csv())
    assert agencies["bappeda"] == "Badan Perencanaan Pembangunan Daerah" and len(agencies) > 20
    assert proposal_rules(Config()).opd == agencies


@pytest.mark.parametrize(("text", "line"), [
    ("kode,nama\nx,y\n", "Baris 1"),
    ("code,name\nbappeda,Bappeda\nbappeda,Lagi\n", "Baris 3"),
    ("code,name\nDinas PU,Dinas PU\n", "Baris 2"),
    ("code,name\ndinkes,\n", "Baris 2"),
])
def test_a_bad_list_names_its_line(text: str, line: str) -> None:
    with pytest.raises(Invalid, match=line):
        parse_opd_csv(text)


def test_the_list_and_the_quota_come_from_flags_or_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                                  tmp_path: Path) -> None:
    mine = tmp_path / "opd.csv"
    mine.write_text("code,name\ndpupr,Dinas Pekerjaan Umum dan Penataan Ruang\n", encoding="utf-8")
    base = ["--data", str(tmp_path), "--secret", "s"]
    assert parse_args(base).opd_file is None and parse_args(base).photo_quota_mb == 25
    config = parse_args([*base, "--opd", str(mine), "--photo-quota", "10"])
    rules = proposal_rules(config)
    assert list(rules.opd) == ["dpupr"] and rules.photo_quota == 10 * 1024 * 1024
    monkeypatch.setenv("MH_OPD", str(mine))
    monkeypatch.setenv("MH_PHOTO_QUOTA", "2.5")
    assert (parse_args(base).opd_file, parse_args(base).photo_quota_mb) == (mine, 2.5)


def test_a_hub_with_a_bad_list_does_not_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "opd.csv"
    bad.write_text("code,name\nbappeda,Bappeda\nbappeda,Lagi\n", encoding="utf-8")
    for given in (bad, tmp_path / "missing.csv"):
        with pytest.raises(SystemExit):
            parse_args(["--data", str(tmp_path), "--secret", "s", "--opd", str(given)])
    err = capsys.readouterr().err
    assert "--opd: Baris 3: kode OPD ganda bappeda" in err and "tidak terbaca" in err
