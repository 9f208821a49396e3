"""Files and tracks for the rtcpeer.media player/recorder/relay/blackhole tests (real PyAV)."""

from __future__ import annotations

import asyncio
import fractions
from pathlib import Path
from typing import Any

import av

from rtcpeer.mediastreams import MediaStreamError, MediaStreamTrack
from rtcpeer.testing.media import numbered_frame, tone

FPS = 30
AUDIO_RATE = 48000
TONE = 880.0
FAST = {
    "libvpx": {"deadline": "realtime", "cpu-used": "8"},
    "libx264": {"preset": "ultrafast"},
}


def write_media_file(
    path: Path,
    seconds: float,
    video: str | None = "libvpx",
    audio: str | None = "libopus",
) -> Path:
    """``seconds`` of numbered 640x480 frames at 30 fps and an 880 Hz tone, encoded with PyAV."""
    with av.open(str(path), mode="w") as container:
        vstream: Any = None
        astream: Any = None
        if video is not None:
            vstream = container.add_stream(video, rate=FPS)
            vstream.width, vstream.height, vstream.pix_fmt = 640, 480, "yuv420p"
            vstream.codec_context.options = dict(FAST.get(video, {}))
        if audio is not None:
            astream = container.add_stream(audio, rate=AUDIO_RATE)
            astream.layout = "stereo"
        if vstream is not None:
            for n in range(round(seconds * FPS)):
                frame = numbered_frame(n)
                frame.pts, frame.time_base = n, fractions.Fraction(1, FPS)
                container.mux(vstream.encode(frame))
            container.mux(vstream.encode(None))
        if astream is not None:
            step = AUDIO_RATE // 50
            for start in range(0, round(seconds * AUDIO_RATE), step):
                frame = tone(TONE, step / AUDIO_RATE, AUDIO_RATE, "stereo", start_sample=start)
                frame.time_base = fractions.Fraction(1, AUDIO_RATE)
                container.mux(astream.encode(frame))
            container.mux(astream.encode(None))
    return path


class GeneratedVideoTrack(MediaStreamTrack):
    """``count`` numbered frames (pts 90 kHz at 30 fps), as fast as asked; then it ends."""

    kind = "video"

    def __init__(self, count: int) -> None:
        super().__init__()
        self.count = count
        self.sent = 0
        self.finished = asyncio.Event()

    async def recv(self) -> av.VideoFrame:
        await asyncio.sleep(0)
        if self.sent >= self.count:
            self.finished.set()
            self.stop()
            raise MediaStreamError
        frame = numbered_frame(self.sent)
        frame.pts, frame.time_base = self.sent * 3000, fractions.Fraction(1, 90000)
        self.sent += 1
        return frame


class GeneratedAudioTrack(MediaStreamTrack):
    """``seconds`` of an 880 Hz tone in 20 ms 48 kHz stereo frames, as fast as asked."""

    kind = "audio"

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.total = round(seconds * AUDIO_RATE)
        self.sample = 0
        self.finished = asyncio.Event()

    async def recv(self) -> av.AudioFrame:
        await asyncio.sleep(0)
        if self.sample >= self.total:
            self.finished.set()
            self.stop()
            raise MediaStreamError
        frame = tone(TONE, 0.02, AUDIO_RATE, "stereo", start_sample=self.sample)
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self.sample += frame.samples
        return frame


class CountingTrack(MediaStreamTrack):
    """Counts recv() calls; frame n is the int n (the relay and blackhole pass anything)."""

    kind = "video"

    def __init__(self, limit: int | None = None, interval: float = 0.0) -> None:
        super().__init__()
        self.calls = 0
        self.limit = limit
        self.interval = interval

    async def recv(self) -> Any:
        await asyncio.sleep(self.interval)
        self.calls += 1
        if self.limit is not None and self.calls > self.limit:
            raise MediaStreamError
        return self.calls - 1
