"""Random payloads at every Socket.IO handler, from every role: a clear error, no change, no crash."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.hub import start_hub
from harness.sample import VENUE, small_roster
from rooms.commands import COMMAND_NAMES
from server.keys import SESSIONS, SIGNER
from server.protocol import MALFORMED
from tests.server.conftest import Client, Hub, found_session

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=20), inner, max_size=6),
    max_leaves=20,
)
# session.close is left out: closing would end the exploration
HANDLERS = {"sync", "media.ice", "media.offer", "media.leave"}  # events that never change the log
# an event named MALFORMED is counted as a frame that does not parse, never acked (server/protocol.py);
# hypothesis draws it from the source's string constants
names = st.sampled_from(sorted(COMMAND_NAMES - {"session.close"} | HANDLERS)) | st.text(max_size=40).filter(
    lambda name: name != MALFORMED)
payloads = st.dictionaries(st.sampled_from(["village", "proposal", "ballot", "choice", "title", "key", "seconds",
                                            "position", "reason", "into", "options", "method", "item", "total"])
                           | st.text(max_size=12), json_values, max_size=6) | json_values


class LiveHub:
    """A hub and one client per role on a loop of their own, so sync hypothesis tests can drive them."""

    def __init__(self, tmp: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.runner, self.hub, self.clients = self.run(self._start(tmp))

    def run(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(30)

    async def _start(self, tmp: Path) -> tuple[Any, Hub, dict[str, Client]]:
        runner, url, app = await start_hub(tmp, "sqlite", "unused", rate=1e6, burst=10**6)
        sid, links = await found_session(app[SESSIONS], app[SIGNER], url, "Fuzz",
                                         small_roster(), VENUE)
        tokens = {link.role if link.role != "village" else link.village.code: link.url.split("#t=")[1]
                  for link in links if link.role != "public"}
        roster = (await app[SESSIONS].get(sid)).read_models(["roster"], "staff")["roster"]
        viewonly = next(v["village"] for v in roster if v["mode"] != "interactive")
        hub = Hub(url, app, sid, tokens, [VENUE, viewonly], [VENUE])
        clients = {"chair": await hub.connect("chair"), "moderator": await hub.connect("moderator"),
                   "interactive": await hub.connect(VENUE), "viewonly": await hub.connect(viewonly),
                   "public": await hub.connect(None, cookie=await hub.browser_token())}
        await clients["chair"].ok("session.start")
        return runner, hub, clients

    def version(self) -> int:
        return self.run(self._version())

    async def _version(self) -> int:
        return (await self.hub.app[SESSIONS].get(self.hub.session, fresh=False)).version

    def close(self) -> None:
        async def stop() -> None:
            for c in self.clients.values():
                await c.sio.disconnect()
            await self.runner.cleanup()
        self.run(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveHub]:
    hub = LiveHub(tmp_path_factory.mktemp("fuzz"))
    yield hub
    hub.close()


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(role=st.sampled_from(["chair", "moderator", "interactive", "viewonly", "public"]), name=names,
       payload=payloads)
def test_random_payloads_never_crash_or_change_state_on_error(live: LiveHub, role: str, name: str,
                                                              payload: Any) -> None:
    before = live.version()
    reply = live.run(live.clients[role].sio.call(name, payload, timeout=5))
    assert isinstance(reply, dict) and isinstance(reply.get("ok"), bool)
    if reply["ok"] and name in COMMAND_NAMES:
        assert reply["version"] > before
    elif reply["ok"]:
        assert live.version() == before
    else:
        assert isinstance(reply["error"], str) and reply["error"] != "internal", reply
        assert isinstance(reply["message"], str) and reply["message"]
        assert live.version() == before
