"""Media: RTP payload formats (pure) and, in :mod:`rtcpeer.media.codecs`, PyAV codec wrappers.

Payload formats (no PyAV): :mod:`.vp8` (RFC 7741), :mod:`.vp9` (RFC 9628), :mod:`.h264`
(RFC 6184), :mod:`.av1` (AOM AV1 RTP v1.0), :mod:`.audio` (RFC 7587, RFC 3551). The shared
error types and the depacketizer protocol a jitter buffer uses are in :mod:`.payload`.
"""

from .audio import G722Payload, OpusPayload, PcmaPayload, PcmuPayload
from .av1 import Av1Depacketizer, Av1Packetizer
from .h264 import H264Depacketizer, H264Packetizer
from .payload import Depacketizer, FrameLossError, Packetizer, PayloadError
from .vp8 import Vp8Depacketizer, Vp8Packetizer
from .vp9 import Vp9Depacketizer, Vp9Packetizer

__all__ = [
    "Av1Depacketizer",
    "Av1Packetizer",
    "Depacketizer",
    "FrameLossError",
    "G722Payload",
    "H264Depacketizer",
    "H264Packetizer",
    "OpusPayload",
    "Packetizer",
    "PayloadError",
    "PcmaPayload",
    "PcmuPayload",
    "Vp8Depacketizer",
    "Vp8Packetizer",
    "Vp9Depacketizer",
    "Vp9Packetizer",
]
