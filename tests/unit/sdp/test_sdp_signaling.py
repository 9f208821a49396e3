"""W3C webrtc-pc §4.3.1 signaling state transitions."""

from __future__ import annotations

import itertools

import pytest

from rtcpeer.errors import InvalidStateError
from rtcpeer.sdp.signaling import (
    TRANSITIONS,
    SdpType,
    SignalingOperation,
    SignalingState,
    SignalingStateMachine,
    next_signaling_state,
)

L, R = "set-local", "set-remote"
LEGAL = [
    ("stable", L, "offer", "have-local-offer"),
    ("stable", R, "offer", "have-remote-offer"),
    ("have-local-offer", L, "offer", "have-local-offer"),
    ("have-local-offer", R, "answer", "stable"),
    ("have-local-offer", R, "pranswer", "have-remote-pranswer"),
    ("have-local-offer", L, "rollback", "stable"),
    ("have-remote-pranswer", R, "pranswer", "have-remote-pranswer"),
    ("have-remote-pranswer", R, "answer", "stable"),
    ("have-remote-offer", R, "offer", "have-remote-offer"),
    ("have-remote-offer", L, "answer", "stable"),
    ("have-remote-offer", L, "pranswer", "have-local-pranswer"),
    ("have-remote-offer", R, "rollback", "stable"),
    ("have-local-pranswer", L, "pranswer", "have-local-pranswer"),
    ("have-local-pranswer", L, "answer", "stable"),
]


@pytest.mark.parametrize(("state", "op", "sdp_type", "expected"), LEGAL)
def test_legal_transitions(state: str, op: str, sdp_type: str, expected: str) -> None:
    assert next_signaling_state(state, op, sdp_type) == expected
    assert next_signaling_state(SignalingState(state), op, SdpType(sdp_type)) == expected


def test_table_is_exactly_the_legal_list() -> None:
    assert {(s.value, o.value, t.value): n.value for (s, o, t), n in TRANSITIONS.items()} == {
        (s, o, t): n for s, o, t, n in LEGAL
    }


ILLEGAL = [
    key
    for key in itertools.product(
        [s.value for s in SignalingState],
        [o.value for o in SignalingOperation],
        [t.value for t in SdpType],
    )
    if key not in {(s, o, t) for s, o, t, _ in LEGAL}
]


@pytest.mark.parametrize(("state", "op", "sdp_type"), ILLEGAL)
def test_illegal_transitions_raise(state: str, op: str, sdp_type: str) -> None:
    with pytest.raises(InvalidStateError) as info:
        next_signaling_state(state, op, sdp_type)
    assert state in str(info.value) and sdp_type in str(info.value)
    verb = "setLocalDescription" if op == L else "setRemoteDescription"
    assert verb in str(info.value)


def test_some_illegal_ones_by_name() -> None:
    assert ("stable", R, "answer") in ILLEGAL
    # glare: the facade must roll back first (perfect negotiation); the table refuses it
    assert ("have-local-offer", R, "offer") in ILLEGAL
    assert ("have-local-offer", L, "answer") in ILLEGAL
    assert ("closed", L, "offer") in ILLEGAL
    assert ("stable", L, "rollback") in ILLEGAL


def test_machine() -> None:
    sm = SignalingStateMachine()
    assert sm.state == "stable"
    assert sm.check(L, "offer") == "have-local-offer" and sm.state == "stable"
    sm.apply(L, "offer")
    sm.apply(R, "pranswer")
    sm.apply(R, "answer")
    assert sm.state is SignalingState.STABLE
    sm.close()
    with pytest.raises(InvalidStateError):
        sm.apply(R, "offer")


def test_unknown_names() -> None:
    with pytest.raises(InvalidStateError):
        next_signaling_state("stable", "set-sideways", "offer")
