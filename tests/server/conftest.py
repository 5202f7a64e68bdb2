"""A real hub on a loopback port with a small session, over either store."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis
import socketio
from aiohttp import web

from harness.hub import start_hub
from harness.net import REDIS_URL
from harness.sample import VENUE, small_roster
from rooms.actors import Kind
from server.keys import SESSIONS, SIGNER
from server.provision import found_session
from tests.media.conftest import opus_packets as opus_packets  # the media tests' clips, encoded once a run
from tests.media.conftest import vp8_clip as vp8_clip


@dataclass
class Hub:
    url: str
    app: web.Application
    session: str
    tokens: dict[str, str]  # "chair", "moderator", and village codes
    villages: list[str]  # codes, venue first
    interactive: list[str]
    clients: list[socketio.AsyncClient] = field(default_factory=list)

    def token(self, who: str) -> str:
        return self.tokens[who]

    async def browser_token(self, **headers: str) -> str | None:
        """What the public page hands a new browser: its ``mh_browser`` cookie, or None (over the cap)."""
        async with aiohttp.ClientSession() as http, http.get(f"{self.url}/s/{self.session}", headers=headers) as r:
            assert r.status == 200
            cookie = r.cookies.get("mh_browser")
            return cookie.value if cookie is not None else None

    async def connect(self, who: str | None = None, *, cookie: str | None = None, token: str | None = None,
                      **kw: Any) -> Client:
        """A credential's connection (``token``: one of another session on this hub), or the public's
        (with a browser token's cookie, or without: watch only)."""
        auth: dict[str, str]
        if token is not None:
            auth = {"token": token}
        elif who is None:
            auth = {"session": self.session}
            if cookie is not None:
                kw["headers"] = {**kw.get("headers", {}), "Cookie": f"mh_browser={cookie}"}
        else:
            auth = {"token": self.tokens[who]}
        client = Client(self)
        await client.sio.connect(self.url, auth=auth, transports=["websocket"], wait_timeout=5, **kw)
        self.clients.append(client.sio)
        return client


class Client:
    """A Socket.IO client that records pushed updates and keeps a merged view, as the pages do."""

    def __init__(self, hub: Hub) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.updates: list[dict[str, Any]] = []
        self.models: dict[str, Any] = {}
        self.versions: dict[str, int] = {}
        self.gaps = 0  # row pushes that did not follow the version held (a page resyncs then)
        self.changed = asyncio.Event()
        self.sio.on("update", self._update)

    def _merge(self, version: int, models: dict[str, Any]) -> None:
        for name, value in models.items():
            if self.versions.get(name, -1) <= version:
                self.models[name], self.versions[name] = value, version

    async def _update(self, data: dict[str, Any]) -> None:
        self.updates.append(data)
        version = data["version"]
        self._merge(version, data["models"])
        for name, part in data.get("rows", {}).items():  # {"since": v, "proposals": [rows]}
            have = self.versions.get(name)
            if have is None or have > version:
                continue
            if have < part["since"]:
                self.gaps += 1
                continue
            [(key, rows)] = [(k, v) for k, v in part.items() if k != "since"]
            merged = {r["proposal"]: r for r in self.models[name][key]} | {r["proposal"]: r for r in rows}
            self.models[name] = {**self.models[name], key: list(merged.values())}
            self.versions[name] = version
        self.changed.set()

    async def sync(self) -> dict[str, Any]:
        reply = await self.sio.call("sync", {}, timeout=5)
        assert reply["ok"], reply
        self._merge(reply["version"], reply["models"])
        return reply

    async def cmd(self, name: str, payload: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
        body = dict(payload or {}, **kw)
        return await self.sio.call(name, body, timeout=5)

    async def ok(self, name: str, payload: dict[str, Any] | None = None, **kw: Any) -> int:
        reply = await self.cmd(name, payload, **kw)
        assert reply.get("ok"), (name, reply)
        return int(reply["version"])

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self.models):
            self.changed.clear()
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out; models: {list(self.models)}"
            try:
                await asyncio.wait_for(self.changed.wait(), remaining)
            except TimeoutError:
                pass




@pytest.fixture(params=["sqlite", "redis"])
async def hub(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Hub]:
    prefix = f"mhtest-{secrets.token_hex(4)}"
    marker = request.node.get_closest_marker("hub")  # @pytest.mark.hub(rate=..., ...) overrides the config
    runner, url, app = await start_hub(tmp_path, request.param, prefix, **(marker.kwargs if marker else {}))
    sid, links = await found_session(app[SESSIONS], app[SIGNER], url, "Uji Musrenbang", small_roster(), VENUE)
    tokens: dict[str, str] = {}
    for link in links:
        if link.role in ("chair", "moderator"):
            tokens.setdefault(link.role, link.url.split("#t=")[1])
    signer = app[SIGNER]
    assembly = await app[SESSIONS].get(sid)
    roster = assembly.read_models(["roster"], "staff")["roster"]
    codes = [v["village"] for v in roster]
    for code in codes:
        tokens[code] = signer.issue(sid, Kind.VILLAGE, code, code)
    interactive = [v["village"] for v in roster if v["mode"] == "interactive"]
    hub = Hub(url, app, sid, tokens, sorted(codes, key=lambda c: c != VENUE), interactive)
    yield hub
    for c in hub.clients:
        await c.disconnect()
    await runner.cleanup()
    if request.param == "redis":
        r = aioredis.Redis.from_url(REDIS_URL)
        keys = [k async for k in r.scan_iter(f"{prefix}:*")]
        if keys:
            await r.delete(*keys)
        await r.aclose()

