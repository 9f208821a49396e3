"""Sans-IO SCTP association (RFC 9260 over DTLS per RFC 8261; RFC 3758, RFC 6525)."""

from rtcpeer.sctp.association import Association
from rtcpeer.sctp.events import (
    AssociationClosed,
    AssociationEstablished,
    BufferedAmountChanged,
    DataReceived,
    Event,
    OutgoingStreamsReset,
    StreamsReset,
)

__all__ = [
    "Association",
    "AssociationClosed",
    "AssociationEstablished",
    "BufferedAmountChanged",
    "DataReceived",
    "Event",
    "OutgoingStreamsReset",
    "StreamsReset",
]
