"""A viewer for load generators that costs almost nothing: it counts RTP, it never unprotects it.

The peer negotiates like any aiortc subscriber (recvonly m-lines, one per slot, non-trickle
offer) and aiortc does ICE and DTLS. Once DTLS is up, each datagram that is RTP is taken off the
ICE socket before aioice parses it as STUN or queues it for the DTLS transport: the 12 clear
bytes of the SRTP header give SSRC, sequence number (loss), marker (end of a video frame) and
timestamp. Nothing is decrypted, buffered or decoded. STUN (consent checks, answered by aioice),
DTLS and SRTCP from the relay still take aiortc's path.

What keeps the relay treating it as a live peer: ICE consent (aioice), and once a second a
receiver report per stream, sent through the DTLS transport so it is SRTCP-protected with the
session's send context. A video stream with a gap gets a PLI, at most one per second.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPsfbPacket, RtcpReceiverInfo, RtcpRrPacket

from harness.peers import Client

_HEADER = struct.Struct("!BBHII")
REPORT_INTERVAL = 1.0  # seconds between receiver reports (aiortc's own receivers: 0.5-1.5 s)
PLI_INTERVAL = 1.0


@dataclass
class Stream:
    """What the clear header of one SSRC's packets told us."""

    ssrc: int
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
        self.plis_sent = 0
        self._last_pli = 0.0
        self._dtls: Any = None
        self._rtcp_ssrc = 0
        self._payload_kinds: dict[int, str] = {}
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

    def _on_state(self) -> None:
        if self.pc.connectionState == "connected" and self._task is None:
            self._take_rtp()
            self._task = asyncio.get_running_loop().create_task(self._send_reports())

    def _take_rtp(self) -> None:
        """Put the counter in front of aioice on every socket of the (bundled) transport."""
        transceiver = self.pc.getTransceivers()[0]
        self._dtls = transceiver.receiver.transport
        self._rtcp_ssrc = transceiver.sender._ssrc
        # the kind of each SSRC is not on the wire: take it from the payload type the answer gave each m-line
        self._payload_kinds = {codec.payloadType: t.kind for t in self.pc.getTransceivers()
                               for codec in t._codecs if codec.payloadType is not None}
        connection = self._dtls.transport._connection
        for protocol in connection._protocols:
            protocol.datagram_received = self._wrap(protocol.datagram_received)

    def _wrap(self, original: Any) -> Any:
        streams = self.streams
        unpack = _HEADER.unpack_from

        def datagram_received(data: bytes, addr: tuple[Any, ...]) -> None:
            # RTP and RTCP share 128..191 in the first byte; RTCP packet types are 192..223
            if 127 < data[0] < 192 and not 191 < data[1] < 224:
                _, second, seq, timestamp, ssrc = unpack(data)
                stream = streams.get(ssrc)
                if stream is None:
                    kind = self._payload_kinds.get(second & 0x7F, "video")
                    stream = streams[ssrc] = Stream(ssrc, kind)
                if stream.count(seq, second > 127, timestamp) and stream.kind == "video":
                    self._picture_lost(ssrc)
                return
            original(data, addr)

        return datagram_received

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
        if self._task is not None:
            self._task.cancel()
        await self.pc.close()
