"""rtcpeer <-> Janus (libnice + usrsctp) beyond one echo channel: several echotest channels and
an ICE restart initiated by rtcpeer; the textroom plugin, where Janus OFFERS and rtcpeer answers,
with two rtcpeer participants talking through a room over data channels."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from janus_fixtures import TEXTROOM_ROOM, JanusApi, janus_gateway

from rtcpeer import RTCDataChannel, RTCIceCandidate, RTCPeerConnection, RTCSessionDescription

pytestmark = [pytest.mark.interop]

TIMEOUT = 15.0
PREFIX = "Janus EchoTest here! You wrote: "


async def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError("condition not reached")
        await asyncio.sleep(0.01)


def ufrag_of(sdp: str) -> str:
    return next(line.split(":", 1)[1] for line in sdp.splitlines() if "a=ice-ufrag:" in line)


class Trickler:
    """Sends rtcpeer's trickled candidates to one Janus handle, in order, as they come."""

    def __init__(self, janus: JanusApi, session: int, handle: int, pc: RTCPeerConnection) -> None:
        self.janus, self.session, self.handle = janus, session, handle
        self.queue: asyncio.Queue[RTCIceCandidate | None] = asyncio.Queue()
        self.sent = 0
        self.ends = 0
        pc.on("icecandidate", self.queue.put_nowait)
        self.task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            candidate = await self.queue.get()
            payload = None if candidate is None else candidate.toJSON()
            await self.janus.trickle(self.session, self.handle, payload)
            if candidate is None:
                self.ends += 1
            else:
                self.sent += 1

    def stop(self) -> None:
        self.task.cancel()


# ---- 8. echotest: several channels and an ICE restart ----------------------------------------


async def test_echotest_several_channels_and_ice_restart() -> None:
    async with janus_gateway() as janus:
        session, handle = await janus.attach_echotest()
        pc = RTCPeerConnection()
        trickler = Trickler(janus, session, handle, pc)
        labels = ["alpha", "beta", "gamma", "delta"]
        channels = {label: pc.createDataChannel(label) for label in labels}
        inboxes: dict[str, list[str | bytes]] = {label: [] for label in labels}
        for label, channel in channels.items():
            channel.on("message", inboxes[label].append)
        announced: list[RTCDataChannel] = []
        pc.on("datachannel", announced.append)
        try:
            await pc.setLocalDescription(await pc.createOffer())
            assert pc.localDescription is not None
            first_ufrag = ufrag_of(pc.localDescription.sdp)
            body = {"audio": False, "video": False, "data": True}
            await janus.post(
                f"/{session}/{handle}",
                {"janus": "message", "body": body, "jsep": pc.localDescription.toJSON()},
            )
            answer = await janus.wait_jsep(session)
            await pc.setRemoteDescription(RTCSessionDescription(**answer))
            janus_ufrag = ufrag_of(answer["sdp"])
            await wait_until(lambda: all(ch.readyState == "open" for ch in channels.values()))
            assert pc.connectionState == "connected"

            # Each label is echoed on its own channel (Janus keeps the label per stream).
            for round_ in range(5):
                for label, channel in channels.items():
                    channel.send(f"{label}-{round_}")
                    channel.send(f"{label}-{round_}".encode())
            await wait_until(lambda: all(len(box) == 10 for box in inboxes.values()))
            for label, box in inboxes.items():
                expected: list[str | bytes] = []
                for round_ in range(5):
                    expected += [PREFIX + f"{label}-{round_}", f"{label}-{round_}".encode()]
                assert box == expected, (label, box)
            assert announced == []  # Janus answered on our channels, opened no new one

            # ICE restart initiated by rtcpeer: a new offer with new credentials.
            for box in inboxes.values():
                box.clear()
            states: list[str] = []
            pc.on("iceconnectionstatechange", lambda: states.append(pc.iceConnectionState))
            ends_before = trickler.ends
            await pc.setLocalDescription(await pc.createOffer(iceRestart=True))
            assert pc.localDescription is not None
            assert ufrag_of(pc.localDescription.sdp) != first_ufrag
            # Keep sending while the restart is negotiated: nothing may be lost.
            channels["alpha"].send("during-restart")
            await janus.post(
                f"/{session}/{handle}",
                {"janus": "message", "body": body, "jsep": pc.localDescription.toJSON()},
            )
            answer2 = await janus.wait_jsep(session)
            assert answer2["type"] == "answer"
            assert ufrag_of(answer2["sdp"]) != janus_ufrag, "Janus did not restart ICE"
            await pc.setRemoteDescription(RTCSessionDescription(**answer2))
            assert pc.signalingState == "stable"
            await wait_until(lambda: trickler.ends > ends_before)  # new generation gathered
            for i in range(20):
                for label, channel in channels.items():
                    channel.send(f"{label}#{i}")
            await wait_until(lambda: all(len(box) >= 20 for box in inboxes.values()), 30)
            assert inboxes["alpha"][0] == PREFIX + "during-restart"
            for label, box in inboxes.items():
                tail = box[1:] if label == "alpha" else box
                assert tail == [PREFIX + f"{label}#{i}" for i in range(20)], (label, box)
            assert pc.connectionState == "connected"
            assert pc.iceConnectionState in ("connected", "completed")
            assert "failed" not in states and "disconnected" not in states
            assert "ICE restart detected" in janus.log.read_text(errors="replace")
            # A blob after the restart: the association carries full-size messages still.
            blob = os.urandom(60000)
            channels["delta"].send(blob)
            await wait_until(lambda: len(inboxes["delta"]) == 21)
            assert inboxes["delta"][-1] == blob
        finally:
            trickler.stop()
            await pc.close()


# ---- 9. textroom: Janus offers, rtcpeer answers ------------------------------------------------


class TextroomParticipant:
    """One rtcpeer in a Janus textroom: answers the plugin's offer, talks JSON on a channel."""

    def __init__(self, janus: JanusApi, username: str) -> None:
        self.janus = janus
        self.username = username
        self.pc = RTCPeerConnection()
        self.received: list[dict[str, Any]] = []
        self.channel: RTCDataChannel | None = None
        self.janus_channels: list[RTCDataChannel] = []
        self.pc.on("datachannel", self._on_remote_channel)
        self.trickler: Trickler | None = None

    def _on_message(self, message: str | bytes) -> None:
        self.received.append(json.loads(message))

    def _on_remote_channel(self, channel: RTCDataChannel) -> None:
        # Janus may answer on a channel it opens itself: listen to every channel.
        self.janus_channels.append(channel)
        channel.on("message", self._on_message)

    async def connect(self) -> str:
        """setup -> Janus's offer -> our answer (ack). Returns Janus's offer SDP."""
        self.session, self.handle = await self.janus.attach("janus.plugin.textroom")
        await self.janus.post(
            f"/{self.session}/{self.handle}", {"janus": "message", "body": {"request": "setup"}}
        )
        offer = await self.janus.wait_jsep(self.session)
        assert offer["type"] == "offer"
        self.trickler = Trickler(self.janus, self.session, self.handle, self.pc)
        await self.pc.setRemoteDescription(RTCSessionDescription(**offer))
        assert self.pc.signalingState == "have-remote-offer"
        # Our channel, created while answering (the offer already has a data section).
        self.channel = self.pc.createDataChannel("textroom")
        self.channel.on("message", self._on_message)
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        assert self.pc.localDescription is not None
        assert "a=setup:active" in self.pc.localDescription.sdp
        await self.janus.post(
            f"/{self.session}/{self.handle}",
            {
                "janus": "message",
                "body": {"request": "ack"},
                "jsep": self.pc.localDescription.toJSON(),
            },
        )
        channel = self.channel
        await wait_until(lambda: channel.readyState == "open")
        return str(offer["sdp"])

    async def request(self, body: dict[str, Any]) -> dict[str, Any]:
        """Send a textroom request on the data channel; wait for its transaction's reply."""
        assert self.channel is not None
        transaction = secrets.token_hex(6)
        self.channel.send(json.dumps({**body, "transaction": transaction}))
        await wait_until(lambda: any(m.get("transaction") == transaction for m in self.received))
        reply = next(m for m in self.received if m.get("transaction") == transaction)
        assert reply.get("textroom") == "success", reply
        return reply

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.received if m.get("textroom") == kind and "transaction" not in m]

    async def close(self) -> None:
        if self.trickler is not None:
            self.trickler.stop()
        await self.pc.close()


async def test_textroom_janus_offers_two_rtcpeer_participants_talk() -> None:
    async with janus_gateway(extra_plugins=("textroom",)) as janus:
        alice = TextroomParticipant(janus, "alice")
        bob = TextroomParticipant(janus, "bob")
        try:
            offer_sdp = await alice.connect()
            await bob.connect()
            # Janus's offer: usrsctp data section, actpass, so rtcpeer is the DTLS client.
            assert "m=application" in offer_sdp and "a=setup:actpass" in offer_sdp
            for peer in (alice, bob):
                assert peer.pc.connectionState == "connected"
                assert peer.pc.sctp is not None and peer.pc.sctp.state == "connected"

            joined = await alice.request(
                {"textroom": "join", "room": TEXTROOM_ROOM, "username": "alice", "display": "A"}
            )
            assert joined.get("participants", []) == []
            joined = await bob.request(
                {"textroom": "join", "room": TEXTROOM_ROOM, "username": "bob", "display": "B"}
            )
            assert [p["username"] for p in joined["participants"]] == ["alice"]
            await wait_until(lambda: any(e["username"] == "bob" for e in alice.events("join")))

            await alice.request({"textroom": "message", "room": TEXTROOM_ROOM, "text": "hi bob"})
            await wait_until(lambda: len(bob.events("message")) == 1)
            heard = bob.events("message")[0]
            assert (heard["from"], heard["text"], heard["room"]) == (
                "alice",
                "hi bob",
                TEXTROOM_ROOM,
            )
            # Many messages back, unicode and long. Textroom broadcasts to every participant,
            # the sender included, so both see the whole conversation in order.
            texts = [f"reply {i} {'é' * i}" for i in range(30)] + ["x" * 20000]
            for text in texts:
                await bob.request({"textroom": "message", "room": TEXTROOM_ROOM, "text": text})
            conversation = [("alice", "hi bob")] + [("bob", text) for text in texts]
            for peer in (alice, bob):

                def heard_all(peer: TextroomParticipant = peer) -> bool:
                    return len(peer.events("message")) == len(conversation)

                await wait_until(heard_all)
                assert [(e["from"], e["text"]) for e in peer.events("message")] == conversation

            await bob.request({"textroom": "leave", "room": TEXTROOM_ROOM})
            await wait_until(lambda: any(e["username"] == "bob" for e in alice.events("leave")))
        finally:
            await alice.close()
            await bob.close()
