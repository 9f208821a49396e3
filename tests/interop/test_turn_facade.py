"""RTCPeerConnection (the W3C facade) against a real coturn: relay-only data channels over TURN
UDP/TCP/TLS, ``icecandidateerror`` for a wrong TURN password and for a dead STUN server, and a
relay-only peer talking to an ordinary one.

Candidates are trickled both ways through ``icecandidate`` -> ``addIceCandidate`` (queued until
the receiving side has its remote description).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from rtcpeer import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceCandidate,
    RTCIceServer,
    RTCPeerConnection,
    RTCPeerOptions,
)
from rtcpeer.testing.turnserver import CoturnServer

sys.path.insert(0, str(Path(__file__).parent))
from coturn_fixtures import coturn

__all__ = ["coturn"]

pytestmark = [pytest.mark.interop, pytest.mark.coturn]

LOOPBACK = ["127.0.0.1"]


class Side:
    """One RTCPeerConnection plus what it reported: candidates, errors, and its trickle outbox."""

    def __init__(self, name: str, config: RTCConfiguration) -> None:
        self.name = name
        self.pc = RTCPeerConnection(config)
        self.candidates: list[RTCIceCandidate] = []
        self.end_of_candidates = asyncio.Event()
        self.errors: list[Any] = []
        self.error_seen = asyncio.Event()
        self.peer: Side | None = None
        self._outbox: list[RTCIceCandidate | None] = []
        self._peer_ready = False
        self._tasks: set[asyncio.Task[None]] = set()
        self.pc.on("icecandidate", self._on_candidate)
        self.pc.on("icecandidateerror", self._on_error)

    def _on_candidate(self, candidate: RTCIceCandidate | None) -> None:
        if candidate is None:
            self.end_of_candidates.set()
        else:
            self.candidates.append(candidate)
        if self._peer_ready:
            self._forward(candidate)
        else:
            self._outbox.append(candidate)

    def _on_error(self, error: Any) -> None:
        self.errors.append(error)
        self.error_seen.set()

    def _forward(self, candidate: RTCIceCandidate | None) -> None:
        assert self.peer is not None
        task = asyncio.ensure_future(self.peer.pc.addIceCandidate(candidate))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def peer_has_remote_description(self) -> None:
        """Start trickling: first what was queued, then each candidate as it comes."""
        self._peer_ready = True
        for candidate in self._outbox:
            self._forward(candidate)
        self._outbox.clear()

    def candidate_types(self) -> list[str]:
        types = []
        for c in self.candidates:
            assert c.type is not None, c.candidate
            types.append(c.type)
        return types

    async def selected_local_candidate_type(self) -> str:
        report = await self.pc.getStats()
        transport = next(s for s in report.values() if s["type"] == "transport")
        pair = report[transport["selectedCandidatePairId"]]
        return str(report[pair["localCandidateId"]]["candidateType"])

    async def close(self) -> None:
        await self.pc.close()
        for task in list(self._tasks):
            if not task.done():
                task.cancel()


def config(
    servers: list[RTCIceServer],
    *,
    policy: str = "all",
    coturn: CoturnServer | None = None,
) -> RTCConfiguration:
    return RTCConfiguration(
        iceServers=servers,
        iceTransportPolicy="relay" if policy == "relay" else "all",
        options=RTCPeerOptions(
            hostAddresses=LOOPBACK,
            turnSslContext=coturn.ssl_context() if coturn is not None else None,
        ),
    )


def turn(coturn: CoturnServer, scheme: str, transport: str, password: str = "") -> RTCIceServer:
    return RTCIceServer(
        urls=coturn.url(scheme, transport),
        username=coturn.username,
        credential=password or coturn.password,
    )


@pytest.fixture
async def sides() -> AsyncIterator[list[Side]]:
    """Collects the Sides a test makes and closes them whatever happens."""
    made: list[Side] = []
    yield made
    for side in made:
        await side.close()


@pytest.fixture
def dead_stun_port() -> Iterator[int]:
    """A UDP socket that receives and never answers: a STUN server that is down."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


async def wait_open(channel: RTCDataChannel, timeout: float) -> None:
    if channel.readyState == "open":
        return
    opened = asyncio.Event()
    channel.on("open", opened.set)
    await asyncio.wait_for(opened.wait(), timeout)


async def negotiate(a: Side, b: Side) -> tuple[RTCDataChannel, RTCDataChannel]:
    """A offers a data channel to B with trickle ICE; returns (A's channel, B's channel)."""
    a.peer, b.peer = b, a
    remote_channel: asyncio.Future[RTCDataChannel] = asyncio.get_running_loop().create_future()

    def on_datachannel(channel: RTCDataChannel) -> None:
        if not remote_channel.done():
            remote_channel.set_result(channel)

    b.pc.on("datachannel", on_datachannel)

    channel = a.pc.createDataChannel("turn")
    await a.pc.setLocalDescription(await a.pc.createOffer())
    assert a.pc.localDescription is not None
    await b.pc.setRemoteDescription(a.pc.localDescription)
    a.peer_has_remote_description()
    await b.pc.setLocalDescription(await b.pc.createAnswer())
    assert b.pc.localDescription is not None
    await a.pc.setRemoteDescription(b.pc.localDescription)
    b.peer_has_remote_description()
    return channel, await remote_channel


async def exchange(x: RTCDataChannel, y: RTCDataChannel) -> None:
    """Text and binary messages both ways (a 64 KiB binary one included), in order, exact."""
    big = os.urandom(64 * 1024)
    to_y: list[str | bytes] = ["hello from x", b"\x00\x01\x02", big, "x-last"]
    to_x: list[str | bytes] = ["hello from y", bytes(reversed(big)), b"", "y-last"]
    got_y: list[str | bytes] = []
    got_x: list[str | bytes] = []
    done = asyncio.Event()

    def collector(into: list[str | bytes]) -> Callable[[str | bytes], None]:
        def on_message(message: str | bytes) -> None:
            into.append(message)
            if len(got_x) == len(to_x) and len(got_y) == len(to_y):
                done.set()

        return on_message

    y.on("message", collector(got_y))
    x.on("message", collector(got_x))
    for m in to_y:
        x.send(m)
    for m in to_x:
        y.send(m)
    await asyncio.wait_for(done.wait(), 15)
    assert got_y == to_y
    assert got_x == to_x


@pytest.mark.parametrize(
    ("scheme", "transport"),
    [("turn", "udp"), ("turn", "tcp"), ("turns", "tcp")],
    ids=["turn-udp", "turn-tcp", "turns-tls"],
)
async def test_relay_only_data_channel(
    coturn: CoturnServer, sides: list[Side], scheme: str, transport: str
) -> None:
    cfg = config([turn(coturn, scheme, transport)], policy="relay", coturn=coturn)
    a, b = Side("a", cfg), Side("b", cfg)
    sides += [a, b]
    ch_a, ch_b = await negotiate(a, b)
    await wait_open(ch_a, 15)
    await wait_open(ch_b, 15)
    await exchange(ch_a, ch_b)
    for side in (a, b):
        await asyncio.wait_for(side.end_of_candidates.wait(), 10)
        assert side.errors == []
        types = side.candidate_types()
        assert types and set(types) == {"relay"}, types
        for c in side.candidates:
            assert c.address == "127.0.0.1"
            assert c.port is not None and coturn.min_port <= c.port <= coturn.max_port
        assert await side.selected_local_candidate_type() == "relay"
        assert side.pc.connectionState == "connected"


@pytest.mark.parametrize("policy", ["all", "relay"])
@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_wrong_turn_password_fires_icecandidateerror(
    coturn: CoturnServer, sides: list[Side], transport: str, policy: str
) -> None:
    url = coturn.url("turn", transport)
    server = turn(coturn, "turn", transport, password="wrong")
    a = Side("a", config([server], policy=policy, coturn=coturn))
    sides.append(a)
    a.pc.createDataChannel("x")
    await a.pc.setLocalDescription(await a.pc.createOffer())
    await asyncio.wait_for(a.end_of_candidates.wait(), 10)
    error = a.errors[0] if a.errors else None
    assert [(e.errorCode, e.url) for e in a.errors] == [(401, url)]
    assert error is not None and error.errorText
    assert "relay" not in a.candidate_types()
    assert a.candidate_types() == ([] if policy == "relay" else ["host"])
    assert a.pc.iceGatheringState == "complete"


async def test_dead_stun_server_does_not_delay_connection(
    coturn: CoturnServer, sides: list[Side], dead_stun_port: int
) -> None:
    dead = f"stun:127.0.0.1:{dead_stun_port}"
    servers = [RTCIceServer(urls=dead), RTCIceServer(urls=coturn.url("stun"))]
    a, b = Side("a", config(servers)), Side("b", config(servers))
    sides += [a, b]
    ch_a, ch_b = await negotiate(a, b)
    # A bound, not a speed test: well under the dead server's query timeout (5 s).
    await wait_open(ch_a, 2.0)
    await wait_open(ch_b, 2.0)
    assert a.errors == [] and b.errors == []
    await exchange(ch_a, ch_b)
    for side in (a, b):
        await asyncio.wait_for(side.error_seen.wait(), 10)
        assert [(e.errorCode, e.url) for e in side.errors] == [(701, dead)]
        await asyncio.wait_for(side.end_of_candidates.wait(), 5)
    assert ch_a.readyState == "open" and ch_b.readyState == "open"


async def test_relay_only_peer_connects_to_default_policy_peer(
    coturn: CoturnServer, sides: list[Side]
) -> None:
    a = Side("a", config([turn(coturn, "turn", "tcp")], policy="relay", coturn=coturn))
    b = Side("b", config([]))
    sides += [a, b]
    ch_a, ch_b = await negotiate(a, b)
    await wait_open(ch_a, 15)
    await wait_open(ch_b, 15)
    await exchange(ch_a, ch_b)
    await asyncio.wait_for(a.end_of_candidates.wait(), 10)
    assert set(a.candidate_types()) == {"relay"}
    assert "host" in b.candidate_types()
    assert await a.selected_local_candidate_type() == "relay"
    assert await b.selected_local_candidate_type() == "host"
    assert a.errors == [] and b.errors == []
