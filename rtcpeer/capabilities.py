"""What rtcpeer can send and receive: codecs and RTP header extensions (W3C webrtc-pc §5.2
``RTCRtpCapabilities``), and the SDP each one puts into an offer.

DESIGN rule 9: a feature registers its SDP together with the code that honours it. Each
:class:`CodecSpec` names the payload format it is implemented by, and each feedback type or
header extension listed here is one the RTP session and media pipeline implement; the answer
is the intersection of the offer with this table (:mod:`rtcpeer.sdp.codecs`). Adding a line here
without the code behind it is a bug.

Payload type numbers are the ones Chromium uses where it has one, so offers read familiarly; the
answerer keeps the offerer's numbers anyway (RFC 9429 §5.3.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .sdp.model import Codec, Extmap, RtcpFeedback

__all__ = [
    "EXTENSIONS",
    "CodecSpec",
    "ExtensionSpec",
    "RTCRtpCapabilities",
    "RTCRtpCodecCapability",
    "RTCRtpHeaderExtensionCapability",
    "capabilities",
    "codec_specs",
    "extension_specs",
    "local_codecs",
]


@dataclass(frozen=True)
class RTCRtpCodecCapability:
    """W3C ``RTCRtpCodec``: e.g. ``RTCRtpCodecCapability("video/VP8", 90000)``."""

    mimeType: str
    clockRate: int
    channels: int | None = None
    sdpFmtpLine: str | None = None

    @property
    def name(self) -> str:
        return self.mimeType.split("/", 1)[1]

    @property
    def kind(self) -> str:
        return self.mimeType.split("/", 1)[0].lower()


@dataclass(frozen=True)
class RTCRtpHeaderExtensionCapability:
    uri: str


@dataclass(frozen=True)
class RTCRtpCapabilities:
    codecs: list[RTCRtpCodecCapability]
    headerExtensions: list[RTCRtpHeaderExtensionCapability]


@dataclass(frozen=True)
class CodecSpec:
    """One codec rtcpeer implements, as it appears in our offers."""

    kind: str
    name: str
    clock_rate: int
    payload_type: int
    channels: int | None = None
    fmtp: tuple[tuple[str, str], ...] = ()
    feedback: tuple[RtcpFeedback, ...] = ()
    rtx_payload_type: int | None = None  # RFC 4588 retransmission, when implemented

    def capability(self) -> RTCRtpCodecCapability:
        fmtp = ";".join(f"{k}={v}" for k, v in self.fmtp) or None
        return RTCRtpCodecCapability(
            f"{self.kind}/{self.name}", self.clock_rate, self.channels, fmtp
        )

    def sdp_codecs(self) -> list[Codec]:
        codec = Codec(
            self.payload_type,
            self.name,
            self.clock_rate,
            self.channels,
            dict(self.fmtp),
            list(self.feedback),
            bool(self.fmtp),
        )
        if self.rtx_payload_type is None:
            return [codec]
        rtx = Codec(
            self.rtx_payload_type,
            "rtx",
            self.clock_rate,
            None,
            {"apt": str(self.payload_type)},
            [],
            True,
        )
        return [codec, rtx]

    def matches(self, cap: RTCRtpCodecCapability) -> bool:
        mine = self.capability()
        return (
            mine.mimeType.lower() == cap.mimeType.lower()
            and mine.clockRate == cap.clockRate
            and (mine.channels or 1) == (cap.channels or 1)
            and (cap.sdpFmtpLine is None or _fmtp_set(cap.sdpFmtpLine) == set(self.fmtp))
        )


def _fmtp_set(line: str) -> set[tuple[str, str]]:
    out = set()
    for part in line.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out.add((k.strip(), v.strip()))
    return out


@dataclass(frozen=True)
class ExtensionSpec:
    """An RTP header extension (RFC 8285) rtcpeer stamps or reads."""

    uri: str
    kinds: tuple[str, ...]
    preferred_id: int


@dataclass
class Registry:
    """The codec and extension tables (module-level :data:`REGISTRY`)."""

    codecs: list[CodecSpec] = field(default_factory=list)
    extensions: list[ExtensionSpec] = field(default_factory=list)


MID = "urn:ietf:params:rtp-hdrext:sdes:mid"
ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
TRANSPORT_CC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
AUDIO_LEVEL = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

REGISTRY = Registry()
EXTENSIONS = REGISTRY.extensions


def codec_specs(kind: str) -> list[CodecSpec]:
    return [c for c in REGISTRY.codecs if c.kind == kind]


def extension_specs(kind: str) -> list[ExtensionSpec]:
    return [e for e in REGISTRY.extensions if kind in e.kinds]


def local_codecs(
    kind: str, preferences: Sequence[RTCRtpCodecCapability] | None = None
) -> list[Codec]:
    """The SDP codecs of one of our m= sections, in preference order (RTX after each)."""
    specs = codec_specs(kind)
    if preferences:
        ordered = []
        for cap in preferences:
            ordered += [s for s in specs if s.matches(cap) and s not in ordered]
        specs = ordered
    out: list[Codec] = []
    for spec in specs:
        out += spec.sdp_codecs()
    return out


def local_extmaps(kind: str) -> list[Extmap]:
    return [Extmap(e.preferred_id, e.uri) for e in extension_specs(kind)]


def capabilities(kind: str) -> RTCRtpCapabilities | None:
    """W3C ``RTCRtpSender.getCapabilities(kind)`` / ``RTCRtpReceiver.getCapabilities(kind)``."""
    if kind not in ("audio", "video"):
        return None
    codecs = [c.capability() for c in codec_specs(kind)]
    if kind == "video":
        codecs += [
            RTCRtpCodecCapability("video/rtx", 90000)
            for _ in (0,)
            if any(c.rtx_payload_type is not None for c in codec_specs(kind))
        ]
    return RTCRtpCapabilities(
        codecs=codecs,
        headerExtensions=[RTCRtpHeaderExtensionCapability(e.uri) for e in extension_specs(kind)],
    )


def _register_implemented() -> None:
    """Fill the registry from the codec bindings and the extensions the RTP session stamps."""
    from .media.bindings import BINDINGS

    REGISTRY.codecs[:] = [
        CodecSpec(
            b.kind,
            b.name,
            b.clock_rate,
            b.payload_type,
            b.channels,
            b.fmtp,
            b.feedback,
            b.rtx_payload_type,
        )
        for b in BINDINGS
    ]
    # RtpSession stamps and routes by these (rtcpeer/rtp/session.py); transport-cc: sequence
    # numbers only (no feedback is offered until congestion control lands).
    REGISTRY.extensions[:] = [
        ExtensionSpec(MID, ("audio", "video"), 4),
        ExtensionSpec(ABS_SEND_TIME, ("audio", "video"), 2),
        ExtensionSpec(TRANSPORT_CC, ("audio", "video"), 3),
    ]


_register_implemented()
