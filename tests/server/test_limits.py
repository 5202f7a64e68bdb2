"""Limits against hostile or careless clients, through real Socket.IO clients: per-credential
budgets charged by every event, connection caps, bounded state for unknown sessions, and
malformed frames."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from harness.hubproc import HubProcess, create_session
from harness.sample import VENUE, small_roster
from rooms.errors import NotFound
from rooms.session import create_session as session_events
from server.keys import CHANNEL, SIO
from server.sockets import _UNMETERED, COSTS, MALFORMED_LIMIT
from server.stores.sqlite import SqliteLog
from service.sessions import Sessions
from tests.server.conftest import Hub
from tests.server.test_assembly_kit import ADMIN, ROSTER


async def _refusal(url: str, auth: Any) -> dict[str, Any]:
    """Connect with ``auth`` expecting a refusal; returns what the client was told."""
    c = socketio.AsyncClient(reconnection=False)
    refusals: list[Any] = []
    c.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await c.connect(url, auth=auth, transports=["websocket"], wait_timeout=5)
    assert refusals, "no connect_error"
    refusal: dict[str, Any] = refusals[0]
    return refusal


async def _until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_an_unknown_session_is_refused_without_echoing_its_id(hub: Hub) -> None:
    for session in ("x" * 5000, "tidak-ada-abcd", "Bad Id!"):
        refusal = await _refusal(hub.url, {"session": session})
        assert refusal["data"]["error"] == "not_found"
        assert session not in json.dumps(refusal)
    async with aiohttp.ClientSession() as http:
        for session in ("y" * 7000, "tidak-ada-abcd"):
            async with http.get(f"{hub.url}/api/sessions/{session}") as r:
                assert r.status == 404
                assert session not in await r.text()


async def test_refused_connects_with_huge_ids_do_not_grow_the_hub(tmp_path: Path) -> None:
    hub = await HubProcess(tmp_path / "data").start()
    try:
        await create_session(hub.url, small_roster(), VENUE)
        auth = {"session": "s" * 100_000}
        for _ in range(10):  # warm up: first-use allocations are not growth
            await _refusal(hub.url, auth)
        before = _rss(hub.pid)
        for i in range(300):
            await _refusal(hub.url, dict(auth, session=f"{i:06d}" + "s" * 100_000))
        grown = _rss(hub.pid) - before
        assert grown < 8 * 1024 * 1024, f"RSS grew by {grown / 2**20:.1f} MB"
    finally:
        hub.stop()


async def test_asking_about_sessions_leaves_no_lock_behind(tmp_path: Path) -> None:
    log = SqliteLog(tmp_path / "hub.sqlite3")
    sessions = Sessions(log)
    try:
        for sid in ("tidak-ada-0001", "x" * 7000):
            with pytest.raises(NotFound):
                await sessions.get(sid)
        await sessions.create("ada-0001", session_events("Uji", ROSTER[:3], ROSTER[0].code, [], ADMIN, 1.0))
        await asyncio.gather(*[sessions.get("ada-0001") for _ in range(5)])
        assert sessions._locks == {}  # the lock map holds only sessions in use
        assert sessions.cached("tidak-ada-0001") is None
    finally:
        await log.close()


def _rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_every_event_handler_is_metered(hub: Hub) -> None:
    handlers = hub.app[SIO].handlers["/"]
    assert {"sync", "*", "media.offer", "media.ice"} <= set(handlers)
    for event, handler in handlers.items():
        assert event in _UNMETERED or hasattr(handler, "__wrapped__"), event


async def test_syncs_are_charged_and_refused_after_the_budget(hub: Hub) -> None:
    c = await hub.connect(hub.villages[1])
    started = time.monotonic()
    replies = await asyncio.gather(*[c.sio.call("sync", {}, timeout=30) for _ in range(2000)])
    elapsed = time.monotonic() - started
    served = sum(1 for r in replies if r["ok"])
    assert {r["error"] for r in replies if not r["ok"]} == {"rate_limited"}
    # the default budget: 40 at once, then 20 a second; a snapshot costs COSTS["sync"]
    assert served <= (40 + 20 * elapsed) / COSTS["sync"] + 1


@pytest.mark.hub(rate=0.001, burst=10)
async def test_connections_of_one_credential_share_a_bucket(hub: Hub) -> None:
    first = await hub.connect(hub.villages[1])
    second = await hub.connect(hub.villages[1])
    other = await hub.connect(hub.villages[2])
    replies = [await first.cmd("hand.lower") for _ in range(10)]
    assert all(r.get("error") != "rate_limited" for r in replies)
    assert (await second.cmd("hand.lower"))["error"] == "rate_limited"
    assert (await second.sio.call("media.ice", {}, timeout=5))["error"] == "rate_limited"  # media.* too
    assert (await other.cmd("hand.lower")).get("error") != "rate_limited"


@pytest.mark.hub(rate=0.001, burst=10)
async def test_reconnecting_does_not_refill_the_budget(hub: Hub) -> None:
    first = await hub.connect(hub.villages[1])
    for _ in range(10):
        await first.cmd("hand.lower")
    await first.sio.disconnect()
    await _until(lambda: not hub.app[CHANNEL].conns)
    again = await hub.connect(hub.villages[1])
    assert (await again.cmd("hand.lower"))["error"] == "rate_limited"


async def test_a_fourth_connection_of_a_credential_is_refused(hub: Hub) -> None:
    three = [await hub.connect(hub.villages[1]) for _ in range(3)]
    refusal = await _refusal(hub.url, {"token": hub.token(hub.villages[1])})
    assert refusal["data"]["error"] == "too_many_connections" and refusal["message"]
    assert (await (await hub.connect(hub.villages[2])).sync())["ok"]  # other credentials are not held back
    await three[0].sio.disconnect()
    await _until(lambda: len(hub.app[CHANNEL].conns) == 3)
    assert (await (await hub.connect(hub.villages[1])).sync())["ok"]


@pytest.mark.hub(public_per_ip=2)
async def test_public_connections_per_ip_are_capped(hub: Hub) -> None:
    await hub.connect(None)
    await hub.connect(None)
    refusal = await _refusal(hub.url, {"session": hub.session})
    assert refusal["data"]["error"] == "too_many_connections" and refusal["message"]
    assert (await (await hub.connect("chair")).sync())["ok"]  # credentials count apart


@pytest.mark.hub(public_per_ip=1, trusted_proxies=("127.0.0.1",))
async def test_behind_a_trusted_proxy_the_forwarded_address_counts(hub: Hub) -> None:
    await hub.connect(None, headers={"X-Forwarded-For": "203.0.113.7, 10.0.0.1"})  # the proxy added the last
    await hub.connect(None, headers={"X-Forwarded-For": "10.0.0.2"})
    await hub.connect(None)  # the proxy's own address
    with pytest.raises(socketio.exceptions.ConnectionError):
        await hub.connect(None, headers={"X-Forwarded-For": "10.0.0.1"})


@pytest.mark.parametrize("end", ["\r", "\u2028"])  # CR-only line ends count too, and every break aiortc splits on
async def test_an_offer_with_too_many_media_lines_is_refused(hub: Hub, end: str) -> None:
    c = await hub.connect(hub.interactive[0])
    lines = "".join(f"m=audio 9 UDP/TLS/RTP/SAVPF 111{end}a=mid:{i}{end}a=sendrecv{end}" for i in range(41))
    sdp = end.join(["v=0", "o=- 1 1 IN IP4 0.0.0.0", "s=-", "t=0 0", lines])
    reply = await c.sio.call("media.offer", {"sdp": sdp}, timeout=5)
    assert reply["ok"] is False and reply["error"] == "offer_too_large" and reply["message"]


async def test_malformed_frames_log_once_and_close_the_socket(hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    ws_url = hub.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
        await ws.receive()  # engine.io open
        await ws.send_str("40" + json.dumps({"token": hub.token("chair")}))
        assert (await ws.receive()).data.startswith("40{")
        await ws.send_str("42[")
        await ws.send_str('421["sync",{}]')
        assert (await ws.receive(5)).data.startswith("431[")  # one bad frame: the socket still serves
        for _ in range(MALFORMED_LIMIT):
            await ws.send_str("42[")
        frames: list[object] = []
        while "1" not in frames and not ws.closed:  # engine.io's close ("1") or the socket's
            msg = await ws.receive(5)
            frames.append(msg.data)
        assert "41" in frames  # the hub disconnected it and closed the transport
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert len(noisy) == 1 and noisy[0].exc_info is None, [r.getMessage() for r in noisy]


async def test_engine_io_garbage_is_one_line_not_a_traceback_per_frame(
        hub: Hub, caplog: pytest.LogCaptureFixture) -> None:
    ws_url = hub.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
        await ws.receive()  # engine.io open
        for _ in range(5):
            await ws.send_str("9")  # no such engine.io packet type
        await ws.send_str("40" + json.dumps({"token": hub.token("chair")}))
        assert (await ws.receive(5)).data.startswith("40{")  # the frames before were all handled
    noisy = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert len(noisy) <= 1 and all(r.exc_info is None for r in noisy), [r.getMessage() for r in noisy]
