"""Compound RTCP (RFC 3550 §6.1) and reduced-size RTCP (RFC 5506 §3): parse and serialize.

A compound packet is a concatenation of RTCP packets, each with its own common header.
RFC 3550 §6.1 wants it to start with SR or RR; RFC 5506 allows a single (non-compound)
feedback packet once negotiated (``a=rtcp-rsize``), so :func:`parse_compound` accepts
either, and leaves the policy to the RTP session. Padding (P bit) is only valid on the last
packet (§6.4.1).

Dispatch is one table keyed by (packet type, FMT); SR/RR/SDES/BYE use a ``None`` FMT since
their 5-bit field is a count. Anything not in the table (APP, XR, other feedback) is kept
as :class:`UnknownRtcp` with its raw body, so it round-trips.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from rtcpeer.rtp.rtcp.common import (
    PT_BYE,
    PT_PSFB,
    PT_RR,
    PT_RTPFB,
    PT_SDES,
    PT_SR,
    RtcpParseError,
    header,
)
from rtcpeer.rtp.rtcp.feedback import Fir, GenericNack, Pli, Remb
from rtcpeer.rtp.rtcp.reports import ReceiverReport, SenderReport
from rtcpeer.rtp.rtcp.sdes import Bye, Sdes
from rtcpeer.rtp.rtcp.twcc import TransportFeedback

__all__ = ["RtcpPacket", "UnknownRtcp", "parse_compound", "serialize_compound"]

_HEADER = struct.Struct("!BBH")


class RtcpPacket(Protocol):
    """What every RTCP packet class offers."""

    def serialize(self) -> bytes: ...


@dataclass(frozen=True)
class UnknownRtcp:
    """An RTCP packet of a type (or FMT) this module does not model, kept raw."""

    packet_type: int
    count: int  # the 5-bit count/FMT field
    body: bytes

    def serialize(self) -> bytes:
        return header(self.count, self.packet_type, len(self.body)) + self.body


def _afb(fmt: int, body: bytes) -> RtcpPacket:
    """PSFB FMT 15 is application-layer feedback (RFC 4585 §6.4); REMB is one kind."""
    if body[8:12] == b"REMB":
        return Remb.parse(fmt, body)
    return UnknownRtcp(PT_PSFB, fmt, body)


Parser = Callable[[int, bytes], RtcpPacket]

# (packet type, FMT or None for count-carrying types) -> parser(count_or_fmt, body)
PARSERS: dict[tuple[int, int | None], Parser] = {
    (PT_SR, None): SenderReport.parse,
    (PT_RR, None): ReceiverReport.parse,
    (PT_SDES, None): Sdes.parse,
    (PT_BYE, None): Bye.parse,
    (PT_RTPFB, 1): GenericNack.parse,  # RFC 4585 §6.2.1
    (PT_RTPFB, 15): TransportFeedback.parse,  # draft-holmer-...-01 §3.1
    (PT_PSFB, 1): Pli.parse,  # RFC 4585 §6.3.1
    (PT_PSFB, 4): Fir.parse,  # RFC 5104 §4.3.1
    (PT_PSFB, 15): _afb,  # draft-alvestrand-rmcat-remb
}
_COUNT_TYPES = frozenset((PT_SR, PT_RR, PT_SDES, PT_BYE))


def parse_compound(data: bytes) -> list[RtcpPacket]:
    """Every RTCP packet in ``data``; raises :class:`RtcpParseError` and nothing else."""
    packets: list[RtcpPacket] = []
    pos, n = 0, len(data)
    if n < 4:
        raise RtcpParseError(f"RTCP packet of {n} bytes is shorter than its header")
    while pos < n:
        if pos + 4 > n:
            raise RtcpParseError("trailing bytes after the last RTCP packet")
        b0, pt, words = _HEADER.unpack_from(data, pos)
        if b0 >> 6 != 2:
            raise RtcpParseError(f"RTCP version {b0 >> 6}, not 2")
        end = pos + 4 + 4 * words
        if end > n:
            raise RtcpParseError("RTCP length runs past the end of the datagram")
        body = data[pos + 4 : end]
        if b0 & 0x20:  # padding: only on the last packet (RFC 3550 §6.4.1)
            pad = body[-1] if body else 0
            if end != n or pad == 0 or pad > len(body):
                raise RtcpParseError("invalid RTCP padding")
            body = body[:-pad]
        count = b0 & 0x1F
        parser = PARSERS.get((pt, None) if pt in _COUNT_TYPES else (pt, count))
        packets.append(parser(count, body) if parser else UnknownRtcp(pt, count, body))
        pos = end
    return packets


def serialize_compound(packets: Iterable[RtcpPacket]) -> bytes:
    """Concatenate the packets (the caller orders them: SR/RR first unless reduced-size)."""
    return b"".join(p.serialize() for p in packets)
