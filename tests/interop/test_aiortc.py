"""rtcpeer <-> aiortc (an independent Python WebRTC stack), each side offering.

aiortc does not trickle its own candidates (they are in its SDP after setLocalDescription)
but accepts trickled ones via addIceCandidate; rtcpeer trickles its candidates to it.
"""

from __future__ import annotations

import asyncio
import hashlib
import random

import aiortc
import pytest
from aiortc.sdp import candidate_from_sdp as aiortc_candidate_from_sdp

import rtcpeer

pytestmark = [pytest.mark.interop]

MAX_AIORTC_MESSAGE = 65536


def trickle_to_aiortc(ours: rtcpeer.RTCPeerConnection, theirs: aiortc.RTCPeerConnection) -> None:
    @ours.on("icecandidate")
    async def on_candidate(candidate: rtcpeer.RTCIceCandidate | None) -> None:
        if candidate is None:
            return
        c = aiortc_candidate_from_sdp(candidate.candidate.split(":", 1)[1])
        c.sdpMid = candidate.sdpMid
        c.sdpMLineIndex = candidate.sdpMLineIndex
        await theirs.addIceCandidate(c)


def make_messages(seed: int, count: int) -> list[str | bytes]:
    rng = random.Random(seed)
    out: list[str | bytes] = []
    sizes = [0, 1, 2, 100, 1163, 1164, 5000, 16384, 40000, MAX_AIORTC_MESSAGE]
    for i in range(count):
        size = sizes[i] if i < len(sizes) else rng.randrange(0, MAX_AIORTC_MESSAGE + 1)
        if i % 2:
            out.append(rng.randbytes(size))
        else:
            # ASCII so the UTF-8 size equals the length (keeps within 64 KiB).
            out.append(
                "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(size))
            )
    return out


async def wait_open(channel: object, timeout: float = 10.0) -> None:
    opened = asyncio.Event()
    if getattr(channel, "readyState", None) == "open":
        return
    channel.on("open", opened.set)  # type: ignore[attr-defined]
    await asyncio.wait_for(opened.wait(), timeout)


async def exchange(ours_ch: rtcpeer.RTCDataChannel, theirs_ch: aiortc.RTCDataChannel) -> None:
    """Hundreds of mixed messages both ways, compared byte for byte and in order."""
    to_theirs = make_messages(1, 300)
    to_ours = make_messages(2, 300)
    got_theirs: list[str | bytes] = []
    got_ours: list[str | bytes] = []
    done_theirs, done_ours = asyncio.Event(), asyncio.Event()

    @theirs_ch.on("message")
    def on_theirs(msg: str | bytes) -> None:
        got_theirs.append(msg)
        if len(got_theirs) == len(to_theirs):
            done_theirs.set()

    @ours_ch.on("message")
    def on_ours(msg: str | bytes) -> None:
        got_ours.append(msg)
        if len(got_ours) == len(to_ours):
            done_ours.set()

    for a, b in zip(to_theirs, to_ours, strict=True):
        ours_ch.send(a)
        theirs_ch.send(b)
        await asyncio.sleep(0)
    await asyncio.wait_for(asyncio.gather(done_theirs.wait(), done_ours.wait()), 60)

    def digest(msgs: list[str | bytes]) -> list[tuple[type, str]]:
        return [
            (type(m), hashlib.sha256(m.encode() if isinstance(m, str) else m).hexdigest())
            for m in msgs
        ]

    assert digest(got_theirs) == digest(to_theirs)
    assert digest(got_ours) == digest(to_ours)


async def test_rtcpeer_offers_aiortc_answers() -> None:
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    trickle_to_aiortc(ours, theirs)
    remote_channel: asyncio.Future[aiortc.RTCDataChannel] = (
        asyncio.get_running_loop().create_future()
    )
    theirs.on("datachannel", lambda ch: remote_channel.set_result(ch))
    try:
        channel = ours.createDataChannel("interop", protocol="chat")
        await ours.setLocalDescription(await ours.createOffer())
        await theirs.setRemoteDescription(
            aiortc.RTCSessionDescription(sdp=ours.localDescription.sdp, type="offer")
        )
        await theirs.setLocalDescription(await theirs.createAnswer())
        await ours.setRemoteDescription(
            rtcpeer.RTCSessionDescription(sdp=theirs.localDescription.sdp, type="answer")
        )
        await wait_open(channel)
        theirs_ch = await asyncio.wait_for(remote_channel, 10)
        assert theirs_ch.label == "interop" and theirs_ch.protocol == "chat"
        assert ours.connectionState == "connected"
        await exchange(channel, theirs_ch)
    finally:
        await ours.close()
        await theirs.close()


async def test_aiortc_offers_rtcpeer_answers() -> None:
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    trickle_to_aiortc(ours, theirs)
    remote_channel: asyncio.Future[rtcpeer.RTCDataChannel] = (
        asyncio.get_running_loop().create_future()
    )
    ours.on("datachannel", lambda ch: remote_channel.set_result(ch))
    try:
        theirs_ch = theirs.createDataChannel("from-aiortc")
        await theirs.setLocalDescription(await theirs.createOffer())
        await ours.setRemoteDescription(
            rtcpeer.RTCSessionDescription(sdp=theirs.localDescription.sdp, type="offer")
        )
        await ours.setLocalDescription(await ours.createAnswer())
        await theirs.setRemoteDescription(
            aiortc.RTCSessionDescription(sdp=ours.localDescription.sdp, type="answer")
        )
        ours_ch = await asyncio.wait_for(remote_channel, 10)
        assert ours_ch.label == "from-aiortc"
        await wait_open(theirs_ch)
        await exchange(ours_ch, theirs_ch)
    finally:
        await ours.close()
        await theirs.close()


async def test_aiortc_close_is_seen() -> None:
    """aiortc closing its channel (stream reset) closes ours."""
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    trickle_to_aiortc(ours, theirs)
    remote_channel: asyncio.Future[rtcpeer.RTCDataChannel] = (
        asyncio.get_running_loop().create_future()
    )
    ours.on("datachannel", lambda ch: remote_channel.set_result(ch))
    try:
        theirs_ch = theirs.createDataChannel("closing")
        await theirs.setLocalDescription(await theirs.createOffer())
        await ours.setRemoteDescription(
            rtcpeer.RTCSessionDescription(sdp=theirs.localDescription.sdp, type="offer")
        )
        await ours.setLocalDescription(await ours.createAnswer())
        await theirs.setRemoteDescription(
            aiortc.RTCSessionDescription(sdp=ours.localDescription.sdp, type="answer")
        )
        ours_ch = await asyncio.wait_for(remote_channel, 10)
        closed = asyncio.Event()
        ours_ch.on("close", closed.set)
        await wait_open(theirs_ch)
        theirs_ch.close()
        await asyncio.wait_for(closed.wait(), 10)
        assert ours_ch.readyState == "closed"
        with pytest.raises(rtcpeer.InvalidStateError):
            ours_ch.send("too late")
    finally:
        await ours.close()
        await theirs.close()


async def test_aiortc_style_code_without_trickle() -> None:
    """Code written for aiortc (no icecandidate handler, descriptions carry candidates)."""
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    try:
        channel = ours.createDataChannel("no-trickle")
        await ours.setLocalDescription(await ours.createOffer())
        assert ours.iceGatheringState == "complete"
        assert "a=candidate:" in ours.localDescription.sdp
        assert "a=end-of-candidates" in ours.localDescription.sdp
        remote_channel: asyncio.Future[aiortc.RTCDataChannel] = (
            asyncio.get_running_loop().create_future()
        )
        theirs.on("datachannel", remote_channel.set_result)
        await theirs.setRemoteDescription(ours.localDescription)  # type: ignore[arg-type]
        await theirs.setLocalDescription(await theirs.createAnswer())
        await ours.setRemoteDescription(theirs.localDescription)
        await wait_open(channel)
        theirs_ch = await asyncio.wait_for(remote_channel, 10)
        echoed: asyncio.Future[str | bytes] = asyncio.get_running_loop().create_future()
        theirs_ch.on("message", theirs_ch.send)
        channel.on("message", echoed.set_result)
        channel.send("ported by changing the import")
        assert await asyncio.wait_for(echoed, 10) == "ported by changing the import"
    finally:
        await ours.close()
        await theirs.close()
