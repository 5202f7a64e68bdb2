"""One relay worker process: ``python -m media.worker '{"socket": PATH, "config": {...}}'``.

:class:`~media.workers.RelayWorkers` starts one per core. Control comes on stdin and goes out on
stdout, one JSON object per line: a request ``{"id": N, "op": ...}`` (the ops of
:meth:`~media.relay.Relay.handle`, and ``mirror``: the sources this worker takes from others) is
answered ``{"id": N, "ok": ...}``; ``{"event": "ready" | "speaking" | "presence", ...}`` comes
unasked. Frames for other workers leave through its unix socket (:mod:`media.mesh`). The end of
stdin is the orderly stop: every peer is closed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import sys
from collections.abc import Callable, Mapping
from typing import Any

from media.ice import IceConfig
from media.mesh import Mesh, MeshServer
from media.relay import Relay, RelayConfig
from media.routes import Source
from media.tasks import Tasks

LINE_LIMIT = 16 << 20  # bytes in one control line: an answer's SDP, the stats of every peer


def config_to_dict(config: RelayConfig) -> dict[str, Any]:
    return dataclasses.asdict(config)


def config_from_dict(data: Mapping[str, Any]) -> RelayConfig:
    ice: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data["ice"].items()}
    return RelayConfig(**{**data, "ice": IceConfig(**ice)})


def mirrors_from_message(message: Mapping[str, Any]) -> dict[Source, str]:
    return {Source.from_dict(item["source"]): str(item["owner"]) for item in message["sources"]}


def mirrors_message(sources: Mapping[Source, str]) -> dict[str, Any]:
    return {"op": "mirror", "sources": [{"source": s.as_dict(), "owner": path} for s, path in sources.items()]}


class Worker:
    """A relay, its mesh ends and the control line; I/O is handed in (``emit`` writes one line)."""

    def __init__(self, config: RelayConfig, socket_path: str, emit: Callable[[dict[str, Any]], None]) -> None:
        self.relay = Relay(config)
        self.relay.observe(
            lambda participant, speaking: emit({"event": "speaking", "participant": participant, "speaking": speaking}),
            lambda participant, live: emit({"event": "presence", "participant": participant, "live": live}),
        )
        self.server = MeshServer(self.relay, socket_path)
        self.mesh = Mesh(self.relay)
        self._emit = emit
        self._tasks = Tasks("relay worker")

    async def start(self) -> None:
        await self.server.start()
        self._emit({"event": "ready"})

    def take(self, line: bytes) -> None:
        """One request line; answered in order of completion (an answer's ICE gathering takes a while)."""
        message = json.loads(line)
        self._tasks.spawn(self._answer(message))

    async def _answer(self, message: dict[str, Any]) -> None:
        ident = message.pop("id", None)
        if message.get("op") == "mirror":
            self.mesh.want(mirrors_from_message(message))
            reply: dict[str, Any] = {"ok": True}
        else:
            reply = await self.relay.handle(message)
        self._emit({"id": ident, **reply})

    async def close(self) -> None:
        await self.mesh.close()
        await self.server.close()
        await self.relay.close()
        await self._tasks.close()


async def _main(argument: str) -> None:
    settings = json.loads(argument)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    out = sys.stdout.buffer

    def emit(message: dict[str, Any]) -> None:
        out.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
        out.flush()

    worker = Worker(config_from_dict(settings["config"]), str(settings["socket"]), emit)
    await worker.start()
    try:
        while line := await reader.readline():
            worker.take(line)
    finally:
        await worker.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="relay worker: %(levelname)s %(message)s")
    asyncio.run(_main(sys.argv[1]))
