"""The RTCP common header (RFC 3550 §6.4.1) shared by every packet type.

::

     0                   1                   2                   3
    |V=2|P|    RC   |   PT=SR=200   |             length            |

``length`` is the packet length in 32-bit words minus one, including the header and any
padding. The 5-bit field is a report/source count for SR/RR/SDES/BYE and the feedback
message type (FMT) for RTPFB/PSFB (RFC 4585 §6.1).
"""

from __future__ import annotations

import struct

__all__ = [
    "PT_APP",
    "PT_BYE",
    "PT_PSFB",
    "PT_RR",
    "PT_RTPFB",
    "PT_SDES",
    "PT_SR",
    "PT_XR",
    "RtcpParseError",
    "header",
]

PT_SR, PT_RR, PT_SDES, PT_BYE, PT_APP = 200, 201, 202, 203, 204
PT_RTPFB, PT_PSFB, PT_XR = 205, 206, 207  # RFC 4585 §6.1; RFC 3611

_HEADER = struct.Struct("!BBH")


class RtcpParseError(ValueError):
    """A datagram is not well-formed (compound) RTCP (remote input: drop and count it)."""


def header(count: int, packet_type: int, body_len: int) -> bytes:
    """The 4-byte common header for a body of ``body_len`` bytes (a multiple of 4)."""
    if body_len % 4:
        raise ValueError(f"RTCP body of {body_len} bytes is not a multiple of 4")
    if not 0 <= count < 32:
        raise ValueError(f"RTCP count/FMT {count} does not fit 5 bits")
    return _HEADER.pack(0x80 | count, packet_type, body_len // 4)
