"""MediaRecorder: writes audio and video tracks into one file with PyAV (aiortc-compatible).

``MediaRecorder(file, format=None, options=None)`` opens the output at once; the container is
named by ``format`` or guessed from the file's extension, and picks the codecs:

=============  ===========  ==========
container      video        audio
=============  ===========  ==========
webm, mkv      VP8          Opus
mp4, mov       H.264        AAC
ogg, opus      (none)       Opus
wav            (none)       PCM s16le
image2         PNG          (none)
=============  ===========  ==========

``addTrack(track)`` before ``await start()``; ``await stop()`` stops reading, flushes the
encoders and closes the file (without waiting on the loop: the worker does it).

* One reader task per track pulls frames on the loop; one encoder thread per recorder converts,
  encodes and muxes them, so encoding never runs on the event loop. At most
  :data:`PENDING_LIMIT` frames wait for the encoder: a reader that gets ahead waits (back-pressure
  onto its track), nothing is dropped.
* Timestamps: each track's frames are placed by their own ``pts`` relative to that track's first
  frame, shifted by when (on the loop clock) its first frame arrived after the recorder's first
  frame of any track; so audio and video line up as they were produced, and the container's
  duration is the media's real duration. A frame with no pts is placed by its arrival time.
* Frames are not modified (the same frame may go to other consumers through a MediaRelay):
  video is reformatted or copied before its pts is set, audio is resampled into new frames.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

import av
import av.container

from ..mediastreams import VIDEO_CLOCK_RATE, MediaStreamError, MediaStreamTrack

__all__ = ["PENDING_LIMIT", "MediaRecorder"]

logger = logging.getLogger(__name__)

PENDING_LIMIT = 64  # frames queued for the encoder thread before the readers wait
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_GAP = fractions.Fraction(1, 10)  # an audio pts jump over 100 ms is kept as a gap

# container format name -> encoder, by kind (None: the container takes no such track)
AUDIO_ENCODERS: dict[str, str | None] = {
    "webm": "libopus", "matroska": "libopus", "ogg": "libopus", "opus": "libopus",
    "mp4": "aac", "mov": "aac", "wav": "pcm_s16le", "mp3": "mp3", "image2": None,
}  # fmt: skip
VIDEO_ENCODERS: dict[str, str | None] = {
    "webm": "libvpx", "matroska": "libvpx", "mp4": "libx264", "mov": "libx264",
    "image2": "png", "ogg": None, "opus": None, "wav": None, "mp3": None,
}  # fmt: skip
DEFAULT_ENCODERS = {"audio": "aac", "video": "libx264"}
# Live-recording settings: keep up with real time on a small machine.
ENCODER_OPTIONS = {
    "libvpx": {"deadline": "realtime", "cpu-used": "4"},
    "libx264": {"preset": "veryfast"},
}
PIXEL_FORMATS = {"png": "rgb24"}
PCM_ENCODERS = frozenset({"pcm_s16le"})


@dataclass
class _TrackContext:
    """One recorded track: its output stream and the timing state its frames need."""

    track: MediaStreamTrack
    stream: Any
    codec: str
    task: asyncio.Task[None] | None = None
    start_offset: fractions.Fraction | None = None  # its first frame after the recorder's first
    first_pts: int | None = None
    first_time_base: fractions.Fraction | None = None
    next_pts: int = 0  # audio: next output sample; video: lowest pts the next frame may take
    resampler: av.AudioResampler | None = None
    size: tuple[int, int] | None = None
    frames: int = 0  # frames given to the encoder


def _copy_video(frame: av.VideoFrame) -> av.VideoFrame:
    """A new frame with the same picture (row by row: line sizes may differ)."""
    out = av.VideoFrame(frame.width, frame.height, frame.format.name)
    for src, dst in zip(frame.planes, out.planes, strict=True):
        src_view, dst_view = memoryview(src), memoryview(dst)
        if src.line_size == dst.line_size and src.buffer_size == dst.buffer_size:
            dst_view[:] = src_view
            continue
        row = min(src.line_size, dst.line_size)
        for y in range(dst.height):
            dst_view[y * dst.line_size : y * dst.line_size + row] = src_view[
                y * src.line_size : y * src.line_size + row
            ]
    return out


class _Encoder(threading.Thread):
    """Encodes and muxes queued frames; closes the container when told to finish."""

    def __init__(
        self, container: av.container.OutputContainer, loop: asyncio.AbstractEventLoop
    ) -> None:
        super().__init__(name="rtcpeer-media-recorder", daemon=True)
        self.container = container
        self.loop = loop
        self.inbox: queue.SimpleQueue[tuple[_TrackContext, Any, fractions.Fraction] | None] = (
            queue.SimpleQueue()
        )
        self.room = asyncio.Semaphore(PENDING_LIMIT)
        self.done: asyncio.Future[None] = loop.create_future()
        self.contexts: list[_TrackContext] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while (entry := self.inbox.get()) is not None:
                context, frame, arrival = entry
                try:
                    self._encode(context, frame, arrival)
                finally:
                    self._call(self.room.release)
            self._flush()
        except Exception as exc:  # reported to stop(); the file is closed either way
            self.error = exc
            logger.warning("MediaRecorder(%s): encoding failed: %s", self.container.name, exc)
        finally:
            with contextlib.suppress(Exception):
                self.container.close()
            self._call(self._set_done)

    def _call(self, callback: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed
            self.loop.call_soon_threadsafe(callback)

    def _set_done(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def _encode(self, context: _TrackContext, frame: Any, arrival: fractions.Fraction) -> None:
        frames: list[Any]
        if isinstance(frame, av.VideoFrame):
            frames = [self._video(context, frame, arrival)]
        else:
            frames = self._audio(context, frame, arrival)
        for out in frames:
            context.frames += 1
            for packet in context.stream.encode(out):
                self.container.mux(packet)

    def _relative(
        self, context: _TrackContext, frame: Any, arrival: fractions.Fraction
    ) -> fractions.Fraction:
        """Seconds from the recorder's start at which this frame belongs."""
        assert context.start_offset is not None
        if frame.pts is None or frame.time_base is None:
            return arrival
        if context.first_pts is None or context.first_time_base is None:
            context.first_pts, context.first_time_base = frame.pts, frame.time_base
        first = context.first_pts * context.first_time_base
        when: fractions.Fraction = context.start_offset + frame.pts * frame.time_base - first
        return when

    def _video(
        self, context: _TrackContext, frame: av.VideoFrame, arrival: fractions.Fraction
    ) -> av.VideoFrame:
        when = self._relative(context, frame, arrival)
        if context.size is None:
            context.size = (frame.width, frame.height)
            context.stream.codec_context.width, context.stream.codec_context.height = context.size
            context.stream.codec_context.time_base = VIDEO_TIME_BASE
        width, height = context.size
        out = frame.reformat(width=width, height=height, format=context.stream.pix_fmt)
        if out is frame:
            out = _copy_video(frame)
        pts = max(round(when * VIDEO_CLOCK_RATE), context.next_pts)
        context.next_pts = pts + 1
        out.pts, out.time_base = pts, VIDEO_TIME_BASE
        return out

    def _audio(
        self, context: _TrackContext, frame: av.AudioFrame, arrival: fractions.Fraction
    ) -> list[av.AudioFrame]:
        when = self._relative(context, frame, arrival)
        codec = context.stream.codec_context
        if context.resampler is None:
            codec.sample_rate = frame.sample_rate if context.codec in PCM_ENCODERS else 48000
            codec.layout = "mono" if frame.layout.nb_channels == 1 else "stereo"
            codec.time_base = fractions.Fraction(1, codec.sample_rate)
            codec.open()
            context.resampler = av.AudioResampler(
                format=codec.format.name,
                layout=codec.layout.name,
                rate=codec.sample_rate,
                frame_size=codec.frame_size or None,
            )
            context.next_pts = round(when * codec.sample_rate)
        expected = round(when * codec.sample_rate)
        if expected - context.next_pts > AUDIO_GAP * codec.sample_rate:
            context.next_pts = expected  # the source skipped: keep the gap
        return self._stamp(context, context.resampler.resample(frame))

    def _stamp(self, context: _TrackContext, frames: list[av.AudioFrame]) -> list[av.AudioFrame]:
        rate = context.stream.codec_context.sample_rate
        for out in frames:
            out.pts, out.time_base = context.next_pts, fractions.Fraction(1, rate)
            context.next_pts += out.samples
        return frames

    def _flush(self) -> None:
        for context in self.contexts:
            if context.start_offset is None:
                continue  # no frame ever arrived: the codec was never opened
            tail: list[Any] = []
            if context.resampler is not None:
                tail = self._stamp(context, context.resampler.resample(None))
            for out in [*tail, None]:
                for packet in context.stream.encode(out):
                    self.container.mux(packet)


class MediaRecorder:
    """A media sink writing audio and/or video into one file (see the module doc).

    :param file: a path or a file-like object (``av.open``'s ``file``).
    :param format: the container format; guessed from the extension when None.
    :param options: FFmpeg options for the output (``av.open``'s ``options``).
    """

    def __init__(
        self, file: Any, format: str | None = None, options: dict[str, str] | None = None
    ) -> None:
        self._container: av.container.OutputContainer | None = av.open(
            file=file, format=format, mode="w", options=options
        )
        self._contexts: dict[MediaStreamTrack, _TrackContext] = {}
        self._encoder: _Encoder | None = None
        self._first_arrival: float | None = None

    def addTrack(self, track: MediaStreamTrack) -> None:
        """Add a track to record (before start()); one stream per track in the file."""
        container = self._container
        if container is None:
            raise RuntimeError("MediaRecorder is stopped")
        if track in self._contexts:
            return
        fmt = container.format.name
        if track.kind not in DEFAULT_ENCODERS:
            raise ValueError(f"MediaRecorder cannot record a track of kind {track.kind!r}")
        table = AUDIO_ENCODERS if track.kind == "audio" else VIDEO_ENCODERS
        codec = table.get(fmt, DEFAULT_ENCODERS[track.kind])
        if codec is None:
            raise ValueError(f"MediaRecorder: a {fmt} file cannot hold a {track.kind} track")
        if track.kind == "video":
            stream: Any = container.add_stream(codec, rate=30)
            stream.pix_fmt = PIXEL_FORMATS.get(codec, "yuv420p")
        else:
            stream = container.add_stream(codec)
        if codec in ENCODER_OPTIONS:
            stream.codec_context.options = dict(ENCODER_OPTIONS[codec])
        self._contexts[track] = _TrackContext(track=track, stream=stream, codec=codec)

    async def start(self) -> None:
        """Start recording: one reader per track, one encoder thread."""
        if self._container is None:
            raise RuntimeError("MediaRecorder is stopped")
        if self._encoder is None:
            self._encoder = _Encoder(self._container, asyncio.get_running_loop())
            self._encoder.contexts = list(self._contexts.values())
            self._encoder.start()
        encoder = self._encoder
        for context in self._contexts.values():
            if context.task is None:
                context.task = asyncio.ensure_future(self._read(context, encoder))

    async def stop(self) -> None:
        """Stop recording: stop reading, flush the encoders and close the file."""
        if self._container is None:
            return
        tasks = [c.task for c in self._contexts.values() if c.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        encoder, container = self._encoder, self._container
        self._container = None
        if encoder is None:
            container.close()
            return
        encoder.inbox.put(None)
        await encoder.done
        if encoder.error is not None:
            raise RuntimeError(f"MediaRecorder: encoding failed: {encoder.error}")

    async def _read(self, context: _TrackContext, encoder: _Encoder) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                frame = await context.track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, av.AudioFrame | av.VideoFrame):
                raise TypeError(f"MediaRecorder records frames, not {type(frame).__name__}")
            now = loop.time()
            if self._first_arrival is None:
                self._first_arrival = now
            arrival = fractions.Fraction(round((now - self._first_arrival) * 1e6), 10**6)
            if context.start_offset is None:
                context.start_offset = arrival
            await encoder.room.acquire()
            encoder.inbox.put((context, frame, arrival))
