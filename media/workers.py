"""The relay on every core: worker processes behind the surface of one :class:`~media.relay.Relay`.

Each participant is owned by one worker (a hash of its id), which holds its peer. Routes, mute and
stats go to the workers as :meth:`Relay.handle` messages; what a worker's subscribers route from
another worker's publishers, it mirrors through :mod:`media.mesh` (computed here, once a tick,
from the routes). The hub keeps a relay of its own with no peers: it mirrors what the local
consumers (recorders, the program feed) take.

A worker that dies (SIGKILL, a crash) is started again at once: its participants' peers died with
it, so they are reported gone, the new worker gets the routes and mirrors back, and ``on_lost``
names the participants whose pages must offer again. Everyone else keeps their media, apart from
what the lost participants published.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import signal
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from media.errors import MediaError
from media.feed import Consumer
from media.mesh import Mesh
from media.presence import PresenceCallback
from media.relay import Relay, RelayConfig, SpeakingCallback, handle
from media.routes import Source
from media.tasks import Tasks
from media.worker import LINE_LIMIT, config_to_dict, mirrors_message

log = logging.getLogger(__name__)

LostCallback = Callable[[set[str]], None]
START_TIMEOUT = 30.0  # seconds for a worker to import aiortc and listen
STOP_TIMEOUT = 5.0
STATS_INTERVAL = 1.0


class Unavailable(MediaError):
    code = "relay_unavailable"


class _Worker:
    """One worker process and its control line, started again whenever it ends."""

    def __init__(self, index: int, argv: list[str], owner: RelayWorkers) -> None:
        self.index, self.argv, self.owner = index, argv, owner
        self.process: asyncio.subprocess.Process | None = None
        self.ready = asyncio.Event()
        self.starts = 0
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._next_id = 0
        self._stopping = False
        self.task = asyncio.create_task(self._keep_running(), name=f"relay worker {index}")

    async def _keep_running(self) -> None:
        delay = 0.0
        while not self._stopping:
            process = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=LINE_LIMIT)
            self.process = process
            self.starts += 1
            assert process.stdout is not None
            began = asyncio.get_running_loop().time()
            async for line in process.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    log.warning("relay worker %d wrote a line that is not JSON: %.200r", self.index, line)
                    continue
                self._line(message)
            code = await process.wait()
            self.process = None
            self.ready.clear()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(Unavailable("Relay sedang dimulai ulang; sambungkan lagi"))
            self._pending.clear()
            if self._stopping:
                break
            log.warning("relay worker %d ended (exit %s); starting it again", self.index, code)
            self.owner._worker_lost(self)
            # a worker that dies at once again (a bad install) must not spin: back off up to 4 s
            delay = 0.0 if asyncio.get_running_loop().time() - began > 30 else min(max(delay * 2, 0.25), 4.0)
            await asyncio.sleep(delay)

    def _line(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if event == "ready":
            self.ready.set()
            self.owner._worker_ready(self)
        elif event is not None:
            self.owner._worker_event(message)
        elif (future := self._pending.pop(message.get("id", -1), None)) is not None and not future.done():
            future.set_result(message)

    def send(self, message: Mapping[str, Any]) -> None:
        """Fire and forget (the pipe keeps the order); dropped while the worker is down."""
        process = self.process
        if process is not None and process.stdin is not None and self.ready.is_set():
            process.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")

    async def request(self, message: Mapping[str, Any]) -> dict[str, Any]:
        if not self.ready.is_set():
            raise Unavailable("Relay sedang dimulai ulang; sambungkan lagi")
        self._next_id += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[self._next_id] = future
        self.send({**message, "id": self._next_id})
        reply = await future
        if not reply.get("ok"):
            raise MediaError(str(reply.get("message", "")), str(reply.get("error", "media_error")))
        return reply

    async def close(self) -> None:
        self._stopping = True
        process = self.process
        if process is not None and process.returncode is None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGKILL)
                await process.wait()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class RelayWorkers:
    """``count`` relay worker processes answering as one relay. Start with :meth:`start`."""

    def __init__(self, config: RelayConfig, count: int) -> None:
        if count < 2:
            raise ValueError("RelayWorkers is for two or more workers; one relay runs in the hub")
        self.config, self.count = config, count
        self.on_lost: LostCallback = lambda participants: None
        self._on_speaking: SpeakingCallback | None = None
        self._on_presence: PresenceCallback | None = None
        self._folder = Path(tempfile.mkdtemp(prefix="mh-relay-"))
        self._local = Relay(config)  # no peers: the mirrors local consumers take
        self._mesh = Mesh(self._local)
        self._workers: list[_Worker] = []
        self._peers: set[str] = set()  # participants with a peer in some worker
        self._live: set[str] = set()
        self._speaking: set[str] = set()
        self._lost: set[str] = set()  # participants whose worker died, told once it is back
        self._routes: dict[str, dict[str, Source | None]] = {}
        self._consumed: dict[Source, int] = {}  # source -> how many local consumers take it
        self._muted: frozenset[str] = frozenset()
        self._mirrors: dict[int, dict[Source, str]] = {}  # worker -> what it was last told to mirror
        self._mirrors_due = False
        self._stats: dict[str, dict[str, Any]] = {}
        self._tasks = Tasks("relay workers")

    def socket(self, index: int) -> str:
        return str(self._folder / f"{index}.sock")

    async def start(self) -> None:
        for index in range(self.count):
            settings = {"socket": self.socket(index), "config": config_to_dict(self.config)}
            argv = [sys.executable, "-m", "media.worker", json.dumps(settings)]
            self._workers.append(_Worker(index, argv, self))
        await asyncio.wait_for(asyncio.gather(*(w.ready.wait() for w in self._workers)), START_TIMEOUT)
        self._tasks.spawn(self._poll_stats())

    def pids(self) -> list[int]:
        """The process ids of the workers that answer now (benchmarks read their CPU)."""
        return [w.process.pid for w in self._workers if w.process is not None and w.ready.is_set()]

    def observe(self, on_speaking: SpeakingCallback, on_presence: PresenceCallback) -> None:
        self._on_speaking, self._on_presence = on_speaking, on_presence

    def owner(self, participant: str) -> _Worker:
        return self._workers[zlib.crc32(participant.encode()) % self.count]

    # the surface of Relay

    async def answer(
        self, participant: str, offer_sdp: str, *, layers: Mapping[str, str] | None = None,
        slots: Mapping[str, str] | None = None, publish: bool = True,
    ) -> str:
        reply = await self.owner(participant).request({
            "op": "answer", "participant": participant, "sdp": offer_sdp,
            "layers": dict(layers or {}), "slots": dict(slots or {}), "publish": publish,
        })
        self._peers.add(participant)
        return str(reply["sdp"])

    def live(self, participant: str) -> bool:
        return participant in self._live

    def unpublish(self, participant: str) -> None:
        self.owner(participant).send({"op": "unpublish", "participant": participant})

    async def close_peer(self, participant: str) -> None:
        self._routes.pop(participant, None)
        self._peers.discard(participant)
        self._mirrors_changed()
        with contextlib.suppress(Unavailable):  # a worker down has no peer left to close
            await self.owner(participant).request({"op": "close_peer", "participant": participant})

    def route(self, subscriber: str, slots: Mapping[str, Source | None]) -> None:
        self._routes[subscriber] = dict(slots)
        self.owner(subscriber).send(_route_message(subscriber, self._routes[subscriber]))
        self._mirrors_changed()

    def set_muted(self, participants: Iterable[str]) -> None:
        self._muted = frozenset(participants)
        self._local.set_muted(self._muted)
        for worker in self._workers:
            worker.send({"op": "set_muted", "participants": sorted(self._muted)})

    def consume(self, source: Source, consumer: Consumer) -> None:
        self._local.consume(source, consumer)
        self._consumed[source] = self._consumed.get(source, 0) + 1
        self._mirrors_changed()

    def release(self, source: Source, consumer: Consumer) -> None:
        self._local.release(source, consumer)
        if source in self._consumed:
            self._consumed[source] -= 1
            if not self._consumed[source]:
                del self._consumed[source]
            self._mirrors_changed()

    def stats(self) -> dict[str, dict[str, Any]]:
        """Every worker's report as of the last poll (at most ``STATS_INTERVAL`` old)."""
        return dict(self._stats)

    async def refresh_stats(self) -> dict[str, dict[str, Any]]:
        """Every worker's report, asked for now (a benchmark's marks)."""
        replies = await asyncio.gather(
            *(w.request({"op": "stats"}) for w in self._workers if w.ready.is_set()), return_exceptions=True)
        self._stats = {p: s for reply in replies if isinstance(reply, dict) for p, s in reply["stats"].items()}
        return self.stats()

    async def handle(self, message: Mapping[str, Any]) -> dict[str, Any]:
        """The relay's plain-message control (:func:`media.relay.handle`), for benchmarks' RPC."""
        return await handle(self, message)

    async def close(self) -> None:
        await self._tasks.close()
        await asyncio.gather(*(worker.close() for worker in self._workers))
        await self._mesh.close()
        await self._local.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    # mirrors

    def _mirrors_changed(self) -> None:
        """Routes come one subscriber at a time for a whole session: work out the mirrors once per tick."""
        if not self._mirrors_due:
            self._mirrors_due = True
            asyncio.get_running_loop().call_soon(self._send_mirrors)

    def _wanted(self) -> dict[int, dict[Source, str]]:
        wanted: dict[int, dict[Source, str]] = {worker.index: {} for worker in self._workers}
        for subscriber, slots in self._routes.items():
            index = self.owner(subscriber).index
            for source in slots.values():
                if source is not None and (publisher := self.owner(source.publisher).index) != index:
                    wanted[index][source] = self.socket(publisher)
        return wanted

    def _send_mirrors(self, force: Iterable[int] = ()) -> None:
        self._mirrors_due = False
        forced = set(force)
        for index, sources in self._wanted().items():
            if index in forced or sources != self._mirrors.get(index):
                self._mirrors[index] = sources
                self._workers[index].send(mirrors_message(sources))
        self._mesh.want({source: self.socket(self.owner(source.publisher).index) for source in self._consumed})

    # what the workers report

    def _worker_event(self, message: Mapping[str, Any]) -> None:
        participant = str(message.get("participant"))
        if message["event"] == "presence":
            live = bool(message["live"])
            (self._live.add if live else self._live.discard)(participant)
            if self._on_presence is not None:
                self._on_presence(participant, live)
        elif message["event"] == "speaking":
            speaking = bool(message["speaking"])
            (self._speaking.add if speaking else self._speaking.discard)(participant)
            if self._on_speaking is not None:
                self._on_speaking(participant, speaking)

    def _worker_lost(self, worker: _Worker) -> None:
        """Its peers died with it: their media stopped, their talking too."""
        owned = {p for p in self._peers | self._live | self._speaking if self.owner(p) is worker}
        for participant in owned & self._speaking:
            self._worker_event({"event": "speaking", "participant": participant, "speaking": False})
        for participant in owned & self._live:
            self._worker_event({"event": "presence", "participant": participant, "live": False})
        self._stats = {p: s for p, s in self._stats.items() if self.owner(p) is not worker}
        self._lost |= owned & self._peers
        self._peers -= owned

    def _worker_ready(self, worker: _Worker) -> None:
        """A worker (re)started: it gets mute, routes and mirrors; lost pages may now offer again."""
        if worker.starts == 1:
            return
        worker.send({"op": "set_muted", "participants": sorted(self._muted)})
        for subscriber, slots in self._routes.items():
            if self.owner(subscriber) is worker:
                worker.send(_route_message(subscriber, slots))
        self._send_mirrors(force=[worker.index])
        lost = {p for p in self._lost if self.owner(p) is worker}
        self._lost -= lost
        if lost:
            self.on_lost(lost)

    async def _poll_stats(self) -> None:
        while True:
            await asyncio.sleep(STATS_INTERVAL)
            await self.refresh_stats()


def _route_message(subscriber: str, slots: Mapping[str, Source | None]) -> dict[str, Any]:
    return {"op": "route", "subscriber": subscriber,
            "slots": {name: source.as_dict() if source else None for name, source in slots.items()}}
