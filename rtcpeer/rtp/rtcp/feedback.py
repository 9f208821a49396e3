"""RTP/AVPF feedback messages (RFC 4585 §6.1 common format).

::

    |V=2|P|   FMT   |       PT      |          length               |
    |                  SSRC of packet sender                        |
    |                  SSRC of media source                         |
    :            Feedback Control Information (FCI)                 :

Generic NACK (RTPFB FMT 1, RFC 4585 §6.2.1), PLI (PSFB FMT 1, §6.3.1), FIR (PSFB FMT 4,
RFC 5104 §4.3.1) and REMB (PSFB FMT 15 with the "REMB" tag, draft-alvestrand-rmcat-remb §2).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

from rtcpeer.rtp.rtcp.common import PT_PSFB, PT_RTPFB, RtcpParseError, header

__all__ = [
    "Fir",
    "GenericNack",
    "Pli",
    "Remb",
    "nack_pairs",
    "parse_feedback_header",
]

FMT_NACK, FMT_PLI, FMT_FIR, FMT_AFB = 1, 1, 4, 15
_TWO_SSRC = struct.Struct("!II")
_PAIR = struct.Struct("!HH")
_FIR_ENTRY = struct.Struct("!IB3x")


def parse_feedback_header(body: bytes) -> tuple[int, int]:
    """(SSRC of packet sender, SSRC of media source); RFC 4585 §6.1."""
    if len(body) < 8:
        raise RtcpParseError("feedback message shorter than its two SSRCs")
    sender, media = _TWO_SSRC.unpack_from(body)
    return sender, media


def nack_pairs(lost: Iterable[int]) -> list[tuple[int, int]]:
    """RFC 4585 §6.2.1 (PID, BLP) pairs covering the sequence numbers ``lost``.

    A BLP bit i set means PID + i + 1 (mod 2^16) is lost too. Sequence numbers are taken in
    the order given (oldest first, across a wrap if need be); each starts a new pair unless
    it falls within the 16 after the current PID.
    """
    pairs: list[tuple[int, int]] = []
    pid = blp = -1
    for seq in lost:
        seq &= 0xFFFF
        if pid >= 0:
            offset = (seq - pid) & 0xFFFF
            if offset == 0:
                continue
            if offset <= 16:
                blp |= 1 << (offset - 1)
                continue
            pairs.append((pid, blp))
        pid, blp = seq, 0
    if pid >= 0:
        pairs.append((pid, blp))
    return pairs


@dataclass(frozen=True)
class GenericNack:
    """Generic NACK: sequence numbers of ``media_ssrc`` the receiver has lost."""

    sender_ssrc: int
    media_ssrc: int
    lost: tuple[int, ...]

    packet_type = PT_RTPFB
    fmt = FMT_NACK

    def serialize(self) -> bytes:
        body = _TWO_SSRC.pack(self.sender_ssrc, self.media_ssrc)
        body += b"".join(_PAIR.pack(pid, blp) for pid, blp in nack_pairs(self.lost))
        return header(FMT_NACK, PT_RTPFB, len(body)) + body

    @classmethod
    def parse(cls, fmt: int, body: bytes) -> GenericNack:
        sender, media = parse_feedback_header(body)
        lost: list[int] = []
        for pos in range(8, len(body) - 3, 4):
            pid, blp = _PAIR.unpack_from(body, pos)
            lost.append(pid)
            bit = 0
            while blp:
                if blp & 1:
                    lost.append((pid + bit + 1) & 0xFFFF)
                blp >>= 1
                bit += 1
        return cls(sender, media, tuple(lost))


@dataclass(frozen=True)
class Pli:
    """Picture Loss Indication (RFC 4585 §6.3.1): no FCI."""

    sender_ssrc: int
    media_ssrc: int

    packet_type = PT_PSFB
    fmt = FMT_PLI

    def serialize(self) -> bytes:
        return header(FMT_PLI, PT_PSFB, 8) + _TWO_SSRC.pack(self.sender_ssrc, self.media_ssrc)

    @classmethod
    def parse(cls, fmt: int, body: bytes) -> Pli:
        return cls(*parse_feedback_header(body))


@dataclass(frozen=True)
class Fir:
    """Full Intra Request (RFC 5104 §4.3.1): (SSRC, command sequence number) entries."""

    sender_ssrc: int
    entries: tuple[tuple[int, int], ...]
    media_ssrc: int = 0  # RFC 5104 §4.3.1.2: SHALL be 0

    packet_type = PT_PSFB
    fmt = FMT_FIR

    def serialize(self) -> bytes:
        body = _TWO_SSRC.pack(self.sender_ssrc, self.media_ssrc)
        body += b"".join(_FIR_ENTRY.pack(ssrc, seq) for ssrc, seq in self.entries)
        return header(FMT_FIR, PT_PSFB, len(body)) + body

    @classmethod
    def parse(cls, fmt: int, body: bytes) -> Fir:
        sender, media = parse_feedback_header(body)
        entries = tuple(_FIR_ENTRY.unpack_from(body, pos) for pos in range(8, len(body) - 7, 8))
        return cls(sender, entries, media)


@dataclass(frozen=True)
class Remb:
    """Receiver Estimated Max Bitrate (draft-alvestrand-rmcat-remb-03 §2.2).

    FCI: "REMB", Num SSRC (8), BR Exp (6), BR Mantissa (18), then the SSRCs. The bitrate in
    bits/s is mantissa << exp; :meth:`serialize` picks the smallest exponent that fits, so
    rates above 2^18 lose their low bits.
    """

    sender_ssrc: int
    bitrate: int
    ssrcs: tuple[int, ...]
    media_ssrc: int = 0

    packet_type = PT_PSFB
    fmt = FMT_AFB

    def serialize(self) -> bytes:
        mantissa, exp = self.bitrate, 0
        while mantissa >= 1 << 18:
            mantissa >>= 1
            exp += 1
        if exp >= 64 or len(self.ssrcs) > 255:
            raise ValueError("REMB bitrate or SSRC list cannot be encoded")
        body = _TWO_SSRC.pack(self.sender_ssrc, self.media_ssrc) + b"REMB"
        exp_mantissa_hi = (exp << 2) | (mantissa >> 16)
        body += struct.pack("!BBH", len(self.ssrcs), exp_mantissa_hi, mantissa & 0xFFFF)
        body += b"".join(struct.pack("!I", s) for s in self.ssrcs)
        return header(FMT_AFB, PT_PSFB, len(body)) + body

    @classmethod
    def parse(cls, fmt: int, body: bytes) -> Remb:
        sender, media = parse_feedback_header(body)
        if len(body) < 16 or body[8:12] != b"REMB":
            raise RtcpParseError("application-layer feedback is not REMB")
        count, b1, low = struct.unpack_from("!BBH", body, 12)
        if 16 + 4 * count > len(body):
            raise RtcpParseError("REMB SSRC list runs past the end of the packet")
        mantissa = ((b1 & 0x03) << 16) | low
        ssrcs = struct.unpack_from(f"!{count}I", body, 16)
        return cls(sender, mantissa << (b1 >> 2), tuple(ssrcs), media)
