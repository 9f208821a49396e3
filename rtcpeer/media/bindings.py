"""The codecs rtcpeer negotiates, each bound to the code that implements it.

One :class:`Binding` per codec names its payload format (packetizer, depacketizer) and its PyAV
encoder and decoder, together with the SDP it is offered with: payload type, fmtp, and the
RTCP feedback the media core implements for it (DESIGN rule 9). ``rtcpeer.capabilities``
reads :data:`BINDINGS` for offers, answers and ``getCapabilities``; the media flow reads it to
build encoders and decoders.

Feedback implemented for video (see :mod:`rtcpeer._mediacore`): ``nack`` (NACK generator and
RTX responder, RFC 4585 §6.2.1 / RFC 4588), ``nack pli`` (keyframe requests and keyframes on
request, RFC 4585 §6.3.1), ``ccm fir`` (RFC 5104 §4.3.1). Audio gets none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..sdp.model import RtcpFeedback
from . import codecs as av_codecs
from .audio import G722Payload, OpusPayload, PcmaPayload, PcmuPayload
from .av1 import Av1Depacketizer, Av1Packetizer
from .h264 import H264Depacketizer, H264Packetizer
from .vp8 import Vp8Depacketizer, Vp8Packetizer
from .vp9 import Vp9Depacketizer, Vp9Packetizer

__all__ = ["BINDINGS", "Binding", "binding_for"]

VIDEO_FEEDBACK = (
    RtcpFeedback("nack"),
    RtcpFeedback("nack", "pli"),
    RtcpFeedback("ccm", "fir"),
)


@dataclass(frozen=True)
class Binding:
    kind: str
    name: str
    clock_rate: int
    payload_type: int
    channels: int | None
    fmtp: tuple[tuple[str, str], ...]
    feedback: tuple[RtcpFeedback, ...]
    rtx_payload_type: int | None
    make_encoder: Callable[[Any], Any]
    make_decoder: Callable[[], Any]
    make_packetizer: Callable[[], Any]
    make_depacketizer: Callable[[], Any]

    # the CodecBinding protocol of rtcpeer._mediaflow
    def encoder(self, settings: Any) -> Any:
        return self.make_encoder(settings)

    def decoder(self) -> Any:
        return self.make_decoder()

    def packetizer(self) -> Any:
        return self.make_packetizer()

    def depacketizer(self) -> Any:
        return self.make_depacketizer()

    def starts_frame(self, payload: bytes) -> bool:
        return bool(self._boundaries.starts_frame(payload))

    def is_keyframe(self, payload: bytes) -> bool:
        return bool(self._boundaries.is_keyframe(payload))

    @property
    def _boundaries(self) -> Any:
        return _BOUNDARIES.setdefault(self.name.lower(), self.make_depacketizer())


_BOUNDARIES: dict[str, Any] = {}


def _video_encoder(cls: Any) -> Callable[[Any], Any]:
    def make(settings: Any) -> Any:
        bitrate = getattr(settings, "max_bitrate", None) or 1_000_000
        framerate = getattr(settings, "max_framerate", None) or 30.0
        return cls(bitrate=bitrate, framerate=framerate)

    return make


def _audio_encoder(cls: Any) -> Callable[[Any], Any]:
    def make(settings: Any) -> Any:
        return cls(bitrate=getattr(settings, "max_bitrate", None))

    return make


def _h264_packetizer() -> Any:
    return H264Packetizer(packetization_mode=1)


BINDINGS: tuple[Binding, ...] = (
    Binding(
        "video",
        "VP8",
        90000,
        96,
        None,
        (),
        VIDEO_FEEDBACK,
        97,
        _video_encoder(av_codecs.Vp8Encoder),
        av_codecs.Vp8Decoder,
        Vp8Packetizer,
        Vp8Depacketizer,
    ),
    Binding(
        "video",
        "VP9",
        90000,
        98,
        None,
        (("profile-id", "0"),),
        VIDEO_FEEDBACK,
        99,
        _video_encoder(av_codecs.Vp9Encoder),
        av_codecs.Vp9Decoder,
        Vp9Packetizer,
        Vp9Depacketizer,
    ),
    Binding(
        "video",
        "H264",
        90000,
        100,
        None,
        (
            ("level-asymmetry-allowed", "1"),
            ("packetization-mode", "1"),
            ("profile-level-id", "42e01f"),
        ),
        VIDEO_FEEDBACK,
        101,
        _video_encoder(av_codecs.H264Encoder),
        av_codecs.H264Decoder,
        _h264_packetizer,
        H264Depacketizer,
    ),
    Binding(
        "video",
        "AV1",
        90000,
        45,
        None,
        (),
        VIDEO_FEEDBACK,
        46,
        _video_encoder(av_codecs.Av1Encoder),
        av_codecs.Av1Decoder,
        Av1Packetizer,
        Av1Depacketizer,
    ),
    Binding(
        "audio",
        "opus",
        48000,
        111,
        2,
        (("minptime", "10"), ("useinbandfec", "1")),
        (),
        None,
        _audio_encoder(av_codecs.OpusEncoder),
        av_codecs.OpusDecoder,
        OpusPayload,
        OpusPayload,
    ),
    Binding(
        "audio",
        "G722",
        8000,
        9,
        None,
        (),
        (),
        None,
        _audio_encoder(av_codecs.G722Encoder),
        av_codecs.G722Decoder,
        G722Payload,
        G722Payload,
    ),
    Binding(
        "audio",
        "PCMU",
        8000,
        0,
        None,
        (),
        (),
        None,
        _audio_encoder(av_codecs.PcmuEncoder),
        av_codecs.PcmuDecoder,
        PcmuPayload,
        PcmuPayload,
    ),
    Binding(
        "audio",
        "PCMA",
        8000,
        8,
        None,
        (),
        (),
        None,
        _audio_encoder(av_codecs.PcmaEncoder),
        av_codecs.PcmaDecoder,
        PcmaPayload,
        PcmaPayload,
    ),
)

_BY_NAME = {b.name.lower(): b for b in BINDINGS}


def binding_for(name: str) -> Binding | None:
    return _BY_NAME.get(name.lower())
