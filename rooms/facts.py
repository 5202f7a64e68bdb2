"""Small shared vocabulary of the pure core: facts, audiences, lookups."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from rooms.actors import Actor, Kind
from rooms.errors import Forbidden, Invalid, NotFound

# What a decision produces: (event type, JSON data). The caller stamps actor, time and key.
Fact = tuple[str, dict[str, Any]]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a read model is built for: "public", "staff" or "village:<code>"."""

    staff: bool = False
    village: str | None = None

    @classmethod
    def parse(cls, text: str) -> Audience:
        if text == "public":
            return cls()
        if text == "staff":
            return cls(staff=True)
        if text.startswith("village:") and len(text) > len("village:"):
            return cls(village=text[len("village:") :])
        raise ValueError(f"unknown audience {text!r}")


def acting_village(actor: Actor, named: str | None) -> str:
    """The village a command is about: a village acts for itself only; staff must name one."""
    if actor.kind is Kind.VILLAGE:
        own = actor.village or actor.id
        if named is not None and named != own:
            raise Forbidden("Desa hanya dapat bertindak untuk dirinya sendiri")
        return own
    if named is None:
        raise Invalid("village: wajib diisi")
    return named


def find(items: Mapping[str, T], key: str, what: str) -> T:
    try:
        return items[key]
    except KeyError:
        raise NotFound(f"{what} {key} tidak ditemukan") from None
