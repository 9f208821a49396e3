"""Media: RTP payload formats (pure) and, in :mod:`rtcpeer.media.codecs`, PyAV codec wrappers;
sources and sinks over rtcpeer's tracks with ``aiortc.contrib.media``'s API.

Payload formats (no PyAV): :mod:`.vp8` (RFC 7741), :mod:`.vp9` (RFC 9628), :mod:`.h264`
(RFC 6184), :mod:`.av1` (AOM AV1 RTP v1.0), :mod:`.audio` (RFC 7587, RFC 3551). The shared
error types and the depacketizer protocol a jitter buffer uses are in :mod:`.payload`.

Sources and sinks (PyAV, worker threads): :class:`MediaPlayer` (:mod:`.player`),
:class:`MediaRecorder` (:mod:`.recorder`), :class:`MediaRelay` (:mod:`.relay`),
:class:`MediaBlackhole` (:mod:`.blackhole`).
"""

from .audio import G722Payload, OpusPayload, PcmaPayload, PcmuPayload
from .av1 import Av1Depacketizer, Av1Packetizer
from .blackhole import MediaBlackhole
from .h264 import H264Depacketizer, H264Packetizer
from .payload import Depacketizer, FrameLossError, Packetizer, PayloadError
from .player import MediaPlayer, PlayerStreamTrack
from .recorder import MediaRecorder
from .relay import MediaRelay, RelayStreamTrack
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
    "MediaBlackhole",
    "MediaPlayer",
    "MediaRecorder",
    "MediaRelay",
    "OpusPayload",
    "Packetizer",
    "PayloadError",
    "PcmaPayload",
    "PcmuPayload",
    "PlayerStreamTrack",
    "RelayStreamTrack",
    "Vp8Depacketizer",
    "Vp8Packetizer",
    "Vp9Depacketizer",
    "Vp9Packetizer",
]
