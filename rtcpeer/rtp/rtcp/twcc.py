"""Transport-wide congestion control feedback (draft-holmer-rmcat-transport-wide-cc-
extensions-01 §3.1; RTPFB FMT 15).

::

    |V=2|P|  FMT=15 |    PT=205     |           length              |
    |                     SSRC of packet sender                     |
    |                      SSRC of media source                     |
    |      base sequence number     |      packet status count      |
    |                 reference time                | fb pkt. count |
    |          packet chunk         |         packet chunk          |
    :  recv delta  |  recv delta    :  ...                          :

Packet status symbols (§3.1.1): 0 not received, 1 received with a small delta (one unsigned
byte), 2 received with a large or negative delta (two bytes, signed), 3 reserved.
Chunks (§3.1.3, §3.1.4): run length ``0 S(2) len(13)``; status vector ``1 0`` + 14 one-bit
symbols (0/1) or ``1 1`` + 7 two-bit symbols. Deltas are in 250 µs ticks; the reference time
is a signed 24-bit count of 64 ms.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from rtcpeer.rtp.rtcp.common import PT_RTPFB, RtcpParseError, header
from rtcpeer.rtp.rtcp.feedback import parse_feedback_header

__all__ = ["NOT_RECEIVED", "RECEIVED_LARGE", "RECEIVED_SMALL", "TransportFeedback"]

NOT_RECEIVED, RECEIVED_SMALL, RECEIVED_LARGE = 0, 1, 2
FMT_TWCC = 15
DELTA_TICK_US = 250
REFERENCE_TICK_US = 64_000
_FIXED = struct.Struct("!IIHHI")
_MAX_RUN = 0x1FFF


def _symbols(chunk: int) -> list[int]:
    """The status symbols one chunk carries (before trimming to the status count)."""
    if not chunk & 0x8000:  # run length chunk, §3.1.3
        return [(chunk >> 13) & 0x03] * (chunk & _MAX_RUN)
    if not chunk & 0x4000:  # 14 one-bit symbols, §3.1.4
        return [(chunk >> (13 - i)) & 0x01 for i in range(14)]
    return [(chunk >> (12 - 2 * i)) & 0x03 for i in range(7)]  # 7 two-bit symbols


def _encode_chunks(statuses: tuple[int, ...]) -> list[int]:
    """Greedy chunking: a run of >= 7 equal symbols becomes a run-length chunk, else a vector
    (one-bit when the next 14 symbols are all 0/1, two-bit otherwise)."""
    chunks: list[int] = []
    i, n = 0, len(statuses)
    while i < n:
        s = statuses[i]
        run = 1
        while i + run < n and statuses[i + run] == s and run < _MAX_RUN:
            run += 1
        if run >= 7 or i + run == n:
            chunks.append((s << 13) | run)
            i += run
            continue
        window = statuses[i : i + 14]
        if all(x <= 1 for x in window):
            chunk = 0x8000
            for k, x in enumerate(window):
                chunk |= x << (13 - k)
            i += len(window)
        else:
            chunk = 0xC000
            for k, x in enumerate(statuses[i : i + 7]):
                chunk |= x << (12 - 2 * k)
            i += min(7, n - i)
        chunks.append(chunk)
    return chunks


@dataclass(frozen=True)
class TransportFeedback:
    """One TWCC feedback: a status per transport sequence number from ``base_sequence``, and
    a receive delta (250 µs ticks, from the previous received packet or the reference time)
    for each received one, in order."""

    sender_ssrc: int
    media_ssrc: int
    base_sequence: int
    reference_time: int  # signed, 64 ms units
    feedback_count: int
    statuses: tuple[int, ...]
    deltas: tuple[int, ...]

    packet_type = PT_RTPFB
    fmt = FMT_TWCC

    def arrivals_us(self) -> list[tuple[int, int | None]]:
        """(transport seq, arrival time in µs since the reference epoch | None if lost)."""
        t = self.reference_time * REFERENCE_TICK_US
        out: list[tuple[int, int | None]] = []
        d = iter(self.deltas)
        for i, s in enumerate(self.statuses):
            seq = (self.base_sequence + i) & 0xFFFF
            if s == NOT_RECEIVED:
                out.append((seq, None))
            else:
                t += next(d) * DELTA_TICK_US
                out.append((seq, t))
        return out

    def serialize(self) -> bytes:
        received = [s for s in self.statuses if s != NOT_RECEIVED]
        if len(received) != len(self.deltas) or any(s > 2 for s in self.statuses):
            raise ValueError("TWCC statuses and deltas do not agree")
        ref = (self.reference_time & 0xFFFFFF) << 8 | self.feedback_count
        body = bytearray(
            _FIXED.pack(
                self.sender_ssrc, self.media_ssrc, self.base_sequence, len(self.statuses), ref
            )
        )
        for chunk in _encode_chunks(self.statuses):
            body += chunk.to_bytes(2, "big")
        for s, delta in zip(received, self.deltas, strict=True):
            if s == RECEIVED_SMALL:
                if not 0 <= delta <= 255:
                    raise ValueError(f"small TWCC delta {delta} out of range")
                body.append(delta)
            else:
                body += delta.to_bytes(2, "big", signed=True)
        body += bytes(-len(body) % 4)
        return header(FMT_TWCC, PT_RTPFB, len(body)) + bytes(body)

    @classmethod
    def parse(cls, fmt: int, body: bytes) -> TransportFeedback:
        sender, media = parse_feedback_header(body)
        if len(body) < 16:
            raise RtcpParseError("transport-cc feedback shorter than its fixed fields")
        _, _, base, count, ref = _FIXED.unpack_from(body)
        statuses: list[int] = []
        pos, n = 16, len(body)
        while len(statuses) < count:
            if pos + 2 > n:
                raise RtcpParseError("transport-cc packet chunks run past the end")
            statuses += _symbols(int.from_bytes(body[pos : pos + 2], "big"))
            pos += 2
        del statuses[count:]
        deltas: list[int] = []
        for s in statuses:
            if s == RECEIVED_SMALL:
                if pos >= n:
                    raise RtcpParseError("transport-cc receive deltas run past the end")
                deltas.append(body[pos])
                pos += 1
            elif s == RECEIVED_LARGE:
                if pos + 2 > n:
                    raise RtcpParseError("transport-cc receive deltas run past the end")
                deltas.append(int.from_bytes(body[pos : pos + 2], "big", signed=True))
                pos += 2
            elif s != NOT_RECEIVED:
                raise RtcpParseError("transport-cc status symbol 3 is reserved")
        reference = ref >> 8
        if reference & 0x800000:
            reference -= 1 << 24
        return cls(sender, media, base, reference, ref & 0xFF, tuple(statuses), tuple(deltas))
