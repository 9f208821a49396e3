"""Glare: both peers offer at once. The polite peer's setRemoteDescription(offer) rolls its
own offer back implicitly (W3C webrtc-pc §4.4.1.5), answers, and both channels open."""

from __future__ import annotations

import asyncio

import pytest
from helpers import Acceptor, Signaling, loopback_config, wait_open, wait_state

from rtcpeer import InvalidStateError, RTCPeerConnection, RTCSessionDescription

pytestmark = pytest.mark.loopback


async def test_implicit_rollback_settles_glare() -> None:
    polite = RTCPeerConnection(loopback_config())
    impolite = RTCPeerConnection(loopback_config())
    signaling = Signaling(polite, impolite)
    accept_polite, accept_impolite = Acceptor(polite), Acceptor(impolite)
    states: list[str] = []
    polite.on("signalingstatechange", lambda: states.append(polite.signalingState))
    try:
        ch_polite = polite.createDataChannel("from-polite")
        ch_impolite = impolite.createDataChannel("from-impolite")
        await polite.setLocalDescription()  # implicit createOffer
        await impolite.setLocalDescription()
        polite_offer, impolite_offer = polite.localDescription, impolite.localDescription
        assert polite_offer is not None and impolite_offer is not None

        # The impolite peer ignores the colliding offer; the polite one yields.
        assert impolite.signalingState == "have-local-offer"
        await polite.setRemoteDescription(impolite_offer)
        assert states == ["have-local-offer", "stable", "have-remote-offer"]
        await polite.setLocalDescription()  # implicit createAnswer
        assert polite.localDescription is not None
        await impolite.setRemoteDescription(polite.localDescription)
        assert polite.signalingState == impolite.signalingState == "stable"

        await asyncio.gather(wait_state(polite, "connected"), wait_state(impolite, "connected"))
        await asyncio.gather(wait_open(ch_polite), wait_open(ch_impolite))
        ch_polite.send("hi from polite")
        ch_impolite.send("hi from impolite")
        assert await accept_impolite.messages("from-polite", 1) == ["hi from polite"]
        assert await accept_polite.messages("from-impolite", 1) == ["hi from impolite"]
        assert signaling.errors == []
    finally:
        await signaling.stop()
        await polite.close()
        await impolite.close()


async def test_explicit_rollback_and_illegal_rollback() -> None:
    pc = RTCPeerConnection(loopback_config())
    try:
        pc.createDataChannel("x")
        await pc.setLocalDescription(await pc.createOffer())
        await pc.setLocalDescription(RTCSessionDescription(type="rollback"))
        assert pc.signalingState == "stable"
        assert pc.pendingLocalDescription is None
        with pytest.raises(InvalidStateError):
            await pc.setRemoteDescription(RTCSessionDescription(type="rollback"))
    finally:
        await pc.close()
