"""SCTP packet: common header (RFC 9260 §3.1), CRC32c checksum (§6.8) and chunk bundling.

Over DTLS (RFC 8261) each SCTP packet is the payload of one DTLS record; there is no IP/UDP
header. The checksum is CRC32c over the packet with the checksum field zeroed, stored in the
header in little-endian byte order (RFC 9260 Appendix A).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from rtcpeer.sctp.chunks import Chunk, parse_chunks
from rtcpeer.sctp.crc32c import crc32c_extend

_COMMON = struct.Struct("!HHI")
_CHECKSUM = struct.Struct("<I")
COMMON_HEADER_SIZE = 12


class ChecksumError(ValueError):
    """The CRC32c in the common header does not match the packet."""


@dataclass(slots=True)
class Packet:
    source_port: int
    destination_port: int
    verification_tag: int
    chunks: list[Chunk] = field(default_factory=list)

    def serialize(self) -> bytes:
        return serialize_packet(
            self.source_port,
            self.destination_port,
            self.verification_tag,
            [c.serialize() for c in self.chunks],
        )


class HeaderCrc:
    """The CRC32c of one common header (checksum zeroed), kept for the last header seen.

    An association sends and receives with the same ports and tags packet after packet, so
    caching the header's CRC saves a concatenation and a CRC call per packet.
    """

    __slots__ = ("crc", "head")

    def __init__(self) -> None:
        self.head = b""
        self.crc = 0

    def of(self, head: bytes) -> int:
        if head != self.head:
            self.crc = crc32c_extend(0, head + _ZERO_CHECKSUM)
            self.head = head
        return self.crc


_ZERO_CHECKSUM = b"\x00\x00\x00\x00"


def serialize_packet(
    src: int, dst: int, vtag: int, chunks: Iterable[bytes], cache: HeaderCrc | None = None
) -> bytes:
    """Bundle already-serialized (padded) chunks behind a common header with its CRC32c."""
    head = _COMMON.pack(src, dst, vtag)
    crc = crc32c_extend(0, head + _ZERO_CHECKSUM) if cache is None else cache.of(head)
    return finish_packet(head, crc, list(chunks))


def pack_header(src: int, dst: int, vtag: int) -> bytes:
    """The common header without its checksum (8 bytes)."""
    return _COMMON.pack(src, dst, vtag)


def finish_packet(head: bytes, head_crc: int, chunks: list[bytes]) -> bytes:
    """A packet from its :func:`pack_header` bytes, their CRC32c with the checksum field
    zeroed (:class:`HeaderCrc`), and the serialized (padded) chunks."""
    crc = head_crc
    for c in chunks:
        crc = crc32c_extend(crc, c)
    return b"".join([head, _CHECKSUM.pack(crc), *chunks])


def verify_checksum(data: bytes, cache: HeaderCrc | None = None) -> bool:
    if len(data) < COMMON_HEADER_SIZE:
        return False
    expected: int = _CHECKSUM.unpack_from(data, 8)[0]
    crc = crc32c_extend(0, data[:8] + _ZERO_CHECKSUM) if cache is None else cache.of(data[:8])
    return crc32c_extend(crc, data[12:]) == expected


def parse_header(data: bytes) -> tuple[int, int, int]:
    """Return (source port, destination port, verification tag)."""
    if len(data) < COMMON_HEADER_SIZE:
        raise ValueError("packet shorter than the common header")
    src, dst, vtag = _COMMON.unpack_from(data)
    return src, dst, vtag


def parse_packet(data: bytes, *, check_crc: bool = True) -> Packet:
    """Parse one SCTP packet; raise ValueError (ChecksumError for a bad CRC)."""
    src, dst, vtag = parse_header(data)
    if check_crc and not verify_checksum(data):
        raise ChecksumError("bad CRC32c")
    return Packet(src, dst, vtag, parse_chunks(data, COMMON_HEADER_SIZE))
