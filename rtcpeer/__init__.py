"""rtcpeer: a WebRTC peer stack for Python (W3C API names, aiortc event style)."""

from .config import RTCConfiguration, RTCIceServer, RTCPeerOptions
from .datachannel import RTCDataChannel, RTCDataChannelParameters
from .description import (
    RTCIceCandidate,
    RTCSessionDescription,
    candidate_from_sdp,
    candidate_to_sdp,
)
from .dtls.certificate import RTCCertificate, RTCDtlsFingerprint
from .errors import (
    InvalidAccessError,
    InvalidModificationError,
    InvalidStateError,
    NotSupportedError,
    OperationError,
    RTCError,
    SdpParseError,
)
from .errors import SyntaxError_ as SyntaxError
from .ice.servers import IceServer
from .peerconnection import RTCPeerConnection
from .sctptransport import RTCSctpTransport

__all__ = [
    "IceServer",
    "InvalidAccessError",
    "InvalidModificationError",
    "InvalidStateError",
    "NotSupportedError",
    "OperationError",
    "RTCCertificate",
    "RTCConfiguration",
    "RTCDataChannel",
    "RTCDataChannelParameters",
    "RTCDtlsFingerprint",
    "RTCError",
    "RTCIceCandidate",
    "RTCIceServer",
    "RTCPeerConnection",
    "RTCPeerOptions",
    "RTCSctpTransport",
    "RTCSessionDescription",
    "SdpParseError",
    "SyntaxError",
    "candidate_from_sdp",
    "candidate_to_sdp",
]
__version__ = "0.1.0"
