"""Codec wrappers over PyAV: one encoder and one decoder class per codec.

No asyncio; each instance is used by one stream (thread-safe per instance through a lock), so
the wrappers can run in worker threads (libvpx, x264 and dav1d release the GIL).
"""

from .audio import (
    AudioDecoder,
    AudioEncoder,
    G722Decoder,
    G722Encoder,
    OpusDecoder,
    OpusEncoder,
    PcmaDecoder,
    PcmaEncoder,
    PcmuDecoder,
    PcmuEncoder,
)
from .base import DecodeError, EncodedFrame
from .video import (
    Av1Decoder,
    Av1Encoder,
    H264Decoder,
    H264Encoder,
    VideoDecoder,
    VideoEncoder,
    Vp8Decoder,
    Vp8Encoder,
    Vp9Decoder,
    Vp9Encoder,
)

__all__ = [
    "AudioDecoder",
    "AudioEncoder",
    "Av1Decoder",
    "Av1Encoder",
    "DecodeError",
    "EncodedFrame",
    "G722Decoder",
    "G722Encoder",
    "H264Decoder",
    "H264Encoder",
    "OpusDecoder",
    "OpusEncoder",
    "PcmaDecoder",
    "PcmaEncoder",
    "PcmuDecoder",
    "PcmuEncoder",
    "VideoDecoder",
    "VideoEncoder",
    "Vp8Decoder",
    "Vp8Encoder",
    "Vp9Decoder",
    "Vp9Encoder",
]
