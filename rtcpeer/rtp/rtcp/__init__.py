"""RTCP packets: one class per type, compound and reduced-size parse/serialize."""

from rtcpeer.rtp.rtcp.common import RtcpParseError
from rtcpeer.rtp.rtcp.compound import (
    PARSERS,
    RtcpPacket,
    UnknownRtcp,
    parse_compound,
    serialize_compound,
)
from rtcpeer.rtp.rtcp.feedback import Fir, GenericNack, Pli, Remb, nack_pairs
from rtcpeer.rtp.rtcp.reports import ReceiverReport, ReportBlock, SenderReport
from rtcpeer.rtp.rtcp.sdes import CNAME, Bye, Sdes, SdesChunk
from rtcpeer.rtp.rtcp.twcc import TransportFeedback

__all__ = [
    "CNAME",
    "PARSERS",
    "Bye",
    "Fir",
    "GenericNack",
    "Pli",
    "ReceiverReport",
    "Remb",
    "ReportBlock",
    "RtcpPacket",
    "RtcpParseError",
    "Sdes",
    "SdesChunk",
    "SenderReport",
    "TransportFeedback",
    "UnknownRtcp",
    "nack_pairs",
    "parse_compound",
    "serialize_compound",
]
