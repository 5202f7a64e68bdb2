"""A session's manifest: every clip of its tracks tied to the session's events, as the playback page
reads it from ``{root}/{session}/manifest.json``::

    {"session": id, "clips": [{"file": "tracks/NAME.webm", "publisher": village code, "kind": "video" | "audio",
      "layer": str, "start": unix float, "end": unix float | null, "agenda": item id | null,
      "grant": floor grant id | null, "village": the floor holder's code | null, "bytes": int}],
     "stopped": null | why the recorder stopped for good (a full disk)}

``end`` is null while a clip is being written. The grant id is the log sequence number of its
``floor.granted`` event. Only the recorder child writes it, atomically (a temporary file renamed
over it), so a reader never sees half of one.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from media.routes import Source
from recordings.paths import manifest_path, session_dir


@dataclass(frozen=True, slots=True)
class Context:
    """What a clip is part of: the session's agenda item and floor turn when it began."""

    agenda: str | None = None
    grant: str | None = None
    village: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"agenda": self.agenda, "grant": self.grant, "village": self.village}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Context:
        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None
        return cls(text("agenda"), text("grant"), text("village"))


@dataclass(slots=True)
class Manifest:
    root: Path
    session: str
    clips: list[dict[str, Any]] = field(default_factory=list)
    stopped: str | None = None

    @classmethod
    def load(cls, root: Path, session: str) -> Manifest:
        """The manifest as a previous recorder left it. A clip it left open (it was killed) ends where
        its file does: at its last change, with the bytes on disk."""
        manifest = cls(root, session)
        path = manifest_path(root, session)
        if not path.exists():
            return manifest
        manifest.clips = list(json.loads(path.read_text(encoding="utf-8")).get("clips", []))
        for clip in manifest.clips:
            if clip["end"] is None:
                file = session_dir(root, session) / clip["file"]
                stat = file.stat() if file.exists() else None
                clip["end"] = max(clip["start"], stat.st_mtime) if stat else clip["start"]
                clip["bytes"] = stat.st_size if stat else 0
        return manifest

    def begin(self, path: Path, source: Source, start: float, context: Context) -> dict[str, Any]:
        clip = {"file": path.relative_to(session_dir(self.root, self.session)).as_posix(),
                "publisher": source.publisher, "kind": source.kind, "layer": source.layer,
                "start": start, "end": None, **context.as_dict(), "bytes": 0}
        self.clips.append(clip)
        return clip

    def finish(self, clip: dict[str, Any], at: float) -> None:
        clip["end"] = at
        self._measure(clip)

    def measure(self) -> None:
        """The bytes of every clip still being written."""
        for clip in self.clips:
            if clip["end"] is None:
                self._measure(clip)

    def _measure(self, clip: dict[str, Any]) -> None:
        file = session_dir(self.root, self.session) / clip["file"]
        clip["bytes"] = file.stat().st_size if file.exists() else 0

    def save(self) -> None:
        self.measure()
        path = manifest_path(self.root, self.session)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps({"session": self.session, "clips": self.clips, "stopped": self.stopped},
                                  ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
