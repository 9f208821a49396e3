"""Two rtcpeer peers in one process exchange data-channel messages over loopback.

Signaling is a direct hand-over of descriptions and trickled candidates (in a real app it goes
through a signaling transport). Run: ``python examples/datachannel_pair.py``.
"""

from __future__ import annotations

import asyncio
import time

from rtcpeer import (
    RTCConfiguration,
    RTCDataChannel,
    RTCIceCandidate,
    RTCPeerConnection,
    RTCPeerOptions,
)


def loopback_config() -> RTCConfiguration:
    # Gather on 127.0.0.1 only (browsers and aioice skip loopback by default).
    return RTCConfiguration(options=RTCPeerOptions(hostAddresses=["127.0.0.1"]))


async def main() -> None:
    alice = RTCPeerConnection(loopback_config())
    bob = RTCPeerConnection(loopback_config())

    @alice.on("icecandidate")
    async def alice_candidate(candidate: RTCIceCandidate | None) -> None:
        await bob.addIceCandidate(candidate)

    @bob.on("icecandidate")
    async def bob_candidate(candidate: RTCIceCandidate | None) -> None:
        await alice.addIceCandidate(candidate)

    @bob.on("datachannel")
    def on_datachannel(channel: RTCDataChannel) -> None:
        print(f"bob: the peer opened channel {channel.label!r} (id {channel.id})")

        @channel.on("message")
        def on_message(message: str | bytes) -> None:
            shown = message if isinstance(message, str) else f"<{len(message)} bytes>"
            print(f"bob: received {shown!r}")
            channel.send(f"echo: {message}" if isinstance(message, str) else message)

    replies: asyncio.Queue[str | bytes] = asyncio.Queue()
    opened = asyncio.Event()
    channel = alice.createDataChannel("chat")
    channel.on("open", opened.set)
    channel.on("message", replies.put_nowait)

    started = time.perf_counter()
    await alice.setLocalDescription(await alice.createOffer())
    assert alice.localDescription is not None
    await bob.setRemoteDescription(alice.localDescription)
    await bob.setLocalDescription(await bob.createAnswer())
    assert bob.localDescription is not None
    await alice.setRemoteDescription(bob.localDescription)
    await asyncio.wait_for(opened.wait(), 10)
    print(
        f"alice: channel open after {1000 * (time.perf_counter() - started):.0f} ms "
        f"(connectionState={alice.connectionState})"
    )

    for text in ("hello", "how are you?", ""):
        channel.send(text)
        print(f"alice: got {await asyncio.wait_for(replies.get(), 5)!r}")
    blob = bytes(range(256)) * 1024
    channel.send(blob)
    echoed = await asyncio.wait_for(replies.get(), 5)
    print(f"alice: 256 KiB binary message echoed intact: {echoed == blob}")

    await alice.close()
    await bob.close()
    print("closed")


if __name__ == "__main__":
    asyncio.run(main())
