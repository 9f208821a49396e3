"""Source description (RFC 3550 §6.5) and goodbye (§6.6) packets."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from rtcpeer.rtp.rtcp.common import PT_BYE, PT_SDES, RtcpParseError, header

__all__ = ["CNAME", "Bye", "Sdes", "SdesChunk"]

CNAME = 1  # RFC 3550 §6.5.1; the other item types (NAME..PRIV) are kept as given
_SSRC = struct.Struct("!I")


@dataclass(frozen=True)
class SdesChunk:
    """One SSRC/CSRC and its items, each (type, value)."""

    ssrc: int
    items: tuple[tuple[int, bytes], ...] = ()

    @property
    def cname(self) -> bytes | None:
        for item_type, value in self.items:
            if item_type == CNAME:
                return value
        return None

    def serialize(self) -> bytes:
        out = bytearray(_SSRC.pack(self.ssrc))
        for item_type, value in self.items:
            if not 1 <= item_type <= 255 or len(value) > 255:
                raise ValueError(f"SDES item {item_type} cannot be encoded")
            out += bytes((item_type, len(value))) + value
        out += bytes(4 - len(out) % 4)  # the null item, then pad to 32 bits (§6.5)
        return bytes(out)


@dataclass(frozen=True)
class Sdes:
    """RFC 3550 §6.5 SDES: a list of chunks."""

    chunks: tuple[SdesChunk, ...] = ()

    packet_type = PT_SDES

    def serialize(self) -> bytes:
        body = b"".join(c.serialize() for c in self.chunks)
        return header(len(self.chunks), PT_SDES, len(body)) + body

    @classmethod
    def parse(cls, count: int, body: bytes) -> Sdes:
        chunks = []
        pos, n = 0, len(body)
        for _ in range(count):
            if pos + 4 > n:
                raise RtcpParseError("SDES chunk runs past the end of the packet")
            (ssrc,) = _SSRC.unpack_from(body, pos)
            pos += 4
            items = []
            while True:
                if pos >= n:
                    raise RtcpParseError("SDES chunk has no terminating null item")
                item_type = body[pos]
                if item_type == 0:
                    pos = (pos + 4) & ~3  # null item, then padding to the next boundary
                    break
                if pos + 2 > n or pos + 2 + body[pos + 1] > n:
                    raise RtcpParseError("SDES item runs past the end of the packet")
                length = body[pos + 1]
                items.append((item_type, body[pos + 2 : pos + 2 + length]))
                pos += 2 + length
            chunks.append(SdesChunk(ssrc, tuple(items)))
        return cls(tuple(chunks))


@dataclass(frozen=True)
class Bye:
    """RFC 3550 §6.6 BYE: the SSRCs leaving, and an optional reason."""

    ssrcs: tuple[int, ...] = ()
    reason: bytes | None = None

    packet_type = PT_BYE

    def serialize(self) -> bytes:
        body = b"".join(_SSRC.pack(s) for s in self.ssrcs)
        if self.reason is not None:
            if len(self.reason) > 255:
                raise ValueError("BYE reason longer than 255 bytes")
            text = bytes((len(self.reason),)) + self.reason
            body += text + bytes(-len(text) % 4)
        return header(len(self.ssrcs), PT_BYE, len(body)) + body

    @classmethod
    def parse(cls, count: int, body: bytes) -> Bye:
        end = 4 * count
        if end > len(body):
            raise RtcpParseError("BYE SSRC list runs past the end of the packet")
        ssrcs = struct.unpack_from(f"!{count}I", body)
        reason = None
        if end < len(body):
            length = body[end]
            if end + 1 + length > len(body):
                raise RtcpParseError("BYE reason runs past the end of the packet")
            reason = body[end + 1 : end + 1 + length]
        return cls(tuple(ssrcs), reason)
