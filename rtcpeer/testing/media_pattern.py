"""Content-checkable media for interop tests: a frame number drawn into video, and a tone.

Video pattern (the same one the browser harness page draws and reads, see
``tests/interop/static/media.js``): the frame number ``n`` (16 bits) is drawn as 16 blocks in
the top row of the frame. For a 640x480 frame, block ``i`` (i = 0..15) covers x in
[40i, 40i + 40) and y in [0, 40); it is white (255) when bit ``15 - i`` of ``n`` is set and black
(0) otherwise. The rest of the frame is mid gray (128). Other frame sizes scale the blocks with
the frame (width / 16 by height / 12), so a frame that an encoder scaled down still reads back.

Reading a frame: the mean luma of the inner 60 % (24x24 px of a 40x40 block) of each block,
> 128 is a 1. A block whose mean lies within [40, 215] is ambiguous (a codec smeared it, or the
frame is not the pattern at all) and the whole frame reads as ``None``.

Audio: :func:`tone_frames` yields a continuous sine as s16 ``av.AudioFrame`` objects (pts and
time base set) for an audio track's ``recv()``; :func:`tone_frequency` finds the strongest
frequency of received samples by FFT, and :func:`audio_frames_to_mono` turns received frames
(packed or planar, any channel count) into the mono samples it takes.

Needs numpy (``pip install rtcpeer[testing]``).
"""

from __future__ import annotations

import fractions
from collections.abc import Iterable, Iterator

import av
import numpy as np
import numpy.typing as npt

__all__ = [
    "BITS",
    "MIN_TONE_SECONDS",
    "audio_frames_to_mono",
    "block_boxes",
    "draw_frame_number",
    "read_frame_number",
    "read_luma_number",
    "tone_frames",
    "tone_frequency",
]

BITS = 16  # blocks in the top row, most significant bit first
ROWS = 12  # a block is height / ROWS tall (40 px of 480)
WHITE = 255
BLACK = 0
GRAY = 128
THRESHOLD = 128  # mean luma above this is a 1
AMBIGUOUS_LOW = 40  # a block mean within [AMBIGUOUS_LOW, AMBIGUOUS_HIGH] reads as unknown
AMBIGUOUS_HIGH = 215
INNER = 0.6  # the inner 24 px of a 40 px block
MIN_TONE_SECONDS = 0.5

FloatArray = npt.NDArray[np.float64]


def block_boxes(width: int, height: int, inner: float = 1.0) -> list[tuple[int, int, int, int]]:
    """``(x0, y0, x1, y1)`` of the 16 blocks (``inner`` < 1: the centred part of each)."""
    block_w = width / BITS
    block_h = height / ROWS
    margin_x = block_w * (1.0 - inner) / 2
    margin_y = block_h * (1.0 - inner) / 2
    boxes = []
    for i in range(BITS):
        x0 = round(i * block_w + margin_x)
        x1 = round((i + 1) * block_w - margin_x)
        boxes.append((x0, round(margin_y), x1, round(block_h - margin_y)))
    return boxes


def draw_frame_number(n: int, width: int = 640, height: int = 480) -> av.VideoFrame:
    """A yuv420p frame of mid gray with ``n & 0xFFFF`` drawn in the top row's 16 blocks."""
    if width % 2 or height % 2:
        raise ValueError(f"yuv420p needs even dimensions, not {width}x{height}")
    luma = np.full((height, width), GRAY, dtype=np.uint8)
    for i, (x0, y0, x1, y1) in enumerate(block_boxes(width, height)):
        luma[y0:y1, x0:x1] = WHITE if (n >> (BITS - 1 - i)) & 1 else BLACK
    chroma = np.full((height // 2, width), 128, dtype=np.uint8)  # U then V, no colour
    return av.VideoFrame.from_ndarray(np.vstack([luma, chroma]), format="yuv420p")


def read_luma_number(luma: npt.NDArray[np.generic]) -> int | None:
    """The frame number in a 2-D luma array (height x width), or None if ambiguous."""
    height, width = luma.shape[:2]
    n = 0
    for x0, y0, x1, y1 in block_boxes(width, height, INNER):
        mean = float(luma[y0:y1, x0:x1].mean())
        if AMBIGUOUS_LOW <= mean <= AMBIGUOUS_HIGH:
            return None
        n = (n << 1) | (mean > THRESHOLD)
    return n


def read_frame_number(frame: av.VideoFrame) -> int | None:
    """The frame number drawn by :func:`draw_frame_number` (any pixel format and size the
    encoder chose), or None if any block is ambiguous."""
    return read_luma_number(frame.to_ndarray(format="gray"))


def tone_frames(
    freq: float,
    sample_rate: int = 48000,
    samples_per_frame: int = 960,
    amplitude: float = 0.5,
    layout: str = "mono",
) -> Iterator[av.AudioFrame]:
    """Endless s16 frames of a sine at ``freq`` Hz, phase-continuous, ``pts`` counting
    samples (time base 1/sample_rate). 960 samples at 48 kHz = 20 ms, Opus's frame."""
    channels = av.AudioLayout(layout).nb_channels
    time_base = fractions.Fraction(1, sample_rate)
    step = 2 * np.pi * freq / sample_rate
    pts = 0
    while True:
        t = np.arange(pts, pts + samples_per_frame, dtype=np.float64)
        wave = (np.sin(step * t) * amplitude * 32767).astype(np.int16)
        packed = np.repeat(wave, channels).reshape(1, -1)  # interleaved L R L R ...
        frame = av.AudioFrame.from_ndarray(packed, format="s16", layout=layout)
        frame.sample_rate = sample_rate
        frame.pts = pts
        frame.time_base = time_base
        yield frame
        pts += samples_per_frame


def audio_frames_to_mono(frames: Iterable[av.AudioFrame]) -> tuple[FloatArray, int]:
    """Concatenate frames into mono float samples (channels averaged); returns
    ``(samples, sample_rate)``. Packed and planar formats, any channel count."""
    parts: list[FloatArray] = []
    rate = 0
    for frame in frames:
        rate = rate or frame.sample_rate
        if frame.sample_rate != rate:
            raise ValueError(f"sample rate changed from {rate} to {frame.sample_rate}")
        channels = len(frame.layout.channels)
        data = frame.to_ndarray().astype(np.float64)
        if frame.format.is_planar:
            parts.append(data.mean(axis=0))  # (channels, samples)
        else:
            parts.append(data.reshape(-1, channels).mean(axis=1))  # (1, samples * channels)
    if not parts:
        return np.zeros(0, dtype=np.float64), rate
    return np.concatenate(parts), rate


def tone_frequency(samples: npt.ArrayLike, rate: int) -> float:
    """The strongest frequency (Hz) in mono ``samples`` at ``rate`` Hz: the peak of a
    Hann-windowed FFT, refined between bins by a parabola through the log magnitudes.
    Needs at least 0.5 s of audio (bins of 2 Hz or finer)."""
    data = np.asarray(samples, dtype=np.float64).reshape(-1)
    if rate <= 0:
        raise ValueError(f"rate must be positive, not {rate}")
    if data.size < MIN_TONE_SECONDS * rate:
        raise ValueError(
            f"need >= {MIN_TONE_SECONDS} s of audio, got {data.size} samples at {rate} Hz"
        )
    data = data - data.mean()
    spectrum = np.abs(np.fft.rfft(data * np.hanning(data.size)))
    spectrum[0] = 0.0
    peak = int(np.argmax(spectrum))
    offset = 0.0
    if 0 < peak < spectrum.size - 1:
        a, b, c = np.log(spectrum[peak - 1 : peak + 2] + 1e-12)
        denom = a - 2 * b + c
        offset = 0.5 * (a - c) / denom if denom else 0.0
    return float((peak + offset) * rate / data.size)
