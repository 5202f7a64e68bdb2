"""The agenda: ordered items, at most one open at a time.

Opening an item while another is open closes the open one first (one decision,
two events) — the chair moves on without a separate click.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rooms.actors import Actor
from rooms.errors import Conflict, Invalid
from rooms.facts import Fact, find

if TYPE_CHECKING:
    from rooms.record import Applier, Decider, Record

PENDING, OPEN, DONE = "pending", "open", "done"


@dataclass
class Item:
    id: str
    title: str
    minutes: int | None
    status: str = PENDING
    opened_at: float | None = None
    closed_at: float | None = None


@dataclass
class Agenda:
    items: dict[str, Item] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    current: str | None = None

    def item_view(self, item_id: str) -> dict[str, Any]:
        i = self.items[item_id]
        return {
            "item": i.id,
            "title": i.title,
            "minutes": i.minutes,
            "status": i.status,
            "opened_at": i.opened_at,
            "closed_at": i.closed_at,
        }


def _add(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    item = f"A-{len(record.agenda.items) + 1:02d}"
    return [("agenda.item_added", {"item": item, "title": args["title"], "minutes": args["minutes"]})]


def _move(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    item = find(record.agenda.items, args["item"], "Acara").id
    if args["position"] > len(record.agenda.order):
        raise Invalid(f"position: paling besar {len(record.agenda.order)}")
    return [("agenda.item_moved", {"item": item, "position": args["position"]})]


def _open(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    item = find(record.agenda.items, args["item"], "Acara")
    if item.status == OPEN:
        raise Conflict("Acara sudah dibuka")
    current = record.agenda.current
    closing = [("agenda.item_closed", {"item": current})] if current else []
    return [*closing, ("agenda.item_opened", {"item": item.id})]


def _close(record: Record, args: Mapping[str, Any], actor: Actor, now: float) -> list[Fact]:
    item = find(record.agenda.items, args["item"], "Acara")
    if item.status != OPEN:
        raise Conflict("Acara tidak sedang dibuka")
    return [("agenda.item_closed", {"item": item.id})]


def _added(record: Record, data: Mapping[str, Any], at: float) -> None:
    record.agenda.items[data["item"]] = Item(data["item"], data["title"], data["minutes"])
    record.agenda.order.append(data["item"])


def _moved(record: Record, data: Mapping[str, Any], at: float) -> None:
    order = record.agenda.order
    order.remove(data["item"])
    order.insert(data["position"] - 1, data["item"])


def _opened(record: Record, data: Mapping[str, Any], at: float) -> None:
    item = record.agenda.items[data["item"]]
    item.status, item.opened_at, item.closed_at = OPEN, at, None
    record.agenda.current = item.id


def _closed(record: Record, data: Mapping[str, Any], at: float) -> None:
    item = record.agenda.items[data["item"]]
    item.status, item.closed_at = DONE, at
    record.agenda.current = None


DECIDE: dict[str, Decider] = {
    "agenda.add": _add,
    "agenda.move": _move,
    "agenda.open": _open,
    "agenda.close": _close,
}
APPLY: dict[str, Applier] = {
    "agenda.item_added": _added,
    "agenda.item_moved": _moved,
    "agenda.item_opened": _opened,
    "agenda.item_closed": _closed,
}


def view(record: Record) -> dict[str, Any]:
    agenda = record.agenda
    return {"items": [agenda.item_view(i) for i in agenda.order], "current": agenda.current}
