"""The rtcpeer side of the Chromium interop tests: a peer with its events collected, and the
small helpers both Chromium test files use (trickle-only SDP, bounded polling)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from browser import BrowserPeer

from rtcpeer import RTCConfiguration, RTCIceCandidate, RTCPeerConnection

TIMEOUT = 20.0


def strip_candidates(sdp: str) -> str:
    """Remove candidates from an SDP so that only trickled candidates can connect."""
    lines = [
        line
        for line in sdp.splitlines()
        if not line.startswith(("a=candidate:", "a=end-of-candidates"))
    ]
    return "\r\n".join(lines) + "\r\n"


async def wait_for(predicate: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_for_async(
    predicate: Callable[[], Awaitable[bool]], what: str, timeout: float = TIMEOUT
) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def candidate_json(candidate: RTCIceCandidate) -> dict[str, Any]:
    """The W3C ``toJSON()`` dict."""
    result: dict[str, Any] = candidate.toJSON()
    return result


class PyPeer:
    """An rtcpeer RTCPeerConnection with its events collected into queues."""

    def __init__(self, config: RTCConfiguration | None = None) -> None:
        self.pc = RTCPeerConnection(config or RTCConfiguration(iceServers=[]))
        self.candidates: asyncio.Queue[RTCIceCandidate | None] = asyncio.Queue()
        self.sent_candidates: list[dict[str, Any] | None] = []
        self.remote_channels: asyncio.Queue[Any] = asyncio.Queue()
        self.channels: dict[str, Any] = {}
        self.inbox: dict[str, asyncio.Queue[str | bytes]] = {}
        self.opened: dict[str, asyncio.Event] = {}
        self.closed: dict[str, asyncio.Event] = {}
        self.closed_at: dict[str, float] = {}
        self.connection_states: list[str] = []

        @self.pc.on("icecandidate")
        def on_candidate(candidate: RTCIceCandidate | None) -> None:
            self.candidates.put_nowait(candidate)

        @self.pc.on("datachannel")
        def on_datachannel(channel: Any) -> None:
            self.watch(channel)
            self.remote_channels.put_nowait(channel)

        @self.pc.on("connectionstatechange")
        def on_state() -> None:
            self.connection_states.append(self.pc.connectionState)

    def watch(self, channel: Any) -> None:
        label = channel.label
        self.channels[label] = channel
        inbox = self.inbox.setdefault(label, asyncio.Queue())
        opened = self.opened.setdefault(label, asyncio.Event())
        closed = self.closed.setdefault(label, asyncio.Event())
        if channel.readyState == "open":
            opened.set()

        @channel.on("open")
        def on_open() -> None:
            opened.set()

        @channel.on("close")
        def on_close() -> None:
            self.closed_at[label] = time.monotonic()
            closed.set()

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            inbox.put_nowait(message)

    def create_channel(self, label: str, **init: Any) -> Any:
        channel = self.pc.createDataChannel(label, **init)
        self.watch(channel)
        return channel

    async def wait_open(self, label: str, timeout: float = TIMEOUT) -> Any:
        event = self.opened.setdefault(label, asyncio.Event())
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"rtcpeer channel {label!r} did not open") from None
        return self.channels[label]

    async def receive(self, label: str, timeout: float = TIMEOUT) -> str | bytes:
        inbox = self.inbox.setdefault(label, asyncio.Queue())
        try:
            return await asyncio.wait_for(inbox.get(), timeout)
        except TimeoutError:
            raise AssertionError(f"no message on rtcpeer channel {label!r}") from None

    async def send_candidates_to(self, browser: BrowserPeer) -> None:
        """Forward rtcpeer's trickled candidates to the browser, end-of-candidates too."""
        while True:
            candidate = await asyncio.wait_for(self.candidates.get(), TIMEOUT)
            as_json = None if candidate is None else candidate_json(candidate)
            self.sent_candidates.append(as_json)
            await browser.add_ice_candidate(as_json)
            if candidate is None:
                return

    async def receive_candidates_from(self, browser: BrowserPeer) -> int:
        """Feed the browser's trickled candidates to rtcpeer; returns how many."""
        count = 0
        while True:
            cand = await browser.next_candidate(TIMEOUT)
            if cand is None:
                await self.pc.addIceCandidate(None)
                return count
            if not cand.get("candidate"):
                continue  # Chromium's per-generation end marker; None follows
            await self.pc.addIceCandidate(RTCIceCandidate.from_json(cand))
            count += 1
