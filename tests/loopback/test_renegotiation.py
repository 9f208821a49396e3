"""Renegotiation without ICE restart, close with queued data, channels created early."""

from __future__ import annotations

import asyncio

import pytest
from helpers import Collector, PeerPair, sdp_ufrag, wait_closed, wait_open

from rtcpeer import RTCPeerConnection

pytestmark = pytest.mark.loopback


async def _dtls_role(pc: RTCPeerConnection) -> str:
    stats = await pc.getStats()
    transport = next(s for s in stats.values() if s["type"] == "transport")
    return str(transport["dtlsRole"])


@pytest.mark.parametrize("offerer", ["pc1", "pc2"])
async def test_renegotiation_without_restart_keeps_everything(
    peers: PeerPair, offerer: str
) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    channel = pc1.createDataChannel("keep")
    signaling = await peers.connect()
    await wait_open(channel)
    await peers.accept2.get("keep")
    received = peers.accept2.collectors["keep"]
    assert pc1.localDescription is not None and pc2.localDescription is not None
    ufrags = sdp_ufrag(pc1.localDescription.sdp), sdp_ufrag(pc2.localDescription.sdp)
    roles = [await _dtls_role(pc) for pc in (pc1, pc2)]
    assert sorted(roles) == ["client", "server"]
    closes: list[str] = []
    channel.on("close", lambda: closes.append("pc1"))
    for n in range(10):
        channel.send(f"before {n}")
    a, b = (pc1, pc2) if offerer == "pc1" else (pc2, pc1)
    await signaling.negotiate(a, b)
    await signaling.negotiate(a, b)
    assert pc1.signalingState == pc2.signalingState == "stable"
    assert pc1.localDescription is not None and pc2.localDescription is not None
    assert (sdp_ufrag(pc1.localDescription.sdp), sdp_ufrag(pc2.localDescription.sdp)) == ufrags
    # DTLS roles stay as first negotiated (RFC 8842 §5.5), whoever offers now.
    assert [await _dtls_role(pc) for pc in (pc1, pc2)] == roles
    answer = b.localDescription
    assert answer is not None and answer.type == "answer"
    answerer_role = roles[0] if b is pc1 else roles[1]
    expected_setup = "a=setup:active" if answerer_role == "client" else "a=setup:passive"
    assert expected_setup in answer.sdp
    for n in range(10):
        channel.send(f"after {n}")
    late = pc2.createDataChannel("late")
    await wait_open(late)
    late.send("late hello")
    got = await received.wait_count(20)
    assert got == [f"before {n}" for n in range(10)] + [f"after {n}" for n in range(10)]
    assert await peers.accept1.messages("late", 1) == ["late hello"]
    assert closes == []
    assert pc1.connectionState == pc2.connectionState == "connected"


async def test_close_delivers_queued_messages_first(peers: PeerPair) -> None:
    pc1 = peers.pc1
    channel = pc1.createDataChannel("drain")
    await peers.connect()
    await wait_open(channel)
    remote = await peers.accept2.get("drain")
    received = peers.accept2.collectors["drain"]
    chunk = b"q" * 8192
    for n in range(100):
        channel.send(bytes([n % 256]) + chunk)
    assert channel.bufferedAmount > 0
    channel.close()
    assert channel.readyState == "closing"
    await asyncio.gather(wait_closed(channel), wait_closed(remote))
    # W3C §6.2 close(): data queued before close() is still delivered, in order.
    assert len(received.messages) == 100
    assert [m[0] for m in received.messages] == [n % 256 for n in range(100)]


async def test_simultaneous_close_from_both_sides(peers: PeerPair) -> None:
    pc1 = peers.pc1
    channels = [pc1.createDataChannel(f"c{n}") for n in range(4)]
    await peers.connect()
    await asyncio.gather(*(wait_open(c) for c in channels))
    remotes = [await peers.accept2.get(f"c{n}") for n in range(4)]
    for local, remote in zip(channels, remotes, strict=True):
        local.close()
        remote.close()
    await asyncio.gather(*(wait_closed(c) for c in channels + remotes))
    fresh = pc1.createDataChannel("fresh")
    await wait_open(fresh)
    fresh.send("ok")
    assert await peers.accept2.messages("fresh", 1) == ["ok"]


async def test_answerer_channel_created_before_answer(peers: PeerPair) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    offered = pc1.createDataChannel("from-offerer")
    early = pc2.createDataChannel("from-answerer-early")
    back = Collector(early)
    await peers.connect()
    await asyncio.gather(wait_open(offered), wait_open(early))
    assert offered.id is not None and early.id is not None and offered.id != early.id
    early.send("early bird")
    assert await peers.accept1.messages("from-answerer-early", 1) == ["early bird"]
    mirror = await peers.accept1.get("from-answerer-early")
    mirror.send("reply")
    assert await back.wait_count(1) == ["reply"]
