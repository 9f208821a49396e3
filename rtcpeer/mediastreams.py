"""Media tracks (W3C mediacapture-streams §4.3 MediaStreamTrack) with aiortc's pull model.

A track produces frames when asked: ``await track.recv()`` returns the next
``av.AudioFrame`` / ``av.VideoFrame`` (or an ``av.Packet`` for pre-encoded pass-through), with
``pts`` and ``time_base`` set. Video uses a 90 kHz time base; audio uses its sample rate. A
sender pulls from its track; a receiver's remote track is pulled by the application. Code
written for aiortc's ``aiortc.mediastreams`` ports by changing the import:

* :class:`MediaStreamTrack`: ``kind``, ``id``, ``readyState`` (``"live"``/``"ended"``),
  ``stop()`` and the ``"ended"`` event; subclasses implement ``async recv()``.
* :class:`AudioStreamTrack`: silence, 20 ms frames at 8 kHz mono s16, paced in real time.
* :class:`VideoStreamTrack`: 640x480 green frames at 30 fps; ``next_timestamp()`` paces and
  returns ``(pts, time_base)`` as aiortc's does, for subclasses that draw their own frames.
* :class:`MediaStreamError`: raised by ``recv()`` once the track has ended.

Pacing reads the event loop's clock (``loop.time()``), the one clock of the stack.
"""

from __future__ import annotations

import asyncio
import fractions
import uuid
from typing import Any

import av

from ._events import EventEmitter

__all__ = [
    "AUDIO_PTIME",
    "VIDEO_CLOCK_RATE",
    "VIDEO_PTIME",
    "VIDEO_TIME_BASE",
    "AudioStreamTrack",
    "MediaStreamError",
    "MediaStreamTrack",
    "RemoteStreamTrack",
    "VideoStreamTrack",
]

AUDIO_PTIME = 0.020  # 20 ms audio frames
VIDEO_CLOCK_RATE = 90000
VIDEO_PTIME = 1 / 30  # 30 frames per second
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)


class MediaStreamError(Exception):
    """The track has ended: ``recv()`` has nothing more to give."""


class MediaStreamTrack(EventEmitter):
    """One media track. Subclasses set ``kind`` and implement ``async recv()``."""

    kind = "unknown"

    def __init__(self) -> None:
        super().__init__()
        self._ended = False
        self._id = str(uuid.uuid4())

    @property
    def id(self) -> str:
        return self._id

    @property
    def readyState(self) -> str:
        return "ended" if self._ended else "live"

    async def recv(self) -> Any:
        """The next frame (``av.AudioFrame`` / ``av.VideoFrame``) or ``av.Packet``."""
        raise NotImplementedError

    def stop(self) -> None:
        """End the track (W3C §4.3.1.2 stop()): ``"ended"`` fires once, then no more events."""
        if self._ended:
            return
        self._ended = True
        self.emit("ended")
        self._handlers.clear()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, id={self._id!r})"


class _Pacer:
    """Real-time pacing on the loop clock: the n-th timestamp is due at start + n/rate."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.start: float | None = None
        self.timestamp = 0

    async def next(self, step: int) -> int:
        loop = asyncio.get_running_loop()
        if self.start is None:
            self.start = loop.time()
            return 0
        self.timestamp += step
        delay = self.start + self.timestamp / self.rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        return self.timestamp


class AudioStreamTrack(MediaStreamTrack):
    """A live audio track of silence (subclass it and override ``recv`` for sound)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._pacer = _Pacer(8000)

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        rate = 8000
        samples = int(AUDIO_PTIME * rate)
        pts = await self._pacer.next(samples)
        frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts = pts
        frame.sample_rate = rate
        frame.time_base = fractions.Fraction(1, rate)
        return frame


class VideoStreamTrack(MediaStreamTrack):
    """A live video track of green 640x480 frames at 30 fps."""

    kind = "video"

    def __init__(self) -> None:
        super().__init__()
        self._pacer = _Pacer(VIDEO_CLOCK_RATE)

    async def next_timestamp(self) -> tuple[int, fractions.Fraction]:
        """Wait until the next frame is due; its ``(pts, time_base)`` (90 kHz)."""
        if self.readyState != "live":
            raise MediaStreamError
        pts = await self._pacer.next(int(VIDEO_PTIME * VIDEO_CLOCK_RATE))
        return pts, VIDEO_TIME_BASE

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(width=640, height=480)
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        frame.pts = pts
        frame.time_base = time_base
        return frame


class RemoteStreamTrack(MediaStreamTrack):
    """The track of an RTCRtpReceiver: ``recv()`` returns decoded frames as they arrive, and
    raises :class:`MediaStreamError` once the track has ended and its queue is empty."""

    def __init__(self, kind: str, id: str | None = None) -> None:
        super().__init__()
        self.kind = kind
        if id is not None:
            self._id = id
        self._queue: asyncio.Queue[Any] = asyncio.Queue()

    def _put(self, frame: Any) -> None:
        """From the receiver's media path: one decoded frame (or None at the end)."""
        if not self._ended:
            self._queue.put_nowait(frame)

    async def recv(self) -> Any:
        if self._ended and self._queue.empty():
            raise MediaStreamError
        frame = await self._queue.get()
        if frame is None:
            self._ended = True
            raise MediaStreamError
        return frame

    def stop(self) -> None:
        if not self._ended:
            self._queue.put_nowait(None)  # wakes a pending recv()
        super().stop()
