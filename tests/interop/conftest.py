"""Interop tier: real peers (aiortc, Chromium, coturn). Runs inside ``tools/netns-run``."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _require_private_netns() -> None:
    """Real-peer tests gather on every interface: they must run in a private namespace."""
    if os.environ.get("RTCPEER_NETNS") != "1":
        pytest.fail(
            "interop tests must run inside tools/netns-run (a private network namespace), "
            "e.g. `tools/netns-run pytest tests/interop`"
        )
