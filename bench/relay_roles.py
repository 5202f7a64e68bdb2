"""The processes of the relay benchmark: the relay (ours or aiortc's stock MediaRelay) and
participants (publishers and/or subscribers, many per process).

Each is ``python bench/relay_roles.py ROLE JSON-ARGS`` and talks to bench/relay.py by lines: it
prints ``{"ready": ...}``, answers each ``mark`` line on stdin with its counters, ends on ``stop``.
Signalling goes over HTTP to the relay process (POST /rpc, the relay's plain messages).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402
from aiortc import RTCPeerConnection, RTCSessionDescription  # noqa: E402
from aiortc.contrib.media import MediaRelay  # noqa: E402

from bench.lightviewer import LightViewer  # noqa: E402
from harness.peers import Client, ClipTrack, OpusTrack, make_client, make_clip, make_opus, offer  # noqa: E402
from media import passthrough  # noqa: E402
from media.relay import Relay, RelayConfig  # noqa: E402
from media.workers import RelayWorkers  # noqa: E402
from media.routes import Source  # noqa: E402


def emit(message: dict[str, Any]) -> None:
    print(json.dumps(message), flush=True)


async def commands() -> Any:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line or line.strip() == "stop":
            return
        yield line.strip()


# relay --------------------------------------------------------------------------------------


class StockRelay:
    """aiortc's own way: decode each publisher once, re-encode per subscriber (contrib MediaRelay)."""

    def __init__(self) -> None:
        self._media = MediaRelay()
        self._tracks: dict[Source, Any] = {}
        self._routes: dict[str, dict[str, Source | None]] = {}
        self._pcs: list[RTCPeerConnection] = []

    async def handle(self, message: dict[str, Any]) -> dict[str, Any]:
        if message["op"] == "route":
            slots = message["slots"]
            self._routes[message["subscriber"]] = {k: Source.from_dict(v) if v else None for k, v in slots.items()}
            return {"ok": True}
        if message["op"] != "answer":
            return {"ok": True, "stats": {}}
        pc = RTCPeerConnection()
        self._pcs.append(pc)
        participant = message["participant"]
        layers, slots = message.get("layers") or {}, message.get("slots") or {}

        @pc.on("track")
        def on_track(track: Any) -> None:
            mid = next(t.mid for t in pc.getTransceivers() if t.receiver.track is track)
            self._tracks[Source(participant, track.kind, layers.get(mid, ""))] = track

        await pc.setRemoteDescription(RTCSessionDescription(sdp=message["sdp"], type="offer"))
        routes = self._routes.get(participant, {})
        for transceiver in pc.getTransceivers():
            if transceiver._offerDirection == "sendonly":
                source = routes.get(slots.get(transceiver.mid, ""))
                if source in self._tracks:
                    transceiver.direction = "sendonly"
                    transceiver.sender.replaceTrack(self._media.subscribe(self._tracks[source]))
            if transceiver.kind == "video":
                passthrough.narrow_codecs(transceiver, "video/VP8")
        await pc.setLocalDescription(await pc.createAnswer())
        return {"ok": True, "sdp": pc.localDescription.sdp}

    async def close(self) -> None:
        await asyncio.gather(*(pc.close() for pc in self._pcs))


async def run_relay(args: dict[str, Any]) -> None:
    relay: Any = Relay(RelayConfig()) if args["kind"] == "ours" else StockRelay()
    if args["kind"] == "ours" and args.get("workers", 1) > 1:
        relay = RelayWorkers(RelayConfig(), args["workers"])
        await relay.start()

    async def rpc(request: web.Request) -> web.Response:
        return web.json_response(await relay.handle(await request.json()))

    app = web.Application()
    app.router.add_post("/rpc", rpc)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    workers = relay.pids() if isinstance(relay, RelayWorkers) else []
    emit({"ready": True, "url": f"http://127.0.0.1:{port}/rpc", "workers": workers})
    async for _ in commands():
        if isinstance(relay, RelayWorkers):
            await relay.refresh_stats()  # not the last poll's: the marks bound the window
        stats = (await relay.handle({"op": "stats"})).get("stats", {})
        emit({
            "packets_out": sum(s.get("packets_out", 0) for s in stats.values()),
            "packets_lost_in": sum(s.get("packets_lost_in", 0) for s in stats.values()),
            "frames_dropped": sum(s.get("frames_dropped", 0) for s in stats.values()),
        })
    await relay.close()
    await runner.cleanup()


# signalling ---------------------------------------------------------------------------------


async def join(session: aiohttp.ClientSession, url: str, participant: str, client: Client) -> None:
    sdp, layers, slots = await offer(client)
    message = {"op": "answer", "participant": participant, "sdp": sdp, "layers": layers, "slots": slots}
    async with session.post(url, json=message) as response:
        reply = await response.json()
    if not reply.get("ok"):
        raise RuntimeError(reply)
    await client.pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))


# participants -------------------------------------------------------------------------------


class Tally:
    """Frames of one slot and the first frame's time; nothing decoded, nothing stored."""

    def __init__(self) -> None:
        self.frames = 0
        self.first: float | None = None

    def __call__(self, codec: str, data: bytes, timestamp: int) -> None:
        self.frames += 1
        if self.first is None:
            self.first = time.monotonic()


async def run_participants(args: dict[str, Any]) -> None:
    """Peers that publish pre-encoded layers (``layers``), receive slots (``slots``), or both.
    ``light``: receive-only peers are :class:`~bench.lightviewer.LightViewer`: they count RTP, and decrypt nothing."""
    os.nice(args.get("nice", 0))  # the load generator must not starve the relay it measures
    if args.get("light") and not args.get("layers"):
        await run_light_viewers(args)
        return
    clips = {
        layer: make_clip("VP8", spec["width"], spec["height"], spec["fps"], 3.0, spec["bitrate"], spec["noise"])
        for layer, spec in args.get("layers", {}).items()
    }
    opus = make_opus() if clips else ()
    slots: dict[str, str] = args.get("slots", {})
    tallies: dict[str, dict[str, Tally]] = {}
    clients: dict[str, Client] = {}
    joined: dict[str, float] = {}

    def make(pid: str) -> Client:
        tracks: dict[str, Any] = {layer: ClipTrack(clip) for layer, clip in clips.items()}
        if clips:
            tracks["mic"] = OpusTrack(opus, level_dbov=-30)
        names = iter(slots)
        mine = tallies[pid] = {}
        return make_client(publish=tracks, receive=slots, recorder=lambda _: mine.setdefault(next(names), Tally()))

    async with aiohttp.ClientSession() as session:

        async def one(pid: str) -> None:
            clients[pid] = make(pid)
            joined[pid] = time.monotonic()
            await join(session, args["url"], pid, clients[pid])

        for start in range(0, len(args["participants"]), args.get("batch", 10)):
            await asyncio.gather(*(one(pid) for pid in args["participants"][start : start + args.get("batch", 10)]))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(t.first for ts in tallies.values() for t in ts.values()):
            await asyncio.sleep(0.05)
        emit({"ready": True})
        async for _ in commands():
            emit({
                "sent": {pid: {layer: t.sent for layer, t in c.tracks.items()} for pid, c in clients.items()},
                "frames": {pid: {slot: t.frames for slot, t in ts.items()} for pid, ts in tallies.items()},
                "rtp": {
                    pid: [sum(n) for n in zip(*(passthrough.reception(t.receiver) for t in c.pc.getTransceivers()),
                                              strict=True)]
                    for pid, c in clients.items()
                },
                "join": {
                    pid: min(t.first for t in ts.values()) - joined[pid]
                    for pid, ts in tallies.items()
                    if ts and all(t.first for t in ts.values())
                },
            })
    await asyncio.gather(*(client.close() for client in clients.values()))


async def run_light_viewers(args: dict[str, Any]) -> None:
    """Receive-only participants as light viewers: the same counters as full ones, from RTP headers."""
    viewers: dict[str, LightViewer] = {}
    joined: dict[str, float] = {}
    async with aiohttp.ClientSession() as session:

        async def one(pid: str) -> None:
            viewers[pid] = LightViewer(args["slots"])
            joined[pid] = time.monotonic()
            await join(session, args["url"], pid, viewers[pid].client)

        batch = args.get("batch", 10)
        for start in range(0, len(args["participants"]), batch):
            await asyncio.gather(*(one(pid) for pid in args["participants"][start : start + batch]))

        def complete(viewer: LightViewer) -> bool:
            return len(viewer.streams) == len(args["slots"])

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not all(complete(v) for v in viewers.values()):
            await asyncio.sleep(0.05)
        emit({"ready": True})
        async for _ in commands():
            emit({
                "sent": {},
                "frames": {pid: v.frames() for pid, v in viewers.items()},
                "rtp": {pid: [v.packets(), v.lost()] for pid, v in viewers.items()},
                "join": {
                    pid: min(s.first for s in v.streams.values() if s.first is not None) - joined[pid]
                    for pid, v in viewers.items() if complete(v)
                },
            })
    await asyncio.gather(*(viewer.close() for viewer in viewers.values()))


ROLES = {"relay": run_relay, "participants": run_participants}

if __name__ == "__main__":
    asyncio.run(ROLES[sys.argv[1]](json.loads(sys.argv[2])))
