"""Signaling for rtcpeer: offer/answer/candidate messages and pluggable transports.

Never imported by rtcpeer, and never imports it: ``description`` and ``candidate`` fields are
the plain dicts of a browser's ``toJSON()``, usable with rtcpeer as
``RTCSessionDescription(**msg.description)`` and ``RTCIceCandidate.from_json(msg.candidate)``.

Transports (one module each, imported on demand so ``websockets`` stays optional):
``signaling.memory`` (``memory_pair``), ``signaling.tcp`` (TCP and Unix sockets),
``signaling.stdio`` (copy and paste), ``signaling.websocket`` (room server client).
"""

from .errors import JoinRefused, SignalingError, SignalingProtocolError, TransportClosed
from .messages import (
    ERROR_CODES,
    Answer,
    Bye,
    Candidate,
    EndOfCandidates,
    Error,
    IceCandidateJSON,
    Join,
    Joined,
    Message,
    Offer,
    PeerInfo,
    PeerJoined,
    PeerLeft,
    SessionDescriptionJSON,
    decode,
    encode,
)
from .transport import BaseTransport, Transport

__all__ = [
    "ERROR_CODES",
    "Answer",
    "BaseTransport",
    "Bye",
    "Candidate",
    "EndOfCandidates",
    "Error",
    "IceCandidateJSON",
    "Join",
    "JoinRefused",
    "Joined",
    "Message",
    "Offer",
    "PeerInfo",
    "PeerJoined",
    "PeerLeft",
    "SessionDescriptionJSON",
    "SignalingError",
    "SignalingProtocolError",
    "Transport",
    "TransportClosed",
    "decode",
    "encode",
]
