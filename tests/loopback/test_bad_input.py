"""Bad input at the facade: malformed SDP, tampered fingerprints, UDP garbage, illegal calls."""

from __future__ import annotations

import asyncio
import random
import re
import socket
from typing import Any

import pytest
from helpers import Collector, PeerPair, Signaling, sdp_fingerprint, wait_open, wait_state

from rtcpeer import (
    InvalidAccessError,
    InvalidStateError,
    OperationError,
    RTCCertificate,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCSessionDescription,
    SdpParseError,
)

pytestmark = pytest.mark.loopback


async def _offer_from(pc: RTCPeerConnection) -> RTCSessionDescription:
    pc.createDataChannel("x")
    await pc.setLocalDescription(await pc.createOffer())
    assert pc.localDescription is not None
    return pc.localDescription


async def test_malformed_sdp_names_the_line_and_changes_nothing(peers: PeerPair) -> None:
    offer = await _offer_from(peers.pc1)
    pc2 = peers.pc2
    lines = offer.sdp.split("\r\n")
    index = next(i for i, line in enumerate(lines) if line.startswith("m="))
    lines[index] = "m=application notaport UDP/DTLS/SCTP webrtc-datachannel"
    bad = RTCSessionDescription(sdp="\r\n".join(lines), type="offer")
    with pytest.raises(SdpParseError) as info:
        await pc2.setRemoteDescription(bad)
    message = str(info.value)
    assert "notaport" in message or f"line {index + 1}" in message, message
    assert pc2.signalingState == "stable"
    assert pc2.remoteDescription is None

    garbage = RTCSessionDescription(sdp="v=0\r\nthis is not sdp\r\n", type="offer")
    with pytest.raises(SdpParseError) as info:
        await pc2.setRemoteDescription(garbage)
    assert "this is not sdp" in str(info.value) or "line 2" in str(info.value)
    assert pc2.signalingState == "stable"

    # The peer is still usable with the genuine offer.
    await pc2.setRemoteDescription(offer)
    assert pc2.signalingState == "have-remote-offer"


@pytest.mark.parametrize("attribute", ["ice-ufrag", "ice-pwd", "fingerprint"])
async def test_missing_ice_or_dtls_attribute_is_invalid_access(
    peers: PeerPair, attribute: str
) -> None:
    offer = await _offer_from(peers.pc1)
    stripped = "\r\n".join(
        line for line in offer.sdp.split("\r\n") if not line.startswith(f"a={attribute}:")
    )
    assert stripped != offer.sdp
    with pytest.raises(InvalidAccessError):
        await peers.pc2.setRemoteDescription(RTCSessionDescription(sdp=stripped, type="offer"))
    assert peers.pc2.signalingState == "stable"
    assert peers.pc2.remoteDescription is None


async def test_wrong_fingerprint_fails_and_delivers_nothing(peers: PeerPair) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    channel = pc1.createDataChannel("never")
    opened: list[str] = []
    channel.on("open", lambda: opened.append("pc1"))
    pre1 = pc1.createDataChannel("pre", negotiated=True, id=2)
    pre2 = pc2.createDataChannel("pre", negotiated=True, id=2)
    pre1.on("open", lambda: opened.append("pre1"))
    pre2.on("open", lambda: opened.append("pre2"))
    messages = [Collector(channel), Collector(pre1), Collector(pre2)]
    signaling = Signaling(pc1, pc2)
    await pc1.setLocalDescription(await pc1.createOffer())
    assert pc1.localDescription is not None
    await pc2.setRemoteDescription(pc1.localDescription)
    await pc2.setLocalDescription(await pc2.createAnswer())
    assert pc2.localDescription is not None
    answer = pc2.localDescription.sdp
    genuine = sdp_fingerprint(answer)
    forged = RTCCertificate.generate().getFingerprints()[0].value
    assert forged != genuine
    tampered = answer.replace(genuine, forged)
    await pc1.setRemoteDescription(RTCSessionDescription(sdp=tampered, type="answer"))
    try:
        # pc1 verifies pc2's certificate against the forged fingerprint.
        await wait_state(pc1, "failed")
        assert pc1.connectionState == "failed"
        # pc1 aborts the handshake with an alert, so pc2 fails as well.
        await wait_state(pc2, "failed")
        assert pc1.sctp is None or pc1.sctp.state != "connected"
        assert pc2.sctp is None or pc2.sctp.state != "connected"
        with pytest.raises(InvalidStateError):
            channel.send("must not leave")
        with pytest.raises(InvalidStateError):
            pre2.send("must not leave either")
        assert opened == []
        assert peers.accept1.order == [] and peers.accept2.order == []
        assert all(c.messages == [] for c in messages)
    finally:
        await signaling.stop()


def _garbage(rng: random.Random, count: int) -> list[bytes]:
    """Datagrams whose first byte covers STUN (0-3), DTLS (20-63), RTP (128-191) and others."""
    ranges = [(0, 3), (20, 63), (128, 191), (4, 19), (64, 127), (192, 255)]
    out = []
    for n in range(count):
        low, high = ranges[n % len(ranges)]
        length = rng.randrange(0, 1501)
        body = bytearray(rng.randbytes(length))
        if body:
            body[0] = rng.randint(low, high)
        if length >= 13 and 20 <= body[0] <= 63 and n % 3 == 0:
            # A well-formed DTLS record header (version, epoch 0/1, length) around junk.
            body[1:3] = b"\xfe\xfd"
            body[3:5] = rng.choice([b"\x00\x00", b"\x00\x01"])
            body[11:13] = (length - 13).to_bytes(2, "big")
        out.append(bytes(body))
    return out


async def _selected_local(pc: RTCPeerConnection) -> tuple[str, int]:
    stats = await pc.getStats()
    transport = next(s for s in stats.values() if s["type"] == "transport")
    pair = stats[transport["selectedCandidatePairId"]]
    local = stats[pair["localCandidateId"]]
    return local["address"], local["port"]


async def _dropped(pc: RTCPeerConnection) -> int:
    stats = await pc.getStats()
    transport = next(s for s in stats.values() if s["type"] == "transport")
    value = transport["rtcpeerDroppedDatagrams"]
    assert isinstance(value, int)
    return value


async def _wait_dropped(pc: RTCPeerConnection, at_least: int, timeout: float = 10) -> None:
    async def poll() -> None:
        while await _dropped(pc) < at_least:
            await asyncio.sleep(0.02)

    await asyncio.wait_for(poll(), timeout)


async def test_garbage_datagrams_are_dropped_and_counted(peers: PeerPair) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    channel = pc1.createDataChannel("survivor")
    await peers.connect()
    await wait_open(channel)
    remote = await peers.accept2.get("survivor")
    back = Collector(channel)
    states: list[str] = []
    for pc in (pc1, pc2):
        pc.on("connectionstatechange", lambda pc=pc: states.append(pc.connectionState))

    rng = random.Random(7983)
    count = 3000
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        for pc in (pc1, pc2):
            target = await _selected_local(pc)
            before = await _dropped(pc)
            garbage = _garbage(rng, count)
            for datagram in garbage:
                await loop.sock_sendto(sock, datagram, target)
                # asyncio reads one datagram per ready socket per loop iteration: yield once
                # per datagram so the peer's receive buffer never overflows.
                await asyncio.sleep(0)
            # Every non-empty datagram is counted as dropped once it has been read; wait for
            # the count to settle (loopback may in principle still lose a few in the kernel).
            expected = sum(1 for d in garbage if d)

            await _wait_dropped(pc, before + int(expected * 0.95))
            assert await _dropped(pc) - before <= expected
    finally:
        sock.close()

    assert pc1.connectionState == pc2.connectionState == "connected"
    assert states == []
    channel.send("still here")
    remote.send(b"me too")
    assert await peers.accept2.messages("survivor", 1) == ["still here"]
    assert await back.wait_count(1) == [b"me too"]


async def test_illegal_api_calls(peers: PeerPair) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    candidate = RTCIceCandidate(
        "candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host", sdpMid="0", sdpMLineIndex=0
    )
    with pytest.raises(InvalidStateError):
        await pc1.addIceCandidate(candidate)
    with pytest.raises(InvalidStateError):
        await pc1.createAnswer()
    with pytest.raises(TypeError):
        pc1.createDataChannel("both", maxRetransmits=1, maxPacketLifeTime=100)
    with pytest.raises(TypeError):
        pc1.createDataChannel("no-id", negotiated=True)

    offer = await _offer_from(pc1)
    await pc2.setRemoteDescription(offer)
    await pc2.setLocalDescription(await pc2.createAnswer())
    assert pc2.localDescription is not None
    answer = pc2.localDescription
    await pc1.setRemoteDescription(answer)
    assert pc1.signalingState == "stable"
    # An answer in stable is out of turn.
    with pytest.raises(InvalidStateError):
        await pc1.setRemoteDescription(answer)
    with pytest.raises(InvalidStateError):
        await pc1.createAnswer()
    assert pc1.signalingState == "stable"
    # A candidate for an m-section that does not exist.
    with pytest.raises(OperationError):
        await pc1.addIceCandidate(
            RTCIceCandidate(candidate.candidate, sdpMid="no-such-mid", sdpMLineIndex=None)
        )
    with pytest.raises(OperationError):
        await pc1.addIceCandidate(
            RTCIceCandidate(candidate.candidate, sdpMid=None, sdpMLineIndex=5)
        )
    # A candidate whose ufrag is not the remote description's.
    with pytest.raises(OperationError):
        await pc1.addIceCandidate(
            RTCIceCandidate(candidate.candidate, sdpMid="0", usernameFragment="nobody")
        )
    ufrag = re.search(r"a=ice-ufrag:(\S+)", answer.sdp)
    assert ufrag is not None
    await pc1.addIceCandidate(
        RTCIceCandidate(candidate.candidate, sdpMid="0", usernameFragment=ufrag.group(1))
    )
    kwargs: dict[str, Any] = {"negotiated": True, "id": 70000}
    with pytest.raises(TypeError):
        pc1.createDataChannel("bad-id", **kwargs)


async def test_demux_counters_in_get_stats(peers: PeerPair) -> None:
    """SRTP/SRTCP on a data-only connection and garbage first bytes, counted by the bundle's
    RFC 7983 demux and reported in getStats (rtcpeerDemux and the summary counters)."""
    pc1, pc2 = peers.pc1, peers.pc2
    channel = pc1.createDataChannel("demux")
    await peers.connect()
    await wait_open(channel)

    async def transport_stats() -> dict[str, Any]:
        stats = await pc1.getStats()
        return dict(next(s for s in stats.values() if s["type"] == "transport"))

    before = await transport_stats()
    rtp = bytes([0x80, 96]) + bytes(30)  # RTP, payload type 96
    rtcp = bytes([0x80, 200]) + bytes(26)  # RTCP sender report
    # Sent by the peer on the selected pair: from an ICE-validated address, so they reach the
    # demux (from any other address they are dropped before it, as rtcpeerUnvalidatedDatagrams).
    agent = pc2._agent
    assert agent is not None
    for datagram in (rtp, rtcp, b"\x05junk"):
        agent.send(datagram)
        await asyncio.sleep(0)

    async def counted() -> None:
        while (await transport_stats())["rtcpeerDroppedDatagrams"] < (
            before["rtcpeerDroppedDatagrams"] + 3
        ):
            await asyncio.sleep(0.02)

    await asyncio.wait_for(counted(), 10)
    after = await transport_stats()
    demux, demux0 = after["rtcpeerDemux"], before["rtcpeerDemux"]
    assert after["rtcpeerRtpDatagrams"] - before["rtcpeerRtpDatagrams"] == 2
    assert after["rtcpeerGarbageDatagrams"] - before["rtcpeerGarbageDatagrams"] == 1
    assert demux["srtp_datagrams"] - demux0["srtp_datagrams"] == 1
    assert demux["srtcp_datagrams"] - demux0["srtcp_datagrams"] == 1
    no_session = demux["media_dropped_no_rtp_session"] - demux0["media_dropped_no_rtp_session"]
    assert no_session == 2
    assert after["rtcpeerMediaDroppedDatagrams"] - before["rtcpeerMediaDroppedDatagrams"] == 2
    assert after["rtcpeerDroppedDatagrams"] - before["rtcpeerDroppedDatagrams"] == 3
    assert "rtcpeerSrtp" not in after  # a data-only connection built no SRTP contexts
    assert pc1.connectionState == "connected"
