"""Signalling and content checks shared by the Chromium media tests: one browser
(``MediaBrowserPeer``) and one ``PythonMediaPeer``, either side offering, candidates
trickled both ways (the browser's SDP is stripped of candidates, so only trickled ones count).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from browser_media import MediaBrowserPeer
from media_side import PythonMediaPeer
from rtcpeer_side import TIMEOUT, strip_candidates, wait_for

from rtcpeer.testing.media_pattern import tone_frequency

FRAME_MASK = 0xFFFF


@dataclass
class MediaSetup:
    """What each side sends/receives: ``add_media`` keyword arguments per side."""

    browser: dict[str, Any] = field(default_factory=dict)
    python: dict[str, Any] = field(default_factory=dict)


async def _trickle_browser_to_python(browser: MediaBrowserPeer, py: PythonMediaPeer) -> int:
    count = 0
    while True:
        cand = await browser.next_candidate(TIMEOUT)
        if cand is None:
            await py.add_remote_candidate(None)
            return count
        if cand.get("candidate"):  # an empty one is Chromium's per-generation end marker
            await py.add_remote_candidate(cand)
            count += 1


async def _trickle_python_to_browser(browser: MediaBrowserPeer, py: PythonMediaPeer) -> int:
    count = 0
    async for cand in py.local_candidates():
        await browser.add_ice_candidate(cand)
        if cand is not None:
            count += 1
    return count


async def negotiate(
    browser: MediaBrowserPeer, py: PythonMediaPeer, setup: MediaSetup, *, browser_offers: bool
) -> None:
    """Offer/answer with trickle ICE, then wait until both sides are connected."""
    await browser.create({"iceServers": []})
    if browser_offers:
        await browser.add_media(**setup.browser)
        offer = await browser.set_local_description(await browser.create_offer())
        await py.accept_offer(strip_candidates(offer["sdp"]))
        py.add_media(**setup.python)
        answer = await py.create_answer()
        await browser.set_remote_description({"type": "answer", "sdp": answer})
    else:
        py.add_media(**setup.python)
        offer_sdp = await py.create_offer()
        await browser.set_remote_description({"type": "offer", "sdp": offer_sdp})
        await browser.add_media(**setup.browser)
        answer = await browser.set_local_description(await browser.create_answer())
        await py.accept_answer(strip_candidates(answer["sdp"]))
    to_py = asyncio.ensure_future(_trickle_browser_to_python(browser, py))
    to_browser = asyncio.ensure_future(_trickle_python_to_browser(browser, py))
    await browser.wait_connected()
    await wait_for(lambda: py.connection_state() == "connected", f"{py.name} connected")
    assert await asyncio.wait_for(to_py, TIMEOUT) >= 1, "the browser trickled no candidate"
    await asyncio.wait_for(to_browser, TIMEOUT)


@contextlib.asynccontextmanager
async def closing(py: PythonMediaPeer) -> AsyncIterator[PythonMediaPeer]:
    try:
        yield py
    finally:
        await py.close()


def frame_steps(numbers: list[int]) -> list[int]:
    """Differences between successive frame numbers, modulo 2**16."""
    return [(b - a) & FRAME_MASK for a, b in itertools.pairwise(numbers)]


def check_frame_sequence(
    numbers: list[int], *, min_distinct: int = 30, min_consecutive: float = 0.5
) -> dict[str, Any]:
    """The received frame numbers must be increasing and mostly consecutive.

    * at least ``min_distinct`` distinct numbers;
    * never backwards: each step is 0 (a frame shown twice) or forward by less than 30
      (a gap of up to a second of frames dropped);
    * mostly consecutive: at least ``min_consecutive`` of the steps are exactly 1.
    Returns the figures (for the test's output)."""
    steps = frame_steps(numbers)
    figures = {
        "received": len(numbers),
        "distinct": len(set(numbers)),
        "first": numbers[0] if numbers else None,
        "last": numbers[-1] if numbers else None,
        "consecutive_steps": sum(1 for s in steps if s == 1),
        "repeats": sum(1 for s in steps if s == 0),
        "gaps": sorted(s for s in steps if s > 1),
    }
    assert figures["distinct"] >= min_distinct, figures
    bad = [(i, s) for i, s in enumerate(steps) if s >= 30]
    assert not bad, f"frame numbers went backwards or jumped: {bad[:10]} in {figures}"
    consecutive = figures["consecutive_steps"]
    assert consecutive >= min_consecutive * len(steps), f"not mostly consecutive: {figures}"
    return figures


def check_tone(py: PythonMediaPeer, freq: float = 880.0, tolerance: float = 5.0) -> float:
    """The last second of the Python peer's received audio peaks at ``freq`` +- tolerance."""
    samples, rate = py.received_audio()
    assert rate > 0 and samples.size >= rate, f"less than 1 s of audio ({samples.size}, {rate})"
    found = tone_frequency(samples[-rate:], rate)
    assert abs(found - freq) <= tolerance, f"tone at {found:.1f} Hz, expected {freq} Hz"
    return found


async def wait_python_received(
    py: PythonMediaPeer, *, frames: int = 0, audio_seconds: float = 0.0
) -> None:
    def enough() -> bool:
        if len(set(py.video_numbers)) < frames:
            return False
        return py.received_audio_seconds() >= audio_seconds

    await wait_for(enough, f"{py.name} to receive {frames} frames / {audio_seconds} s audio")
