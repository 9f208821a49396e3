"""ICE restart while a reliable ordered channel carries a continuous numbered stream."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from helpers import TIMEOUT, PeerPair, sdp_ufrag, wait_open

from rtcpeer import RTCIceCandidate, RTCPeerConnection

pytestmark = pytest.mark.loopback


async def _selected_addresses(pc: RTCPeerConnection) -> tuple[tuple[str, int], tuple[str, int]]:
    stats = await pc.getStats()
    transport = next(s for s in stats.values() if s["type"] == "transport")
    pair = stats[transport["selectedCandidatePairId"]]
    local = stats[pair["localCandidateId"]]
    remote = stats[pair["remoteCandidateId"]]
    return (local["address"], local["port"]), (remote["address"], remote["port"])


def _addresses(candidates: list[RTCIceCandidate | None], ufrag: str) -> set[tuple[str, int]]:
    return {
        (c.address, c.port)  # type: ignore[misc]
        for c in candidates
        if c is not None and c.usernameFragment == ufrag
    }


async def _wait_until(check: Any, timeout: float = TIMEOUT) -> None:
    """Poll an async condition (the facade has no event for a changed selected pair)."""

    async def loop() -> None:
        while not await check():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loop(), timeout)


@pytest.mark.parametrize(
    ("restarter", "how"),
    [
        ("offerer", "restartIce"),
        ("offerer", "createOffer(iceRestart=True)"),
        ("answerer", "restartIce"),
        ("offerer", "twice in a row"),
    ],
)
async def test_ice_restart_mid_transfer_loses_nothing(
    peers: PeerPair, restarter: str, how: str
) -> None:
    """The restarting side offers; with "answerer" the first answerer now makes the offer."""
    pc1, pc2 = peers.pc1, peers.pc2
    channel = pc1.createDataChannel("stream")
    signaling = await peers.connect()
    await wait_open(channel)
    remote = await peers.accept2.get("stream")
    received = peers.accept2.collectors["stream"]
    closes: list[str] = []
    channel.on("close", lambda: closes.append("pc1"))
    remote.on("close", lambda: closes.append("pc2"))
    assert pc1.localDescription is not None and pc2.localDescription is not None
    old_ufrag1 = sdp_ufrag(pc1.localDescription.sdp)
    old_ufrag2 = sdp_ufrag(pc2.localDescription.sdp)
    old_pair = await _selected_addresses(pc1)

    sent = 0
    stop = asyncio.Event()

    async def pump() -> None:
        nonlocal sent
        while not stop.is_set():
            channel.send(f"{sent:06d}")
            sent += 1
            await asyncio.sleep(0.003)

    pump_task = asyncio.create_task(pump())
    await received.wait_count(50)  # the stream is flowing before the restart

    offerer, answerer = (pc1, pc2) if restarter == "offerer" else (pc2, pc1)
    if how == "restartIce":
        negotiation_needed = asyncio.Event()
        offerer.on("negotiationneeded", negotiation_needed.set)
        offerer.restartIce()
        await asyncio.wait_for(negotiation_needed.wait(), TIMEOUT)
        await signaling.negotiate(offerer, answerer)
    elif how == "twice in a row":
        await signaling.negotiate(offerer, answerer, ice_restart=True)
        await signaling.negotiate(offerer, answerer, ice_restart=True)
    else:
        await signaling.negotiate(offerer, answerer, ice_restart=True)
    assert pc1.signalingState == pc2.signalingState == "stable"
    assert pc1.localDescription is not None and pc2.localDescription is not None
    new_ufrag1 = sdp_ufrag(pc1.localDescription.sdp)
    new_ufrag2 = sdp_ufrag(pc2.localDescription.sdp)
    assert new_ufrag1 != old_ufrag1
    assert new_ufrag2 != old_ufrag2
    assert pc2.remoteDescription is not None and pc1.remoteDescription is not None
    assert sdp_ufrag(pc2.remoteDescription.sdp) == new_ufrag1
    assert sdp_ufrag(pc1.remoteDescription.sdp) == new_ufrag2

    # The selected pair moves to the new generation's candidates (fresh sockets).
    new_local1 = _addresses(signaling.to_pc2.delivered, new_ufrag1)
    new_local2 = _addresses(signaling.to_pc1.delivered, new_ufrag2)

    async def switched() -> bool:
        local, far = await _selected_addresses(pc1)
        local2, far2 = await _selected_addresses(pc2)
        fresh1 = _addresses(signaling.to_pc2.delivered, new_ufrag1)
        fresh2 = _addresses(signaling.to_pc1.delivered, new_ufrag2)
        return local in fresh1 and far in fresh2 and local2 in fresh2 and far2 in fresh1

    await _wait_until(switched)
    new_local1 = _addresses(signaling.to_pc2.delivered, new_ufrag1)
    new_local2 = _addresses(signaling.to_pc1.delivered, new_ufrag2)
    assert old_pair[0] not in new_local1 and old_pair[1] not in new_local2
    stats = await pc1.getStats()
    transport = next(s for s in stats.values() if s["type"] == "transport")
    assert transport["iceLocalUsernameFragment"] == new_ufrag1
    # localDescription lists only the new generation's candidates (W3C §4.4.1.6).
    for pc, fresh in ((pc1, new_local1), (pc2, new_local2)):
        assert pc.localDescription is not None
        listed = {
            (c.address, c.port)
            for c in (
                RTCIceCandidate(line[2:], sdpMid="0")
                for line in pc.localDescription.sdp.splitlines()
                if line.startswith("a=candidate:")
            )
        }
        assert listed and listed <= fresh

    # Keep streaming over the new pair for a while, then stop.
    target = sent + 100
    await received.wait_count(target)
    stop.set()
    await pump_task
    messages = await received.wait_count(sent)
    assert messages == [f"{n:06d}" for n in range(sent)]
    assert channel.readyState == remote.readyState == "open"
    assert closes == []
    assert pc1.connectionState == pc2.connectionState == "connected"
    assert not signaling.errors
