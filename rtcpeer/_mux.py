"""RFC 7983 first-byte demultiplexing of the packets sharing one ICE candidate pair.

RFC 7983 §7 (updating RFC 5764 §5.1.2)::

    [0..3]     -> STUN           [16..19]  -> ZRTP
    [20..63]   -> DTLS           [64..79]  -> TURN channel
    [128..191] -> RTP/RTCP       anything else -> drop

RTCP is told from RTP (both muxed, RFC 5761 §4) by the second byte: RTCP packet types
192..223 fall where RTP would have marker bit + payload type 64..95, which RFC 5761 forbids
for RTP.
"""

from __future__ import annotations

from typing import Literal

__all__ = ["KINDS", "PacketKind", "classify", "is_rtcp"]

PacketKind = Literal["stun", "zrtp", "dtls", "turn-channel", "rtp", "unknown"]

# (first, last, kind) per RFC 7983 §7; a 256-entry table makes classify() one index (hot
# paths index KINDS[data[0]] themselves).
_RANGES: tuple[tuple[int, int, PacketKind], ...] = (
    (0, 3, "stun"),
    (16, 19, "zrtp"),
    (20, 63, "dtls"),
    (64, 79, "turn-channel"),
    (128, 191, "rtp"),
)
_kinds: list[PacketKind] = ["unknown"] * 256
for _first, _last, _kind in _RANGES:
    _kinds[_first : _last + 1] = [_kind] * (_last - _first + 1)
KINDS: tuple[PacketKind, ...] = tuple(_kinds)
del _kinds, _first, _last, _kind


def classify(data: bytes) -> PacketKind:
    """Which protocol ``data`` belongs to, from its first byte (empty data is "unknown")."""
    return KINDS[data[0]] if data else "unknown"


def is_rtcp(data: bytes) -> bool:
    """True if an RTP-range packet is RTCP (second byte 192..223, RFC 5761 §4)."""
    return len(data) > 1 and 192 <= data[1] <= 223
