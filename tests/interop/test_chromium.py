"""rtcpeer <-> headless Chromium: data channels over trickle ICE, DTLS and SCTP.

Run (as root; the wrapper gives a private network namespace with lo + 10.99.0.1/24,
and the harness refuses to run without one):

    cd /work/main && tools/netns-run /work/venv/bin/pytest -m chromium tests/interop -v

Both peers trickle: every SDP handed across has its ``a=candidate`` /
``a=end-of-candidates`` lines removed, so the connection can only come up through the
candidates sent with ``addIceCandidate`` (and end-of-candidates is sent both ways).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

try:
    from rtcpeer import RTCIceCandidate, RTCSessionDescription
except ImportError as exc:  # facade not there yet: every test fails (not skips) with it
    FACADE_IMPORT_ERROR: ImportError | None = exc
else:
    FACADE_IMPORT_ERROR = None

try:  # tests/ may or may not become a package
    from .browser import BrowserPeer, chromium_peer
except ImportError:
    from browser import BrowserPeer, chromium_peer  # type: ignore[no-redef]
from rtcpeer_side import TIMEOUT, PyPeer, strip_candidates, wait_for

pytestmark = [pytest.mark.interop, pytest.mark.chromium]

KIB = 1024


# -- helpers ------------------------------------------------------------------------


def check_candidate_json(cand: dict[str, Any] | None) -> None:
    assert cand is not None
    assert cand["candidate"].startswith("candidate:"), cand
    assert cand.get("sdpMid") is not None or cand.get("sdpMLineIndex") is not None, cand


async def connect_browser_offers(
    browser: BrowserPeer, py: PyPeer, labels: tuple[str, ...] = ("chat",)
) -> None:
    """Browser creates channels and offers; rtcpeer answers; candidates trickle both ways."""
    await browser.create({"iceServers": []})
    for label in labels:
        await browser.create_data_channel(label, ordered=True)
    offer = await browser.set_local_description(await browser.create_offer())
    assert offer["type"] == "offer"

    await py.pc.setRemoteDescription(
        RTCSessionDescription(sdp=strip_candidates(offer["sdp"]), type="offer")
    )
    from_browser = asyncio.ensure_future(py.receive_candidates_from(browser))
    await py.pc.setLocalDescription(await py.pc.createAnswer())
    answer = py.pc.localDescription
    assert answer.type == "answer"
    await browser.set_remote_description({"type": "answer", "sdp": strip_candidates(answer.sdp)})
    to_browser = asyncio.ensure_future(py.send_candidates_to(browser))

    for label in labels:
        await browser.wait_channel_open(label)
        await py.wait_open(label)
    n_from_browser = await asyncio.wait_for(from_browser, TIMEOUT)
    await asyncio.wait_for(to_browser, TIMEOUT)
    assert n_from_browser >= 1
    assert len(py.sent_candidates) >= 2 and py.sent_candidates[-1] is None
    for cand in py.sent_candidates[:-1]:
        check_candidate_json(cand)


async def connect_rtcpeer_offers(
    browser: BrowserPeer, py: PyPeer, labels: tuple[str, ...] = ("chat",)
) -> None:
    """rtcpeer creates channels and offers; the browser answers; trickle both ways."""
    for label in labels:
        py.create_channel(label, ordered=True)
    await py.pc.setLocalDescription(await py.pc.createOffer())
    offer = py.pc.localDescription
    assert offer.type == "offer"

    await browser.create({"iceServers": []})
    await browser.set_remote_description({"type": "offer", "sdp": strip_candidates(offer.sdp)})
    to_browser = asyncio.ensure_future(py.send_candidates_to(browser))
    answer = await browser.set_local_description()
    assert answer["type"] == "answer"
    await py.pc.setRemoteDescription(
        RTCSessionDescription(sdp=strip_candidates(answer["sdp"]), type="answer")
    )
    from_browser = asyncio.ensure_future(py.receive_candidates_from(browser))

    for label in labels:
        await py.wait_open(label)
        await browser.wait_channel_open(label)
    n_from_browser = await asyncio.wait_for(from_browser, TIMEOUT)
    await asyncio.wait_for(to_browser, TIMEOUT)
    assert n_from_browser >= 1
    assert len(py.sent_candidates) >= 2 and py.sent_candidates[-1] is None


async def assert_connected(browser: BrowserPeer, py: PyPeer) -> None:
    await browser.wait_connected()
    await wait_for(lambda: py.pc.connectionState == "connected", "rtcpeer connected")
    pair = await browser.selected_candidate_pair()
    assert pair is not None and pair["state"] == "succeeded", pair
    # Everything stays inside the test namespace.
    assert pair["local"]["address"] in ("10.99.0.1", "127.0.0.1"), pair
    assert pair["remote"]["address"] in ("10.99.0.1", "127.0.0.1"), pair


async def exchange_text_and_binary(browser: BrowserPeer, py: PyPeer, label: str) -> None:
    channel = py.channels[label]
    assert channel.readyState == "open"

    # browser -> rtcpeer: text stays str, binary stays bytes
    await browser.send(label, "hello from chromium \u00e9\u2603")
    await browser.send(label, b"\x00\x01\x02\xff")
    blob = os.urandom(16 * KIB)
    await browser.send(label, blob)
    got = await py.receive(label)
    assert got == "hello from chromium \u00e9\u2603" and isinstance(got, str)
    got = await py.receive(label)
    assert got == b"\x00\x01\x02\xff" and isinstance(got, bytes)
    got = await py.receive(label)
    assert got == blob and isinstance(got, bytes)

    # rtcpeer -> browser
    channel.send("hello from rtcpeer \u00fc")
    channel.send(b"\xfe\x00\xfd")
    payload = os.urandom(48 * KIB)
    channel.send(payload)
    got = await browser.receive(label)
    assert got == "hello from rtcpeer \u00fc" and isinstance(got, str)
    got = await browser.receive(label)
    assert got == b"\xfe\x00\xfd" and isinstance(got, bytes)
    assert await browser.receive(label) == payload


# -- fixtures --------------------------------------------------------------------------


@pytest.fixture
async def browser() -> AsyncIterator[BrowserPeer]:
    if FACADE_IMPORT_ERROR is not None:
        raise FACADE_IMPORT_ERROR  # fail fast, before launching Chromium
    async with chromium_peer() as peer:
        yield peer


@pytest.fixture
async def py() -> AsyncIterator[PyPeer]:
    if FACADE_IMPORT_ERROR is not None:
        raise FACADE_IMPORT_ERROR
    peer = PyPeer()
    try:
        yield peer
    finally:
        await peer.pc.close()


# -- tests -----------------------------------------------------------------------------


async def test_browser_offers_trickle_both_ways(browser: BrowserPeer, py: PyPeer) -> None:
    await connect_browser_offers(browser, py)
    await assert_connected(browser, py)
    assert py.channels["chat"].label == "chat"
    await exchange_text_and_binary(browser, py, "chat")


async def test_rtcpeer_offers_trickle_both_ways(browser: BrowserPeer, py: PyPeer) -> None:
    await connect_rtcpeer_offers(browser, py)
    await assert_connected(browser, py)
    await exchange_text_and_binary(browser, py, "chat")


async def test_empty_messages(browser: BrowserPeer, py: PyPeer) -> None:
    # RFC 8831 section 6.6: empty messages use their own PPIDs (56/57).
    await connect_browser_offers(browser, py)
    channel = py.channels["chat"]
    await browser.send("chat", "")
    await browser.send("chat", b"")
    await browser.send("chat", "end")
    assert await py.receive("chat") == ""
    got = await py.receive("chat")
    assert got == b"" and isinstance(got, bytes)
    assert await py.receive("chat") == "end"
    channel.send("")
    channel.send(b"")
    channel.send("end")
    assert await browser.receive("chat") == ""
    got = await browser.receive("chat")
    assert got == b"" and isinstance(got, bytes)
    assert await browser.receive("chat") == "end"


@pytest.mark.parametrize("offerer", ["browser", "rtcpeer"])
async def test_256k_binary_roundtrip(browser: BrowserPeer, py: PyPeer, offerer: str) -> None:
    """256 KiB binary messages browser -> rtcpeer, echoed back, byte-exact and in order."""
    if offerer == "browser":
        await connect_browser_offers(browser, py)
    else:
        await connect_rtcpeer_offers(browser, py)
    states = await browser.all_states()
    assert states["sctpMaxMessageSize"] >= 256 * KIB, states  # from rtcpeer's SDP

    channel = py.channels["chat"]
    payloads = [os.urandom(256 * KIB) for _ in range(3)]
    for payload in payloads:
        await browser.send("chat", payload)
    for payload in payloads:
        got = await py.receive("chat")
        assert isinstance(got, bytes) and len(got) == len(payload)
        assert got == payload
        channel.send(got)  # echo back
    for payload in payloads:
        got = await browser.receive("chat", timeout=30)
        assert isinstance(got, bytes) and len(got) == len(payload)
        assert got == payload

    stats = {s["type"]: s for s in await browser.get_stats()}
    assert stats["data-channel"]["messagesSent"] == 3
    assert stats["data-channel"]["messagesReceived"] == 3
    assert stats["data-channel"]["bytesReceived"] == 3 * 256 * KIB


async def test_several_channels_both_sides(browser: BrowserPeer, py: PyPeer) -> None:
    """Channels from both sides, before and after connecting; messages stay on their
    channel."""
    await connect_rtcpeer_offers(browser, py, labels=("py-a", "py-b"))
    # After the association is up: new channels from each side (DCEP in band).
    unordered = py.create_channel("py-unordered", ordered=False, maxRetransmits=0)
    await browser.create_data_channel("br-a", ordered=True)
    await browser.create_data_channel("br-b", ordered=True, protocol="chat-v1")
    await py.wait_open("py-unordered")
    await browser.wait_channel_open("py-unordered")
    for label in ("br-a", "br-b"):
        await browser.wait_channel_open(label)
        await py.wait_open(label)

    info = await browser.channel_info("py-unordered")
    assert info is not None and info["ordered"] is False and info["maxRetransmits"] == 0
    assert unordered.readyState == "open"
    assert py.channels["br-b"].protocol == "chat-v1"

    labels = ["py-a", "py-b", "py-unordered", "br-a", "br-b"]
    ids = {(await browser.channel_info(label))["id"] for label in labels}  # type: ignore[index]
    assert len(ids) == len(labels), ids  # distinct SCTP stream ids

    for label in labels:
        await browser.send(label, f"to-py:{label}")
        py.channels[label].send(f"to-browser:{label}".encode())
    for label in labels:
        assert await py.receive(label) == f"to-py:{label}"
        assert await browser.receive(label) == f"to-browser:{label}".encode()


async def test_negotiated_channel(browser: BrowserPeer, py: PyPeer) -> None:
    """Out-of-band negotiated channel (negotiated=true, same id both sides, no DCEP)."""
    await connect_browser_offers(browser, py)
    channel = py.create_channel("side", negotiated=True, id=7)
    await browser.create_data_channel("side", negotiated=True, id=7)
    await py.wait_open("side")
    await browser.wait_channel_open("side")
    await browser.send("side", "ping")
    assert await py.receive("side") == "ping"
    channel.send(b"pong")
    assert await browser.receive("side") == b"pong"


async def test_channel_close_each_side(browser: BrowserPeer, py: PyPeer) -> None:
    """Closing a channel resets its stream and the other side sees 'close' (RFC 8831 6.7)."""
    await connect_browser_offers(browser, py, labels=("closed-by-browser", "closed-by-py"))

    await browser.close_channel("closed-by-browser")
    await asyncio.wait_for(py.closed["closed-by-browser"].wait(), TIMEOUT)
    assert py.channels["closed-by-browser"].readyState == "closed"
    await browser.wait_channel_closed("closed-by-browser")

    py.channels["closed-by-py"].close()
    await browser.wait_channel_closed("closed-by-py")
    await asyncio.wait_for(py.closed["closed-by-py"].wait(), TIMEOUT)
    assert py.channels["closed-by-py"].readyState == "closed"

    # The association is still usable: a new channel opens and carries data.
    channel = py.create_channel("after-close")
    await browser.wait_channel_open("after-close")
    await py.wait_open("after-close")
    channel.send("still alive")
    assert await browser.receive("after-close") == "still alive"
    assert py.pc.connectionState == "connected"


async def test_browser_hiding_its_addresses(py: PyPeer) -> None:
    """A browser in its default privacy mode (no camera/microphone permission) hides host
    addresses behind mDNS names; headless Chromium here cannot publish them and shares no
    candidate at all. rtcpeer still connects: the browser's checks reach rtcpeer's trickled
    candidates and rtcpeer learns it as a peer-reflexive candidate (RFC 8445 §7.3.1.3)."""
    if FACADE_IMPORT_ERROR is not None:
        raise FACADE_IMPORT_ERROR
    async with chromium_peer(hide_ips_with_mdns=True) as browser:
        await browser.create({"iceServers": []})
        await browser.create_data_channel("hidden", ordered=True)
        offer = await browser.set_local_description(await browser.create_offer())
        await py.pc.setRemoteDescription(
            RTCSessionDescription(sdp=strip_candidates(offer["sdp"]), type="offer")
        )
        shared: list[dict[str, Any]] = []

        async def from_browser() -> None:
            while True:
                cand = await browser.next_candidate(TIMEOUT)
                if cand is None:
                    await py.pc.addIceCandidate(None)
                    return
                if cand.get("candidate"):
                    shared.append(cand)
                    await py.pc.addIceCandidate(RTCIceCandidate.from_json(cand))

        receiving = asyncio.ensure_future(from_browser())
        await py.pc.setLocalDescription(await py.pc.createAnswer())
        await browser.set_remote_description(
            {"type": "answer", "sdp": strip_candidates(py.pc.localDescription.sdp)}
        )
        sending = asyncio.ensure_future(py.send_candidates_to(browser))
        await browser.wait_channel_open("hidden")
        await py.wait_open("hidden")
        await asyncio.wait_for(asyncio.gather(receiving, sending), TIMEOUT)
        assert not any("10.99.0.1" in c["candidate"] for c in shared), shared
        stats = await py.pc.getStats()
        remote = [s for s in stats.values() if s["type"] == "remote-candidate"]
        assert remote and remote[0]["candidateType"] == "prflx", remote
        await browser.send("hidden", "still connected")
        assert await py.receive("hidden") == "still connected"
