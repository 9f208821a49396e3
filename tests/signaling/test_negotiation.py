"""Perfect negotiation (signaling.negotiation) between two rtcpeer peers over the in-memory
transport: glare on the first channel, channels added later, simultaneous ICE restarts, and
the negotiationneeded re-firing the pattern relies on."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from rtcpeer import (
    RTCConfiguration,
    RTCDataChannel,
    RTCPeerConnection,
    RTCPeerOptions,
)
from signaling.memory import MemoryTransport, memory_pair
from signaling.messages import Answer, Message, Offer
from signaling.negotiation import PerfectNegotiator

pytestmark = pytest.mark.loopback

TIMEOUT = 15.0


def loopback_config() -> RTCConfiguration:
    return RTCConfiguration(options=RTCPeerOptions(hostAddresses=["127.0.0.1"]))


@dataclass
class Side:
    """One peer: its connection, negotiator, transport, and what it saw."""

    name: str
    pc: RTCPeerConnection
    transport: MemoryTransport
    negotiator: PerfectNegotiator
    sent: list[Message] = field(default_factory=list)
    received: list[Message] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)
    channels: dict[str, RTCDataChannel] = field(default_factory=dict)
    inbox: dict[str, asyncio.Queue[Any]] = field(default_factory=dict)

    def queue(self, label: str) -> asyncio.Queue[Any]:
        return self.inbox.setdefault(label, asyncio.Queue())

    def listen(self, channel: RTCDataChannel) -> None:
        self.channels[channel.label] = channel
        queue = self.queue(channel.label)
        channel.on("message", queue.put_nowait)

    def offers_sent(self) -> int:
        return sum(isinstance(m, Offer) for m in self.sent)

    async def pump(self) -> None:
        async for message in self.transport:
            self.received.append(message)
            try:
                await self.negotiator.handle(message)
            except Exception as exc:  # recorded; every test asserts there is none
                self.errors.append(exc)


def _side(name: str, transport: MemoryTransport, *, polite: bool) -> Side:
    pc = RTCPeerConnection(loopback_config())
    holder: list[Side] = []

    async def send(message: Message) -> None:
        holder[0].sent.append(message)
        await transport.send(message)

    side = Side(name, pc, transport, PerfectNegotiator(pc, send, polite=polite))
    holder.append(side)
    pc.on("signalingstatechange", lambda: side.states.append(pc.signalingState))
    pc.on("datachannel", side.listen)
    return side


@contextlib.asynccontextmanager
async def pair() -> AsyncIterator[tuple[Side, Side]]:
    ta, tb = memory_pair()
    polite, impolite = _side("polite", ta, polite=True), _side("impolite", tb, polite=False)
    pumps = [asyncio.create_task(s.pump()) for s in (polite, impolite)]
    try:
        yield polite, impolite
    finally:
        for task in pumps:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for side in (polite, impolite):
            await side.negotiator.close()
            await side.pc.close()
            await side.transport.close()


async def wait_for(predicate: Any, what: str) -> None:
    async def poll() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    try:
        await asyncio.wait_for(poll(), TIMEOUT)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def wait_open(channel: RTCDataChannel) -> None:
    await wait_for(lambda: channel.readyState == "open", f"channel {channel.label!r} to open")


async def exchange(a: Side, b: Side, label: str, text: str) -> None:
    """``a`` sends ``text`` on its channel ``label``; ``b`` must receive it."""
    a.channels[label].send(text)
    got = await asyncio.wait_for(b.queue(label).get(), TIMEOUT)
    assert got == text


def ice_ufrag(pc: RTCPeerConnection) -> str:
    description = pc.localDescription
    assert description is not None
    match = re.search(r"^a=ice-ufrag:(\S+)", description.sdp, re.MULTILINE)
    assert match is not None
    return match.group(1)


def create(side: Side, label: str) -> RTCDataChannel:
    channel = side.pc.createDataChannel(label)
    side.listen(channel)
    return channel


def assert_clean(*sides: Side) -> None:
    for side in sides:
        assert side.errors == [], f"{side.name} handle() raised: {side.errors!r}"
        assert side.negotiator.errors == [], f"{side.name}: {side.negotiator.errors!r}"


async def test_glare_on_first_channel_both_open() -> None:
    async with pair() as (polite, impolite):
        # Same loop iteration: both fire negotiationneeded and both send an offer.
        ch_p = create(polite, "from-polite")
        ch_i = create(impolite, "from-impolite")
        await asyncio.gather(wait_open(ch_p), wait_open(ch_i))
        await wait_for(lambda: "from-polite" in impolite.channels, "impolite to see from-polite")
        await wait_for(lambda: "from-impolite" in polite.channels, "polite to see from-impolite")

        # It really was glare: each sent an offer before it had received anything.
        assert polite.sent and isinstance(polite.sent[0], Offer)
        assert impolite.sent and isinstance(impolite.sent[0], Offer)
        assert polite.offers_sent() == impolite.offers_sent() == 1
        # The polite peer rolled its offer back and answered; the impolite one never did.
        assert polite.states[:3] == ["have-local-offer", "stable", "have-remote-offer"]
        assert any(isinstance(m, Answer) for m in polite.sent)
        assert not any(isinstance(m, Answer) for m in impolite.sent)
        assert polite.pc.signalingState == impolite.pc.signalingState == "stable"

        await exchange(polite, impolite, "from-polite", "hello from polite")
        await exchange(impolite, polite, "from-polite", "reply on polite's channel")
        await exchange(impolite, polite, "from-impolite", "hello from impolite")
        await exchange(polite, impolite, "from-impolite", "reply on impolite's channel")
        assert_clean(polite, impolite)


@pytest.mark.parametrize("initiator", ["polite", "impolite"])
async def test_channel_added_later_and_simultaneous_restart(initiator: str) -> None:
    async with pair() as (polite, impolite):
        first, other = (polite, impolite) if initiator == "polite" else (impolite, polite)
        create(first, "one")
        await wait_open(first.channels["one"])
        await wait_for(lambda: "one" in other.channels, "the remote channel 'one'")
        await wait_for(lambda: polite.pc.connectionState == "connected", "polite connected")
        offers = polite.offers_sent() + impolite.offers_sent()
        assert offers == 1

        # A second channel later, from the other side: the data section is negotiated, so
        # it opens in-band (DCEP) with no new offer.
        create(other, "two")
        await wait_open(other.channels["two"])
        await wait_for(lambda: "two" in first.channels, "the remote channel 'two'")
        await exchange(other, first, "two", "second channel works")
        assert polite.offers_sent() + impolite.offers_sent() == offers

        # Both restart ICE at the same moment: glare on a renegotiation.
        ufrags = (ice_ufrag(polite.pc), ice_ufrag(impolite.pc))
        polite.pc.restartIce()
        impolite.pc.restartIce()
        await wait_for(
            lambda: polite.offers_sent() + impolite.offers_sent() >= offers + 2,
            "both restart offers",
        )
        await wait_for(
            lambda: (
                polite.pc.signalingState == impolite.pc.signalingState == "stable"
                and not polite.negotiator.making_offer
                and not impolite.negotiator.making_offer
                and all(p.pc.connectionState == "connected" for p in (polite, impolite))
            ),
            "both stable and connected after the restarts",
        )
        assert ice_ufrag(polite.pc) != ufrags[0] and ice_ufrag(impolite.pc) != ufrags[1]
        create(first, "three")
        await wait_open(first.channels["three"])
        await wait_for(lambda: "three" in other.channels, "the remote channel 'three'")
        for label in ("one", "two", "three"):
            await exchange(first, other, label, f"{label}: first -> other")
            await exchange(other, first, label, f"{label}: other -> first")
        assert_clean(polite, impolite)


async def test_negotiationneeded_fires_again_when_back_in_stable() -> None:
    """rtcpeer re-checks the negotiation-needed flag on returning to stable: after a
    rollback, and for a restartIce() requested while an offer was out."""
    pc = RTCPeerConnection(loopback_config())
    answerer = RTCPeerConnection(loopback_config())
    fired: list[str] = []
    pc.on("negotiationneeded", lambda: fired.append(pc.signalingState))
    pc.on("icecandidate", lambda candidate: None)
    answerer.on("icecandidate", lambda candidate: None)
    try:
        pc.createDataChannel("x")
        await wait_for(lambda: len(fired) == 1, "the first negotiationneeded")
        await pc.setLocalDescription()
        await pc.setLocalDescription({"type": "rollback", "sdp": ""})
        await wait_for(lambda: len(fired) == 2, "negotiationneeded after the rollback")

        await pc.setLocalDescription()
        pc.restartIce()  # not stable: nothing fires yet
        await asyncio.sleep(0.05)
        assert len(fired) == 2
        assert pc.localDescription is not None
        await answerer.setRemoteDescription(pc.localDescription)
        await answerer.setLocalDescription()
        assert answerer.localDescription is not None
        await pc.setRemoteDescription(answerer.localDescription)
        await wait_for(lambda: len(fired) == 3, "negotiationneeded for the pending restart")
        assert fired == ["stable", "stable", "stable"]

        # Nothing left to do: no further event.
        await pc.setLocalDescription()
        await answerer.setRemoteDescription(pc.localDescription)
        await answerer.setLocalDescription()
        await pc.setRemoteDescription(answerer.localDescription)
        await asyncio.sleep(0.05)
        assert len(fired) == 3
    finally:
        await pc.close()
        await answerer.close()
