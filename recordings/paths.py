"""Where a session's recordings live, one folder per session under the recordings root.

    {root}/{session}/program/master.m3u8        live master playlist: the rungs
    {root}/{session}/program/{rung}/index.m3u8  a rung's live playlist ("main" 1280x720, "low" 640x360)
    {root}/{session}/program/{rung}/seg-00001.ts its MPEG-TS segments, numbered on across restarts
    {root}/{session}/program/{rung}/segments.jsonl  the composer's journal of them (recordings/segments.py)
    {root}/{session}/program/vod.m3u8           after close: the complete recording, every rung
    {root}/{session}/program/program.json       when the program started and ended, its restarts
    {root}/{session}/tracks/                    the clips of each published track
    {root}/{session}/manifest.json              every clip tied to the session's events

The session id is checked by the hub before it gets here (lowercase letters, digits, ``-``),
so it is safe as a folder name.
"""

from __future__ import annotations

from pathlib import Path

RUNGS = ("main", "low")


def session_dir(root: Path, session: str) -> Path:
    return root / session


def program_dir(root: Path, session: str) -> Path:
    return session_dir(root, session) / "program"


def tracks_dir(root: Path, session: str) -> Path:
    return session_dir(root, session) / "tracks"


def manifest_path(root: Path, session: str) -> Path:
    return session_dir(root, session) / "manifest.json"
