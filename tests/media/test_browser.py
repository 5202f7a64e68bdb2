"""Chromium's own offers: a browser publishes camera + mic, another browser peer watches it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from harness.net import free_port
from harness.peers import wait_for
from media.relay import Relay, RelayConfig
from media.routes import Source

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
]
PAGE = """<!doctype html><meta charset="utf-8"><title>relay</title><script>
const peers = {};
async function offer(name, publish, receive) {
  const pc = new RTCPeerConnection({iceServers: []});
  peers[name] = pc;
  if (publish) {
    const stream = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 360}, audio: true});
    for (const track of stream.getTracks()) pc.addTransceiver(track, {direction: "sendonly"});
  }
  for (const kind of receive) pc.addTransceiver(kind, {direction: "recvonly"});
  pc.ontrack = (event) => {
    const element = document.createElement(event.track.kind);
    element.srcObject = new MediaStream([event.track]);
    element.muted = true;
    document.body.appendChild(element);
    element.play();
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((resolve) => {
    if (pc.iceGatheringState === "complete") return resolve();
    pc.onicegatheringstatechange = () => pc.iceGatheringState === "complete" && resolve();
    setTimeout(resolve, 3000);
  });
  return pc.localDescription.sdp;
}
async function answer(name, sdp) { await peers[name].setRemoteDescription({type: "answer", sdp}); }
async function framesDecoded(name) {
  let frames = 0;
  (await peers[name].getStats()).forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") frames += s.framesDecoded || 0;
  });
  return frames;
}
</script>"""

pytestmark = [pytest.mark.browser, pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs chromium")]


@pytest.fixture
async def page_url() -> AsyncIterator[str]:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}/"
    await runner.cleanup()


async def test_a_browser_publishes_and_another_browser_peer_watches_through_the_relay(page_url: str) -> None:
    from playwright.async_api import async_playwright

    speaking: list[tuple[str, bool]] = []
    relay = Relay(RelayConfig(), on_speaking=lambda pid, state: speaking.append((pid, state)))
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page()
            await page.goto(page_url)
            publish_offer = await page.evaluate("offer('venue', true, [])")
            await page.evaluate("([sdp]) => answer('venue', sdp)", [await relay.answer("venue", publish_offer)])
            await wait_for(lambda: relay.stats()["venue"]["bitrate_in"] > 0, timeout=10)

            relay.route("viewer", {"program": Source("venue", "video"), "floor": Source("venue", "audio")})
            watch_offer = await page.evaluate("offer('viewer', false, ['video', 'audio'])")
            await page.evaluate("([sdp]) => answer('viewer', sdp)", [await relay.answer("viewer", watch_offer)])

            # The viewer joined after Chrome's first keyframe: it only decodes if the relay's PLI got through.
            frames = 0
            for _ in range(100):
                frames = await page.evaluate("framesDecoded('viewer')")
                if frames >= 30:
                    break
                await page.wait_for_timeout(100)
            assert frames >= 30
            assert relay.stats()["venue"]["publishing"] == ["audio/mic", "video/high"]
            await wait_for(lambda: ("venue", True) in speaking, timeout=10)  # the fake mic beeps
        finally:
            await browser.close()
            await relay.close()
