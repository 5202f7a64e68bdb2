"""A session's archive as one tar file, streamed: its event-log export, and everything in its
recordings folder (the manifest, the track clips, the program, minutes kept there).

Its length is known before the first byte (the browser shows progress): every member's size is
taken when the download begins, and a clip still growing is sent up to that size. Small files
(the manifest) are read whole at that moment, so a manifest renamed over meanwhile cannot tear.
Files are read in a thread, a chunk at a time: the live session never waits for the disk.
"""

from __future__ import annotations

import asyncio
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

_BLOCK = 512
_CHUNK = 256 * 1024
_WHOLE = 1 << 20  # files at most this big are read when listed


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    size: int
    mtime: float
    data: bytes | None = None  # read already; else read from path when sent
    path: Path | None = None

    def header(self) -> bytes:
        info = tarfile.TarInfo(self.name)
        info.size, info.mtime, info.mode = self.size, int(self.mtime), 0o644
        return info.tobuf(format=tarfile.PAX_FORMAT)

    def length(self) -> int:
        return len(self.header()) + self.size + _padding(self.size)


def _padding(size: int) -> int:
    return -size % _BLOCK


def members(session: str, log: bytes, folder: Path) -> list[Member]:
    """What the archive holds, under ``{session}/``; reads the disk (run it in a thread)."""
    found = [Member(f"{session}/log.jsonl", len(log), time.time(), data=log)]
    if not folder.is_dir():
        return found
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
        try:
            stat = path.stat()
            data = path.read_bytes() if stat.st_size <= _WHOLE else None
        except FileNotFoundError:
            continue
        name = f"{session}/{path.relative_to(folder).as_posix()}"
        found.append(Member(name, len(data) if data is not None else stat.st_size, stat.st_mtime, data, path))
    return found


def length(found: list[Member]) -> int:
    return sum(m.length() for m in found) + 2 * _BLOCK  # two zero blocks end a tar


async def send(response: web.StreamResponse, found: list[Member]) -> None:
    for member in found:
        await response.write(member.header())
        if member.data is not None:
            await response.write(member.data)
        else:
            assert member.path is not None
            await _send_file(response, member.path, member.size)
        await response.write(b"\0" * _padding(member.size))
    await response.write(b"\0" * (2 * _BLOCK))


async def _send_file(response: web.StreamResponse, path: Path, size: int) -> None:
    """Exactly ``size`` bytes of the file: zeros for what vanished meanwhile (the length is promised)."""
    left = size
    try:
        handle = await asyncio.to_thread(open, path, "rb")
    except OSError:
        handle = None
    try:
        while left > 0:
            chunk = await asyncio.to_thread(handle.read, min(_CHUNK, left)) if handle is not None else b""
            chunk = chunk or b"\0" * min(_CHUNK, left)
            await response.write(chunk)
            left -= len(chunk)
    finally:
        if handle is not None:
            await asyncio.to_thread(handle.close)


__all__ = ["Member", "length", "members", "send"]
