"""The signaling state machine as a table.

W3C webrtc-pc §4.3.1 (``RTCSignalingState`` enum and its state-transition figure) and
RFC 9429 (JSEP) §3.2 / §5.5-§5.7 (which description types each state accepts locally and
remotely, and rollback). The table maps (state, operation, sdp type) to the next state;
anything not in it is illegal and raises ``InvalidStateError``, as a browser's
setLocalDescription / setRemoteDescription do.

``closed`` is entered by ``RTCPeerConnection.close()`` (see :func:`close`), never through
the table; every operation in ``closed`` is illegal.
"""

from __future__ import annotations

from enum import StrEnum

from rtcpeer.errors import InvalidStateError

__all__ = [
    "TRANSITIONS",
    "SdpType",
    "SignalingOperation",
    "SignalingState",
    "SignalingStateMachine",
    "next_signaling_state",
]


class SignalingState(StrEnum):
    """W3C ``RTCSignalingState``; values are the W3C strings."""

    STABLE = "stable"
    HAVE_LOCAL_OFFER = "have-local-offer"
    HAVE_REMOTE_OFFER = "have-remote-offer"
    HAVE_LOCAL_PRANSWER = "have-local-pranswer"
    HAVE_REMOTE_PRANSWER = "have-remote-pranswer"
    CLOSED = "closed"


class SignalingOperation(StrEnum):
    SET_LOCAL = "set-local"  # setLocalDescription
    SET_REMOTE = "set-remote"  # setRemoteDescription


class SdpType(StrEnum):
    """W3C ``RTCSdpType``."""

    OFFER = "offer"
    PRANSWER = "pranswer"
    ANSWER = "answer"
    ROLLBACK = "rollback"


_S = SignalingState
_LOCAL = SignalingOperation.SET_LOCAL
_REMOTE = SignalingOperation.SET_REMOTE
_T = SdpType

TRANSITIONS: dict[tuple[SignalingState, SignalingOperation, SdpType], SignalingState] = {
    # An offer starts a negotiation; a new offer of the same side replaces the pending one.
    (_S.STABLE, _LOCAL, _T.OFFER): _S.HAVE_LOCAL_OFFER,
    (_S.HAVE_LOCAL_OFFER, _LOCAL, _T.OFFER): _S.HAVE_LOCAL_OFFER,
    (_S.STABLE, _REMOTE, _T.OFFER): _S.HAVE_REMOTE_OFFER,
    (_S.HAVE_REMOTE_OFFER, _REMOTE, _T.OFFER): _S.HAVE_REMOTE_OFFER,
    # The remote side answers our offer, provisionally or finally.
    (_S.HAVE_LOCAL_OFFER, _REMOTE, _T.PRANSWER): _S.HAVE_REMOTE_PRANSWER,
    (_S.HAVE_REMOTE_PRANSWER, _REMOTE, _T.PRANSWER): _S.HAVE_REMOTE_PRANSWER,
    (_S.HAVE_LOCAL_OFFER, _REMOTE, _T.ANSWER): _S.STABLE,
    (_S.HAVE_REMOTE_PRANSWER, _REMOTE, _T.ANSWER): _S.STABLE,
    # We answer the remote offer, provisionally or finally.
    (_S.HAVE_REMOTE_OFFER, _LOCAL, _T.PRANSWER): _S.HAVE_LOCAL_PRANSWER,
    (_S.HAVE_LOCAL_PRANSWER, _LOCAL, _T.PRANSWER): _S.HAVE_LOCAL_PRANSWER,
    (_S.HAVE_REMOTE_OFFER, _LOCAL, _T.ANSWER): _S.STABLE,
    (_S.HAVE_LOCAL_PRANSWER, _LOCAL, _T.ANSWER): _S.STABLE,
    # Rollback undoes a pending offer of the same side (JSEP §4.1.10.2 / §5.7).
    (_S.HAVE_LOCAL_OFFER, _LOCAL, _T.ROLLBACK): _S.STABLE,
    (_S.HAVE_REMOTE_OFFER, _REMOTE, _T.ROLLBACK): _S.STABLE,
}


def next_signaling_state(
    state: SignalingState | str,
    operation: SignalingOperation | str,
    sdp_type: SdpType | str,
) -> SignalingState:
    """The state after applying a description of ``sdp_type``; InvalidStateError if illegal."""
    try:
        key = (SignalingState(state), SignalingOperation(operation), SdpType(sdp_type))
    except ValueError as exc:
        raise InvalidStateError(f"unknown signaling state, operation or type: {exc}") from None
    following = TRANSITIONS.get(key)
    if following is None:
        verb = "setLocalDescription" if key[1] is _LOCAL else "setRemoteDescription"
        raise InvalidStateError(
            f"cannot {verb}({key[2].value}) in signaling state {key[0].value!r}"
        )
    return following


class SignalingStateMachine:
    """Holds the current state; ``apply`` checks and moves, ``check`` only checks."""

    def __init__(self) -> None:
        self.state = SignalingState.STABLE

    def check(self, operation: SignalingOperation | str, sdp_type: SdpType | str) -> SignalingState:
        return next_signaling_state(self.state, operation, sdp_type)

    def apply(self, operation: SignalingOperation | str, sdp_type: SdpType | str) -> SignalingState:
        self.state = next_signaling_state(self.state, operation, sdp_type)
        return self.state

    def close(self) -> None:
        """RTCPeerConnection.close(): signaling state becomes ``closed`` for good."""
        self.state = SignalingState.CLOSED
