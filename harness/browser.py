"""Debian's Chromium with a fake camera and microphone, and what pages and benchmarks read from it."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--allow-loopback-in-peer-connection",
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required",
]

# A hall's camera runs at 30 fps (Chromium's fake camera defaults to 20).
CAMERA_30 = [flag if flag != "--use-fake-device-for-media-stream" else f"{flag}=fps=30" for flag in FLAGS]

# Per layer of the page's own sending ("high" is the camera track itself, "low" its clone, "mic").
OUTBOUND = """async () => {
  const link = window.relayLink;
  const [camera] = link?.stream?.getVideoTracks() ?? [];
  const layers = {};
  for (const t of link?.pc?.getTransceivers() ?? []) {
    const track = t.sender.track;
    if (!track) continue;
    (await t.sender.getStats()).forEach((s) => {
      if (s.type !== "outbound-rtp") return;
      const layer = track.kind === "audio" ? "mic" : track === camera ? "high" : "low";
      layers[layer] = {width: s.frameWidth ?? 0, height: s.frameHeight ?? 0, bytes: s.bytesSent,
        frames: s.framesEncoded ?? 0, reason: s.qualityLimitationReason, target: s.targetBitrate ?? 0, at: s.timestamp};
    });
  }
  (await link?.pc?.getStats())?.forEach((s) => {
    if (s.type === "candidate-pair" && s.nominated) layers.available = s.availableOutgoingBitrate ?? 0;
  });
  return layers;
}"""

# The program slot's inbound video.
PROGRAM_INBOUND = """async () => {
  const link = window.relayLink;
  const [track] = link?.streams?.get("program")?.getVideoTracks() ?? [];
  const receiver = link?.pc?.getReceivers().find((r) => r.track === track);
  let found = null;
  (await receiver?.getStats())?.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") found = {width: s.frameWidth ?? 0,
      height: s.frameHeight ?? 0, bytes: s.bytesReceived, frames: s.framesDecoded ?? 0, at: s.timestamp};
  });
  return found;
}"""


def rate(before: dict[str, Any], after: dict[str, Any]) -> tuple[float, float]:
    """kbit/s and frames/s between two samples of one stream."""
    seconds = max((after["at"] - before["at"]) / 1000, 1e-3)
    return (after["bytes"] - before["bytes"]) * 8 / 1000 / seconds, (after["frames"] - before["frames"]) / seconds


async def online(page: Page) -> None:
    await page.wait_for_selector('body[data-connection="online"]', timeout=10_000)


async def join(page: Page) -> None:
    await online(page)
    await page.get_by_role("button", name="Masuk ke sidang").click()
    await expect(page.locator("#live")).to_be_visible()


async def join_publishing(page: Page) -> None:
    """Join once the camera is open (a hall that joins before that only watches)."""
    await online(page)
    await expect(page.locator("#camera-state")).to_contain_text("×", timeout=20_000)
    await join(page)
    await expect(page.locator("body")).to_have_attribute("data-publishing", "ready")
