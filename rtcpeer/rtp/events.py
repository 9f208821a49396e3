"""Events yielded by :class:`rtcpeer.rtp.session.RtpSession` (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.rtp.packet import RtpPacket
from rtcpeer.rtp.rtcp import ReportBlock, TransportFeedback, UnknownRtcp

__all__ = [
    "ByeReceived",
    "Event",
    "FirReceived",
    "NackReceived",
    "PliReceived",
    "RembReceived",
    "ReportBlockReceived",
    "RtcpUnknownReceived",
    "RtpReceived",
    "SenderReportReceived",
    "TransportFeedbackReceived",
]


@dataclass(frozen=True)
class RtpReceived:
    """A routed RTP packet for m-section ``mid`` (RFC 8843 §9.2)."""

    mid: str
    packet: RtpPacket
    arrival_time: float


@dataclass(frozen=True)
class SenderReportReceived:
    """An SR from remote ``ssrc``: its NTP <-> RTP timestamp pair (for A/V sync)."""

    mid: str | None
    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    arrival_time: float


@dataclass(frozen=True)
class ReportBlockReceived:
    """A report block about one of our SSRCs, and the RTT it yields (None without LSR)."""

    reporter_ssrc: int
    block: ReportBlock
    rtt: float | None


@dataclass(frozen=True)
class NackReceived:
    """Generic NACK (RFC 4585 §6.2.1): ``media_ssrc``'s sequence numbers ``lost``."""

    sender_ssrc: int
    media_ssrc: int
    lost: tuple[int, ...]


@dataclass(frozen=True)
class PliReceived:
    sender_ssrc: int
    media_ssrc: int


@dataclass(frozen=True)
class FirReceived:
    """FIR entries (RFC 5104 §4.3.1) addressed to one of our SSRCs."""

    sender_ssrc: int
    media_ssrc: int
    sequence_number: int


@dataclass(frozen=True)
class RembReceived:
    sender_ssrc: int
    bitrate: int
    ssrcs: tuple[int, ...]


@dataclass(frozen=True)
class TransportFeedbackReceived:
    feedback: TransportFeedback


@dataclass(frozen=True)
class ByeReceived:
    ssrcs: tuple[int, ...]
    reason: bytes | None


@dataclass(frozen=True)
class RtcpUnknownReceived:
    """An RTCP packet of a type or FMT nothing here handles (APP, XR, ...)."""

    packet: UnknownRtcp


Event = (
    RtpReceived
    | SenderReportReceived
    | ReportBlockReceived
    | NackReceived
    | PliReceived
    | FirReceived
    | RembReceived
    | TransportFeedbackReceived
    | ByeReceived
    | RtcpUnknownReceived
)
