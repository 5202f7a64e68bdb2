"""Encoded frames between relay workers: each source crosses once to every worker that routes it.

A worker listens on a unix socket (:class:`MeshServer`). A worker that needs a source published in
another one connects there (:class:`Mesh`, one connection per publishing worker) and asks for it by
a track number of its own (``want``); the publishing worker attaches a :class:`~media.pipe.Tap` to
the source, so the frames cross as :mod:`media.pipe` messages, bounded, dropping to the next
keyframe when the other side falls behind. The receiving worker turns each track into a
:meth:`~media.relay.Relay.mirror` feed, and its subscribers' keyframe requests go back as
``keyframe``. A connection that ends (the publishing worker died) takes its mirrors with it; the
receiving side connects again and asks for the same sources, which come back as their publishers
do.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from functools import partial

from media.feed import Feed
from media.pipe import CONTROL, Link, Tap, pack_control, read_message
from media.relay import Relay
from media.routes import Source

log = logging.getLogger(__name__)

LINK_LIMIT = 1 << 20  # bytes queued towards one worker before frames drop: ~8 s of a 1 Mbit/s source
RETRY = 0.2  # seconds between attempts to reach a publishing worker that is (re)starting


class MeshServer:
    """The publishing side: hands the relay's sources to the workers that ask for them."""

    def __init__(self, relay: Relay, path: str) -> None:
        self.relay, self.path = relay, path
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_unix_server(self._serve, self.path)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        link = Link(LINK_LIMIT)
        link.attach(writer)
        taps: dict[int, Tap] = {}
        try:
            while (message := await read_message(reader)) is not None:
                if message.kind == CONTROL:
                    self._control(message.control(), link, taps)
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("mesh: a worker's request is malformed (%s); its connection is closed", exc)
        except ConnectionError:
            pass
        finally:
            for tap in taps.values():
                self.relay.release(tap.source, tap)
            link.detach()
            writer.close()
            self._connections.discard(writer)

    def _control(self, body: Mapping[str, object], link: Link, taps: dict[int, Tap]) -> None:
        track = int(str(body["track"]))
        if body["type"] in ("want", "unwant") and (old := taps.pop(track, None)) is not None:
            self.relay.release(old.source, old)
        if body["type"] == "want":
            source = body["source"]
            if not isinstance(source, dict):
                raise TypeError("want: source is an object")
            tap = taps[track] = Tap(link, track, Source.from_dict(source))
            self.relay.consume(tap.source, tap)  # asks the publisher for a keyframe to start on
        elif body["type"] == "keyframe" and track in taps:
            self.relay.request_keyframe(taps[track].source)

    async def close(self) -> None:
        """Stop listening and end every connection: each one's reader sees the end and releases its taps."""
        if self._server is not None:
            self._server.close()
        for writer in tuple(self._connections):
            writer.close()
        if self._server is not None:
            await self._server.wait_closed()


class Mesh:
    """The receiving side: the sources this relay mirrors, each from its publishing worker's socket."""

    def __init__(self, relay: Relay, retry: float = RETRY) -> None:
        self.relay, self.retry = relay, retry
        self._upstreams: dict[str, _Upstream] = {}

    def want(self, sources: Mapping[Source, str]) -> None:
        """Mirror exactly these sources (source -> its publishing worker's socket path) from now on."""
        by_path: dict[str, set[Source]] = {}
        for source, path in sources.items():
            by_path.setdefault(path, set()).add(source)
        for path in set(self._upstreams) | set(by_path):
            upstream = self._upstreams.get(path)
            if upstream is None:
                upstream = self._upstreams[path] = _Upstream(self.relay, path, self.retry)
            upstream.want(by_path.get(path, set()))
            if not upstream.wanted:
                del self._upstreams[path]
                upstream.close()

    async def close(self) -> None:
        upstreams = list(self._upstreams.values())
        self._upstreams.clear()
        for upstream in upstreams:
            upstream.close()
        await asyncio.gather(*(upstream.task for upstream in upstreams), return_exceptions=True)


class _Upstream:
    """One connection to a publishing worker, kept open while something is wanted from it."""

    def __init__(self, relay: Relay, path: str, retry: float) -> None:
        self.relay, self.path, self.retry = relay, path, retry
        self.wanted: dict[Source, int] = {}  # source -> its track number on this connection
        self._sources: dict[int, Source] = {}
        self._codecs: dict[int, str] = {}
        self._feeds: dict[int, Feed] = {}
        self._next_track = 0
        self._writer: asyncio.StreamWriter | None = None
        self.task = asyncio.create_task(self._run(), name=f"mesh {path}")

    def want(self, sources: set[Source]) -> None:
        for source in set(self.wanted) - sources:
            track = self.wanted.pop(source)
            del self._sources[track]
            self._codecs.pop(track, None)
            self._drop(track)
            self._send({"type": "unwant", "track": track})
        for source in sources - set(self.wanted):
            while self._next_track in self._sources:
                self._next_track = (self._next_track + 1) & 0xFFFF
            self.wanted[source] = track = self._next_track
            self._sources[track] = source
            self._send({"type": "want", "track": track, "source": source.as_dict()})

    def close(self) -> None:
        self.task.cancel()

    def _send(self, body: dict[str, object]) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(pack_control(body))

    async def _run(self) -> None:
        try:
            while True:
                try:
                    reader, writer = await asyncio.open_unix_connection(self.path)
                except OSError:
                    await asyncio.sleep(self.retry)
                    continue
                self._writer = writer
                for source, track in self.wanted.items():
                    self._send({"type": "want", "track": track, "source": source.as_dict()})
                try:
                    await self._read(reader)
                except (ConnectionError, ValueError) as exc:
                    log.warning("mesh: the link to %s broke (%s)", self.path, exc)
                finally:
                    self._writer = None
                    writer.close()
                    for track in list(self._feeds):
                        self._drop(track)
                await asyncio.sleep(self.retry)
        finally:
            for track in list(self._feeds):
                self._drop(track)
            if self._writer is not None:
                self._writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while (message := await read_message(reader)) is not None:
            track = message.track
            if message.kind == CONTROL:
                body = message.control()
                track = int(body["track"])
                if body["type"] == "track" and track in self._sources:
                    self._codecs[track] = str(body["codec"])
                elif body["type"] == "lost":
                    self._drop(track)
                continue
            source, codec = self._sources.get(track), self._codecs.get(track)
            if source is None or codec is None:
                continue  # no longer wanted, or a straggler from before the announcement
            feed = self._feeds.get(track)
            if feed is None or feed.closed:
                feed = self._feeds[track] = self.relay.mirror(source, partial(self._send, {"type": "keyframe", "track": track}))
            feed.audio_level = message.level
            feed.on_frame(codec, message.body, message.timestamp)

    def _drop(self, track: int) -> None:
        feed = self._feeds.pop(track, None)
        if feed is not None:
            self.relay.unmirror(feed.source)
