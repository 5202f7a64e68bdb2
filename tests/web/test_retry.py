"""A page that retries an action reuses its idempotency key: a lost ack cannot become a duplicate."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from playwright.async_api import expect

from harness.browser import join
from rooms.events import Event, RecordedEvent
from server.keys import SESSIONS
from tests.web.conftest import Pages, Site
from tests.web.test_pages import PROPOSAL, SELECTS

pytestmark = pytest.mark.browser


class LosesOneReply:
    """The real log, except that one append reaches the disk and then reports a failure
    (a store whose reply was lost): the case where a retry with a new key duplicates."""

    def __init__(self, log: Any) -> None:
        self.log, self.armed = log, False

    async def append(self, session_id: str, events: Sequence[Event], expected_version: int,
                     **ballot_boxes: Any) -> list[RecordedEvent]:
        records: list[RecordedEvent] = await self.log.append(session_id, events, expected_version, **ballot_boxes)
        if self.armed and any(e.type == "proposal.submitted" for e in events):
            self.armed = False
            raise OSError("reply lost")
        return records

    def __getattr__(self, name: str) -> Any:
        return getattr(self.log, name)


async def test_a_retried_proposal_is_recorded_once(site: Site, pages: Pages) -> None:
    sessions = site.app[SESSIONS]  # type: ignore[index]
    store = sessions.log = LosesOneReply(sessions.log)
    hall = await pages.open(site.villages(interactive=False)[0].url)
    await join(hall)
    for name, value in PROPOSAL.items():
        field = hall.locator(f'#proposal-form [name="{name}"]')
        await (field.select_option(value) if name in SELECTS else field.fill(value))
    store.armed = True
    send = hall.get_by_role("button", name="Kirim usulan")
    await send.click()
    await expect(hall.locator("#proposal-form")).to_contain_text("coba lagi")  # the hub said: not recorded
    await send.click()  # the hall tries again, as the message says
    await expect(hall.locator("#notice")).to_contain_text("Usulan terkirim")
    submitted = [e for e in await store.log.read(site.session) if e.type == "proposal.submitted"]
    assert len(submitted) == 1, [e.key for e in submitted]
    await expect(hall.locator("#my-proposals .proposal")).to_have_count(1)
