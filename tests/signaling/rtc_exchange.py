"""Drive one rtcpeer RTCPeerConnection through any signaling Transport (reusable by tests).

``await run_peer(transport, offerer=True, label="a")`` and, on the other end,
``await run_peer(transport, offerer=False, label="b")`` perform a full trickle exchange:

offerer                                   answerer
  createDataChannel(label), offer  --Offer-->   setRemoteDescription, answer
  setRemoteDescription            <--Answer--
  each local candidate            --Candidate-->  (buffered until the remote description)
  end of gathering                --EndOfCandidates-->      (and the same the other way)
  channel open: "ping from <label>"  ==data channel==>  replies "pong: ping from <label>"
  got the pong, got the answerer's end-of-candidates, sent its own
                                  --Bye-->        returns

Candidates are sent only after the sender's own description went out and applied only after
the remote description was set, as a careful application does. With a room server, pass
``to`` (the other participant's id) to the offerer; the answerer replies to ``offer.sender``.
Presence events are counted and ignored; an ``Error`` frame fails the exchange. Everything is
bounded by ``timeout``; the peer connection is closed on return.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rtcpeer import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCPeerOptions,
    RTCSessionDescription,
)
from signaling import (
    Answer,
    Bye,
    Candidate,
    EndOfCandidates,
    Error,
    Message,
    Offer,
    SessionDescriptionJSON,
    Transport,
)

TIMEOUT = 20.0


@dataclass
class ExchangeResult:
    label: str
    offerer: bool
    sent: Counter[str] = field(default_factory=Counter)
    received: Counter[str] = field(default_factory=Counter)
    channel_label: str | None = None
    data: list[str] = field(default_factory=list)  # data-channel messages received
    remote_id: str | None = None  # the other participant (rooms only)
    connection_state: str = ""


def loopback_config() -> RTCConfiguration:
    return RTCConfiguration(options=RTCPeerOptions(hostAddresses=["127.0.0.1"]))


class _Exchange:
    def __init__(
        self, pc: RTCPeerConnection, transport: Transport, *, offerer: bool, label: str, to: Any
    ) -> None:
        self.pc = pc
        self.transport = transport
        self.offerer = offerer
        self.label = label
        self.result = ExchangeResult(label, offerer, remote_id=to)
        self.outgoing: asyncio.Queue[RTCIceCandidate | None] = asyncio.Queue()
        self.description_sent = asyncio.Event()
        self.eoc_sent = asyncio.Event()
        self.eoc_received = asyncio.Event()
        self.pending: list[RTCIceCandidate | None] = []
        self.reply: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        pc.on("icecandidate", self.outgoing.put_nowait)
        pc.on("datachannel", self._on_datachannel)

    async def send(self, message: Message) -> None:
        self.result.sent[message.TYPE] += 1
        await self.transport.send(message)

    async def send_candidates(self) -> None:
        await self.description_sent.wait()
        while True:
            candidate = await self.outgoing.get()
            to = self.result.remote_id
            if candidate is None:
                await self.send(EndOfCandidates(to=to))
                self.eoc_sent.set()
                return
            await self.send(Candidate(candidate.toJSON(), to=to))  # type: ignore[arg-type]

    async def add_candidate(self, candidate: RTCIceCandidate | None) -> None:
        if self.pc.remoteDescription is None:
            self.pending.append(candidate)
        else:
            await self.pc.addIceCandidate(candidate)

    async def set_remote(self, description: SessionDescriptionJSON) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(**description))
        for candidate in self.pending:
            await self.pc.addIceCandidate(candidate)
        self.pending.clear()

    async def receive_loop(self) -> None:
        """Apply what arrives; returns on Bye (answerer) or fails when the stream ends."""
        while True:
            message = await self.transport.receive()
            self.result.received[message.TYPE] += 1
            if isinstance(message, Offer):
                assert not self.offerer, "the offerer received an offer"
                if self.result.remote_id is None:
                    self.result.remote_id = message.sender
                await self.set_remote(message.description)
                await self.pc.setLocalDescription(await self.pc.createAnswer())
                local = self.pc.localDescription
                assert local is not None
                answer = local.toJSON()
                await self.send(
                    Answer({"type": answer["type"], "sdp": answer["sdp"]}, to=message.sender)
                )
                self.description_sent.set()
            elif isinstance(message, Answer):
                assert self.offerer, "the answerer received an answer"
                await self.set_remote(message.description)
            elif isinstance(message, Candidate):
                await self.add_candidate(RTCIceCandidate.from_json(dict(message.candidate)))
            elif isinstance(message, EndOfCandidates):
                await self.add_candidate(None)
                self.eoc_received.set()
            elif isinstance(message, Bye):
                assert not self.offerer, "the offerer received bye"
                return
            elif isinstance(message, Error):
                raise AssertionError(f"error frame from the server: {message}")
            # presence (peer-joined/peer-left/joined) is counted only

    def _on_datachannel(self, channel: RTCDataChannel) -> None:
        self.result.channel_label = channel.label

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            assert isinstance(message, str)
            self.result.data.append(message)
            channel.send(f"pong: {message}")

    async def offer(self) -> None:
        channel = self.pc.createDataChannel(f"chat-{self.label}")
        self.result.channel_label = channel.label

        @channel.on("open")
        def on_open() -> None:
            channel.send(f"ping from {self.label}")

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            assert isinstance(message, str)
            self.result.data.append(message)
            if not self.reply.done():
                self.reply.set_result(message)

        await self.pc.setLocalDescription(await self.pc.createOffer())
        local = self.pc.localDescription
        assert local is not None
        await self.send(Offer({"type": "offer", "sdp": local.sdp}, to=self.result.remote_id))
        self.description_sent.set()

    async def run(self) -> ExchangeResult:
        sender = asyncio.ensure_future(self.send_candidates())
        receiver = asyncio.ensure_future(self.receive_loop())
        try:
            if self.offerer:
                await self.offer()
                reply = await _first(self.reply, receiver, sender)
                assert reply == f"pong: ping from {self.label}", reply
                await _first(asyncio.ensure_future(self.eoc_received.wait()), receiver, sender)
                await _first(asyncio.ensure_future(self.eoc_sent.wait()), receiver, sender)
                await self.send(Bye(to=self.result.remote_id))
            else:
                await _first(receiver, sender)
                await _first(asyncio.ensure_future(self.eoc_sent.wait()), sender)
        finally:
            for task in (sender, receiver):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self.result.connection_state = self.pc.connectionState
        return self.result


async def _first(wanted: asyncio.Future[Any], *helpers: asyncio.Future[Any]) -> Any:
    """The result of ``wanted``; if a helper task fails first, its exception."""
    watched = set(helpers)
    while True:
        await asyncio.wait({wanted, *watched}, return_when=asyncio.FIRST_COMPLETED)
        if wanted.done():
            return wanted.result()
        for helper in [h for h in watched if h.done()]:
            helper.result()  # raises the helper's exception, e.g. TransportClosed
            watched.discard(helper)  # finished its job (e.g. sent end-of-candidates)


async def run_peer(
    transport: Transport,
    *,
    offerer: bool,
    label: str,
    to: str | None = None,
    timeout: float = TIMEOUT,
) -> ExchangeResult:
    """Run one side of the exchange over ``transport`` (see the module docstring)."""
    pc = RTCPeerConnection(loopback_config())
    try:
        exchange = _Exchange(pc, transport, offerer=offerer, label=label, to=to)
        return await asyncio.wait_for(exchange.run(), timeout)
    finally:
        await pc.close()


def check_pair(offerer: ExchangeResult, answerer: ExchangeResult) -> None:
    """Assertions every transport test makes on a finished exchange."""
    assert offerer.data == [f"pong: ping from {offerer.label}"]
    assert answerer.data == [f"ping from {offerer.label}"]
    assert answerer.channel_label == offerer.channel_label == f"chat-{offerer.label}"
    assert offerer.connection_state == answerer.connection_state == "connected"
    assert offerer.sent["offer"] == answerer.received["offer"] == 1
    assert answerer.sent["answer"] == offerer.received["answer"] == 1
    # Trickle: candidates travelled as Candidate messages, then one end-of-candidates each way.
    for side, other in ((offerer, answerer), (answerer, offerer)):
        assert side.sent["candidate"] >= 1
        assert other.received["candidate"] == side.sent["candidate"]
        assert side.sent["end-of-candidates"] == other.received["end-of-candidates"] == 1
    assert offerer.sent["bye"] == answerer.received["bye"] == 1
