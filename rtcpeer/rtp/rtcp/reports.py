"""Sender and receiver reports (RFC 3550 §6.4.1 SR, §6.4.2 RR) and their report blocks."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from rtcpeer.rtp.rtcp.common import PT_RR, PT_SR, RtcpParseError, header

__all__ = ["ReceiverReport", "ReportBlock", "SenderReport"]

_BLOCK = struct.Struct("!IIIIII")
_SENDER_INFO = struct.Struct("!IQIII")  # SSRC, NTP (64), RTP ts, packets, octets
_SSRC = struct.Struct("!I")


@dataclass(frozen=True)
class ReportBlock:
    """RFC 3550 §6.4.1 report block: reception quality of one source."""

    ssrc: int
    fraction_lost: int  # 8 bits, fixed point /256
    packets_lost: int  # cumulative, signed 24 bits
    highest_sequence: int  # extended highest sequence number received
    jitter: int  # interarrival jitter, RTP timestamp units
    lsr: int  # middle 32 bits of the last SR's NTP timestamp (0: none)
    dlsr: int  # delay since that SR, 1/65536 s

    def serialize(self) -> bytes:
        if not -(1 << 23) <= self.packets_lost < (1 << 23):
            raise ValueError(f"cumulative lost {self.packets_lost} does not fit 24 bits")
        lost = (self.fraction_lost << 24) | (self.packets_lost & 0xFFFFFF)
        return _BLOCK.pack(self.ssrc, lost, self.highest_sequence, self.jitter, self.lsr, self.dlsr)

    @classmethod
    def parse_many(cls, data: bytes, pos: int, count: int) -> tuple[ReportBlock, ...]:
        if pos + 24 * count > len(data):
            raise RtcpParseError(f"{count} report blocks run past the end of the packet")
        out = []
        for i in range(count):
            ssrc, lost, ext, jitter, lsr, dlsr = _BLOCK.unpack_from(data, pos + 24 * i)
            cum = lost & 0xFFFFFF
            if cum & 0x800000:
                cum -= 1 << 24
            out.append(cls(ssrc, lost >> 24, cum, ext, jitter, lsr, dlsr))
        return tuple(out)


@dataclass(frozen=True)
class SenderReport:
    """RFC 3550 §6.4.1 SR: sender info and up to 31 report blocks."""

    ssrc: int
    ntp_timestamp: int  # 64-bit NTP format: seconds << 32 | fraction
    rtp_timestamp: int
    packet_count: int
    octet_count: int
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""  # profile-specific extension, kept raw

    packet_type = PT_SR

    def serialize(self) -> bytes:
        body = _SENDER_INFO.pack(
            self.ssrc,
            self.ntp_timestamp,
            self.rtp_timestamp,
            self.packet_count,
            self.octet_count,
        )
        body += b"".join(r.serialize() for r in self.reports) + self.extension
        return header(len(self.reports), PT_SR, len(body)) + body

    @classmethod
    def parse(cls, count: int, body: bytes) -> SenderReport:
        if len(body) < 24:
            raise RtcpParseError("SR shorter than its sender info")
        ssrc, ntp, rtp_ts, packets, octets = _SENDER_INFO.unpack_from(body)
        reports = ReportBlock.parse_many(body, 24, count)
        return cls(ssrc, ntp, rtp_ts, packets, octets, reports, body[24 + 24 * count :])


@dataclass(frozen=True)
class ReceiverReport:
    """RFC 3550 §6.4.2 RR: the reporter's SSRC and up to 31 report blocks."""

    ssrc: int
    reports: tuple[ReportBlock, ...] = ()
    extension: bytes = b""

    packet_type = PT_RR

    def serialize(self) -> bytes:
        body = _SSRC.pack(self.ssrc) + b"".join(r.serialize() for r in self.reports)
        body += self.extension
        return header(len(self.reports), PT_RR, len(body)) + body

    @classmethod
    def parse(cls, count: int, body: bytes) -> ReceiverReport:
        if len(body) < 4:
            raise RtcpParseError("RR shorter than its SSRC")
        (ssrc,) = _SSRC.unpack_from(body)
        reports = ReportBlock.parse_many(body, 4, count)
        return cls(ssrc, reports, body[4 + 24 * count :])
