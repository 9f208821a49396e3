"""rtcpeer <-> Janus (libnice + usrsctp), through the echotest plugin's data channel."""

from __future__ import annotations

import asyncio
import os

import pytest
from janus_fixtures import janus_gateway

from rtcpeer import RTCIceCandidate, RTCPeerConnection, RTCSessionDescription

pytestmark = [pytest.mark.interop]

TIMEOUT = 15.0


async def test_datachannel_echo_through_janus() -> None:
    async with janus_gateway() as janus:
        session, handle = await janus.attach_echotest()
        pc = RTCPeerConnection()
        candidates: asyncio.Queue[RTCIceCandidate | None] = asyncio.Queue()
        pc.on("icecandidate", candidates.put_nowait)
        channel = pc.createDataChannel("janus")
        inbox: asyncio.Queue[str | bytes] = asyncio.Queue()
        opened = asyncio.Event()
        channel.on("message", inbox.put_nowait)
        channel.on("open", opened.set)
        try:
            await pc.setLocalDescription(await pc.createOffer())
            assert pc.localDescription is not None
            await janus.post(
                f"/{session}/{handle}",
                {
                    "janus": "message",
                    "body": {"audio": False, "video": False, "data": True},
                    "jsep": pc.localDescription.toJSON(),
                },
            )

            async def trickle() -> None:
                while True:
                    candidate = await asyncio.wait_for(candidates.get(), TIMEOUT)
                    body = {"completed": True} if candidate is None else candidate.toJSON()
                    await janus.post(
                        f"/{session}/{handle}", {"janus": "trickle", "candidate": body}
                    )
                    if candidate is None:
                        return

            trickling = asyncio.ensure_future(trickle())
            answer = await janus.wait_jsep(session)
            assert answer["type"] == "answer"
            await pc.setRemoteDescription(RTCSessionDescription(**answer))
            await asyncio.wait_for(trickling, TIMEOUT)
            await asyncio.wait_for(opened.wait(), TIMEOUT)
            assert pc.connectionState == "connected"
            # Janus's answer has no a=max-message-size: RFC 8841 says assume 64 KiB.
            assert pc.sctp is not None and pc.sctp.maxMessageSize == 65536
            with pytest.raises(TypeError):
                channel.send(b"x" * 65537)

            channel.send("hello janus")
            text = await asyncio.wait_for(inbox.get(), TIMEOUT)
            assert isinstance(text, str) and text.endswith("You wrote: hello janus"), text
            # Janus receives a 65536-byte message (its debug log shows it) but its echotest
            # never sends it back, so the largest echo here is 60000 bytes.
            blobs = [os.urandom(n) for n in (1, 1000, 5000, 30000, 60000)]
            for blob in blobs:
                channel.send(blob)
            for blob in blobs:
                assert await asyncio.wait_for(inbox.get(), TIMEOUT) == blob
            for i in range(100):
                channel.send(f"n{i}")
            echoed = [await asyncio.wait_for(inbox.get(), TIMEOUT) for _ in range(100)]
            assert [str(m).rsplit(": ", 1)[-1] for m in echoed] == [f"n{i}" for i in range(100)]
        finally:
            await pc.close()
