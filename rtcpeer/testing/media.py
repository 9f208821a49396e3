"""Test media: frame numbers drawn into pictures and read back, tones and their frequency.

``numbered_frame(n)`` draws ``n`` (16 bits) as a row of 16 black/white 40-pixel blocks across
the middle of a grey 640x480 picture; ``read_frame_number(frame)`` reads it back from luma, so
a test (or an interop peer) can check every decoded frame is the one that was sent, through
lossy codecs. ``tone()`` makes a sine ``av.AudioFrame``; ``dominant_frequency()`` finds the
strongest frequency of decoded audio with an FFT.
"""

from __future__ import annotations

import asyncio
import fractions

import av
import numpy as np

from rtcpeer.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack

__all__ = [
    "NumberedVideoTrack",
    "ToneAudioTrack",
    "dominant_frequency",
    "numbered_frame",
    "read_frame_number",
    "tone",
]

BITS = 16
BLOCK = 40


def numbered_frame(number: int, width: int = 640, height: int = 480) -> av.VideoFrame:
    """A yuv420p frame with ``number`` (0..65535) drawn as 16 40x40 blocks, MSB first."""
    if width < BITS * BLOCK or height < BLOCK:  # (use reformat() for smaller frames)
        raise ValueError(f"a numbered frame needs at least {BITS * BLOCK}x{BLOCK} pixels")
    gray = np.full((height, width), 128, dtype=np.uint8)
    top = (height - BLOCK) // 2
    for bit in range(BITS):
        value = 255 if number >> (BITS - 1 - bit) & 1 else 0
        gray[top : top + BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value
    return av.VideoFrame.from_ndarray(gray, format="gray").reformat(format="yuv420p")


def read_frame_number(frame: av.VideoFrame) -> int:
    """The number drawn by numbered_frame, from the centre of each block's luma."""
    gray = frame.to_ndarray(format="gray")
    height, width = gray.shape
    block = width * BLOCK // 640  # the picture may have been scaled
    top = (height - block) // 2
    number = 0
    for bit in range(BITS):
        y0, x0 = top + block // 4, bit * block + block // 4
        patch = gray[y0 : y0 + block // 2, x0 : x0 + block // 2]
        number = (number << 1) | int(patch.mean() > 128)
    return number


def tone(
    frequency: float,
    seconds: float,
    sample_rate: int = 48000,
    layout: str = "mono",
    amplitude: float = 0.5,
    start_sample: int = 0,
) -> av.AudioFrame:
    """A sine as one packed s16 AudioFrame (pts = start_sample)."""
    count = int(seconds * sample_rate)
    t = (np.arange(count) + start_sample) / sample_rate
    mono = (np.sin(2 * np.pi * frequency * t) * amplitude * 32767).astype(np.int16)
    channels = 2 if layout == "stereo" else 1
    packed = np.repeat(mono, channels).reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(packed, format="s16", layout=layout)
    frame.sample_rate = sample_rate
    frame.pts = start_sample
    return frame


def dominant_frequency(frames: list[av.AudioFrame]) -> float:
    """The strongest frequency (Hz) of the first channel of decoded audio frames."""
    if not frames:
        raise ValueError("no audio")
    rate = frames[0].sample_rate
    chunks = []
    for frame in frames:
        data = frame.to_ndarray()
        if frame.format.is_planar:
            chunks.append(data[0].astype(np.float64))
        else:
            chunks.append(data[0, :: len(frame.layout.channels)].astype(np.float64))
    samples = np.concatenate(chunks)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


class NumberedVideoTrack(VideoStreamTrack):
    """A live video track whose n-th frame shows ``n`` (see :func:`numbered_frame`)."""

    def __init__(self, width: int = 640, height: int = 480) -> None:
        super().__init__()
        self.width, self.height = width, height
        self.count = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = numbered_frame(self.count % 65536, self.width, self.height)
        self.count += 1
        frame.pts, frame.time_base = pts, time_base
        return frame


class ToneAudioTrack(AudioStreamTrack):
    """A live audio track of a sine, in 20 ms frames at 48 kHz (paced on the loop clock)."""

    def __init__(self, frequency: float = 880.0, sample_rate: int = 48000) -> None:
        super().__init__()
        self.frequency, self.sample_rate = frequency, sample_rate
        self._samples = 0
        self._start: float | None = None

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        delay = self._start + self._samples / self.sample_rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        frame = tone(self.frequency, 0.02, self.sample_rate, start_sample=self._samples)
        frame.time_base = fractions.Fraction(1, self.sample_rate)
        self._samples += frame.samples
        return frame
