"""Off-path injection (RFC 8445 §7.2.5, RFC 7675 §5.1): DTLS records sprayed at a peer's port
from an address that passed no ICE check are dropped and counted, and the handshake survives."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import pytest
from helpers import Collector, PeerPair, wait_open

from rtcpeer import RTCIceCandidate

pytestmark = pytest.mark.loopback

# DTLS 1.2 records (RFC 6347 §4.1): a fatal handshake_failure alert, and a handshake record
# (ClientHello type, junk body), epoch 0.
ALERT = bytes([21, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 40])
HANDSHAKE = bytes([22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 2, 0, 12, 1, 0, 0, 8]) + bytes(8)


class Sprayer:
    """Sends spoofed records from its own socket to every host candidate a peer announces."""

    def __init__(self) -> None:
        self.targets: set[tuple[str, int]] = set()
        self.sent = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.setblocking(False)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def watch(self, candidate: RTCIceCandidate | None) -> None:
        if candidate is not None and candidate.address and candidate.port:
            self.targets.add((candidate.address, candidate.port))

    async def _run(self) -> None:
        while True:
            for target in list(self.targets):
                for record in (ALERT, HANDSHAKE):
                    with contextlib.suppress(BlockingIOError):
                        self._sock.sendto(record, target)
                        self.sent += 1
            await asyncio.sleep(0.001)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._sock.close()


async def _unvalidated(pc: object) -> int:
    stats = await pc.getStats()  # type: ignore[attr-defined]
    transport = next(s for s in stats.values() if s["type"] == "transport")
    value = transport["rtcpeerUnvalidatedDatagrams"]
    assert isinstance(value, int)
    return value


async def test_spoofed_dtls_during_handshake_is_dropped() -> None:
    peers = PeerPair()
    sprayer = Sprayer()
    try:
        pc1, pc2 = peers.pc1, peers.pc2
        pc1.on("icecandidate", sprayer.watch)
        pc2.on("icecandidate", sprayer.watch)
        channel = pc1.createDataChannel("survivor")
        await peers.connect()  # sprayed all along: from gathering to connected
        await wait_open(channel)
        remote = await peers.accept2.get("survivor")
        await sprayer.stop()
        assert len(sprayer.targets) == 2 and sprayer.sent > 0
        assert pc1.connectionState == pc2.connectionState == "connected"
        back = Collector(channel)
        channel.send("through")
        remote.send(b"and back")
        assert await peers.accept2.messages("survivor", 1) == ["through"]
        assert await back.wait_count(1) == [b"and back"]
        dropped = await _unvalidated(pc1) + await _unvalidated(pc2)
        assert 0 < dropped <= sprayer.sent
    finally:
        await sprayer.stop()
        await peers.close()
