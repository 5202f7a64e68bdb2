"""A viewer for load generators that costs almost nothing: it counts RTP, it never unprotects it.

The peer negotiates like any aiortc subscriber (recvonly m-lines, one per slot, non-trickle
offer) and aiortc does ICE and DTLS. Once DTLS is up, the ICE socket leaves the event loop's
selector and a per-process poller reads it; each RTP datagram is counted before aioice would
parse it as STUN or queue it for the DTLS transport: the 12 clear bytes of the SRTP header give
SSRC, sequence number (loss), marker (end of a video frame) and timestamp. Nothing is decrypted,
buffered or decoded. STUN (consent checks, answered by aioice) and DTLS take aioice's and
aiortc's path as before; the relay's SRTCP (sender reports) is counted and dropped.

What keeps the relay treating it as a live peer: ICE consent (aioice), and once a second a
receiver report per stream, sent through the DTLS transport so it is SRTCP-protected with the
session's send context. A video stream with a gap gets a PLI, at most one per second.
"""

from __future__ import annotations

import asyncio
import select
import socket
import struct
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket, RtcpReceiverInfo, RtcpRrPacket, RtpPacket

from harness.peers import Client

_HEADER = struct.Struct("!BBHII")
Handler = Callable[[bytes, tuple[Any, ...]], None]
POLL_INTERVAL = 0.04  # seconds between reads of every viewer's socket (~7 packets each at 1 Mbit/s + Opus)
RECEIVE_BUFFER = 1 << 20  # bytes: a keyframe burst of every stream fits between two reads
SO_RCVBUFFORCE = 33  # Linux: past rmem_max when the process may (socket has no name for it)
REPORT_INTERVAL = 1.0  # seconds between receiver reports (aiortc's own receivers: 0.5-1.5 s)
PLI_INTERVAL = 1.0


@dataclass
class Stream:
    """What the clear header of one SSRC's packets told us."""

    ssrc: int
    slot: str
    kind: str
    packets: int = 0
    frames: int = 0  # marker bits: the last packet of each video frame
    timestamps: int = 0  # changes of RTP timestamp: frames for audio too
    first: float | None = None  # monotonic time of the first packet
    _base: int = -1  # extended sequence number of the first packet
    _highest: int = -1  # highest extended sequence number seen
    _last_ts: int = -1
    _reported_lost: int = 0

    @property
    def lost(self) -> int:
        return max(self._highest - self._base + 1 - self.packets, 0) if self.packets else 0

    def count(self, seq: int, marker: bool, timestamp: int) -> bool:
        """Count one packet; True when it skipped sequence numbers (a loss)."""
        self.packets += 1
        if self._highest < 0:
            self._base = self._highest = seq
            self.first = time.monotonic()
            gap = False
        else:
            # place seq in the 16-bit window nearest to the highest seen (wrap and reordering)
            extended = (self._highest & ~0xFFFF) | seq
            if extended < self._highest - 0x8000:
                extended += 0x10000
            elif extended > self._highest + 0x8000:
                extended -= 0x10000
            gap = extended > self._highest + 1
            self._highest = max(self._highest, extended)
        if marker:
            self.frames += 1
        if timestamp != self._last_ts:
            self.timestamps += 1
            self._last_ts = timestamp
        return gap

    def report(self) -> RtcpReceiverInfo:
        lost = self.lost
        expected = self._highest - self._base + 1
        fresh_lost = lost - self._reported_lost
        self._reported_lost = lost
        fraction = min(255, max(0, fresh_lost * 256 // max(expected, 1)))
        return RtcpReceiverInfo(ssrc=self.ssrc, fraction_lost=fraction, packets_lost=lost,
                                highest_sequence=self._highest & 0xFFFFFFFF, jitter=0, lsr=0, dlsr=0)


class _Poller:
    """Reads every light viewer's socket of this process in one timer callback.

    One loop iteration per datagram (selector wake-up, callback) costs more than counting it, so
    the sockets are taken out of the event loop's selector and put in an epoll of their own, which
    one timer asks for the ready ones every ``POLL_INTERVAL`` (one system call for all viewers).
    """

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._readers: dict[int, tuple[LightViewer, socket.socket, Callable[[bytes], None]]] = {}
        self._timer: asyncio.TimerHandle | None = None

    def add(self, viewer: LightViewer, sock: socket.socket, handle: Callable[[bytes], None]) -> None:
        try:  # room for a keyframe burst of every stream between two reads; best effort
            sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
        self._readers[sock.fileno()] = (viewer, sock, handle)
        self._epoll.register(sock.fileno(), select.EPOLLIN)
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(POLL_INTERVAL, self._tick)

    def discard(self, viewer: LightViewer) -> None:
        for fd in [fd for fd, (owner, _, _) in self._readers.items() if owner is viewer]:
            del self._readers[fd]
            try:
                self._epoll.unregister(fd)
            except OSError:
                pass  # already closed

    def _tick(self) -> None:
        for fd, _ in self._epoll.poll(0):
            reader = self._readers.get(fd)
            if reader is None:
                continue
            viewer, sock, handle = reader
            while True:
                try:
                    data = sock.recv(2048)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:  # closed under us
                    self.discard(viewer)
                    break
                handle(data)
        self._timer = asyncio.get_running_loop().call_later(POLL_INTERVAL, self._tick) if self._readers else None


_pollers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Poller] = weakref.WeakKeyDictionary()


def _poller() -> _Poller:
    return _pollers.setdefault(asyncio.get_running_loop(), _Poller())


class LightViewer:
    """``slots``: slot -> kind ("video" | "audio"), as for :func:`harness.peers.make_client`."""

    def __init__(self, slots: Mapping[str, str]) -> None:
        self.client = Client(RTCPeerConnection(RTCConfiguration(iceServers=[],
                                                                bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)))
        for slot, kind in slots.items():
            transceiver = self.client.pc.addTransceiver(kind, direction="recvonly")
            self.client.slots[str(id(transceiver))] = slot
        self.streams: dict[int, Stream] = {}
        self.reports_sent = 0
        self.rtcp_received = 0
        self.plis_sent = 0
        self._last_pli = 0.0
        self._dtls: Any = None
        self._rtcp_ssrc = 0
        self._slots: dict[str, tuple[str, str]] = {}  # mid -> (slot, kind)
        self._task: asyncio.Task[None] | None = None
        self.client.pc.on("connectionstatechange", self._on_state)

    @property
    def pc(self) -> RTCPeerConnection:
        return self.client.pc

    def packets(self) -> int:
        return sum(s.packets for s in self.streams.values())

    def lost(self) -> int:
        return sum(s.lost for s in self.streams.values())

    def by_kind(self, kind: str) -> list[Stream]:
        return [s for s in self.streams.values() if s.kind == kind]

    def frames(self) -> dict[str, int]:
        """Frames per slot: marker bits for video, timestamps for audio (Opus sets no marker per frame)."""
        return {s.slot: s.frames if s.kind == "video" else s.timestamps for s in self.streams.values()}

    def _on_state(self) -> None:
        if self.pc.connectionState == "connected" and self._task is None:
            self._take_rtp()
            self._task = asyncio.get_running_loop().create_task(self._send_reports())

    def _take_rtp(self) -> None:
        """Put the counter in front of aioice on every socket of the (bundled) transport."""
        transceiver = self.pc.getTransceivers()[0]
        self._dtls = transceiver.receiver.transport
        self._rtcp_ssrc = transceiver.sender._ssrc
        slots = {str(id(t)): t for t in self.pc.getTransceivers()}
        self._slots = {slots[key].mid or "": (slot, slots[key].kind) for key, slot in self.client.slots.items()}
        # only the nominated pair's socket carries media and consent checks once connected
        for pair in self._dtls.transport._connection._nominated.values():
            pair.protocol.transport.pause_reading()  # the poller reads it from now on
            _poller().add(self, pair.protocol.transport._sock,
                          self._handler(pair.protocol.datagram_received, pair.remote_addr))

    def deafen(self) -> None:
        """Stop reading the sockets: a peer gone quiet without closing (for tests)."""
        _poller().discard(self)

    def _handler(self, original: Handler, remote: tuple[Any, ...]) -> Callable[[bytes], None]:
        """Count RTP; hand the rest to aioice as if it had read it (the pair's one remote address)."""
        streams = self.streams
        unpack = _HEADER.unpack_from

        def datagram_received(data: bytes) -> None:
            # RTP and RTCP share 128..191 in the first byte; RTCP packet types are 192..223
            if 127 < data[0] < 192:
                if 191 < data[1] < 224:
                    self.rtcp_received += 1  # the relay's sender reports: nothing here needs them
                    return
                _, second, seq, timestamp, ssrc = unpack(data)
                stream = streams.get(ssrc)
                if stream is None:
                    stream = streams[ssrc] = self._new_stream(data, ssrc)
                if stream.count(seq, second > 127, timestamp) and stream.kind == "video":
                    self._picture_lost(ssrc)
                return
            original(data, remote)  # STUN (consent checks), DTLS: aioice and aiortc as usual

        return datagram_received

    def _new_stream(self, data: bytes, ssrc: int) -> Stream:
        """A stream's slot from the mid header extension of its first packet (the header is clear)."""
        header = RtpPacket.parse(data, self._dtls._rtp_header_extensions_map)
        slot, kind = self._slots.get(header.extensions.mid or "", ("", "video"))
        return Stream(ssrc, slot, kind)

    def _picture_lost(self, ssrc: int) -> None:
        now = time.monotonic()
        if now - self._last_pli >= PLI_INTERVAL:
            self._last_pli = now
            self.request_keyframe(ssrc)

    def request_keyframe(self, ssrc: int) -> None:
        packet = RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=self._rtcp_ssrc, media_ssrc=ssrc)
        asyncio.get_running_loop().create_task(self._send(bytes(packet)))
        self.plis_sent += 1

    async def _send(self, data: bytes) -> None:
        try:
            await self._dtls._send_rtp(data)  # SRTCP-protects RTCP with the session's send context
        except ConnectionError:
            pass  # closing

    async def _send_reports(self) -> None:
        while self.pc.connectionState == "connected":
            await asyncio.sleep(REPORT_INTERVAL)
            if self.streams:
                reports = [s.report() for s in self.streams.values()]
                await self._send(bytes(RtcpRrPacket(ssrc=self._rtcp_ssrc, reports=reports)))
                self.reports_sent += 1

    async def close(self) -> None:
        _poller().discard(self)
        if self._task is not None:
            self._task.cancel()
        await self.pc.close()
