"""rtcpeer: a WebRTC peer stack for Python (W3C API names, aiortc event style)."""

from .capabilities import (
    RTCRtpCapabilities,
    RTCRtpCodecCapability,
    RTCRtpHeaderExtensionCapability,
)
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
from .mediastreams import (
    AudioStreamTrack,
    MediaStreamError,
    MediaStreamTrack,
    VideoStreamTrack,
)
from .peerconnection import RTCPeerConnection
from .sctptransport import RTCSctpTransport
from .transceiver import (
    RTCRtpEncodingParameters,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpSendParameters,
    RTCRtpTransceiver,
)

__all__ = [
    "AudioStreamTrack",
    "IceServer",
    "InvalidAccessError",
    "InvalidModificationError",
    "InvalidStateError",
    "MediaStreamError",
    "MediaStreamTrack",
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
    "RTCRtpCapabilities",
    "RTCRtpCodecCapability",
    "RTCRtpEncodingParameters",
    "RTCRtpHeaderExtensionCapability",
    "RTCRtpReceiver",
    "RTCRtpSendParameters",
    "RTCRtpSender",
    "RTCRtpTransceiver",
    "RTCSctpTransport",
    "RTCSessionDescription",
    "SdpParseError",
    "SyntaxError",
    "VideoStreamTrack",
    "candidate_from_sdp",
    "candidate_to_sdp",
]
__version__ = "0.1.0"
