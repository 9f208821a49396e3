"""Path MTU discovery (RFC 8899) between two rtcpeer peers over real UDP on 127.0.0.1.

Loopback carries 64 KiB datagrams, so both associations climb to MAX_PLPMTU; big messages
still arrive byte-exact, and an ICE restart (a change of path: back to BASE, search again)
loses nothing.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from helpers import TIMEOUT, Collector, PeerPair, wait_open

from rtcpeer import RTCDataChannel, RTCPeerConnection
from rtcpeer.sctp.plpmtud import MAX_PLPMTU

pytestmark = pytest.mark.loopback

BASE = 1160  # the 1163-byte SCTP packet of a 1200-byte datagram, 4-byte aligned


async def _sctp_stats(pc: RTCPeerConnection) -> dict[str, Any]:
    stats = await pc.getStats()
    transport = next(s for s in stats.values() if s["type"] == "transport")
    sctp: dict[str, Any] = transport["rtcpeerSctp"]
    return sctp


async def _wait_plpmtu(pc: RTCPeerConnection, check: Any, timeout: float = TIMEOUT) -> int:
    async def loop() -> int:
        while True:
            plpmtu = int((await _sctp_stats(pc))["plpmtu"])
            if check(plpmtu):
                return plpmtu
            await asyncio.sleep(0.01)

    return await asyncio.wait_for(loop(), timeout)


async def _exchange(
    ch1: RTCDataChannel, got2: Collector, ch2: RTCDataChannel, got1: Collector, n: int
) -> None:
    """``n`` 256 KiB binary messages each way, checked byte for byte."""
    payloads = [os.urandom(256 * 1024) for _ in range(2 * n)]
    base1, base2 = len(got2.messages), len(got1.messages)
    for i in range(n):
        ch1.send(payloads[i])
        ch2.send(payloads[n + i])
    await got2.wait_count(base2 + n, 30.0)
    await got1.wait_count(base1 + n, 30.0)
    assert got2.messages[base2 : base2 + n] == payloads[:n]
    assert got1.messages[base1 : base1 + n] == payloads[n:]


async def _open(peers: PeerPair) -> tuple[RTCDataChannel, Collector, RTCDataChannel, Collector]:
    ch1 = peers.pc1.createDataChannel("bulk")
    await peers.connect()
    await wait_open(ch1)
    ch2 = await peers.accept2.get("bulk")
    return ch1, peers.accept2.collectors["bulk"], ch2, Collector(ch1)


async def test_loopback_reaches_max_plpmtu_and_big_messages_arrive(peers: PeerPair) -> None:
    ch1, got2, ch2, got1 = await _open(peers)
    for pc in (peers.pc1, peers.pc2):
        assert await _wait_plpmtu(pc, lambda m: m == MAX_PLPMTU) == MAX_PLPMTU
    await _exchange(ch1, got2, ch2, got1, 4)
    for pc in (peers.pc1, peers.pc2):
        sctp = await _sctp_stats(pc)
        assert sctp["plpmtu"] == MAX_PLPMTU
        assert sctp["probes_acked"] >= 2
        assert sctp["black_holes"] == 0


async def test_ice_restart_restarts_the_search_and_loses_nothing(peers: PeerPair) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    ch1, got2, ch2, got1 = await _open(peers)
    await _wait_plpmtu(pc1, lambda m: m == MAX_PLPMTU)
    before = (await _sctp_stats(pc1))["probes_sent"]

    stream = pc1.createDataChannel("stream")
    await wait_open(stream)
    received = await peers.accept2.get("stream")
    del received
    counted = peers.accept2.collectors["stream"]
    sent = 0
    stop = asyncio.Event()

    async def pump() -> None:
        nonlocal sent
        while not stop.is_set():
            stream.send(os.urandom(20_000) + f"{sent:06d}".encode())
            sent += 1
            await asyncio.sleep(0.002)

    task = asyncio.create_task(pump())
    await counted.wait_count(20)
    assert peers.signaling is not None
    await peers.signaling.negotiate(pc1, pc2, ice_restart=True)
    # The new path is searched from BASE again (more probes) and climbs back.
    await asyncio.wait_for(_stat_at_least(pc1, "path_resets", 1), TIMEOUT)
    await asyncio.wait_for(_stat_at_least(pc1, "probes_sent", before + 2), TIMEOUT)
    await _wait_plpmtu(pc1, lambda m: m == MAX_PLPMTU)
    await _exchange(ch1, got2, ch2, got1, 2)
    target = sent + 20
    await counted.wait_count(target)
    stop.set()
    await task
    msgs = await counted.wait_count(sent)
    tails = [m[-6:] for m in msgs if isinstance(m, bytes)]
    assert tails == [f"{i:06d}".encode() for i in range(sent)]


async def _stat_at_least(pc: RTCPeerConnection, name: str, count: int) -> None:
    while (await _sctp_stats(pc))[name] < count:
        await asyncio.sleep(0.01)
