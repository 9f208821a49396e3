"""RTP packets (RFC 3550 §5.1) with CSRCs, padding and header extensions (RFC 8285).

Fixed header (RFC 3550 §5.1)::

     0                   1                   2                   3
    |V=2|P|X|  CC   |M|     PT      |       sequence number         |
    |                           timestamp                           |
    |           synchronization source (SSRC) identifier            |
    |            contributing source (CSRC) identifiers (CC)        |

Header extension block (RFC 3550 §5.3.1): 16-bit profile, 16-bit length in 32-bit words,
then the data. RFC 8285 defines two profiles carrying a list of (id, value) elements:

* one-byte (§4.2, profile 0xBEDE): each element is ``ID(4) L(4)`` then L+1 bytes; ID 0 is a
  padding byte; ID 15 stops parsing; IDs 1-14, values 1-16 bytes.
* two-byte (§4.3, profile 0x100X, X = app bits): ``ID(8) L(8)`` then L bytes; ID 0 is
  padding; IDs 1-255, values 0-255 bytes.

Any other profile is kept as raw bytes (``extension_profile`` + ``extension_data``).
:func:`parse_rtp` raises only :class:`RtpParseError`; :meth:`RtpPacket.serialize` raises
``ValueError`` on values that cannot be encoded (a local error).
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "ABS_SEND_TIME_URI",
    "MID_URI",
    "REPAIRED_RID_URI",
    "RID_URI",
    "TRANSPORT_CC_URI",
    "HeaderExtensionMap",
    "RtpPacket",
    "RtpParseError",
    "parse_rtp",
]

MID_URI = "urn:ietf:params:rtp-hdrext:sdes:mid"  # RFC 8843 §14.1
RID_URI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"  # RFC 8852 §3.1
REPAIRED_RID_URI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"  # RFC 8852 §3.2
ABS_SEND_TIME_URI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"
TRANSPORT_CC_URI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

ONE_BYTE_PROFILE = 0xBEDE
TWO_BYTE_PROFILE = 0x1000  # low 4 bits are "appbits"

_HEADER = struct.Struct("!BBHII")
_unpack_header = _HEADER.unpack_from
_pack_header = _HEADER.pack
_EXT_HEADER = struct.Struct("!HH")


class RtpParseError(ValueError):
    """A datagram is not a well-formed RTP packet (remote input: drop and count it)."""


@dataclass(frozen=True)
class HeaderExtensionMap:
    """Negotiated ``a=extmap`` ids (RFC 8285 §5): id -> URI, with the reverse lookup."""

    ids: Mapping[int, str] = field(default_factory=dict)

    def id_of(self, uri: str) -> int | None:
        """The id negotiated for ``uri``, or None."""
        for ext_id, u in self.ids.items():
            if u == uri:
                return ext_id
        return None

    def uri_of(self, ext_id: int) -> str | None:
        return self.ids.get(ext_id)


@dataclass(slots=True)
class RtpPacket:
    """One RTP packet. ``extensions`` maps RFC 8285 element ids to values, in wire order."""

    payload_type: int
    sequence_number: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrcs: tuple[int, ...] = ()
    extensions: dict[int, bytes] = field(default_factory=dict)
    # 0: none, 0xBEDE: one-byte, 0x100X: two-byte, else a raw profile kept in extension_data.
    extension_profile: int = 0
    extension_data: bytes = b""
    padding_size: int = 0  # RFC 3550 §5.1 P bit: bytes of padding incl. the count byte

    def serialize(self) -> bytes:
        """Wire bytes. One-byte extension form when every element fits, else two-byte."""
        cc = len(self.csrcs)
        ext = b""
        if self.extensions:
            ext = _serialize_extensions(self.extensions, self.extension_profile)
        elif self.extension_profile not in (0, ONE_BYTE_PROFILE) and not _is_two_byte(
            self.extension_profile
        ):
            if len(self.extension_data) % 4:
                raise ValueError("raw RTP header extension data must be a multiple of 4 bytes")
            ext = _EXT_HEADER.pack(self.extension_profile, len(self.extension_data) // 4)
            ext += self.extension_data
        b0 = 0x80 | cc | (0x10 if ext else 0) | (0x20 if self.padding_size else 0)
        b1 = self.payload_type | (0x80 if self.marker else 0)
        head = _pack_header(b0, b1, self.sequence_number, self.timestamp, self.ssrc)
        if cc:
            head += struct.pack(f"!{cc}I", *self.csrcs)
        if self.padding_size:
            if not 0 < self.padding_size < 256:
                raise ValueError("RTP padding_size must be 1..255")
            pad = bytes(self.padding_size - 1) + bytes((self.padding_size,))
            return head + ext + self.payload + pad
        return head + ext + self.payload


def _is_two_byte(profile: int) -> bool:
    return profile & 0xFFF0 == TWO_BYTE_PROFILE


def _serialize_extensions(extensions: dict[int, bytes], profile: int) -> bytes:
    """RFC 8285 §4.2/§4.3 element list, zero-padded to 32 bits, with its block header."""
    two_byte = _is_two_byte(profile) or any(
        not (1 <= i <= 14 and 1 <= len(v) <= 16) for i, v in extensions.items()
    )
    parts: list[bytes] = []
    if two_byte:
        for ext_id, value in extensions.items():
            if not (1 <= ext_id <= 255 and len(value) <= 255):
                raise ValueError(f"RTP header extension {ext_id} cannot be encoded")
            parts.append(bytes((ext_id, len(value))) + value)
        profile = profile if _is_two_byte(profile) else TWO_BYTE_PROFILE
    else:
        for ext_id, value in extensions.items():
            parts.append(bytes(((ext_id << 4) | (len(value) - 1),)) + value)
        profile = ONE_BYTE_PROFILE
    body = b"".join(parts)
    body += bytes(-len(body) % 4)
    return _EXT_HEADER.pack(profile, len(body) // 4) + body


def parse_rtp(data: bytes) -> RtpPacket:
    """Parse one plaintext RTP packet; raises :class:`RtpParseError` and nothing else."""
    n = len(data)
    if n < 12:
        raise RtpParseError(f"RTP packet of {n} bytes is shorter than the 12-byte header")
    b0, b1, seq, ts, ssrc = _unpack_header(data)
    if b0 >> 6 != 2:
        raise RtpParseError(f"RTP version {b0 >> 6}, not 2")
    pos = 12
    cc = b0 & 0x0F
    csrcs: tuple[int, ...] = ()
    if cc:
        pos += 4 * cc
        if pos > n:
            raise RtpParseError("RTP CSRC list runs past the end of the packet")
        csrcs = struct.unpack_from(f"!{cc}I", data, 12)
    extensions: dict[int, bytes] = {}
    profile = 0
    ext_data = b""
    if b0 & 0x10:
        if pos + 4 > n:
            raise RtpParseError("RTP header extension header runs past the end")
        profile, words = _EXT_HEADER.unpack_from(data, pos)
        start = pos + 4
        pos = start + 4 * words
        if pos > n:
            raise RtpParseError("RTP header extension runs past the end of the packet")
        if profile == ONE_BYTE_PROFILE:
            _parse_one_byte(data, start, pos, extensions)
        elif _is_two_byte(profile):
            _parse_two_byte(data, start, pos, extensions)
        else:
            ext_data = data[start:pos]
    end = n
    padding = 0
    if b0 & 0x20:
        padding = data[-1]
        if padding == 0 or pos + padding > n:
            raise RtpParseError(f"RTP padding count {padding} is invalid")
        end = n - padding
    return RtpPacket(
        b1 & 0x7F,
        seq,
        ts,
        ssrc,
        data[pos:end],
        bool(b1 & 0x80),
        csrcs,
        extensions,
        profile,
        ext_data,
        padding,
    )


def _parse_one_byte(data: bytes, pos: int, end: int, out: dict[int, bytes]) -> None:
    """RFC 8285 §4.2 elements between ``pos`` and ``end``."""
    while pos < end:
        b = data[pos]
        ext_id = b >> 4
        if ext_id == 0:  # padding byte
            pos += 1
            continue
        if ext_id == 15:  # reserved: stop processing the block
            return
        length = (b & 0x0F) + 1
        pos += 1
        if pos + length > end:
            raise RtpParseError(f"one-byte RTP header extension {ext_id} runs past its block")
        out[ext_id] = data[pos : pos + length]
        pos += length


def _parse_two_byte(data: bytes, pos: int, end: int, out: dict[int, bytes]) -> None:
    """RFC 8285 §4.3 elements between ``pos`` and ``end``."""
    while pos < end:
        ext_id = data[pos]
        if ext_id == 0:  # padding byte
            pos += 1
            continue
        if pos + 2 > end:
            raise RtpParseError("two-byte RTP header extension element header is cut short")
        length = data[pos + 1]
        pos += 2
        if pos + length > end:
            raise RtpParseError(f"two-byte RTP header extension {ext_id} runs past its block")
        out[ext_id] = data[pos : pos + length]
        pos += length
