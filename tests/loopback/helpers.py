"""Shared helpers for the loopback tier: two rtcpeer peers over real UDP sockets on 127.0.0.1.

Signaling is an in-process relay. Trickled candidates travel through one FIFO per direction;
a candidate is handed to ``addIceCandidate`` only once the receiving peer's remote description
carries the candidate's ufrag (so candidates of an ICE restart wait for the new offer/answer,
exactly as a careful application would do). Any error a delivery raises is recorded in
``Signaling.errors`` and the tests assert that list stays empty.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from typing import Any

from rtcpeer import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCPeerOptions,
)

TIMEOUT = 15.0


def loopback_config(**options: Any) -> RTCConfiguration:
    """Gather host candidates on 127.0.0.1 only (plus any extra RTCPeerOptions)."""
    return RTCConfiguration(options=RTCPeerOptions(hostAddresses=["127.0.0.1"], **options))


def sdp_ufrag(sdp: str) -> str:
    match = re.search(r"^a=ice-ufrag:(\S+)", sdp, re.MULTILINE)
    assert match is not None, "no a=ice-ufrag in the SDP"
    return match.group(1)


def sdp_fingerprint(sdp: str) -> str:
    match = re.search(r"^a=fingerprint:\S+ (\S+)", sdp, re.MULTILINE)
    assert match is not None, "no a=fingerprint in the SDP"
    return match.group(1)


class _Relay:
    """One direction of trickle ICE: ``sender`` candidates -> ``receiver.addIceCandidate``."""

    def __init__(
        self, sender: RTCPeerConnection, receiver: RTCPeerConnection, errors: list[BaseException]
    ) -> None:
        self.sender = sender
        self.receiver = receiver
        self.errors = errors
        self.delivered: list[RTCIceCandidate | None] = []
        self._queue: asyncio.Queue[RTCIceCandidate | None] = asyncio.Queue()
        self._changed = asyncio.Event()
        self._last_ufrag: str | None = None
        sender.on("icecandidate", self._on_candidate)
        receiver.on("signalingstatechange", self._changed.set)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def _on_candidate(self, candidate: RTCIceCandidate | None) -> None:
        self._queue.put_nowait(candidate)

    def _receiver_knows(self, ufrag: str | None) -> bool:
        remote = self.receiver.remoteDescription
        if remote is None:
            return False
        return ufrag is None or sdp_ufrag(remote.sdp) == ufrag

    async def _run(self) -> None:
        while True:
            candidate = await self._queue.get()
            ufrag = candidate.usernameFragment if candidate is not None else self._last_ufrag
            if candidate is not None:
                self._last_ufrag = ufrag
            while not self._receiver_knows(ufrag):
                self._changed.clear()
                await self._changed.wait()
            if self.receiver.signalingState == "closed":
                return
            try:
                await self.receiver.addIceCandidate(candidate)
            except Exception as exc:
                self.errors.append(exc)
            self.delivered.append(candidate)

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class Signaling:
    """Trickle ICE both ways between two peers, plus offer/answer helpers."""

    def __init__(self, pc1: RTCPeerConnection, pc2: RTCPeerConnection) -> None:
        self.pc1 = pc1
        self.pc2 = pc2
        self.errors: list[BaseException] = []
        self.to_pc2 = _Relay(pc1, pc2, self.errors)
        self.to_pc1 = _Relay(pc2, pc1, self.errors)

    async def negotiate(
        self, offerer: RTCPeerConnection, answerer: RTCPeerConnection, *, ice_restart: bool = False
    ) -> None:
        """One offer/answer round, ``offerer`` -> ``answerer``."""
        await offerer.setLocalDescription(await offerer.createOffer(iceRestart=ice_restart))
        assert offerer.localDescription is not None
        await answerer.setRemoteDescription(offerer.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        assert answerer.localDescription is not None
        await offerer.setRemoteDescription(answerer.localDescription)

    async def stop(self) -> None:
        await self.to_pc1.stop()
        await self.to_pc2.stop()


async def wait_event(
    emitter: Any,
    event: str,
    predicate: Callable[[], bool] | None = None,
    timeout: float = TIMEOUT,
) -> None:
    """Return once ``event`` fires on ``emitter`` (and ``predicate()`` holds, if given).

    With a predicate that already holds, return at once."""
    if predicate is not None and predicate():
        return
    fired = asyncio.Event()

    def handler(*_: Any) -> None:
        if predicate is None or predicate():
            fired.set()

    emitter.on(event, handler)
    try:
        await asyncio.wait_for(fired.wait(), timeout)
    finally:
        emitter.remove_listener(event, handler)


async def wait_state(
    pc: RTCPeerConnection, state: str, timeout: float = TIMEOUT, *, attr: str = "connectionState"
) -> None:
    """Wait until ``pc.<attr>`` equals ``state`` (driven by the matching change event)."""
    event = {
        "connectionState": "connectionstatechange",
        "iceConnectionState": "iceconnectionstatechange",
        "signalingState": "signalingstatechange",
    }[attr]
    await wait_event(pc, event, lambda: getattr(pc, attr) == state, timeout)


async def wait_open(channel: RTCDataChannel, timeout: float = TIMEOUT) -> None:
    await wait_event(channel, "open", lambda: channel.readyState == "open", timeout)


async def wait_closed(channel: RTCDataChannel, timeout: float = TIMEOUT) -> None:
    await wait_event(channel, "close", lambda: channel.readyState == "closed", timeout)


class Collector:
    """Records every message of a channel; ``wait_count(n)`` waits for the n-th."""

    def __init__(self, channel: RTCDataChannel) -> None:
        self.channel = channel
        self.messages: list[str | bytes] = []
        self.closed = False
        self._changed = asyncio.Event()
        channel.on("message", self._on_message)
        channel.on("close", self._on_close)

    def _on_message(self, message: str | bytes) -> None:
        self.messages.append(message)
        self._changed.set()

    def _on_close(self) -> None:
        self.closed = True
        self._changed.set()

    async def wait_count(self, count: int, timeout: float = TIMEOUT) -> list[str | bytes]:
        async def wait() -> None:
            while len(self.messages) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)
        return self.messages


class Acceptor:
    """Collects the channels a peer announces with ``datachannel`` (with a Collector each)."""

    def __init__(self, pc: RTCPeerConnection) -> None:
        self.channels: dict[str, RTCDataChannel] = {}
        self.collectors: dict[str, Collector] = {}
        self.order: list[RTCDataChannel] = []
        self._changed = asyncio.Event()
        pc.on("datachannel", self._on_channel)

    def _on_channel(self, channel: RTCDataChannel) -> None:
        self.channels[channel.label] = channel
        self.collectors[channel.label] = Collector(channel)
        self.order.append(channel)
        self._changed.set()

    async def get(self, label: str, timeout: float = TIMEOUT) -> RTCDataChannel:
        async def wait() -> RTCDataChannel:
            while label not in self.channels:
                self._changed.clear()
                await self._changed.wait()
            return self.channels[label]

        return await asyncio.wait_for(wait(), timeout)

    async def messages(self, label: str, count: int, timeout: float = TIMEOUT) -> list[str | bytes]:
        """Wait for channel ``label`` to be announced and to have delivered ``count``."""
        await self.get(label, timeout)
        return await self.collectors[label].wait_count(count, timeout)

    async def wait_count(self, count: int, timeout: float = TIMEOUT) -> None:
        async def wait() -> None:
            while len(self.order) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)


async def connect(
    pc1: RTCPeerConnection, pc2: RTCPeerConnection, *, timeout: float = TIMEOUT
) -> Signaling:
    """Wire trickle both ways, run pc1 -> pc2 offer/answer, wait until both are connected.

    pc1 must already have a data channel (or the offer has no data section)."""
    signaling = Signaling(pc1, pc2)
    await signaling.negotiate(pc1, pc2)
    await asyncio.gather(
        wait_state(pc1, "connected", timeout), wait_state(pc2, "connected", timeout)
    )
    return signaling


class PeerPair:
    """Two loopback peers, closed (with their relays) by :meth:`close`."""

    def __init__(self, **options: Any) -> None:
        self.pc1 = RTCPeerConnection(loopback_config(**options))
        self.pc2 = RTCPeerConnection(loopback_config(**options))
        self.accept1 = Acceptor(self.pc1)
        self.accept2 = Acceptor(self.pc2)
        self.signaling: Signaling | None = None

    async def connect(self) -> Signaling:
        self.signaling = await connect(self.pc1, self.pc2)
        return self.signaling

    async def close(self) -> None:
        if self.signaling is not None:
            await self.signaling.stop()
            assert not self.signaling.errors, self.signaling.errors
        await self.pc1.close()
        await self.pc2.close()
