"""pytest fixtures starting a real coturn (see rtcpeer.testing.turnserver)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rtcpeer.testing.turnserver import CoturnServer, CoturnUnavailable


@pytest.fixture(scope="module")
def coturn() -> Iterator[CoturnServer]:
    """A running coturn; FAILS (never skips) when coturn is not installed."""
    try:
        server = CoturnServer.start()
    except CoturnUnavailable as exc:
        pytest.fail(f"coturn is required for this test and could not be started: {exc}")
    try:
        yield server
    finally:
        server.stop()
