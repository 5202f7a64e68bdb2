"""Who is asking: the identity a verified credential vouches for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """What a credential says; a village's effective role also depends on the roster."""

    ADMIN = "admin"  # the hub operator: creates sessions, nothing inside them
    CHAIR = "chair"
    MODERATOR = "moderator"
    VILLAGE = "village"
    PUBLIC = "public"
    SYSTEM = "system"  # the hub itself: attendance from connections, timers


class Role(str, Enum):
    """The role the permission table is keyed by."""

    CHAIR = "chair"
    MODERATOR = "moderator"
    INTERACTIVE = "interactive"  # interactive village (sends and receives audio/video)
    VIEWONLY = "viewonly"  # view-only village hall
    PUBLIC = "public"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    kind: Kind
    id: str  # stable participant identity: "chair", "mod:<name>", a village code, "public:<browser id the hub issued>"
    village: str | None = None  # the village code, for village credentials
