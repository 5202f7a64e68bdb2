"""The program's picture, drawn straight into a YUV 4:2:0 buffer (no RGB round trip per frame).

Inputs are scaled by swscale (``VideoFrame.reformat``) once per new input picture, not per output
frame; the caption and the slate are drawn with Pillow once per change of their text and then
copied in as planes. What remains per output frame is a few numpy copies.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from media.routes import Source
from recordings.layout import Layout

Planes = tuple[NDArray[np.uint8], NDArray[np.uint8], NDArray[np.uint8]]
BLACK = (16, 128, 128)
BAND = (28, 38, 52)  # the caption band's colour (RGB)


def planes(flat: NDArray[np.uint8], width: int, height: int) -> Planes:
    """Views of a yuv420p picture's Y, U and V planes in its flat buffer (as PyAV lays it out)."""
    size = width * height
    quarter = size // 4
    return (flat[:size].reshape(height, width),
            flat[size:size + quarter].reshape(height // 2, width // 2),
            flat[size + quarter:size + 2 * quarter].reshape(height // 2, width // 2))


def _even(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def fit(width: int, height: int, box_width: int, box_height: int) -> tuple[int, int, int, int]:
    """The size and offset that fit a picture in a box, aspect kept, centred; all even (4:2:0)."""
    scale = min(box_width / width, box_height / height)
    fitted_width, fitted_height = min(_even(width * scale), box_width), min(_even(height * scale), box_height)
    return fitted_width, fitted_height, (box_width - fitted_width) // 4 * 2, (box_height - fitted_height) // 4 * 2


def yuv(frame: av.VideoFrame, width: int, height: int) -> Planes:
    flat = frame.reformat(width=width, height=height, format="yuv420p").to_ndarray().reshape(-1)
    return planes(flat.astype(np.uint8, copy=False), width, height)


def paste(target: Planes, source: Planes, x: int, y: int) -> None:
    """Copy a picture into another at an even offset."""
    height, width = source[0].shape
    target[0][y:y + height, x:x + width] = source[0]
    for plane in (1, 2):
        target[plane][y // 2:(y + height) // 2, x // 2:(x + width) // 2] = source[plane]


def _text_picture(lines: tuple[str, ...], width: int, height: int, size: int, colour: tuple[int, int, int],
                  centred: bool) -> Planes:
    image = Image.new("RGB", (width, height), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=size)
    step = size * 3 // 2
    top = (height - step * len(lines)) // 2 + (step - size) // 2
    for index, line in enumerate(lines):
        left = (width - draw.textlength(line, font=font)) / 2 if centred else size
        draw.text((left, top + index * step), line, fill=(255, 255, 255), font=font)
    return yuv(av.VideoFrame.from_image(image), width, height)  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class Picture:
    """An input's latest decoded picture; ``serial`` changes with every new one."""

    key: Hashable
    serial: int
    frame: av.VideoFrame


class Canvas:
    """One program frame at the main rung's size, redrawn from a layout and the inputs' pictures."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.flat = np.empty(width * height * 3 // 2, dtype=np.uint8)
        self.planes = planes(self.flat, width, height)
        self.font = max(12, height // 26)
        self.pip_width, self.pip_height = _even(width / 4), _even(width / 4 * 9 / 16)
        self.margin = _even(width / 64)
        self._scaled: dict[tuple[Hashable, int, int], tuple[int, Planes]] = {}
        self._texts: dict[tuple[str, tuple[str, ...]], Planes] = {}

    def draw(self, layout: Layout, picture: Callable[[Source], Picture | None]) -> av.VideoFrame:
        for plane, value in zip(self.planes, BLACK, strict=True):
            plane.fill(value)
        main = picture(layout.main) if layout.main is not None else None
        if main is None:
            slate = self._text("slate", (layout.slate,), self.width, self.height, self.font * 2, (0, 0, 0), True)
            paste(self.planes, slate, 0, 0)
        else:
            frame = main.frame
            width, height, x, y = fit(frame.width, frame.height, self.width, self.height)
            paste(self.planes, self._scale(main, width, height), x, y)
            small = picture(layout.pip) if layout.pip is not None else None
            if small is not None:
                width, height, _, _ = fit(small.frame.width, small.frame.height, self.pip_width, self.pip_height)
                paste(self.planes, self._scale(small, width, height), self.width - width - self.margin, self.margin)
        if layout.caption:
            band_height = _even(self.font * 3 // 2 * len(layout.caption) + self.font)
            band = self._text("caption", layout.caption, self.width, band_height, self.font, BAND, False)
            paste(self.planes, band, 0, self.height - band_height)
        return av.VideoFrame.from_ndarray(self.flat.reshape(-1, self.width), format="yuv420p")

    def _scale(self, picture: Picture, width: int, height: int) -> Planes:
        key = (picture.key, width, height)
        cached = self._scaled.get(key)
        if cached is None or cached[0] != picture.serial:
            cached = (picture.serial, yuv(picture.frame, width, height))
            self._scaled[key] = cached
        return cached[1]

    def _text(self, kind: str, lines: tuple[str, ...], width: int, height: int, size: int,
              colour: tuple[int, int, int], centred: bool) -> Planes:
        key = (kind, lines)
        drawn = self._texts.get(key)
        if drawn is None:
            if len(self._texts) > 64:  # a countdown makes a new caption every second
                self._texts.clear()
            drawn = self._texts[key] = _text_picture(lines, width, height, size, colour, centred)
        return drawn

    def forget(self, key: Hashable) -> None:
        """An input went away: drop its scaled pictures."""
        for cached in [k for k in self._scaled if k[0] == key]:
            del self._scaled[cached]
