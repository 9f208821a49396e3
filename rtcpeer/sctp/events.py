"""Events emitted by :class:`rtcpeer.sctp.association.Association` (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AssociationEstablished:
    """The association reached ESTABLISHED (RFC 9260 §5.1)."""


@dataclass(frozen=True, slots=True)
class DataReceived:
    """A whole reassembled user message."""

    stream_id: int
    ppid: int
    data: bytes


@dataclass(frozen=True, slots=True)
class StreamsReset:
    """The remote reset its outgoing streams (our incoming ones), RFC 6525 §5.2.2."""

    stream_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class OutgoingStreamsReset:
    """Our Outgoing SSN Reset Request was performed by the peer (RFC 6525 §5.2.7)."""

    stream_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class BufferedAmountChanged:
    """A stream's queued-but-not-yet-transmitted byte count decreased."""

    stream_id: int
    buffered: int


@dataclass(frozen=True, slots=True)
class AssociationClosed:
    """Shutdown completed, ABORT sent or received, or too many retransmissions."""

    reason: str


Event = (
    AssociationEstablished
    | DataReceived
    | StreamsReset
    | OutgoingStreamsReset
    | BufferedAmountChanged
    | AssociationClosed
)
