"""ICE servers for browsers, and media through a real TURN server with relay-only candidates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCIceServer, RTCIceTransportPolicy, RTCSessionDescription

from harness.net import free_port
from harness.peers import Client, ClipTrack, connect, offer, wait_for
from media.ice import IceConfig, browser_ice_servers, relay_configuration
from media.relay import Relay
from media.routes import Source

SECRET = "rahasia-musrenbang"


def test_browsers_get_stun_and_time_limited_turn_credentials() -> None:
    config = IceConfig(stun_urls=("stun:hub.example:3478",), turn_urls=("turn:hub.example:3478",), turn_secret=SECRET)
    stun, turn = browser_ice_servers(config, "35.10.13.2007", now=1_700_000_000)
    assert stun == {"urls": ["stun:hub.example:3478"]}
    assert turn["username"] == f"{1_700_000_000 + config.turn_ttl}:35.10.13.2007"
    expected = hmac.new(SECRET.encode(), turn["username"].encode(), hashlib.sha1).digest()
    assert base64.b64decode(turn["credential"]) == expected
    assert browser_ice_servers(IceConfig(), "x", now=0) == []
    assert relay_configuration(IceConfig()).iceServers == []  # never a public STUN server by default


@pytest.fixture
def turn_server(tmp_path: Path) -> Iterator[int]:
    if shutil.which("turnserver") is None:
        pytest.skip("coturn is not installed")
    port = free_port()
    low = free_port() // 2 * 2
    process = subprocess.Popen(
        [
            "turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--allow-loopback-peers",
            "--listening-ip=127.0.0.1", f"--listening-port={port}", "--relay-ip=127.0.0.1",
            f"--min-port={low}", f"--max-port={low + 100}", "--use-auth-secret",
            f"--static-auth-secret={SECRET}", "--realm=musrenbang", "--no-stdout-log",
            f"--log-file={tmp_path / 'turn.log'}", f"--pidfile={tmp_path / 'turn.pid'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(0.3)  # coturn binds its sockets at start
    assert process.poll() is None, "turnserver did not start"
    try:
        yield port
    finally:
        process.kill()
        process.wait()


async def test_media_flows_from_a_publisher_restricted_to_relay_candidates(
    turn_server: int, relay: Relay, clients: Callable[..., Client], vp8_clip  # TURN outlives the peers
) -> None:
    config = IceConfig(turn_urls=(f"turn:127.0.0.1:{turn_server}?transport=udp",), turn_secret=SECRET)
    (turn,) = browser_ice_servers(config, "desa-a", now=time.time())
    publisher = clients(
        publish={"high": ClipTrack(vp8_clip)},
        configuration=RTCConfiguration(
            iceServers=[RTCIceServer(**turn)], iceTransportPolicy=RTCIceTransportPolicy.RELAY
        ),
    )
    viewer = clients(receive={"program": "video"})
    relay.route("viewer", {"program": Source("desa-a", "video")})

    sdp, _, _ = await offer(publisher)
    candidates = [line for line in sdp.splitlines() if line.startswith("a=candidate")]
    assert candidates and all(" typ relay" in line for line in candidates)
    answer = await relay.answer("desa-a", sdp)
    await publisher.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
    await connect(relay, "viewer", viewer)

    await wait_for(lambda: viewer.count("program") >= 30, timeout=10)
    pair = publisher.pc.getTransceivers()[0].sender.transport.transport._connection._nominated[1]
    assert pair.protocol.local_candidate.type == "relay"
