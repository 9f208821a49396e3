"""Video encoders and decoders over PyAV: VP8, VP9 (libvpx), H.264 (libx264 / h264), AV1
(libsvtav1 / libdav1d).

Encoders take any ``av.VideoFrame`` and reformat it to the configured size and pixel format;
``encode(frame, force_keyframe)`` returns EncodedFrames with 90 kHz RTP timestamps (from the
frame's pts/time_base when set, otherwise from the frame rate). Target bitrate, frame rate and
resolution change at runtime: the codec context is re-opened with the new settings on the next
frame (the next output is then a keyframe) because libvpx does not pick up a changed bit_rate
through FFmpeg on an open context.

Browser-compatible settings: VP8/VP9 realtime (deadline realtime, cpu-used, error resilient,
lag-in-frames 0); H.264 constrained baseline level 3.1 (x264 profile baseline, tune
zerolatency, no B-frames, SPS/PPS repeated on every IDR, Annex B, forced IDR on request);
AV1 SVT-AV1 low-delay CBR.
"""

from __future__ import annotations

import contextlib
import os
import threading
from fractions import Fraction
from typing import Any, ClassVar

import av

from .base import DecodeError, EncodedFrame, check_options_used

__all__ = [
    "Av1Decoder",
    "Av1Encoder",
    "H264Decoder",
    "H264Encoder",
    "VideoDecoder",
    "VideoEncoder",
    "Vp8Decoder",
    "Vp8Encoder",
    "Vp9Decoder",
    "Vp9Encoder",
]

VIDEO_CLOCK = 90_000
_KEY = av.video.frame.PictureType.I
_ANY = av.video.frame.PictureType.NONE
os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1 prints its banner otherwise


class VideoEncoder:
    codec_name: ClassVar[str] = ""

    def __init__(
        self,
        width: int = 640,
        height: int = 480,
        framerate: float = 30.0,
        bitrate: int = 1_000_000,
        pix_fmt: str = "yuv420p",
    ) -> None:
        self.width, self.height = width, height
        self.framerate = framerate
        self.bitrate = bitrate
        self.pix_fmt = pix_fmt
        self._lock = threading.Lock()
        self._ctx: Any = None
        self._frame_index = 0

    def options(self) -> dict[str, str]:
        return {}

    def _open(self) -> Any:
        ctx: Any = av.CodecContext.create(self.codec_name, "w")
        ctx.width, ctx.height, ctx.pix_fmt = self.width, self.height, self.pix_fmt
        rate = Fraction(self.framerate).limit_denominator(1000)
        ctx.framerate = rate
        ctx.time_base = 1 / rate
        ctx.bit_rate = self.bitrate
        ctx.gop_size = 3000  # keyframes on request (PLI/FIR) and at start
        ctx.max_b_frames = 0
        ctx.options = self.options()
        ctx.open()
        check_options_used(ctx)
        return ctx

    def set_target_bitrate(self, bitrate: int) -> None:
        with self._lock:
            if bitrate != self.bitrate:
                self.bitrate = bitrate
                self._ctx = None

    def set_framerate(self, framerate: float) -> None:
        with self._lock:
            if framerate != self.framerate:
                self.framerate = framerate
                self._ctx = None

    def set_resolution(self, width: int, height: int) -> None:
        with self._lock:
            if (width, height) != (self.width, self.height):
                self.width, self.height = width, height
                self._ctx = None

    def _timestamp(self, frame: av.VideoFrame) -> int:
        if frame.pts is not None and frame.time_base is not None:
            return int(frame.pts * frame.time_base * VIDEO_CLOCK) & 0xFFFFFFFF
        return int(self._frame_index * VIDEO_CLOCK / self.framerate) & 0xFFFFFFFF

    def encode(self, frame: av.VideoFrame, force_keyframe: bool = False) -> list[EncodedFrame]:
        with self._lock:
            timestamp = self._timestamp(frame)
            if self._ctx is None:
                self._ctx = self._open()
            if (frame.width, frame.height, frame.format.name) != (
                self.width,
                self.height,
                self.pix_fmt,
            ):
                frame = frame.reformat(self.width, self.height, self.pix_fmt)
            saved = frame.pts, frame.time_base, frame.pict_type  # restored: the caller's frame
            frame.pts = self._frame_index
            frame.time_base = self._ctx.time_base
            self._frame_index += 1
            frame.pict_type = _KEY if force_keyframe else _ANY
            try:
                packets = self._ctx.encode(frame)
            finally:
                frame.pts, frame.pict_type = saved[0], saved[2]
                if saved[1] is not None:
                    frame.time_base = saved[1]
            return [EncodedFrame(bytes(p), timestamp, bool(p.is_keyframe)) for p in packets]


class _VpxEncoder(VideoEncoder):
    def options(self) -> dict[str, str]:
        return {
            "deadline": "realtime",
            "cpu-used": "8",
            "lag-in-frames": "0",
            "error-resilient": "1",
            "auto-alt-ref": "0",
        }


class Vp8Encoder(_VpxEncoder):
    codec_name = "libvpx"


class Vp9Encoder(_VpxEncoder):
    codec_name = "libvpx-vp9"

    def options(self) -> dict[str, str]:
        return {**super().options(), "row-mt": "1"}


class H264Encoder(VideoEncoder):
    """x264 constrained baseline (profile-level-id 42e01f), packetization-mode 1 streams."""

    codec_name = "libx264"

    def options(self) -> dict[str, str]:
        return {
            "profile": "baseline",
            "level": "31",
            "preset": "ultrafast",
            "tune": "zerolatency",
            "forced-idr": "1",
            "x264-params": "repeat-headers=1:annexb=1:bframes=0:nal-hrd=none",
        }


class Av1Encoder(VideoEncoder):
    """SVT-AV1. Running as root, SVT-AV1 switches the calling thread and every thread it
    creates to real-time scheduling (SCHED_FIFO); its busy-waiting workers then starve the
    event loop on a small machine (seen here: a test process livelocked for minutes). The
    scheduling of threads it turned real-time is put back after the first encodes."""

    codec_name = "libsvtav1"
    _CHECKED_ENCODES = 5  # SVT starts its threads when opened and on the first frames

    def options(self) -> dict[str, str]:
        return {"preset": "10", "svtav1-params": "pred-struct=1:lookahead=0:rc=2"}

    def encode(self, frame: av.VideoFrame, force_keyframe: bool = False) -> list[EncodedFrame]:
        if self._frame_index >= self._CHECKED_ENCODES:
            return super().encode(frame, force_keyframe)
        before = realtime_threads()
        try:
            return super().encode(frame, force_keyframe)
        finally:
            demote_realtime_threads(keep=before)


def realtime_threads() -> set[int]:
    out = set()
    for name in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):
            if os.sched_getscheduler(int(name)) in (os.SCHED_FIFO, os.SCHED_RR):
                out.add(int(name))
    return out


def demote_realtime_threads(keep: set[int]) -> None:
    """Threads that became real-time since ``keep`` was taken go back to SCHED_OTHER."""
    for tid in realtime_threads() - keep:
        with contextlib.suppress(OSError):  # the thread may have exited
            os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))


class VideoDecoder:
    codec_name: ClassVar[str] = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ctx: Any = av.CodecContext.create(self.codec_name, "r")
        self._ctx.options = self.options()

    def options(self) -> dict[str, str]:
        return {}

    def decode(self, bitstream: bytes, timestamp: int) -> list[av.VideoFrame]:
        """Decoded frames (pts = the RTP timestamp); DecodeError if the codec rejects it."""
        with self._lock:
            packet = av.Packet(bitstream)
            packet.pts = timestamp
            try:
                frames: list[av.VideoFrame] = self._ctx.decode(packet)
            except av.FFmpegError as exc:
                raise DecodeError(f"{self.codec_name}: {exc}") from exc
            return frames


class Vp8Decoder(VideoDecoder):
    codec_name = "vp8"


class Vp9Decoder(VideoDecoder):
    codec_name = "vp9"


class H264Decoder(VideoDecoder):
    codec_name = "h264"


class Av1Decoder(VideoDecoder):
    codec_name = "libdav1d"

    def options(self) -> dict[str, str]:
        return {"max_frame_delay": "1"}  # one frame out per temporal unit, no pipelining delay
