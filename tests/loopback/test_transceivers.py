"""Transceivers in offer/answer (W3C webrtc-pc §5.1, RFC 9429 §5.2-§5.10), SDP level.

The codec registry is filled by the codec modules; these tests register a small table of
their own so that negotiation can be checked on its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import loopback_config

from rtcpeer import (
    InvalidAccessError,
    InvalidModificationError,
    RTCPeerConnection,
    RTCSessionDescription,
)
from rtcpeer import capabilities as caps
from rtcpeer.mediastreams import AudioStreamTrack, VideoStreamTrack
from rtcpeer.sdp.model import RtcpFeedback
from rtcpeer.sdp.parse import parse

pytestmark = pytest.mark.loopback

FIXTURE = Path(__file__).parents[1] / "fixtures/sdp/chromium_audio_video_offer.sdp"


@pytest.fixture(autouse=True)
def registry() -> Iterator[None]:
    saved = list(caps.REGISTRY.codecs), list(caps.REGISTRY.extensions)
    caps.REGISTRY.codecs[:] = [
        caps.CodecSpec("audio", "opus", 48000, 111, 2, (("minptime", "10"), ("useinbandfec", "1"))),
        caps.CodecSpec(
            "video", "VP8", 90000, 96, feedback=(RtcpFeedback("nack"),), rtx_payload_type=97
        ),
    ]
    caps.REGISTRY.extensions[:] = [caps.ExtensionSpec(caps.MID, ("audio", "video"), 9)]
    yield
    caps.REGISTRY.codecs[:], caps.REGISTRY.extensions[:] = saved


async def _negotiate(a: RTCPeerConnection, b: RTCPeerConnection) -> None:
    await a.setLocalDescription(await a.createOffer())
    assert a.localDescription is not None
    await b.setRemoteDescription(a.localDescription)
    await b.setLocalDescription(await b.createAnswer())
    assert b.localDescription is not None
    await a.setRemoteDescription(b.localDescription)


def _sections(pc: RTCPeerConnection) -> list[tuple[str, int, str | None, str | None]]:
    assert pc.localDescription is not None
    desc = parse(pc.localDescription.sdp)
    return [(m.kind, m.port if m.port == 0 else 9, m.mid, m.direction) for m in desc.media]


async def test_add_track_offer_answer_directions_and_track_event() -> None:
    a, b = RTCPeerConnection(loopback_config()), RTCPeerConnection(loopback_config())
    try:
        tracks: list[object] = []
        b.on("track", tracks.append)
        sender = a.addTrack(AudioStreamTrack(), "stream-1")
        video = a.addTransceiver("video", direction="sendrecv")
        await _negotiate(a, b)
        assert [t.mid for t in a.getTransceivers()] == ["0", "1"]
        assert [t.mid for t in b.getTransceivers()] == ["0", "1"]
        ta, tb = a.getTransceivers(), b.getTransceivers()
        # b's transceivers were created by the offer (recvonly, W3C §4.4.1.5).
        assert [t.currentDirection for t in ta] == ["sendonly", "sendonly"]
        assert [t.currentDirection for t in tb] == ["recvonly", "recvonly"]
        assert [getattr(t, "kind", None) for t in tracks] == ["audio", "video"]
        assert tracks[0] is tb[0].receiver.track
        offer = a.localDescription.sdp  # type: ignore[union-attr]
        assert f"a=msid:stream-1 {sender.track.id}" in offer  # type: ignore[union-attr]
        assert f"a=ssrc:{sender._ssrc} cname:" in offer
        assert "a=ssrc-group:FID" in offer  # video sender with RTX
        assert video.sender.track is None
        assert b.getSenders()[0].track is None
    finally:
        await a.close()
        await b.close()


async def test_illegal_calls_raise_w3c_errors() -> None:
    a, b = RTCPeerConnection(loopback_config()), RTCPeerConnection(loopback_config())
    try:
        track = AudioStreamTrack()
        a.addTrack(track)
        with pytest.raises(InvalidAccessError):
            a.addTrack(track)  # already sent on this pc
        foreign = b.addTrack(AudioStreamTrack())
        with pytest.raises(InvalidAccessError):
            a.removeTrack(foreign)
        with pytest.raises(TypeError):
            a.addTransceiver("data")
        with pytest.raises(TypeError):
            a.addTransceiver("audio", direction="both")
        with pytest.raises(TypeError):
            a.getSenders()[0].replaceTrack(VideoStreamTrack())
        with pytest.raises(InvalidModificationError):
            a.getTransceivers()[0].setCodecPreferences(
                [caps.RTCRtpCodecCapability("audio/PCMU", 8000)]
            )
    finally:
        await a.close()
        await b.close()


async def test_remove_track_and_stop_renegotiate_and_recycle() -> None:
    a, b = RTCPeerConnection(loopback_config()), RTCPeerConnection(loopback_config())
    try:
        needed = asyncio.Event()
        a.on("negotiationneeded", needed.set)
        sender = a.addTrack(AudioStreamTrack())
        a.createDataChannel("d")
        await _negotiate(a, b)
        await asyncio.sleep(0)
        needed.clear()
        a.removeTrack(sender)
        await asyncio.wait_for(needed.wait(), 5)
        await _negotiate(a, b)
        assert a.getTransceivers()[0].currentDirection == "inactive"
        assert b.getTransceivers()[0].currentDirection == "inactive"
        # stop(): the next offer rejects the m-line; once negotiated the transceiver is gone.
        needed.clear()
        a.getTransceivers()[0].stop()
        await asyncio.wait_for(needed.wait(), 5)
        await _negotiate(a, b)
        assert _sections(a) == [("audio", 0, "0", "inactive"), ("application", 9, "1", None)]
        assert a.getTransceivers() == [] and b.getTransceivers() == []
        # A new track recycles the rejected m-line with a new mid (RFC 9429 §5.2.2).
        a.addTrack(VideoStreamTrack())
        await _negotiate(a, b)
        assert _sections(a) == [("video", 9, "2", "sendrecv"), ("application", 9, "1", None)]
        assert [t.mid for t in b.getTransceivers()] == ["2"]
        assert b.getTransceivers()[0].currentDirection == "recvonly"
    finally:
        await a.close()
        await b.close()


async def test_answer_to_chromium_audio_video_offer() -> None:
    lines = FIXTURE.read_text().replace("\r\n", "\n").split("\n")
    sdp = "\r\n".join(x for x in lines if x and not x.startswith("a=candidate:")) + "\r\n"
    pc = RTCPeerConnection(loopback_config())
    try:
        tracks: list[object] = []
        pc.on("track", tracks.append)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        assert [getattr(t, "kind", None) for t in tracks] == ["audio", "video"]
        pc.addTrack(VideoStreamTrack())  # W3C §5.1 step 8: reuses the offer's video transceiver
        await pc.setLocalDescription(await pc.createAnswer())
        answer = parse(pc.localDescription.sdp)  # type: ignore[union-attr]
        assert [(m.kind, m.port != 0, m.mid, m.direction) for m in answer.media] == [
            ("audio", True, "0", "recvonly"),
            ("video", True, "1", "sendrecv"),
        ]
        assert [c.name for c in answer.media[1].codecs] == ["VP8", "rtx"]
        assert answer.bundle_group is not None and answer.bundle_group.mids == ["0", "1"]
    finally:
        await pc.close()
