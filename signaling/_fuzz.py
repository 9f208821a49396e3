"""Fuzz target of the signaling codec (``signaling.messages``), for rtcpeer.testing.fuzz.

Contract: ``decode`` raises only SignalingProtocolError on bad frames; a frame it accepts
encodes again, and the encoding decodes to the same message.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from rtcpeer.testing.fuzz.engine import Target
from signaling import messages as msg
from signaling.errors import SignalingProtocolError


class OracleError(AssertionError):
    """The codec broke its contract."""


class SignalingSession:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def feed(self, data: bytes) -> None:
        frame: str | bytes = data
        if self.rng.random() < 0.5:
            frame = data.decode("utf-8", errors="replace")
        try:
            message = msg.decode(frame)
        except SignalingProtocolError:
            return
        try:
            text = msg.encode(message)
        except ValueError as exc:
            raise OracleError(f"decoded {message!r} does not encode: {exc}") from exc
        if msg.decode(text) != message:
            raise OracleError(f"{text!r} does not decode back to {message!r}")


def record_seeds(sdp_dir: Path) -> list[bytes]:
    """Frames of every message type, carrying the real SDPs of tests/fixtures/sdp."""
    offer = (sdp_dir / "chromium_datachannel_offer.sdp").read_text()
    answer = (sdp_dir / "aiortc_datachannel_answer.sdp").read_text()
    candidate: msg.IceCandidateJSON = {
        "candidate": "candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host generation 0",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "abcd",
    }
    frames: list[msg.Message] = [
        msg.Offer({"type": "offer", "sdp": offer}, to="bob", sender="alice"),
        msg.Answer({"type": "answer", "sdp": answer}, to="alice"),
        msg.Candidate(candidate, to="bob"),
        msg.EndOfCandidates(to="bob"),
        msg.Bye(sender="alice"),
        msg.Join("room-1", token="t0k3n", name="Alice"),
        msg.Joined("room-1", "p1", (msg.PeerInfo("p2", "Bob"), msg.PeerInfo("p3"))),
        msg.PeerJoined("p4", "Carol"),
        msg.PeerLeft("p2"),
        msg.Error("not-joined", "join a room first"),
    ]
    out = [msg.encode(f).encode() for f in frames]
    out.append(json.dumps({"type": "join", "room": "r", "extra": [1, 2.5, None]}).encode())
    return out


def signaling_target(fixtures: Path) -> Target:
    directory = fixtures / "fuzz" / "signaling"
    return Target(
        "signaling",
        SignalingSession,
        lambda: [p.read_bytes() for p in sorted(directory.glob("*.json"))],
        session_inputs=1_000_000,
        text=True,
    )
