"""Many data channels from both sides, ordered and unordered, over one loopback association."""

from __future__ import annotations

import asyncio

import pytest
from helpers import TIMEOUT, Collector, PeerPair, wait_open

from rtcpeer import RTCDataChannel

pytestmark = pytest.mark.loopback

PER_SIDE = 25
MESSAGES = 20


def _payload(label: str, n: int) -> str | bytes:
    text = f"{label}:{n}"
    return text if n % 2 else text.encode()


async def test_many_channels_both_sides_ordered_and_unordered(peers: PeerPair) -> None:
    pc1, pc2 = peers.pc1, peers.pc2
    local: dict[str, RTCDataChannel] = {}
    for i in range(PER_SIDE):
        label = f"a{i}"
        local[label] = pc1.createDataChannel(label, ordered=i % 2 == 0)
    await peers.connect()
    for i in range(PER_SIDE):
        label = f"b{i}"
        local[label] = pc2.createDataChannel(label, ordered=i % 2 == 0)
    await asyncio.gather(*(wait_open(ch) for ch in local.values()))

    # Ids follow the DTLS role parity (RFC 8832 §6) and never collide.
    ids = [ch.id for ch in local.values()]
    assert len(set(ids)) == 2 * PER_SIDE
    parity1 = {ch.id % 2 for label, ch in local.items() if label.startswith("a")}  # type: ignore[operator]
    parity2 = {ch.id % 2 for label, ch in local.items() if label.startswith("b")}  # type: ignore[operator]
    assert len(parity1) == len(parity2) == 1 and parity1 != parity2

    remote: dict[str, RTCDataChannel] = {}
    collectors: dict[str, Collector] = {}
    for label in local:
        acceptor = peers.accept2 if label.startswith("a") else peers.accept1
        remote[label] = await acceptor.get(label)
        collectors[label] = acceptor.collectors[label]
        await wait_open(remote[label])
        assert remote[label].ordered == local[label].ordered
        assert remote[label].id == local[label].id
    # The reverse direction: what the accepting side sends back on the same channel.
    back = {label: Collector(ch) for label, ch in local.items()}

    for n in range(MESSAGES):
        for label, channel in local.items():
            channel.send(_payload(label, n))
            remote[label].send(_payload("re-" + label, n))

    for label, channel in local.items():
        got = await collectors[label].wait_count(MESSAGES, TIMEOUT)
        returned = await back[label].wait_count(MESSAGES, TIMEOUT)
        expected = [_payload(label, n) for n in range(MESSAGES)]
        expected_back = [_payload("re-" + label, n) for n in range(MESSAGES)]
        if channel.ordered:
            assert got == expected
            assert returned == expected_back
        else:
            assert len(got) == MESSAGES and set(got) == set(expected)
            assert len(returned) == MESSAGES and set(returned) == set(expected_back)
    # No message was delivered twice or on the wrong channel.
    assert all(len(c.messages) == MESSAGES for c in collectors.values())
    assert peers.accept1.order and len(peers.accept1.order) == PER_SIDE
    assert len(peers.accept2.order) == PER_SIDE


async def test_partial_reliability_parameters_travel_in_dcep_open(peers: PeerPair) -> None:
    pc1 = peers.pc1
    specs = {
        "rexmit0-unordered": {"maxRetransmits": 0, "ordered": False},
        "rexmit0-ordered": {"maxRetransmits": 0, "ordered": True},
        "rexmit5": {"maxRetransmits": 5, "ordered": False},
        "lifetime150": {"maxPacketLifeTime": 150, "ordered": False},
        "lifetime3000-ordered": {"maxPacketLifeTime": 3000, "ordered": True},
    }
    local = {label: pc1.createDataChannel(label, **spec) for label, spec in specs.items()}  # type: ignore[arg-type]
    await peers.connect()
    count = 200
    for label, channel in local.items():
        await wait_open(channel)
        remote = await peers.accept2.get(label)
        spec = specs[label]
        # The opener's parameters arrived in DATA_CHANNEL_OPEN (RFC 8832 §5.1).
        assert remote.ordered == spec["ordered"]
        assert remote.maxRetransmits == spec.get("maxRetransmits")
        assert remote.maxPacketLifeTime == spec.get("maxPacketLifeTime")
        assert channel.maxRetransmits == spec.get("maxRetransmits")
        assert channel.maxPacketLifeTime == spec.get("maxPacketLifeTime")
        for n in range(count):
            channel.send(f"{label}/{n}")
    for label, channel in local.items():
        # Loopback loses nothing, so even a channel that never retransmits delivers everything.
        got = await peers.accept2.collectors[label].wait_count(count)
        expected = [f"{label}/{n}" for n in range(count)]
        if channel.ordered:
            assert got == expected
        else:
            assert sorted(map(str, got)) == sorted(expected)


async def test_large_and_empty_messages(peers: PeerPair) -> None:
    pc1 = peers.pc1
    channel = pc1.createDataChannel("big")
    await peers.connect()
    await wait_open(channel)
    remote = await peers.accept2.get("big")
    back = Collector(channel)
    size = 256 * 1024
    assert pc1.sctp is not None and pc1.sctp.maxMessageSize == size
    blob = bytes((i * 7 + 3) % 251 for i in range(size))
    # 2-byte characters at the end: the UTF-8 length is exactly `size`.
    text = ("0123456789abcdef" * (size // 16))[: size - 16] + "é" * 8
    assert len(text.encode()) == size
    channel.send(blob)
    channel.send(text)
    remote.send(blob[::-1])
    remote.send(text[::-1])
    got = await peers.accept2.messages("big", 2)
    assert isinstance(got[0], bytes) and got[0] == blob
    assert isinstance(got[1], str) and got[1] == text
    returned = await back.wait_count(2)
    assert returned == [blob[::-1], text[::-1]]

    # One byte over the peer's a=max-message-size: TypeError, and nothing is queued.
    with pytest.raises(TypeError):
        channel.send(b"x" * (size + 1))
    with pytest.raises(TypeError):
        channel.send("y" * size + "é")
    assert channel.readyState == "open"

    channel.send("")
    channel.send(b"")
    channel.send("after")
    got = await peers.accept2.messages("big", 5)
    assert got[2:] == ["", b"", "after"]
    assert type(got[2]) is str and type(got[3]) is bytes
