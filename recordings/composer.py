"""The composer: the program feed's own process, so that a slow encode never stalls the hub.

    python -m recordings.composer --out DIR --title T [--rungs main:1280x720:2500000 low:640x360:700000]

Its stdin carries :mod:`media.pipe` messages from :class:`recordings.program.ProgramFeed`:
tracks announced with their source and codec, their encoded frames, and the scene as JSON. A
reader thread decodes every input once (VP8/H.264/Opus) and keeps its latest picture and its sound;
the main thread runs a fixed 25 fps clock: the layout (:func:`recordings.layout.compose`, from the
inputs alive in the last second), the picture, the mix, one H.264 encode per rung (a keyframe
every segment, so segments cut at keyframes) and one AAC encode shared by the rungs, into HLS
segments (:mod:`recordings.segments`). End of stdin is the orderly stop: the last segment is
closed and the VOD playlists are written.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np
from numpy.typing import NDArray

from media.routes import Source
from recordings.hls import Rung, master_playlist
from recordings.layout import Layout, compose, scene_from_dict
from recordings.picture import Canvas, Picture
from media.pipe import CONTROL, read_messages
from recordings.scene import Scene
from recordings.segments import Rendition, write_atomically

log = logging.getLogger("recordings.composer")

FPS = 25
TIME_BASE = Fraction(1, FPS)
RATE = 48000
TICK_SAMPLES = RATE // FPS
ALIVE = 1.0  # seconds since an input's last decoded frame for it to count as alive
PRIMING = 1024  # AAC's encoder delay: its first packet then starts at 0 with the picture, nothing is shifted
MAX_AUDIO = RATE // 4  # samples an input may buffer before the oldest are dropped (bounded delay)
DECODERS = {"VP8": "vp8", "H264": "h264", "opus": "opus"}
DEFAULT_RUNGS = ("main:1280x720:2500000", "low:640x360:700000")


def parse_rung(text: str, audio_bitrate: int) -> Rung:
    """``name:WIDTHxHEIGHT:BITRATE``; sizes even, for 4:2:0."""
    try:
        name, size, bitrate = text.split(":")
        width, height = (int(part) for part in size.split("x"))
        rung = Rung(name, width, height, int(bitrate), audio_bitrate)
    except ValueError:
        raise argparse.ArgumentTypeError(f"rung {text!r}: expected name:WIDTHxHEIGHT:BITRATE") from None
    if not name.isidentifier() or width % 2 or height % 2 or width < 64 or height < 64 or rung.video_bitrate < 50_000:
        raise argparse.ArgumentTypeError(f"rung {text!r}: a name, even sizes ≥ 64, a bitrate ≥ 50000")
    return rung


def decoder(codec: str) -> av.VideoCodecContext | av.AudioCodecContext:
    context = av.CodecContext.create(DECODERS[codec], "r")
    assert isinstance(context, av.VideoCodecContext | av.AudioCodecContext)
    return context


class Input:
    """One announced track: its decoder, its latest picture or its buffered sound."""

    def __init__(self, track: int, source: Source, codec: str) -> None:
        self.track, self.source, self.codec = track, source, codec
        self.decoder = decoder(codec)
        self.seen = -1e9  # monotonic time of its last decoded frame
        self.picture: Picture | None = None
        self.serial = 0
        self.sound = np.zeros((0, 2), dtype=np.float32)
        self.resampler = av.AudioResampler(format="flt", layout="stereo", rate=RATE) if codec == "opus" else None


class Inputs:
    """What the reader thread fills and the clock reads, under one lock."""

    def __init__(self, title: str) -> None:
        self.lock = threading.Lock()
        self.by_track: dict[int, Input] = {}
        self.by_source: dict[Source, Input] = {}
        self.scene = Scene(session="", title=title, venue=None, floor_holder=None, spotlight=None, screen=False)
        self.ended = threading.Event()

    def read(self, stream: BinaryIO) -> None:
        try:
            for message in read_messages(stream):
                if message.kind == CONTROL:
                    self._control(message.control())
                elif (current := self.by_track.get(message.track)) is not None:
                    self._decode(current, message.body, message.keyframe)
        except Exception:
            log.exception("reading the pipe failed")
        finally:
            self.ended.set()

    def _control(self, body: dict[str, Any]) -> None:
        kind = body.get("type")
        if kind == "track":
            source, codec = Source.from_dict(body["source"]), str(body["codec"])
            if codec not in DECODERS:
                log.warning("%s: codec %s cannot be decoded", source, codec)
                return
            with self.lock:
                old = self.by_source.pop(source, None)
                if old is not None:
                    self.by_track.pop(old.track, None)
                self.by_track[int(body["track"])] = self.by_source[source] = Input(int(body["track"]), source, codec)
        elif kind == "lost":
            with self.lock:
                gone = self.by_track.get(int(body["track"]))
                if gone is not None:
                    gone.seen, gone.picture = -1e9, None
                    gone.decoder = decoder(gone.codec)  # the next feed starts afresh
        elif kind == "scene":
            scene = scene_from_dict(body["scene"])
            with self.lock:
                self.scene = scene

    def _decode(self, current: Input, data: bytes, keyframe: bool) -> None:
        try:
            frames = current.decoder.decode(av.Packet(data))
        except av.FFmpegError as exc:
            log.info("%s: undecodable frame (%s)", current.source, exc)
            return
        for frame in frames:
            if isinstance(frame, av.VideoFrame):
                with self.lock:
                    current.serial += 1
                    current.picture = Picture(current.source, current.serial, frame)
                    current.seen = time.monotonic()
            elif isinstance(frame, av.AudioFrame) and current.resampler is not None:
                for out in current.resampler.resample(frame):
                    samples = out.to_ndarray().reshape(-1, 2).astype(np.float32, copy=False)
                    with self.lock:
                        current.sound = np.concatenate((current.sound, samples))[-MAX_AUDIO:]
                        current.seen = time.monotonic()

    def moment(self, now: float) -> tuple[Scene, frozenset[Source]]:
        with self.lock:
            return self.scene, frozenset(s for s, i in self.by_source.items() if now - i.seen <= ALIVE)

    def picture(self, source: Source) -> Picture | None:
        with self.lock:
            current = self.by_source.get(source)
            return None if current is None else current.picture

    def mix(self, audio: Sequence[Source]) -> NDArray[np.float32]:
        """One tick of sound: the layout's microphones summed; every other input's sound dropped."""
        total = np.zeros((TICK_SAMPLES, 2), dtype=np.float32)
        with self.lock:
            for source, current in self.by_source.items():
                if current.resampler is None:
                    continue
                taken, current.sound = current.sound[:TICK_SAMPLES], current.sound[TICK_SAMPLES:]
                if source in audio:
                    total[:len(taken)] += taken
        return np.clip(total, -1.0, 1.0)


@dataclass
class Encoders:
    """One H.264 encoder per rung and one AAC encoder, as streams of a container that is never
    written: each segment's container copies them as templates."""

    video: list[av.VideoStream]
    audio: av.AudioStream
    fifo: av.AudioFifo


def open_encoders(rungs: Sequence[Rung], preset: str, segment_frames: int, audio_bitrate: int) -> Encoders:
    holder = av.open("/dev/null", "w", format="mpegts")
    video = []
    for rung in rungs:
        stream = holder.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = rung.width, rung.height, "yuv420p"
        stream.bit_rate = rung.video_bitrate
        stream.codec_context.time_base = TIME_BASE
        stream.codec_context.gop_size = segment_frames
        stream.codec_context.options = {
            "preset": preset, "tune": "zerolatency", "profile": "main",
            "x264-params": f"keyint={segment_frames}:min-keyint={segment_frames}:scenecut=0"
                           f":vbv-maxrate={rung.video_bitrate // 1000}:vbv-bufsize={rung.video_bitrate // 1000}"}
        video.append(stream)
    audio = holder.add_stream("aac", rate=RATE)
    audio.codec_context.layout, audio.codec_context.format = "stereo", "fltp"
    audio.bit_rate = audio_bitrate
    holder.start_encoding()  # opens the encoders and fills the parameters the templates copy (AAC's extradata)
    return Encoders(video, audio, av.AudioFifo())


class Program:
    """The clock's side: a layout, a picture and a tick of sound in; segments out."""

    def __init__(self, out: Path, rungs: Sequence[Rung], preset: str, segment_seconds: float, window: int,
                 audio_bitrate: int) -> None:
        self.out, self.rungs = out, list(rungs)
        self.segment_frames = max(1, round(segment_seconds * FPS))
        self.encoders = open_encoders(self.rungs, preset, self.segment_frames, audio_bitrate)
        self.renditions = [Rendition(out / rung.name, rung, segment_seconds=segment_seconds, window=window)
                           for rung in self.rungs]
        self.canvas = Canvas(self.rungs[0].width, self.rungs[0].height)
        self.audio_pts = PRIMING
        self._listed = False  # master.m3u8 written: only once every rung's playlist exists, or a player 404s


    def write(self, layout: Layout, inputs: Inputs, tick: int, wall: float) -> None:
        frame = self.canvas.draw(layout, inputs.picture)
        for index, (rung, stream, rendition) in enumerate(zip(self.rungs, self.encoders.video, self.renditions,
                                                                 strict=True)):
            scaled = frame if index == 0 else frame.reformat(width=rung.width, height=rung.height)
            scaled.pts, scaled.time_base = tick, TIME_BASE
            for packet in stream.encode(scaled):
                assert packet.pts is not None  # x264 stamps every packet
                if packet.is_keyframe:
                    rendition.end(packet.pts, TIME_BASE)
                    rendition.begin(wall - (tick - packet.pts) / FPS, packet.pts, stream, self.encoders.audio)
                rendition.mux(packet)
        self._sound(inputs.mix(layout.audio), tick)
        if not self._listed and all(rendition.segments for rendition in self.renditions):
            write_atomically(self.out / "master.m3u8", master_playlist(self.rungs, "index.m3u8"))
            self._listed = True

    def _sound(self, samples: NDArray[np.float32], tick: int) -> None:
        fifo = self.encoders.fifo
        expected = PRIMING + tick * TICK_SAMPLES - fifo.samples
        if expected > self.audio_pts:  # ticks were skipped: the sound jumps with the picture
            self.audio_pts = expected
        chunk = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples.T), format="fltp", layout="stereo")
        chunk.sample_rate = RATE
        fifo.write(chunk)
        for piece in fifo.read_many(1024):
            piece.pts, piece.time_base, piece.sample_rate = self.audio_pts, Fraction(1, RATE), RATE
            self.audio_pts += piece.samples
            self._audio_packets(self.encoders.audio.encode(piece))

    def _audio_packets(self, packets: Sequence[av.Packet[Any]]) -> None:
        for packet in packets:
            for rendition in self.renditions:
                rendition.mux(packet)

    def close(self, tick: int) -> None:
        for stream, rendition in zip(self.encoders.video, self.renditions, strict=True):
            for packet in stream.encode(None):
                rendition.mux(packet)
        self._audio_packets(self.encoders.audio.encode(None))
        for rendition in self.renditions:
            rendition.end(tick, TIME_BASE)
            rendition.finish()
        write_atomically(self.out / "vod.m3u8", master_playlist(self.rungs, "vod.m3u8"))


def _record_run(path: Path, now: float, *, ended: bool) -> None:
    """program.json: when the program started, each restart, and when it ended."""
    state: dict[str, Any] = {"started_at": now, "ended_at": None, "restarts": []}
    if path.exists():
        try:
            state.update(json.loads(path.read_text()))
        except ValueError:
            pass
        if not ended:
            state["restarts"] = [*state.get("restarts", []), now]
    state["ended_at"] = now if ended else None
    write_atomically(path, json.dumps(state))


def run(args: argparse.Namespace, stdin: BinaryIO) -> None:
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    _record_run(out / "program.json", time.time(), ended=False)
    program = Program(out, args.rungs, args.preset, args.segment, args.window, args.audio_bitrate)
    inputs = Inputs(args.title)
    threading.Thread(target=inputs.read, args=(stdin,), name="pipe", daemon=True).start()
    started, wall = time.monotonic(), time.time()
    tick = 0
    while not inputs.ended.is_set():
        now = time.monotonic()
        late = now - (started + tick / FPS)
        if late < 0:
            inputs.ended.wait(-late)
            continue
        if late > 1.0:  # the encoder fell behind: skip ahead rather than drift from the wall clock
            tick = int((now - started) * FPS)
        scene, alive = inputs.moment(now)
        program.write(compose(scene, alive, wall + tick / FPS), inputs, tick, wall + tick / FPS)
        tick += 1
    program.close(tick)
    _record_run(out / "program.json", time.time(), ended=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m recordings.composer", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the session's program folder")
    parser.add_argument("--title", required=True, help="the session's title, for the slate")
    parser.add_argument("--rungs", nargs="+", default=list(DEFAULT_RUNGS),
                        help="name:WIDTHxHEIGHT:BITRATE, the first is composed at and pushed")
    parser.add_argument("--preset", default="veryfast", help="libx264 preset")
    parser.add_argument("--audio-bitrate", type=int, default=128_000)
    parser.add_argument("--segment", type=float, default=2.0, help="seconds per segment (≤ 2 for the player)")
    parser.add_argument("--window", type=int, default=6, help="segments in the live playlist")
    args = parser.parse_args(argv)
    try:
        args.rungs = [parse_rung(text, args.audio_bitrate) for text in args.rungs]
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="composer: %(message)s", stream=sys.stderr)
    run(args, sys.stdin.buffer)


if __name__ == "__main__":
    main()
