"""An ack says what the log says: once an append is durable, nothing after it turns the ack into a refusal."""

from __future__ import annotations

from collections.abc import Sequence

from moderation.assembly import Assembly
from rooms.events import RecordedEvent
from server.keys import SESSIONS
from tests.server.conftest import Hub


async def test_a_failing_listener_after_a_durable_append_still_acks_ok(hub: Hub) -> None:
    def broken(assembly: Assembly, records: Sequence[RecordedEvent]) -> None:
        raise RuntimeError("a listener's bug")

    sessions = hub.app[SESSIONS]
    sessions.listen(broken)
    chair = await hub.connect("chair")
    reply = await chair.cmd("agenda.add", title="Pembukaan", key="k-1")
    events = await sessions.log.read(hub.session)
    added = [e for e in events if e.type == "agenda.item_added"]
    assert len(added) == 1  # the event is in the log...
    assert reply == {"ok": True, "version": added[0].seq}  # ...so the ack says so
    # and the hub's state agrees with the log: a retry of the same key is the same record
    assert await chair.cmd("agenda.add", title="Pembukaan", key="k-1") == reply
    assert len((await chair.sync())["models"]["agenda"]["items"]) == 1
