"""The data folder and the files holding credentials or the record: private to the hub's user.

They are created with their final mode (``os.open`` with 0600, ``mkdir`` with 0700; the umask can
only take bits away), never written first and chmod-ed after: no moment exists in which another
local user could read a village's link or the secret.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

_FILE, _DIR = 0o600, 0o700


def private_dir(path: Path) -> Path:
    """The data folder, made 0700 (an existing one is tightened to it)."""
    path.mkdir(mode=_DIR, parents=True, exist_ok=True)
    path.chmod(_DIR)
    return path


def private_file(path: Path) -> Path:
    """Make sure ``path`` exists as a 0600 file, e.g. before SQLite opens it (its WAL takes the same mode)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, _FILE))
    path.chmod(_FILE)  # a file left by an older hub with a looser mode
    return path


def write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in a new 0600 file: readers see the old file or the new, never half."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    os.replace(tmp, path)


def write_once(path: Path, data: bytes) -> bytes:
    """Keep ``data`` at ``path`` unless a file is there already; returns what the path holds.

    Written whole to a private temporary file, then linked into place: ``link`` refuses an existing
    name, so of two writers the first wins and nobody ever reads half a file."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return path.read_bytes()
        return data
    finally:
        tmp.unlink()
