"""Active speaker from the RTP audio-level extension, without decoding."""

from __future__ import annotations

from collections.abc import Callable

from harness.peers import Client, OpusTrack, connect, wait_for
from media.relay import Relay, RelayConfig
from media.speaker import SpeakerDetector


async def test_the_speaking_callback_follows_a_publishers_audio_level(
    clients: Callable[..., Client], opus_packets
) -> None:
    reports: list[tuple[str, bool]] = []
    relay = Relay(RelayConfig(), on_speaking=lambda pid, speaking: reports.append((pid, speaking)))
    try:
        track = OpusTrack(opus_packets, level_dbov=-12)
        await connect(relay, "desa-a", clients(publish={"mic": track}))
        await wait_for(lambda: ("desa-a", True) in reports)
        assert relay.stats()["desa-a"]["speaking"] is True

        track.level_dbov = -110
        await wait_for(lambda: reports[-1] == ("desa-a", False))
        assert reports == [("desa-a", True), ("desa-a", False)]  # only changes are reported
    finally:
        await relay.close()


def test_changes_are_reported_at_most_once_per_interval() -> None:
    detector = SpeakerDetector(interval=0.25, smoothing=1.0)
    reports = []
    for step in range(100):  # 2 s of 20 ms packets flipping loud/quiet every packet
        state = detector.add(10 if step % 2 else 120, now=step * 0.02)
        if state is not None:
            reports.append((step * 0.02, state))
    pairs = list(zip(reports, reports[1:], strict=False))
    assert reports and all(later[0] - earlier[0] >= 0.25 for earlier, later in pairs)
    assert all(earlier[1] != later[1] for earlier, later in pairs)
