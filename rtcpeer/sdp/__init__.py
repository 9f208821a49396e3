"""SDP for rtcpeer: the model and grammar, candidates, JSEP rules and the signaling table.

Sans-IO and pure: nothing here awaits, reads the clock or touches sockets.

* :func:`parse` / :func:`serialize` — text ↔ :class:`SessionDescription` (byte-exact
  round trip of real SDPs; see :mod:`rtcpeer.sdp.model`).
* :class:`IceCandidateInfo` — the ``candidate`` attribute (RFC 8839 §5.1).
* :mod:`rtcpeer.sdp.jsep` — offer/answer builders, remote-description readers, validation.
* :mod:`rtcpeer.sdp.signaling` — W3C §4.3.1 signaling states as a transition table.
"""

from rtcpeer.candidate import IceCandidateInfo
from rtcpeer.sdp.jsep import (
    IceParameters,
    MediaSectionSpec,
    RemoteCandidate,
    SctpParameters,
    build_answer,
    build_offer,
    bundle_group,
    remote_candidates,
    remote_end_of_candidates,
    remote_fingerprints,
    remote_ice_params,
    remote_sctp,
    remote_setup,
    validate_remote_description,
)
from rtcpeer.sdp.model import (
    Attribute,
    Bandwidth,
    Codec,
    Connection,
    Extmap,
    Fingerprint,
    Group,
    MediaSection,
    Msid,
    MsidSemantic,
    Origin,
    Rid,
    RtcpAttribute,
    RtcpFeedback,
    SctpMap,
    SessionDescription,
    SsrcAttribute,
    SsrcGroup,
    Timing,
)
from rtcpeer.sdp.parse import parse
from rtcpeer.sdp.serialize import serialize
from rtcpeer.sdp.signaling import (
    SdpType,
    SignalingOperation,
    SignalingState,
    SignalingStateMachine,
    next_signaling_state,
)

__all__ = [
    "Attribute",
    "Bandwidth",
    "Codec",
    "Connection",
    "Extmap",
    "Fingerprint",
    "Group",
    "IceCandidateInfo",
    "IceParameters",
    "MediaSection",
    "MediaSectionSpec",
    "Msid",
    "MsidSemantic",
    "Origin",
    "RemoteCandidate",
    "Rid",
    "RtcpAttribute",
    "RtcpFeedback",
    "SctpMap",
    "SctpParameters",
    "SdpType",
    "SessionDescription",
    "SignalingOperation",
    "SignalingState",
    "SignalingStateMachine",
    "SsrcAttribute",
    "SsrcGroup",
    "Timing",
    "build_answer",
    "build_offer",
    "bundle_group",
    "next_signaling_state",
    "parse",
    "remote_candidates",
    "remote_end_of_candidates",
    "remote_fingerprints",
    "remote_ice_params",
    "remote_sctp",
    "remote_setup",
    "serialize",
    "validate_remote_description",
]
