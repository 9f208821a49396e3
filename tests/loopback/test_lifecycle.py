"""Channel close and reopen, pc.close(), pre-negotiated channels, bufferedAmount."""

from __future__ import annotations

import asyncio

import pytest
from helpers import Collector, PeerPair, wait_closed, wait_event, wait_open

from rtcpeer import InvalidStateError, RTCIceCandidate

pytestmark = pytest.mark.loopback


async def _closed_both(a: object, b: object) -> None:
    await asyncio.gather(wait_closed(a), wait_closed(b))  # type: ignore[arg-type]


@pytest.mark.parametrize("closer", ["opener", "acceptor"])
async def test_close_then_reopen(peers: PeerPair, closer: str) -> None:
    pc1 = peers.pc1
    first = pc1.createDataChannel("first")
    await peers.connect()
    await wait_open(first)
    remote = await peers.accept2.get("first")
    await wait_open(remote)
    events: list[str] = []
    first.on("close", lambda: events.append("local close"))
    remote.on("close", lambda: events.append("remote close"))
    freed_id = first.id

    (first if closer == "opener" else remote).close()
    await _closed_both(first, remote)
    assert first.readyState == remote.readyState == "closed"
    assert sorted(events) == ["local close", "remote close"]
    for channel in (first, remote):
        with pytest.raises(InvalidStateError):
            channel.send("too late")

    # Both directions of the stream are reset, so its id may be used again.
    second = pc1.createDataChannel("second")
    await wait_open(second)
    assert second.id == freed_id
    remote2 = await peers.accept2.get("second")
    assert remote2.id == freed_id
    back = Collector(second)
    second.send("ping")
    assert await peers.accept2.messages("second", 1) == ["ping"]
    remote2.send("pong")
    assert await back.wait_count(1) == ["pong"]
    # The closed channel saw nothing of the new one's traffic.
    assert peers.accept2.collectors["first"].messages == []
    # Each side fired "close" exactly once, and reopening did not fire it again.
    assert sorted(events) == ["local close", "remote close"]


async def test_pc_close_closes_everything(peers: PeerPair) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    channel = pc1.createDataChannel("doomed")
    await peers.connect()
    await wait_open(channel)
    remote = await peers.accept2.get("doomed")
    states: list[str] = []
    pc1.on("connectionstatechange", lambda: states.append(pc1.connectionState))

    await pc1.close()
    assert channel.readyState == "closed"
    assert pc1.connectionState == "closed"
    assert pc1.iceConnectionState == "closed"
    assert pc1.signalingState == "closed"
    assert states == ["closed"]
    # The peer learns through SCTP ABORT / DTLS close_notify: its channel closes too.
    await wait_closed(remote)

    with pytest.raises(InvalidStateError):
        channel.send("x")
    with pytest.raises(InvalidStateError):
        pc1.createDataChannel("again")
    with pytest.raises(InvalidStateError):
        await pc1.createOffer()
    with pytest.raises(InvalidStateError):
        await pc1.createAnswer()
    with pytest.raises(InvalidStateError):
        await pc1.setLocalDescription()
    assert pc2.localDescription is not None
    with pytest.raises(InvalidStateError):
        await pc1.setRemoteDescription(pc2.localDescription)
    with pytest.raises(InvalidStateError):
        await pc1.addIceCandidate(RTCIceCandidate("", sdpMid="0"))
    with pytest.raises(InvalidStateError):
        pc1.restartIce()
    with pytest.raises(InvalidStateError):
        pc1.setConfiguration(pc1.getConfiguration())
    # close() is idempotent.
    await pc1.close()
    assert pc1.connectionState == "closed"


async def test_negotiated_channels_skip_dcep(peers: PeerPair) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    a = pc1.createDataChannel("pre", negotiated=True, id=7, ordered=True)
    b = pc2.createDataChannel("pre", negotiated=True, id=7, ordered=True)
    unordered_a = pc1.createDataChannel("pre-u", negotiated=True, id=100, ordered=False)
    unordered_b = pc2.createDataChannel("pre-u", negotiated=True, id=100, ordered=False)
    await peers.connect()
    await asyncio.gather(*(wait_open(c) for c in (a, b, unordered_a, unordered_b)))
    assert a.negotiated and b.negotiated and a.id == b.id == 7
    got_b, got_a = Collector(b), Collector(a)
    got_ub = Collector(unordered_b)
    for n in range(50):
        a.send(f"a{n}")
        b.send(bytes([n]))
        unordered_a.send(f"u{n}")
    assert await got_b.wait_count(50) == [f"a{n}" for n in range(50)]
    assert await got_a.wait_count(50) == [bytes([n]) for n in range(50)]
    assert set(await got_ub.wait_count(50)) == {f"u{n}" for n in range(50)}
    # No DATA_CHANNEL_OPEN was exchanged: neither side announced a remote channel.
    assert peers.accept1.order == [] and peers.accept2.order == []
    stats = await pc2.getStats()
    labels = sorted(s["label"] for s in stats.values() if s["type"] == "data-channel")
    assert labels == ["pre", "pre-u"]


async def test_buffered_amount_low_event(peers: PeerPair) -> None:
    pc1 = peers.pc1
    channel = pc1.createDataChannel("burst")
    await peers.connect()
    await wait_open(channel)
    threshold = 64 * 1024
    channel.bufferedAmountLowThreshold = threshold
    assert channel.bufferedAmountLowThreshold == threshold
    low_events: list[int] = []
    low = asyncio.Event()

    def on_low() -> None:
        low_events.append(channel.bufferedAmount)
        low.set()

    channel.on("bufferedamountlow", on_low)
    chunk = b"z" * 16384
    count = 64  # 1 MiB: far more than one flight
    for _ in range(count):
        channel.send(chunk)
    assert channel.bufferedAmount > threshold
    await asyncio.wait_for(low.wait(), 15)
    assert low_events[0] <= threshold
    got = await peers.accept2.messages("burst", count)
    assert all(m == chunk for m in got)
    await wait_event(channel, "bufferedamountlow", lambda: channel.bufferedAmount == 0, 15)
    assert channel.bufferedAmount == 0
    # The event fires on crossing the threshold, not once per drained packet.
    assert len(low_events) == 1
