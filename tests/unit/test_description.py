"""RTCSessionDescription / RTCIceCandidate accept what a browser's toJSON() produces."""

from __future__ import annotations

import pytest

from rtcpeer import RTCIceCandidate, RTCSessionDescription, candidate_from_sdp, candidate_to_sdp

BROWSER_CANDIDATE = {
    "candidate": "candidate:2395300328 1 udp 2113937151 10.99.0.1 51000 typ host generation 0 "
    "ufrag abcd network-cost 999",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
    "usernameFragment": "abcd",
}


def test_candidate_from_browser_json() -> None:
    c = RTCIceCandidate.from_json(BROWSER_CANDIDATE)
    assert (c.address, c.port, c.protocol, c.type) == ("10.99.0.1", 51000, "udp", "host")
    assert (c.foundation, c.component, c.priority) == ("2395300328", 1, 2113937151)
    assert c.sdpMid == "0" and c.usernameFragment == "abcd"
    assert c.toJSON() == BROWSER_CANDIDATE
    assert RTCIceCandidate(**BROWSER_CANDIDATE).toJSON() == BROWSER_CANDIDATE


def test_empty_candidate_is_end_of_candidates() -> None:
    c = RTCIceCandidate.from_json({"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0})
    assert c.info is None and c.address is None


def test_candidate_needs_mid_or_index() -> None:
    with pytest.raises(TypeError):
        RTCIceCandidate("candidate:1 1 udp 1 1.2.3.4 5 typ host")


def test_malformed_candidate_raises_value_error() -> None:
    with pytest.raises(ValueError):
        RTCIceCandidate("candidate:1 1 udp", sdpMid="0")


def test_aiortc_helpers() -> None:
    c = candidate_from_sdp("1 1 udp 2130706431 192.0.2.1 9 typ host")
    assert c.address == "192.0.2.1"
    assert candidate_to_sdp(c) == "1 1 udp 2130706431 192.0.2.1 9 typ host"


def test_session_description_json() -> None:
    d = RTCSessionDescription(**{"type": "offer", "sdp": "v=0\r\n"})
    assert d.toJSON() == {"type": "offer", "sdp": "v=0\r\n"}
    with pytest.raises(TypeError):
        RTCSessionDescription(sdp="", type="bogus")
