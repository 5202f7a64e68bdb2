"""How much the recordings take and how much the disk has left, for the moderator page (§6).

Walking the folder reads the disk: callers run these in a thread, never on the event loop."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

WARN_AT = 0.9  # the disk this full warns the moderator


def folder_bytes(folder: Path) -> int:
    total = 0
    for top, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(top, name)).st_size
            except FileNotFoundError:  # a temporary manifest renamed away meanwhile
                continue
    return total


def existing(path: Path) -> Path:
    """The path, or its nearest ancestor that exists (the recordings folder may not be made yet)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def usage(root: Path, session: Path, min_free: int) -> dict[str, Any]:
    disk = shutil.disk_usage(existing(root))
    used = disk.used / disk.total if disk.total else 0.0
    return {"recordings_bytes": folder_bytes(root), "session_bytes": folder_bytes(session),
            "free_bytes": disk.free, "total_bytes": disk.total, "used": round(used, 4),
            "warn": used >= WARN_AT, "min_free_bytes": min_free, "below_floor": disk.free < min_free}
