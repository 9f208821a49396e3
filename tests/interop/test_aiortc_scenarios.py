"""rtcpeer <-> aiortc beyond the basic exchange: partial reliability, negotiated and many
channels, closing, renegotiation, bulk transfer with backpressure, STUN through a real coturn,
and glare with rtcpeer as the polite peer.

aiortc stops quietly when one of its event handlers raises, so every scenario checks what was
delivered (counts and digests), not only states.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiortc
import pytest

import rtcpeer
from rtcpeer.testing.turnserver import CoturnServer

sys.path.insert(0, str(Path(__file__).parent))
from coturn_fixtures import coturn
from test_aiortc import trickle_to_aiortc, wait_open

__all__ = ["coturn"]

pytestmark = [pytest.mark.interop]

TIMEOUT = 15.0


async def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)


async def negotiate(
    ours: rtcpeer.RTCPeerConnection, theirs: aiortc.RTCPeerConnection, *, ours_offers: bool
) -> None:
    """One offer/answer round; without an icecandidate listener both SDPs carry candidates."""
    if ours_offers:
        await ours.setLocalDescription(await ours.createOffer())
        assert ours.localDescription is not None
        await theirs.setRemoteDescription(
            aiortc.RTCSessionDescription(sdp=ours.localDescription.sdp, type="offer")
        )
        await theirs.setLocalDescription(await theirs.createAnswer())
        await ours.setRemoteDescription(
            rtcpeer.RTCSessionDescription(sdp=theirs.localDescription.sdp, type="answer")
        )
    else:
        await theirs.setLocalDescription(await theirs.createOffer())
        await ours.setRemoteDescription(
            rtcpeer.RTCSessionDescription(sdp=theirs.localDescription.sdp, type="offer")
        )
        await ours.setLocalDescription(await ours.createAnswer())
        assert ours.localDescription is not None
        await theirs.setRemoteDescription(
            aiortc.RTCSessionDescription(sdp=ours.localDescription.sdp, type="answer")
        )


def collect(pc: Any) -> dict[str, Any]:
    """label -> channel for every channel the peer announces (rtcpeer or aiortc)."""
    seen: dict[str, Any] = {}
    pc.on("datachannel", lambda ch: seen.__setitem__(ch.label, ch))
    return seen


def inbox(channel: Any) -> list[str | bytes]:
    got: list[str | bytes] = []
    channel.on("message", got.append)
    return got


def setup_line(sdp: str) -> str:
    return next(line for line in sdp.splitlines() if line.startswith("a=setup:"))


# ---- 1. partial reliability ------------------------------------------------------------------


async def test_partial_reliability_parameters_both_ways() -> None:
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    at_ours, at_theirs = collect(ours), collect(theirs)
    try:
        ours_unrel = ours.createDataChannel("r-unrel", ordered=False, maxRetransmits=0)
        ours_life = ours.createDataChannel("r-life", maxPacketLifeTime=700)
        theirs_unrel = theirs.createDataChannel("a-unrel", ordered=False, maxRetransmits=0)
        theirs_life = theirs.createDataChannel("a-life", maxPacketLifeTime=900)
        await negotiate(ours, theirs, ours_offers=True)
        for ch in (ours_unrel, ours_life, theirs_unrel, theirs_life):
            await wait_open(ch)
        await wait_until(lambda: len(at_ours) == 2 and len(at_theirs) == 2)

        # The remote side sees the parameters the creator chose (DCEP channel type + value).
        for remote in (at_theirs["r-unrel"], at_ours["a-unrel"]):
            assert (remote.ordered, remote.maxRetransmits, remote.maxPacketLifeTime) == (
                False,
                0,
                None,
            )
        assert at_theirs["r-life"].ordered and at_theirs["r-life"].maxPacketLifeTime == 700
        assert at_theirs["r-life"].maxRetransmits is None
        assert at_ours["a-life"].ordered and at_ours["a-life"].maxPacketLifeTime == 900
        assert at_ours["a-life"].maxRetransmits is None

        # A lossless path (one namespace): partially reliable messages all arrive, intact.
        pairs: list[tuple[Any, Any]] = [
            (ours_unrel, at_theirs["r-unrel"]),
            (ours_life, at_theirs["r-life"]),
            (theirs_unrel, at_ours["a-unrel"]),
            (theirs_life, at_ours["a-life"]),
        ]
        boxes = [inbox(receiver) for _, receiver in pairs]
        for index, (sender, _) in enumerate(pairs):
            for i in range(50):
                sender.send(f"{index}:{i}" if i % 2 else bytes([index, i]) * 300)
        await wait_until(lambda: all(len(box) == 50 for box in boxes))
        for index, box in enumerate(boxes):
            expected = {f"{index}:{i}" if i % 2 else bytes([index, i]) * 300 for i in range(50)}
            assert set(box) == expected  # unordered channels may reorder, none may corrupt
        # Ordered (maxPacketLifeTime) channels keep order on a lossless path.
        for index in (1, 3):
            assert boxes[index] == [
                f"{index}:{i}" if i % 2 else bytes([index, i]) * 300 for i in range(50)
            ]
    finally:
        await ours.close()
        await theirs.close()


# ---- 2. negotiated and many channels, close and id reuse ---------------------------------------


async def test_negotiated_and_many_channels_close_and_reuse_id() -> None:
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    at_ours, at_theirs = collect(ours), collect(theirs)
    try:
        # Negotiated pairs (no DCEP) on both sides, created before negotiation.
        neg_ours = {n: ours.createDataChannel(f"n{n}", negotiated=True, id=n) for n in (1, 2, 7)}
        neg_theirs = {
            n: theirs.createDataChannel(f"n{n}", negotiated=True, id=n) for n in (1, 2, 7)
        }
        ours.createDataChannel("bootstrap")  # rtcpeer offers a data section
        await negotiate(ours, theirs, ours_offers=True)
        for ch in [*neg_ours.values(), *neg_theirs.values()]:
            await wait_open(ch)
        assert all(ch.negotiated and ch.id == n for n, ch in neg_ours.items())

        boxes_theirs = {n: inbox(ch) for n, ch in neg_theirs.items()}
        boxes_ours = {n: inbox(ch) for n, ch in neg_ours.items()}
        for n in neg_ours:
            neg_ours[n].send(f"to-aiortc {n}")
            neg_theirs[n].send(f"to-rtcpeer {n}")
        await wait_until(
            lambda: all(len(b) == 1 for b in [*boxes_theirs.values(), *boxes_ours.values()])
        )
        assert {n: b[0] for n, b in boxes_theirs.items()} == {n: f"to-aiortc {n}" for n in neg_ours}
        assert {n: b[0] for n, b in boxes_ours.items()} == {n: f"to-rtcpeer {n}" for n in neg_ours}

        # 50 in-band (DCEP) channels from each side once connected.
        many_ours = [ours.createDataChannel(f"r{i}") for i in range(50)]
        many_theirs = [theirs.createDataChannel(f"a{i}") for i in range(50)]
        await wait_until(lambda: len(at_ours) == 50 and len(at_theirs) == 51)
        ids = [ch.id for ch in many_ours] + [ch.id for ch in many_theirs]
        assert len(set(ids)) == 100 and not set(ids) & {1, 2, 7}
        for ch in many_theirs:
            await wait_open(ch)
        got_theirs = {label: inbox(ch) for label, ch in at_theirs.items()}
        got_ours = {label: inbox(ch) for label, ch in at_ours.items()}
        for i in range(50):
            many_ours[i].send(f"hello r{i}")
            many_theirs[i].send(f"hello a{i}")
        await wait_until(
            lambda: all(
                len(got_theirs[f"r{i}"]) == 1 and len(got_ours[f"a{i}"]) == 1 for i in range(50)
            )
        )
        assert all(got_theirs[f"r{i}"] == [f"hello r{i}"] for i in range(50))
        assert all(got_ours[f"a{i}"] == [f"hello a{i}"] for i in range(50))

        # rtcpeer closes a negotiated channel and an in-band one: aiortc sees "close".
        theirs_closed: list[str] = []
        neg_theirs[7].on("close", lambda: theirs_closed.append("n7"))
        at_theirs["r3"].on("close", lambda: theirs_closed.append("r3"))
        ours_closed = asyncio.Event()
        neg_ours[7].on("close", ours_closed.set)
        neg_ours[7].close()
        many_ours[3].close()
        await wait_until(lambda: sorted(theirs_closed) == ["n7", "r3"])
        await asyncio.wait_for(ours_closed.wait(), TIMEOUT)
        assert neg_ours[7].readyState == "closed" and many_ours[3].readyState == "closed"
        assert neg_theirs[7].readyState == "closed"

        # The stream id is free again: a new negotiated channel on id 7 works both ways.
        again_ours = ours.createDataChannel("n7-again", negotiated=True, id=7)
        again_theirs = theirs.createDataChannel("n7-again", negotiated=True, id=7)
        await wait_open(again_ours)
        await wait_open(again_theirs)
        box_t, box_o = inbox(again_theirs), inbox(again_ours)
        again_ours.send("reused 7")
        again_theirs.send(b"reused 7 back")
        await wait_until(lambda: len(box_t) == 1 and len(box_o) == 1)
        assert box_t == ["reused 7"] and box_o == [b"reused 7 back"]
        # The other channels were not disturbed by the resets.
        neg_ours[1].send("still here")
        await wait_until(lambda: len(boxes_theirs[1]) == 2)
        assert boxes_theirs[1][1] == "still here"
    finally:
        await ours.close()
        await theirs.close()


# ---- 3. closing the peer connection ------------------------------------------------------------


async def test_rtcpeer_close_while_aiortc_sends() -> None:
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    at_ours = collect(ours)
    try:
        theirs_ch = theirs.createDataChannel("stream")
        await negotiate(ours, theirs, ours_offers=False)
        await wait_open(theirs_ch)
        await wait_until(lambda: "stream" in at_ours)
        received = inbox(at_ours["stream"])
        theirs_closed = asyncio.Event()
        theirs_ch.on("close", theirs_closed.set)
        sent = 0

        async def pump() -> None:
            nonlocal sent
            while theirs_ch.readyState == "open":
                if theirs_ch.bufferedAmount < 256 * 1024:
                    theirs_ch.send(b"x" * 1000)
                    sent += 1
                await asyncio.sleep(0.001)

        pumping = asyncio.ensure_future(pump())
        await wait_until(lambda: len(received) >= 200)
        await ours.close()
        assert ours.connectionState == "closed" and ours.signalingState == "closed"
        # aiortc: the SCTP ABORT closes its channel, the DTLS close_notify makes it close
        # the whole connection (its own rule when every DTLS transport is closed).
        await asyncio.wait_for(theirs_closed.wait(), TIMEOUT)
        await asyncio.wait_for(pumping, TIMEOUT)
        assert theirs_ch.readyState == "closed"
        assert theirs.sctp is not None and theirs.sctp.state == "closed"
        await wait_until(lambda: theirs.connectionState == "closed")
        assert sent >= len(received) >= 200
    finally:
        await ours.close()
        await theirs.close()


async def test_aiortc_close_closes_rtcpeer_channels_and_connection() -> None:
    """aiortc's close() sends SCTP ABORT and DTLS close_notify, then drops its sockets.

    W3C: the channels close with the association. The DTLS transport becomes "closed", which
    alone keeps connectionState "connected" (closed counts as done); ICE consent then expires
    (RFC 7675), so the state leaves "connected" for "disconnected" and later "failed".
    """
    options = rtcpeer.RTCPeerOptions(consentDisconnectedAfter=2.0, consentFailedAfter=5.0)
    ours = rtcpeer.RTCPeerConnection(rtcpeer.RTCConfiguration(options=options))
    theirs = aiortc.RTCPeerConnection()
    states: list[str] = []
    ours.on("connectionstatechange", lambda: states.append(ours.connectionState))
    try:
        ours_ch = ours.createDataChannel("ours")
        theirs_ch = theirs.createDataChannel("theirs", negotiated=True, id=100)
        ours_neg = ours.createDataChannel("theirs", negotiated=True, id=100)
        await negotiate(ours, theirs, ours_offers=True)
        for ch in (ours_ch, ours_neg, theirs_ch):
            await wait_open(ch)
        assert ours.connectionState == "connected"
        closed = {"ours": asyncio.Event(), "neg": asyncio.Event()}
        ours_ch.on("close", closed["ours"].set)
        ours_neg.on("close", closed["neg"].set)

        await theirs.close()
        await asyncio.wait_for(asyncio.gather(closed["ours"].wait(), closed["neg"].wait()), TIMEOUT)
        assert ours_ch.readyState == "closed" and ours_neg.readyState == "closed"
        assert ours.sctp is not None and ours.sctp.state == "closed"
        with pytest.raises(rtcpeer.InvalidStateError):
            ours_ch.send("nobody is there")
        await wait_until(lambda: ours.connectionState != "connected", 10)
        await wait_until(lambda: ours.connectionState == "failed", 15)
        assert "disconnected" in states and states[-1] == "failed"
        assert ours.iceConnectionState == "failed"
    finally:
        await ours.close()
        await theirs.close()


# ---- 4. renegotiation --------------------------------------------------------------------------


@pytest.mark.parametrize("second_offerer", ["aiortc", "rtcpeer"])
async def test_renegotiation_keeps_connection_and_roles(second_offerer: str) -> None:
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    at_ours, at_theirs = collect(ours), collect(theirs)
    try:
        first = ours.createDataChannel("first")
        await negotiate(ours, theirs, ours_offers=True)
        await wait_open(first)
        assert ours.localDescription is not None and theirs.localDescription is not None
        ours_setup = setup_line(ours.localDescription.sdp)
        theirs_setup = setup_line(theirs.localDescription.sdp)
        role = ours._transport.role
        assert role is not None

        await negotiate(ours, theirs, ours_offers=second_offerer == "rtcpeer")
        assert ours.signalingState == "stable" and theirs.signalingState == "stable"
        assert ours.connectionState == "connected"
        assert ours._transport.role == role  # the DTLS association was not restarted
        if second_offerer == "rtcpeer":
            assert setup_line(ours.localDescription.sdp) == ours_setup  # actpass again
            assert setup_line(theirs.localDescription.sdp) == theirs_setup
        else:
            # The answer keeps the role the first negotiation gave us (RFC 8842 §5.5).
            want = "a=setup:passive" if role == "server" else "a=setup:active"
            assert setup_line(ours.localDescription.sdp) == want

        # The old channel still works and new channels open from both sides.
        await wait_until(lambda: "first" in at_theirs)
        first_box = inbox(at_theirs["first"])
        first.send("after renegotiation")
        new_ours = ours.createDataChannel("new-ours")
        new_theirs = theirs.createDataChannel("new-theirs")
        await wait_open(new_ours)
        await wait_open(new_theirs)
        await wait_until(lambda: "new-ours" in at_theirs and "new-theirs" in at_ours)
        box_t, box_o = inbox(at_theirs["new-ours"]), inbox(at_ours["new-theirs"])
        new_ours.send("n1")
        new_theirs.send("n2")
        await wait_until(lambda: len(box_t) == 1 and len(box_o) == 1 and len(first_box) == 1)
        assert (box_t, box_o, first_box) == (["n1"], ["n2"], ["after renegotiation"])
        assert ours.connectionState == "connected" and theirs.connectionState == "connected"
    finally:
        await ours.close()
        await theirs.close()


# ---- 5. bulk transfer with backpressure ----------------------------------------------------------

BULK_BYTES = 20 * 1024 * 1024
CHUNK = 16 * 1024


async def pump_with_backpressure(channel: Any, seed: int) -> str:
    """Send BULK_BYTES in 16 KiB messages, pausing above 1 MiB until bufferedamountlow."""
    digest = hashlib.sha256()
    low = asyncio.Event()
    channel.bufferedAmountLowThreshold = 256 * 1024
    channel.on("bufferedamountlow", low.set)
    block = hashlib.sha256(str(seed).encode()).digest() * (CHUNK // 32)
    for i in range(BULK_BYTES // CHUNK):
        message = i.to_bytes(4, "big") + block[4:]
        digest.update(message)
        channel.send(message)
        if channel.bufferedAmount > 1024 * 1024:
            low.clear()
            await asyncio.wait_for(low.wait(), 30)
    return digest.hexdigest()


async def test_bulk_20mb_each_way_with_backpressure() -> None:
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    at_ours = collect(ours)
    try:
        ours_ch = ours.createDataChannel("bulk-r")
        theirs_ch = theirs.createDataChannel("bulk-a")
        at_theirs = collect(theirs)
        await negotiate(ours, theirs, ours_offers=True)
        await wait_open(ours_ch)
        await wait_open(theirs_ch)
        await wait_until(lambda: "bulk-a" in at_ours and "bulk-r" in at_theirs)
        counts = {"ours": 0, "theirs": 0}
        digests = {"ours": hashlib.sha256(), "theirs": hashlib.sha256()}
        done = {"ours": asyncio.Event(), "theirs": asyncio.Event()}

        def receiver(side: str) -> Callable[[str | bytes], None]:
            def on_message(message: str | bytes) -> None:
                assert isinstance(message, bytes)
                digests[side].update(message)
                counts[side] += len(message)
                if counts[side] >= BULK_BYTES:
                    done[side].set()

            return on_message

        at_theirs["bulk-r"].on("message", receiver("theirs"))
        at_ours["bulk-a"].on("message", receiver("ours"))
        sent_r, sent_a = await asyncio.wait_for(
            asyncio.gather(
                pump_with_backpressure(ours_ch, 1), pump_with_backpressure(theirs_ch, 2)
            ),
            180,
        )
        await asyncio.wait_for(asyncio.gather(done["ours"].wait(), done["theirs"].wait()), 120)
        assert counts == {"ours": BULK_BYTES, "theirs": BULK_BYTES}
        assert digests["theirs"].hexdigest() == sent_r
        assert digests["ours"].hexdigest() == sent_a
    finally:
        await ours.close()
        await theirs.close()


# ---- 6. STUN from a real coturn ------------------------------------------------------------------


class UdpNat:
    """A userspace port-restricted-cone NAT in front of one UDP server (no iptables here).

    Clients send to ``inside`` (on the namespace's 10.99.0.1); each client address gets its own
    outside socket on 127.0.0.1, from which its packets go to the server. Only the server may
    answer through a mapping (port-restricted), so a reflexive address differs from the host
    address, as behind a real NAT, and is not reachable by the other peer.
    """

    def __init__(self, server: tuple[str, int]) -> None:
        self.server = server
        self.inside: asyncio.DatagramTransport | None = None
        self.mappings: dict[tuple[str, int], asyncio.DatagramTransport] = {}
        self.forwarded = 0
        self.pending: set[asyncio.Future[None]] = set()

    async def start(self, address: str) -> tuple[str, int]:
        loop = asyncio.get_running_loop()
        nat = self

        class Inside(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
                task = asyncio.ensure_future(nat._outbound(data, addr))
                nat.pending.add(task)
                task.add_done_callback(nat.pending.discard)

        transport, _ = await loop.create_datagram_endpoint(Inside, local_addr=(address, 0))
        self.inside = transport
        host, port = transport.get_extra_info("sockname")[:2]
        return str(host), int(port)

    async def _outbound(self, data: bytes, client: tuple[str, int]) -> None:
        outside = self.mappings.get(client)
        if outside is None:
            nat = self

            class Outside(asyncio.DatagramProtocol):
                def datagram_received(self, reply: bytes, addr: tuple[str, int]) -> None:
                    if addr[:2] == nat.server and nat.inside is not None:
                        nat.inside.sendto(reply, client)

            outside, _ = await asyncio.get_running_loop().create_datagram_endpoint(
                Outside, local_addr=("127.0.0.1", 0)
            )
            self.mappings[client] = outside
        outside.sendto(data, self.server)
        self.forwarded += 1

    def close(self) -> None:
        for transport in [self.inside, *self.mappings.values()]:
            if transport is not None:
                transport.close()


def srflx_lines(sdp: str) -> list[str]:
    return [line for line in sdp.splitlines() if " typ srflx " in line]


async def test_both_gather_srflx_from_coturn(coturn: CoturnServer) -> None:
    """Both peers use coturn for STUN through a NAT: each gathers a reflexive candidate (the
    NAT's outside address) and they still connect, over their host candidates."""
    nat = UdpNat((coturn.host, coturn.port))
    nat_host, nat_port = await nat.start(os.environ.get("RTCPEER_NETNS_ADDR", "10.99.0.1"))
    stun = f"stun:{nat_host}:{nat_port}"
    ours = rtcpeer.RTCPeerConnection(
        rtcpeer.RTCConfiguration(iceServers=[rtcpeer.RTCIceServer(urls=stun)])
    )
    theirs = aiortc.RTCPeerConnection(
        aiortc.RTCConfiguration(iceServers=[aiortc.RTCIceServer(urls=stun)])
    )
    at_theirs = collect(theirs)
    try:
        channel = ours.createDataChannel("via-stun")
        await negotiate(ours, theirs, ours_offers=True)
        assert ours.localDescription is not None
        for sdp in (ours.localDescription.sdp, theirs.localDescription.sdp):
            lines = srflx_lines(sdp)
            assert lines, sdp
            # The mapped address is the NAT's outside one; raddr names the host base.
            assert all(" 127.0.0.1 " in line and " raddr " in line for line in lines), lines
        assert len(nat.mappings) >= 2  # one per peer socket at least
        await wait_open(channel)
        await wait_until(lambda: "via-stun" in at_theirs)
        echoed = inbox(channel)
        at_theirs["via-stun"].on("message", at_theirs["via-stun"].send)
        channel.send("through a STUN-configured pair")
        await wait_until(lambda: len(echoed) == 1)
        assert echoed == ["through a STUN-configured pair"]
        assert ours.connectionState == "connected"
    finally:
        await ours.close()
        await theirs.close()
        nat.close()


# ---- 7. glare: rtcpeer is the polite peer ------------------------------------------------------


async def test_glare_rtcpeer_polite_rolls_back_and_answers() -> None:
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    trickle_to_aiortc(ours, theirs)
    at_ours, at_theirs = collect(ours), collect(theirs)
    try:
        ours_ch = ours.createDataChannel("from-polite")
        theirs_ch = theirs.createDataChannel("from-impolite")
        await ours.setLocalDescription(await ours.createOffer())
        await theirs.setLocalDescription(await theirs.createOffer())
        assert ours.signalingState == "have-local-offer"
        assert theirs.signalingState == "have-local-offer"
        # aiortc (impolite) ignores rtcpeer's colliding offer; rtcpeer accepts aiortc's.
        await ours.setRemoteDescription(
            rtcpeer.RTCSessionDescription(sdp=theirs.localDescription.sdp, type="offer")
        )
        assert ours.signalingState == "have-remote-offer"
        await ours.setLocalDescription()
        assert ours.localDescription is not None and ours.localDescription.type == "answer"
        await theirs.setRemoteDescription(
            aiortc.RTCSessionDescription(sdp=ours.localDescription.sdp, type="answer")
        )
        assert ours.signalingState == "stable" and theirs.signalingState == "stable"
        await wait_open(ours_ch)
        await wait_open(theirs_ch)
        await wait_until(lambda: "from-polite" in at_theirs and "from-impolite" in at_ours)
        box_t, box_o = inbox(at_theirs["from-polite"]), inbox(at_ours["from-impolite"])
        ours_ch.send("polite")
        theirs_ch.send("impolite")
        await wait_until(lambda: len(box_t) == 1 and len(box_o) == 1)
        assert (box_t, box_o) == (["polite"], ["impolite"])
        assert ours.connectionState == "connected"
    finally:
        await ours.close()
        await theirs.close()


# ---- 1b. partial reliability under loss (FORWARD-TSN both ways) --------------------------------


LOSS = 0.05


async def test_partial_reliability_under_loss_both_ways() -> None:
    """5 % of rtcpeer's DTLS application records are dropped each way (seeded), the rest of
    the stack untouched. Abandoned messages must be skipped with FORWARD-TSN by both stacks:
    reliable data still all arrives in order, partially reliable data arrives intact or not at
    all, and once the loss stops every channel (ordered ones included) delivers again."""
    rng = random.Random(8)
    lossy = {"on": False, "dropped_in": 0, "dropped_out": 0}
    ours = rtcpeer.RTCPeerConnection()
    theirs = aiortc.RTCPeerConnection()
    deliver_in = ours._on_datagram

    def lossy_in(data: bytes) -> None:
        if lossy["on"] and data[:1] == b"\x17" and rng.random() < LOSS:
            lossy["dropped_in"] += 1
            return
        deliver_in(data)

    ours._on_datagram = lossy_in  # type: ignore[method-assign]  # the ICE agent's sink
    at_ours, at_theirs = collect(ours), collect(theirs)
    try:
        specs: dict[str, dict[str, Any]] = {
            "unrel": {"ordered": False, "maxRetransmits": 0},
            "life": {"maxPacketLifeTime": 150},
            "rel": {},
        }
        mine = {name: ours.createDataChannel(f"r-{name}", **kw) for name, kw in specs.items()}
        yours = {name: theirs.createDataChannel(f"a-{name}", **kw) for name, kw in specs.items()}
        await negotiate(ours, theirs, ours_offers=True)
        for ch in [*mine.values(), *yours.values()]:
            await wait_open(ch)
        await wait_until(lambda: len(at_ours) == 3 and len(at_theirs) == 3)
        driver = ours._driver
        assert driver is not None
        send_out = driver._send

        def lossy_out(data: bytes) -> None:
            if lossy["on"] and data[:1] == b"\x17" and rng.random() < LOSS:
                lossy["dropped_out"] += 1
                return
            send_out(data)

        driver._send = lossy_out
        got_theirs = {name: inbox(at_theirs[f"r-{name}"]) for name in specs}
        got_ours = {name: inbox(at_ours[f"a-{name}"]) for name in specs}
        lossy["on"] = True
        count = 100
        for i in range(count):
            for name in specs:
                mine[name].send(f"{i}:" + "r" * 1000)
                yours[name].send(f"{i}:" + "a" * 1000)
            await asyncio.sleep(0.002)
        # Reliable channels: everything, in order, despite the loss.
        await wait_until(
            lambda: len(got_theirs["rel"]) == count and len(got_ours["rel"]) == count, 90
        )
        assert got_theirs["rel"] == [f"{i}:" + "r" * 1000 for i in range(count)]
        assert got_ours["rel"] == [f"{i}:" + "a" * 1000 for i in range(count)]
        assert lossy["dropped_in"] > 0 and lossy["dropped_out"] > 0
        await asyncio.sleep(1.0)  # let lifetimes expire and FORWARD-TSNs go out
        lossy["on"] = False
        for name in ("unrel", "life"):
            mine[name].send("final")
            yours[name].send("final")
        await wait_until(
            lambda: all(
                box and box[-1] == "final"
                for box in [
                    got_theirs["unrel"],
                    got_theirs["life"],
                    got_ours["unrel"],
                    got_ours["life"],
                ]
            ),
            30,
        )
        for box, fill in (
            (got_theirs["unrel"], "r"),
            (got_theirs["life"], "r"),
            (got_ours["unrel"], "a"),
            (got_ours["life"], "a"),
        ):
            body = box[:-1]
            indexes = [int(str(m).split(":", 1)[0]) for m in body]
            assert all(m == f"{i}:" + fill * 1000 for m, i in zip(body, indexes, strict=True))
            assert len(set(indexes)) == len(indexes)  # no duplicates
            assert len(body) > count // 2  # most of it arrived
        for box in (got_theirs["life"], got_ours["life"]):
            indexes = [int(str(m).split(":", 1)[0]) for m in box[:-1]]
            assert indexes == sorted(indexes)  # ordered channel: gaps allowed, no reordering
    finally:
        await ours.close()
        await theirs.close()
