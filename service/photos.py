"""Photos of a proposal's location: an upload checked and re-encoded, its files kept in the data
folder, and only then recorded in the session's log (``proposal.photo_add``, a shell command).

Re-encoding decodes the pixels and writes a new JPEG from them alone, so nothing an upload carries
besides its picture survives: no EXIF (the GPS position, the camera, the time), no XMP, no ICC
profile, no PNG text. The EXIF orientation is applied first, so a phone's portrait stays upright.
Bounds: ``MAX_UPLOAD`` bytes in, ``MAX_PIXELS`` declared in the header (checked before any pixel is
decoded: a small file can declare a huge picture), ``MAX_SIDE`` pixels kept on the long side, a
``THUMB_SIDE`` thumbnail beside it.

Durable before anyone is told: both files are written and synced, then the event is appended. A
refused command removes its files again; a crash between the two (or a store that failed without
saying whether it kept the event) leaves files no record names, which are never served. Uploads
are re-encoded at most ``WORKERS`` at a time, off the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from moderation.assembly import Assembly
from rooms.commands import Command
from rooms.errors import DomainError, NotFound
from rooms.events import RecordedEvent
from service.credentials import Credential, require_unrevoked
from service.sessions import Sessions, Unavailable

MAX_UPLOAD = 5 * 1024 * 1024  # bytes of one upload
MAX_PIXELS = 50_000_000  # a 48-megapixel phone camera's picture fits
MAX_SIDE = 2048  # pixels on the stored photo's long side
THUMB_SIDE = 320
QUALITY = 85
WORKERS = 1  # re-encodings at once: one core's work, so the event loop keeps the other (bench/photos.py)
PHOTO_ID = re.compile(r"F-[0-9a-f]{12}")


class NotAnImage(DomainError):
    code = "not_an_image"


class TooLarge(DomainError):
    code = "too_large"


def photo_path(session: str, photo: str, thumb: bool = False) -> str:
    """Where the hub serves a photo (the pages build the same path: web/static/js/views.js)."""
    return f"/api/sessions/{session}/photos/{photo}{'.thumb' if thumb else ''}.jpg"


@dataclass(frozen=True, slots=True)
class Encoded:
    photo: bytes
    thumb: bytes
    width: int
    height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.photo).hexdigest()


def reencode(data: bytes) -> Encoded:
    """A JPEG or PNG upload as a clean JPEG and its thumbnail; NotAnImage or TooLarge otherwise."""
    if len(data) > MAX_UPLOAD:
        raise TooLarge(f"Foto paling besar {MAX_UPLOAD // (1024 * 1024)} MB")
    try:
        with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as img:
            if img.width * img.height > MAX_PIXELS:
                raise TooLarge(f"Foto paling banyak {MAX_PIXELS // 1_000_000} megapiksel")
            img.draft("RGB", (MAX_SIDE, MAX_SIDE))  # a JPEG decodes straight at a smaller scale when it can
            picture = _rgb(ImageOps.exif_transpose(img))
    except Image.DecompressionBombError:
        raise TooLarge(f"Foto paling banyak {MAX_PIXELS // 1_000_000} megapiksel") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise NotAnImage("Berkas ini bukan foto JPEG atau PNG yang utuh") from None
    picture.thumbnail((MAX_SIDE, MAX_SIDE))  # bicubic: LANCZOS cost a third more CPU per upload
    thumb = picture.copy()
    thumb.thumbnail((THUMB_SIDE, THUMB_SIDE))
    return Encoded(_jpeg(picture), _jpeg(thumb), picture.width, picture.height)


def _rgb(img: Image.Image) -> Image.Image:
    """The pixels alone, in RGB: a transparent PNG goes onto white."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    clean = img.convert("RGB")
    clean.info.clear()  # nothing of the upload's metadata may ride along into the saved file
    return clean


def _jpeg(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


class PhotoFiles:
    """``{root}/{session}/{photo}.jpg`` and ``….thumb.jpg``, 0600 in 0700 folders like the rest of the data."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, session: str, photo: str, thumb: bool = False) -> Path:
        return self.root / session / f"{photo}{'.thumb' if thumb else ''}.jpg"

    def write(self, session: str, photo: str, encoded: Encoded) -> None:
        """Both files in full and synced (and their folder), before the log hears of them."""
        folder = self.root / session
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for thumb, body in ((True, encoded.thumb), (False, encoded.photo)):
            target = self.path(session, photo, thumb)
            tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, target)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def delete(self, session: str, photo: str) -> None:
        for thumb in (False, True):
            self.path(session, photo, thumb).unlink(missing_ok=True)


class Photos:
    """Adding proposals' photos (the files, then the log) and dropping the files of removed ones."""

    def __init__(self, sessions: Sessions, files: PhotoFiles) -> None:
        self.sessions = sessions
        self.files = files
        self._workers = asyncio.Semaphore(WORKERS)

    async def add(self, session: str, proposal: str, data: bytes, credential: Credential, now: float,
                  key: str | None = None) -> int:
        """Record one upload for the credential's village; returns the log version that holds it."""
        photo = f"F-{secrets.token_hex(6)}"
        args: dict[str, Any] = {"proposal": proposal, "photo": photo, "sha256": "0" * 64, "bytes": 1,
                                "thumb_bytes": 1, "width": 1, "height": 1}
        # what the record refuses anyway (another village's proposal, a full one) is refused before any decoding
        assembly = await self.sessions.get(session)
        require_unrevoked(assembly, credential)
        assembly.decide(Command("proposal.photo_add", args, None), credential.actor, now)
        async with self._workers:
            encoded = await asyncio.to_thread(reencode, data)
        await asyncio.to_thread(self.files.write, session, photo, encoded)
        args.update(sha256=encoded.sha256, bytes=len(encoded.photo), thumb_bytes=len(encoded.thumb),
                    width=encoded.width, height=encoded.height)
        try:
            version = await self.sessions.execute(session, Command("proposal.photo_add", args, key), credential.actor,
                                                  now, credential)
        except DomainError as err:
            if err.code != Unavailable.code:  # refused: nothing names the files. A failed store may yet hold
                self.files.delete(session, photo)  # the event (a lost reply): then the files stay, unnamed at worst
            raise
        if (await self.sessions.get(session, fresh=False)).photo_of(photo) is None:
            self.files.delete(session, photo)  # a retried key: the earlier upload is the one recorded
        return version

    def forget_removed(self, assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        """A Sessions listener: a removed photo's files go once its removal is durable (from any route)."""
        for r in records:
            if r.type == "proposal.photo_removed":
                self.files.delete(assembly.session_id, r.data["photo"])

    async def require_held(self, session: str, photo: str) -> None:
        """NotFound unless a proposal of the session holds this photo now (never added, or removed)."""
        if not PHOTO_ID.fullmatch(photo):
            raise NotFound("Foto tidak ditemukan")
        if (await self.sessions.get(session, fresh=False)).photo_of(photo) is None:
            if (await self.sessions.get(session)).photo_of(photo) is None:  # not even just now, on another node
                raise NotFound("Foto tidak ditemukan")
