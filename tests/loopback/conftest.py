"""Loopback tier: rtcpeer <-> rtcpeer over real UDP sockets bound to 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from helpers import PeerPair


@pytest.fixture
async def peers() -> AsyncIterator[PeerPair]:
    """Two unconnected loopback peers; closed (and relay errors checked) at teardown."""
    pair = PeerPair()
    try:
        yield pair
    finally:
        await pair.close()
