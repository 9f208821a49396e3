"""Real encoder output for the payload-format tests (PyAV directly, small pictures)."""

from __future__ import annotations

import os
import random
from fractions import Fraction

import av
import numpy as np

from rtcpeer.media.codecs.video import demote_realtime_threads, realtime_threads

os.environ.setdefault("SVT_LOG", "1")  # SVT-AV1: errors only

ENCODER_OPTIONS: dict[str, dict[str, str]] = {
    "libvpx": {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"},
    "libvpx-vp9": {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"},
    "libx264": {
        "profile": "baseline",
        "tune": "zerolatency",
        "preset": "ultrafast",
        "forced-idr": "1",
        "x264-params": "repeat-headers=1:annexb=1",
    },
    "libsvtav1": {"preset": "10", "svtav1-params": "pred-struct=1:lookahead=0:rc=2"},
}


def encode_frames(
    codec: str, count: int = 5, keyframes: tuple[int, ...] = (0,), size: int = 64
) -> list[tuple[bytes, bool]]:
    """(bitstream, encoder keyframe flag) per frame; ``keyframes`` are forced key frames."""
    before = realtime_threads()
    try:
        return _encode_frames(codec, count, keyframes, size)
    finally:
        demote_realtime_threads(keep=before)  # SVT-AV1 as root turns threads SCHED_FIFO


def _encode_frames(
    codec: str, count: int, keyframes: tuple[int, ...], size: int
) -> list[tuple[bytes, bool]]:
    ctx = av.CodecContext.create(codec, "w")
    ctx.width = ctx.height = size
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = Fraction(1, 30)
    ctx.framerate = Fraction(30)
    ctx.bit_rate = 300_000
    ctx.options = ENCODER_OPTIONS[codec]
    rng = np.random.default_rng(1)
    out = []
    for i in range(count):
        picture = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        if i in keyframes:
            frame.pict_type = av.video.frame.PictureType.I
        out += [(bytes(p), bool(p.is_keyframe)) for p in ctx.encode(frame)]
    out += [(bytes(p), bool(p.is_keyframe)) for p in ctx.encode(None)]
    return out


def random_bytes(rng: random.Random, size: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(size))
