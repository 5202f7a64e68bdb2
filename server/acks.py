"""What a refusal looks like on the wire: one body for a Socket.IO ack and for an HTTP error."""

from __future__ import annotations

from typing import Any, Protocol


class Refusal(Protocol):
    """The shape every refusal shares, the domain's (``rooms.errors``) and the relay's (``media.errors``):
    a stable code for programs and a message for people. The two packages may not import each other."""

    @property
    def code(self) -> str: ...

    @property
    def message(self) -> str: ...


def refused(err: Refusal) -> dict[str, Any]:
    return {"ok": False, "error": err.code, "message": err.message}
