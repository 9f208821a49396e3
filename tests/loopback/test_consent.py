"""Consent freshness (RFC 7675) seen through the facade's state attributes and events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from helpers import PeerPair, wait_open, wait_state

pytestmark = pytest.mark.loopback

DISCONNECTED_AFTER = 1.0
FAILED_AFTER = 2.5


@pytest.fixture
async def short_consent() -> AsyncIterator[PeerPair]:
    pair = PeerPair(consentDisconnectedAfter=DISCONNECTED_AFTER, consentFailedAfter=FAILED_AFTER)
    try:
        yield pair
    finally:
        await pair.close()


async def test_peer_vanishing_goes_disconnected_then_failed(short_consent: PeerPair) -> None:
    peers = short_consent
    pc1, pc2 = peers.pc1, peers.pc2
    channel = pc1.createDataChannel("idle")
    await peers.connect()
    await wait_open(channel)
    ice_events: list[str] = []
    conn_events: list[str] = []
    pc1.on("iceconnectionstatechange", lambda: ice_events.append(pc1.iceConnectionState))
    pc1.on("connectionstatechange", lambda: conn_events.append(pc1.connectionState))

    # A healthy but idle connection is kept alive by consent checks alone: it must stay
    # connected well past consentDisconnectedAfter (nothing to await: absence of events).
    await asyncio.sleep(2.5 * DISCONNECTED_AFTER)
    assert ice_events == [] and conn_events == []
    assert pc1.connectionState == "connected"

    # pc2 vanishes without a goodbye: its ICE sockets close, no DTLS close_notify.
    assert pc2._agent is not None
    await pc2._agent.close()
    await wait_state(pc1, "disconnected", 2 * DISCONNECTED_AFTER + 2)
    assert pc1.iceConnectionState == "disconnected"
    await wait_state(pc1, "failed", FAILED_AFTER + 2)
    assert pc1.iceConnectionState == "failed"
    assert ice_events == ["disconnected", "failed"]
    assert conn_events == ["disconnected", "failed"]
