"""The data folder and what holds credentials or votes are private to the hub's user from creation."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from aiohttp import web

from harness.sample import VENUE, small_roster
from server.app import create_app
from server.config import parse_args
from server.keys import CONFIG, SESSIONS, SIGNER
from server.provision import found_session, write_links_csv


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_data_folder_secret_links_and_database_are_private(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)  # the embedded SQLite store
    data = tmp_path / "var"
    old = os.umask(0)  # the worst umask: whatever a file gets, it gets from how it was created
    try:
        config = parse_args(["--data", str(data), "--no-demo"])  # makes secret.key
        runner = web.AppRunner(create_app(config))
        await runner.setup()  # opens the SQLite log
        try:
            app = runner.app
            sid, links = await found_session(app[SESSIONS], app[SIGNER], app[CONFIG].base_url, "Uji",
                                             small_roster(), VENUE)  # an append: the WAL exists
            write_links_csv(data / f"links-{sid}.csv", links)
            write_links_csv(data / f"links-{sid}.csv", links)  # rewriting keeps it private
        finally:
            await runner.cleanup()
    finally:
        os.umask(old)
    assert _mode(data) == 0o700
    files = sorted(p.name for p in data.iterdir())
    assert {"secret.key", "hub.sqlite3", f"links-{sid}.csv"} <= set(files), files
    # files 0600; folders of their own (photos/, recordings/) 0700
    assert {name: _mode(data / name) for name in files} == {
        name: 0o700 if (data / name).is_dir() else 0o600 for name in files}
