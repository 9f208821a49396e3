"""rtcpeer <-> headless Chromium: scenarios beyond the first connection.

ICE restarts from either side while data flows, renegotiation rounds and DTLS roles,
``pc.close()`` from either side, partial reliability, bulk transfers paced by
``bufferedamountlow``, relay-only connections through a real coturn, 100 channels at once,
and negotiated channels.

Run inside the private network namespace (see tests/interop/test_chromium.py)::

    tools/netns-run /work/venv/bin/pytest tests/interop/test_chromium_scenarios.py -v

Every SDP handed across has its candidates removed; candidates travel only through
``addIceCandidate``, by a :class:`Trickle` pump that is paused while an offer/answer round
is in progress (a candidate of a new ICE generation must not overtake the description that
carries its ufrag, or the receiver rightly rejects it with OperationError).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from rtcpeer import (
    RTCConfiguration,
    RTCIceCandidate,
    RTCIceServer,
    RTCSessionDescription,
)
from rtcpeer.testing.turnserver import CoturnServer

sys.path.insert(0, str(Path(__file__).parent))
from browser import BrowserPeer, chromium_peer
from coturn_fixtures import coturn
from rtcpeer_side import TIMEOUT, strip_candidates, wait_for, wait_for_async
from rtcpeer_side import PyPeer as Peer

__all__ = ["coturn"]

pytestmark = [pytest.mark.interop, pytest.mark.chromium]

KIB = 1024
MIB = 1024 * KIB


# -- helpers --


def sdp_attr(sdp: str, name: str) -> str | None:
    match = re.search(rf"^a={name}:(\S+)", sdp, re.MULTILINE)
    return match.group(1) if match else None


class Trickle:
    """Forwards trickled candidates both ways until stopped; ``paused()`` holds them back
    during an offer/answer round. Errors from addIceCandidate are collected, not raised."""

    def __init__(self, browser: BrowserPeer, py: Peer) -> None:
        self.browser = browser
        self.py = py
        self.gate = asyncio.Event()
        self.errors: list[str] = []
        self.to_browser: list[dict[str, Any] | None] = []
        self.from_browser: list[dict[str, Any] | None] = []
        self._tasks = [
            asyncio.ensure_future(self._py_to_browser()),
            asyncio.ensure_future(self._browser_to_py()),
        ]

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        self.gate.clear()
        try:
            yield
        finally:
            self.gate.set()

    async def _py_to_browser(self) -> None:
        while True:
            candidate = await self.py.candidates.get()
            await self.gate.wait()
            as_json = None if candidate is None else candidate.toJSON()
            self.to_browser.append(as_json)
            try:
                await self.browser.add_ice_candidate(as_json)
            except Exception as exc:  # recorded; the test asserts there are none
                self.errors.append(f"browser.addIceCandidate({as_json}): {exc}")

    async def _browser_to_py(self) -> None:
        while True:
            cand = await self.browser._candidate_queue.get()
            await self.gate.wait()
            self.from_browser.append(cand)
            try:
                if cand is None or not cand.get("candidate"):
                    await self.py.pc.addIceCandidate(None)
                else:
                    await self.py.pc.addIceCandidate(RTCIceCandidate.from_json(cand))
            except Exception as exc:
                self.errors.append(f"rtcpeer addIceCandidate({cand}): {exc!r}")

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def browser_offers(
    browser: BrowserPeer, py: Peer, trickle: Trickle, **offer_options: Any
) -> tuple[str, str]:
    """One round: the browser offers, rtcpeer answers. Returns (offer sdp, answer sdp)."""
    async with trickle.paused():
        offer = await browser.set_local_description(await browser.create_offer(**offer_options))
        assert offer["type"] == "offer"
        await py.pc.setRemoteDescription(
            RTCSessionDescription(sdp=strip_candidates(offer["sdp"]), type="offer")
        )
        await py.pc.setLocalDescription(await py.pc.createAnswer())
        local = py.pc.localDescription
        assert local is not None
        answer = local.sdp
        await browser.set_remote_description({"type": "answer", "sdp": strip_candidates(answer)})
    return offer["sdp"], answer


async def rtcpeer_offers(
    browser: BrowserPeer, py: Peer, trickle: Trickle, ice_restart: bool = False
) -> tuple[str, str]:
    """One round: rtcpeer offers, the browser answers. Returns (offer sdp, answer sdp)."""
    async with trickle.paused():
        await py.pc.setLocalDescription(await py.pc.createOffer(iceRestart=ice_restart))
        local = py.pc.localDescription
        assert local is not None
        offer = local.sdp
        await browser.set_remote_description({"type": "offer", "sdp": strip_candidates(offer)})
        answer = await browser.set_local_description()
        assert answer["type"] == "answer"
        await py.pc.setRemoteDescription(
            RTCSessionDescription(sdp=strip_candidates(answer["sdp"]), type="answer")
        )
    return offer, answer["sdp"]


async def connect(
    browser: BrowserPeer,
    py: Peer,
    *,
    offerer: str = "browser",
    labels: tuple[str, ...] = ("chat",),
    browser_config: dict[str, Any] | None = None,
) -> Trickle:
    """Create ``labels`` on the offerer, negotiate, wait until every channel is open."""
    await browser.create(browser_config or {"iceServers": []})
    trickle = Trickle(browser, py)
    if offerer == "browser":
        for label in labels:
            await browser.create_data_channel(label, ordered=True)
        await browser_offers(browser, py, trickle)
    else:
        for label in labels:
            py.create_channel(label, ordered=True)
        await rtcpeer_offers(browser, py, trickle)
    for label in labels:
        await browser.wait_channel_open(label)
        await py.wait_open(label)
    return trickle


def browser_ufrag(desc: dict[str, str] | None) -> str:
    assert desc is not None
    ufrag = sdp_attr(desc["sdp"], "ice-ufrag")
    assert ufrag is not None
    return ufrag


def rtcpeer_generation_ufrags(py: Peer) -> tuple[str, str | None] | None:
    """(local ufrag, remote ufrag) of the ICE generation carrying rtcpeer's selected pair."""
    agent = py.pc._agent
    assert agent is not None
    gen = agent._current
    if agent._selected is None or agent._selected is not gen.conn.selected:
        return None
    return gen.conn.local_username, gen.remote_ufrag


@pytest.fixture
async def browser() -> AsyncIterator[BrowserPeer]:
    async with chromium_peer() as peer:
        yield peer


@pytest.fixture
async def py() -> AsyncIterator[Peer]:
    peer = Peer()
    try:
        yield peer
    finally:
        await peer.pc.close()


# -- 1. ICE restart while data flows --


class Flow:
    """Numbered text messages both ways on one reliable channel, every ``interval`` s."""

    def __init__(self, browser: BrowserPeer, py: Peer, label: str) -> None:
        self.browser = browser
        self.py = py
        self.label = label
        self.py_sent = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.browser.count_messages(self.label, keep_texts=True)
        await self.browser.start_ticker(self.label, 10, "b")
        self._task = asyncio.ensure_future(self._py_ticker())

    async def _py_ticker(self) -> None:
        channel = self.py.channels[self.label]
        while True:
            channel.send(f"p{self.py_sent}")
            self.py_sent += 1
            await asyncio.sleep(0.01)

    async def stop_and_check(self) -> tuple[int, int]:
        """Stop both tickers; every message must arrive exactly once and in order."""
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        ticker = await self.browser.stop_ticker(self.label)
        assert ticker["errors"] == [], ticker
        browser_sent = int(ticker["sent"])
        got = [await self.py.receive(self.label) for _ in range(browser_sent)]
        assert got == [f"b{n}" for n in range(browser_sent)]
        assert self.py.inbox[self.label].empty()
        await wait_for_async(
            self._browser_has_all, f"browser receiving {self.py_sent} messages", TIMEOUT
        )
        texts = (await self.browser.counter(self.label))["texts"]
        assert texts == [f"p{n}" for n in range(self.py_sent)]
        return browser_sent, self.py_sent

    async def _browser_has_all(self) -> bool:
        return int((await self.browser.counter(self.label))["messages"]) >= self.py_sent


async def restarted_pairs(browser: BrowserPeer, py: Peer, old: tuple[str, str]) -> None:
    """Wait until both sides' selected pairs use the new ICE credentials of both sides."""
    browser_new = browser_ufrag(await browser.local_description())
    py_new = py.pc._agent.local_ufrag  # type: ignore[union-attr]
    assert browser_new != old[0] and py_new != old[1]

    async def browser_on_new() -> bool:
        pair = await browser.selected_candidate_pair()
        return (
            pair is not None
            and pair["local"].get("usernameFragment") == browser_new
            and pair["remote"].get("usernameFragment") == py_new
        )

    try:
        await wait_for_async(browser_on_new, "the browser's pair on the new ufrags")
    except AssertionError:
        pairs = [s for s in await browser.get_stats() if s["type"] == "candidate-pair"]
        raise AssertionError(
            f"the browser's selected pair is not on the new ufrags {browser_new}/{py_new}: "
            f"{await browser.selected_candidate_pair()}; all pairs: {pairs}; "
            f"rtcpeer ICE: {py.pc._agent.stats if py.pc._agent else None}"
        ) from None
    await wait_for(
        lambda: rtcpeer_generation_ufrags(py) == (py_new, browser_new),
        "rtcpeer's pair on the new ufrags",
    )


async def test_ice_restart_while_data_flows(browser: BrowserPeer, py: Peer) -> None:
    trickle = await connect(browser, py, labels=("flow",))
    try:
        flow = Flow(browser, py, "flow")
        await flow.start()
        pair = await browser.selected_candidate_pair()
        assert pair is not None
        assert pair["local"].get("usernameFragment") == browser_ufrag(
            await browser.local_description()
        ), pair

        # Browser-initiated: pc.restartIce() and the browser offers again.
        old = (browser_ufrag(await browser.local_description()), py.pc._agent.local_ufrag)  # type: ignore[union-attr]
        await browser.restart_ice()
        offer, answer = await browser_offers(browser, py, trickle)
        assert sdp_attr(offer, "ice-ufrag") != old[0]
        assert sdp_attr(answer, "ice-ufrag") != old[1]
        await restarted_pairs(browser, py, old)
        await asyncio.sleep(0.3)  # keep data flowing on the new pair
        n_browser, n_py = await flow.stop_and_check()
        assert n_browser > 0 and n_py > 0

        # rtcpeer-initiated: restartIce() and rtcpeer offers.
        flow = Flow(browser, py, "flow")
        await flow.start()
        old = (browser_ufrag(await browser.local_description()), py.pc._agent.local_ufrag)  # type: ignore[union-attr]
        py.pc.restartIce()
        offer, answer = await rtcpeer_offers(browser, py, trickle)
        assert sdp_attr(offer, "ice-ufrag") != old[1]
        assert sdp_attr(answer, "ice-ufrag") != old[0]
        await restarted_pairs(browser, py, old)
        await asyncio.sleep(0.3)
        await flow.stop_and_check()

        assert not py.closed["flow"].is_set()
        assert not browser.channels["flow"].closed.is_set()
        assert py.pc.connectionState == "connected"
        assert await browser.connection_state() == "connected"
        assert trickle.errors == []
    finally:
        await trickle.stop()


# -- 2. renegotiation --


async def browser_transport(browser: BrowserPeer) -> dict[str, Any]:
    return next(s for s in await browser.get_stats() if s["type"] == "transport")


async def roundtrip(browser: BrowserPeer, py: Peer, label: str, text: str) -> None:
    await browser.send(label, f"b:{text}")
    assert await py.receive(label) == f"b:{text}"
    py.channels[label].send(f"p:{text}")
    assert await browser.receive(label) == f"p:{text}"


async def test_renegotiation_keeps_roles(browser: BrowserPeer, py: Peer) -> None:
    trickle = await connect(browser, py, labels=("first",))
    try:
        assert py.pc._transport.role == "client"  # answered with a=setup:active
        role_before = (await browser_transport(browser)).get("dtlsRole")
        assert role_before in (None, "server"), role_before

        # A second channel from the browser after connecting: DCEP in band, no SDP.
        await browser.create_data_channel("second", ordered=True)
        await browser.wait_channel_open("second")
        await py.wait_open("second")
        await roundtrip(browser, py, "second", "in-band")

        # An offer/answer round without changes, the browser offering.
        offer, answer = await browser_offers(browser, py, trickle)
        assert sdp_attr(answer, "setup") == "active"
        await roundtrip(browser, py, "first", "after browser re-offer")

        # rtcpeer offers now: the browser must accept it and keep its DTLS role.
        offer, answer = await rtcpeer_offers(browser, py, trickle)
        assert sdp_attr(offer, "setup") in ("actpass", "passive"), offer
        assert sdp_attr(answer, "setup") == "passive", answer  # browser stays DTLS server
        assert py.pc.signalingState == "stable"
        assert (await browser.all_states())["signalingState"] == "stable"
        await roundtrip(browser, py, "first", "after rtcpeer re-offer")
        await roundtrip(browser, py, "second", "after rtcpeer re-offer")
        assert (await browser_transport(browser)).get("dtlsRole") == role_before
        assert py.pc._transport.role == "client"
        assert py.pc.connectionState == "connected"
        assert not py.closed["first"].is_set() and not py.closed["second"].is_set()
        assert trickle.errors == []
    finally:
        await trickle.stop()


# -- 3. pc.close() from either side --


async def test_browser_close_reaches_rtcpeer(browser: BrowserPeer, py: Peer) -> None:
    """The browser's ``pc.close()`` sends SCTP ABORT and DTLS close_notify: rtcpeer's channels
    close at once and its DTLS transport is "closed". W3C's connection-state rule counts a
    closed DTLS transport with a connected ICE transport as "connected" (Chromium computes it
    the same way), so the state only leaves "connected" when ICE consent freshness notices
    the peer is gone: "disconnected" after consentDisconnectedAfter (5 s), "failed" at 30 s.
    That is what is asserted (bounded at 15 s); "closed" is only for our own close()."""
    trickle = await connect(browser, py, labels=("a", "b"))
    try:
        await roundtrip(browser, py, "a", "before close")
        closed_at = time.monotonic()
        await browser.close()
        for label in ("a", "b"):
            await asyncio.wait_for(py.closed[label].wait(), 10.0)
            assert py.channels[label].readyState == "closed"
        # The browser's SCTP ABORT / DTLS close_notify ends the channels; rtcpeer's
        # connection must not stay "connected" with a dead transport for long.
        await wait_for(
            lambda: py.pc.connectionState in ("failed", "disconnected"),
            f"rtcpeer leaving 'connected' (states {py.connection_states})",
            timeout=15.0,
        )
        assert py.pc._transport.dtls_state == "closed"
        assert max(py.closed_at.values()) - closed_at < 10.0
    finally:
        await trickle.stop()


async def test_rtcpeer_close_reaches_browser(browser: BrowserPeer, py: Peer) -> None:
    trickle = await connect(browser, py, offerer="rtcpeer", labels=("a", "b"))
    try:
        await roundtrip(browser, py, "b", "before close")
        await py.pc.close()
        assert py.pc.connectionState == "closed"
        for label in ("a", "b"):
            await browser.wait_channel_closed(label, timeout=10.0)
            info = await browser.channel_info(label)
            assert info is not None and info["readyState"] == "closed", info

        async def browser_gone() -> bool:
            return await browser.connection_state() in ("closed", "failed", "disconnected")

        await wait_for_async(browser_gone, "the browser's connection leaving 'connected'", 40.0)
    finally:
        await trickle.stop()


# -- 4. partial reliability --


async def test_partial_reliability_both_sides(browser: BrowserPeer, py: Peer) -> None:
    trickle = await connect(browser, py, labels=("base",))
    try:
        await browser.create_data_channel("br-unrel", ordered=False, maxRetransmits=0)
        await browser.create_data_channel("br-life", maxPacketLifeTime=100)
        py.create_channel("py-unrel", ordered=False, maxRetransmits=0)
        py.create_channel("py-life", maxPacketLifeTime=100)
        for label in ("br-unrel", "br-life", "py-unrel", "py-life"):
            await browser.wait_channel_open(label)
            await py.wait_open(label)

        for label in ("br-unrel", "py-unrel"):
            ch = py.channels[label]
            assert (ch.ordered, ch.maxRetransmits, ch.maxPacketLifeTime) == (False, 0, None)
            info = await browser.channel_info(label)
            assert info is not None
            assert (info["ordered"], info["maxRetransmits"], info["maxPacketLifeTime"]) == (
                False,
                0,
                None,
            ), info
        for label in ("br-life", "py-life"):
            ch = py.channels[label]
            assert (ch.ordered, ch.maxRetransmits, ch.maxPacketLifeTime) == (True, None, 100)
            info = await browser.channel_info(label)
            assert info is not None
            assert (info["ordered"], info["maxRetransmits"], info["maxPacketLifeTime"]) == (
                True,
                None,
                100,
            ), info

        n = 50
        labels = ("br-unrel", "br-life", "py-unrel", "py-life")
        abandoned_before = abandoned_messages(py)
        for label in labels:
            for i in range(n):
                py.channels[label].send(f"{label}:{i}".encode())
        for label in labels:
            for i in range(n):
                await browser.send(label, f"{label}:{i}")
        for label in labels:
            got_py = {await py.receive(label) for _ in range(n)}
            assert got_py == {f"{label}:{i}" for i in range(n)}
        # rtcpeer -> browser: every message arrives, unless rtcpeer's sender abandoned it
        # (PR-SCTP does so by design when the host stalls past 100 ms or a retransmission
        # is needed): each missing message must be accounted for by an abandonment.
        missing = 0
        for label in labels:
            got_br: set[str | bytes] = set()
            with contextlib.suppress(TimeoutError):
                while len(got_br) < n:
                    got_br.add(await browser.receive(label, timeout=3.0))
            assert got_br <= {f"{label}:{i}".encode() for i in range(n)}
            missing += n - len(got_br)
        assert missing <= abandoned_messages(py) - abandoned_before, (
            missing,
            abandoned_messages(py) - abandoned_before,
        )
    finally:
        await trickle.stop()


def abandoned_messages(py: Peer) -> int:
    association = py.pc._transport.association
    assert association is not None and association.sender is not None
    return int(association.sender.stats["abandoned_messages"])


# -- 5. bulk transfer with backpressure --


async def test_bulk_with_backpressure(browser: BrowserPeer, py: Peer) -> None:
    trickle = await connect(browser, py, labels=("bulk",))
    try:
        chunk = 16 * KIB
        total_down = 20 * MIB
        await browser.count_messages("bulk")
        channel = py.channels["bulk"]
        channel.bufferedAmountLowThreshold = 256 * KIB
        low = asyncio.Event()
        lows = 0

        @channel.on("bufferedamountlow")
        def on_low() -> None:
            nonlocal lows
            lows += 1
            low.set()

        payload = bytes(range(256)) * (chunk // 256)
        sent = 0
        max_buffered = 0
        while sent < total_down:
            while sent < total_down and channel.bufferedAmount <= 1 * MIB:
                channel.send(payload)
                sent += chunk
                max_buffered = max(max_buffered, channel.bufferedAmount)
            if sent < total_down:
                low.clear()
                await asyncio.wait_for(low.wait(), TIMEOUT)
        assert lows > 0 and max_buffered <= 1 * MIB + chunk
        counted = await browser.wait_counted("bulk", total_down, timeout=60.0)
        assert counted == {"bytes": total_down, "messages": total_down // chunk}

        # Browser -> rtcpeer: 5 MB paced by bufferedamountlow in the page.
        total_up = 5 * MIB
        result = await browser.send_bulk("bulk", total_up, chunk, 256 * KIB, timeout=60.0)
        assert result["sent"] == total_up and result["lowEvents"] > 0, result
        got = 0
        messages = 0
        while got < total_up:
            msg = await py.receive("bulk", timeout=30.0)
            assert isinstance(msg, bytes) and len(msg) == chunk
            assert msg[:4] == bytes([0, 1, 2, 3])
            got += len(msg)
            messages += 1
        assert got == total_up and messages == total_up // chunk
        assert py.inbox["bulk"].empty()
    finally:
        await trickle.stop()


# -- 6. relay-only through coturn --


async def test_relay_only_through_coturn(browser: BrowserPeer, coturn: CoturnServer) -> None:
    url = coturn.url("turn", "udp")
    py = Peer(
        RTCConfiguration(
            iceServers=[RTCIceServer(url, coturn.username, coturn.password)],
            iceTransportPolicy="relay",
        )
    )
    trickle = None
    try:
        trickle = await connect(
            browser,
            py,
            labels=("relayed",),
            browser_config={
                "iceServers": [
                    {"urls": url, "username": coturn.username, "credential": coturn.password}
                ],
                "iceTransportPolicy": "relay",
            },
        )
        await roundtrip(browser, py, "relayed", "through coturn")
        pair = await browser.selected_candidate_pair()
        assert pair is not None
        assert pair["local"]["candidateType"] == "relay", pair
        assert pair["remote"]["candidateType"] == "relay", pair
        py_pair = py.pc._agent.selected_pair if py.pc._agent else None  # type: ignore[union-attr]
        assert py_pair is not None and py_pair[0].type == "relay", py_pair
        for c in trickle.to_browser + trickle.from_browser:
            if c is not None and c.get("candidate"):
                assert " typ relay" in c["candidate"], c
        assert trickle.errors == []
    finally:
        if trickle is not None:
            await trickle.stop()
        await py.pc.close()


# -- 7. many channels --


async def test_hundred_channels_before_and_after_connecting(browser: BrowserPeer, py: Peer) -> None:
    await browser.create({"iceServers": []})
    trickle = Trickle(browser, py)
    try:
        before = [f"pre-{i:03d}" for i in range(100)]
        ids = await browser.create_data_channels(before)
        assert len(ids) == 100
        await browser_offers(browser, py, trickle)
        after = [f"post-{i:03d}" for i in range(100)]
        for label in before:
            await browser.wait_channel_open(label)
        ids += await browser.create_data_channels(after)
        for label in after:
            await browser.wait_channel_open(label)
        for label in before + after:
            await browser.send(label, f"hello {label}")
        for label in before + after:
            await py.wait_open(label)
            assert await py.receive(label) == f"hello {label}"
            assert py.channels[label].label == label
        stream_ids = {py.channels[label].id for label in before + after}
        assert len(stream_ids) == 200
        for label in (before[0], before[-1], after[0], after[-1]):
            py.channels[label].send(f"back {label}")
            assert await browser.receive(label) == f"back {label}"
        assert trickle.errors == []
    finally:
        await trickle.stop()


# -- 8. negotiated channels and DTLS roles --


@pytest.mark.parametrize("offerer", ["browser", "rtcpeer"])
async def test_negotiated_channel_and_dtls_roles(
    browser: BrowserPeer, py: Peer, offerer: str
) -> None:
    trickle = await connect(browser, py, offerer=offerer, labels=("dcep",))
    try:
        offer = py.pc.remoteDescription if offerer == "browser" else py.pc.localDescription
        answer = py.pc.localDescription if offerer == "browser" else py.pc.remoteDescription
        assert offer is not None and answer is not None
        assert sdp_attr(offer.sdp, "setup") == "actpass"
        assert sdp_attr(answer.sdp, "setup") == "active"
        # The answerer is the DTLS client.
        py_role = "client" if offerer == "browser" else "server"
        assert py.pc._transport.role == py_role
        browser_role = (await browser_transport(browser)).get("dtlsRole")
        assert browser_role in (None, "server" if py_role == "client" else "client")

        await browser.create_data_channel("side", negotiated=True, id=5)
        channel = py.create_channel("side", negotiated=True, id=5)
        await browser.wait_channel_open("side")
        await py.wait_open("side")
        assert channel.id == 5 and channel.negotiated
        info = await browser.channel_info("side")
        assert info is not None and info["id"] == 5 and info["negotiated"] is True

        # An in-band channel from rtcpeer next to it: it must not take stream 5.
        extra = py.create_channel("py-extra")
        await browser.wait_channel_open("py-extra")
        await py.wait_open("py-extra")
        assert extra.id != 5
        # Stream ids follow the DTLS role (RFC 8832 §6: client even, server odd).
        assert extra.id % 2 == (0 if py_role == "client" else 1), extra.id

        await roundtrip(browser, py, "side", "negotiated")
        await roundtrip(browser, py, "py-extra", "in band")
        await roundtrip(browser, py, "dcep", "first")
    finally:
        await trickle.stop()
