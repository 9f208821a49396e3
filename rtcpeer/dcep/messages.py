"""DCEP messages (RFC 8832 §5) and the WebRTC PPIDs (RFC 8831 §8).

DATA_CHANNEL_OPEN::

    | type=0x03 | channel type | priority (16) | reliability parameter (32) |
    | label length (16) | protocol length (16) | label | protocol |

DATA_CHANNEL_ACK is the single byte 0x02.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

# Payload protocol identifiers (RFC 8831 §8, IANA "SCTP Payload Protocol Identifiers").
PPID_DCEP = 50
PPID_STRING = 51
PPID_BINARY = 53
PPID_STRING_EMPTY = 56
PPID_BINARY_EMPTY = 57
# Deprecated partial PPIDs (52, 54): a message split by an old peer. Treated as the whole kind.
PPID_STRING_PARTIAL = 54
PPID_BINARY_PARTIAL = 52

MSG_OPEN = 0x03
MSG_ACK = 0x02

# Channel types (RFC 8832 §5.1): the high bit means unordered.
CHANNEL_RELIABLE = 0x00
CHANNEL_PARTIAL_RELIABLE_REXMIT = 0x01
CHANNEL_PARTIAL_RELIABLE_TIMED = 0x02
UNORDERED_BIT = 0x80

_OPEN_HEADER = struct.Struct("!BBHIHH")


class DcepError(ValueError):
    """A malformed DCEP message (dropped by the manager, never raised to the application)."""


@dataclass(frozen=True)
class ChannelParameters:
    """What a DATA_CHANNEL_OPEN carries (and what a pre-negotiated channel agrees on)."""

    label: str = ""
    protocol: str = ""
    ordered: bool = True
    max_retransmits: int | None = None
    max_packet_lifetime: int | None = None  # milliseconds
    priority: int = 256

    def channel_type(self) -> tuple[int, int]:
        """The (channel type, reliability parameter) pair for DATA_CHANNEL_OPEN."""
        if self.max_retransmits is not None:
            kind, param = CHANNEL_PARTIAL_RELIABLE_REXMIT, self.max_retransmits
        elif self.max_packet_lifetime is not None:
            kind, param = CHANNEL_PARTIAL_RELIABLE_TIMED, self.max_packet_lifetime
        else:
            kind, param = CHANNEL_RELIABLE, 0
        if not self.ordered:
            kind |= UNORDERED_BIT
        return kind, param


def encode_open(params: ChannelParameters) -> bytes:
    label = params.label.encode("utf-8")
    protocol = params.protocol.encode("utf-8")
    kind, param = params.channel_type()
    header = _OPEN_HEADER.pack(
        MSG_OPEN, kind, params.priority, param & 0xFFFFFFFF, len(label), len(protocol)
    )
    return header + label + protocol


def encode_ack() -> bytes:
    return bytes([MSG_ACK])


def decode_open(data: bytes) -> ChannelParameters:
    """Parse DATA_CHANNEL_OPEN; raises :class:`DcepError` on malformed input."""
    if len(data) < _OPEN_HEADER.size:
        raise DcepError("DATA_CHANNEL_OPEN shorter than its 12-byte header")
    msg, kind, priority, param, label_len, proto_len = _OPEN_HEADER.unpack_from(data)
    if msg != MSG_OPEN:
        raise DcepError(f"not a DATA_CHANNEL_OPEN (type {msg:#x})")
    end = _OPEN_HEADER.size + label_len + proto_len
    if len(data) < end:
        raise DcepError("DATA_CHANNEL_OPEN label/protocol run past the message")
    base = kind & ~UNORDERED_BIT
    if base not in (
        CHANNEL_RELIABLE,
        CHANNEL_PARTIAL_RELIABLE_REXMIT,
        CHANNEL_PARTIAL_RELIABLE_TIMED,
    ):
        raise DcepError(f"unknown channel type {kind:#x}")
    try:
        label = data[12 : 12 + label_len].decode("utf-8")
        protocol = data[12 + label_len : end].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DcepError("DATA_CHANNEL_OPEN label/protocol is not UTF-8") from exc
    return ChannelParameters(
        label=label,
        protocol=protocol,
        ordered=not kind & UNORDERED_BIT,
        max_retransmits=param if base == CHANNEL_PARTIAL_RELIABLE_REXMIT else None,
        max_packet_lifetime=param if base == CHANNEL_PARTIAL_RELIABLE_TIMED else None,
        priority=priority,
    )


def encode_message(data: str | bytes) -> tuple[int, bytes]:
    """(PPID, payload) for a user message; empty messages carry one zero byte (RFC 8831 §6.6)."""
    if isinstance(data, str):
        if not data:
            return PPID_STRING_EMPTY, b"\x00"
        return PPID_STRING, data.encode("utf-8")
    if not data:
        return PPID_BINARY_EMPTY, b"\x00"
    return PPID_BINARY, bytes(data)


def decode_message(ppid: int, payload: bytes) -> str | bytes | None:
    """The user message for a PPID, or ``None`` if the PPID is not a data PPID."""
    if ppid in (PPID_BINARY, PPID_BINARY_PARTIAL):
        return payload
    if ppid in (PPID_STRING, PPID_STRING_PARTIAL):
        return payload.decode("utf-8", errors="replace")
    if ppid == PPID_STRING_EMPTY:
        return ""
    if ppid == PPID_BINARY_EMPTY:
        return b""
    return None
