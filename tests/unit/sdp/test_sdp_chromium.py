"""Headless Chromium (an independent implementation) accepts the SDP we build.

Fails (never skips) when /usr/bin/chromium or Playwright is missing: the test set-up installs
them. Only setRemoteDescription is exercised (no ICE), so this runs without network set-up.
"""

from __future__ import annotations

import os

import pytest

from rtcpeer.sdp import MediaSectionSpec, build_answer, build_offer, parse, serialize
from rtcpeer.sdp.jsep import remote_sctp, remote_setup, validate_remote_description

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.interop,
    pytest.mark.chromium,
]
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UFRAG, PWD = "abcd", "0123456789abcdefghijkl"
FP = [("sha-256", ":".join(["AB"] * 32))]

SCRIPT = """
async (offer) => {
  const out = {};
  const a = new RTCPeerConnection();
  await a.setRemoteDescription({type: 'offer', sdp: offer});
  await a.setLocalDescription(await a.createAnswer());
  out.answer = a.localDescription.sdp;
  a.close();
  const b = new RTCPeerConnection();
  b.createDataChannel('x');
  await b.setLocalDescription(await b.createOffer());
  out.offer = b.localDescription.sdp;
  out.state = b.signalingState;
  window.pending = b;
  return out;
}
"""
APPLY = """
async (answer) => {
  await window.pending.setRemoteDescription({type: 'answer', sdp: answer});
  const state = window.pending.signalingState;
  window.pending.close();
  return state;
}
"""


async def test_chromium_accepts_our_offer_and_answer() -> None:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/test.sh does)")
    import playwright.async_api as playwright

    offer = serialize(
        build_offer(
            session_id=7,
            session_version=1,
            ice_ufrag=UFRAG,
            ice_pwd=PWD,
            fingerprints=FP,
            media=[MediaSectionSpec(kind="application", mid="0")],
        )
    )
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            result = await page.evaluate(SCRIPT, offer)
            chromium_offer = parse(result["offer"])
            validate_remote_description(chromium_offer, "offer")
            answer = serialize(
                build_answer(
                    chromium_offer,
                    session_id=8,
                    session_version=1,
                    ice_ufrag=UFRAG,
                    ice_pwd=PWD,
                    fingerprints=FP,
                    setup="passive",
                )
            )
            state = await page.evaluate(APPLY, answer)
        finally:
            await browser.close()
    their_answer = parse(result["answer"])
    validate_remote_description(their_answer, "answer", offer=parse(offer))
    assert remote_setup(their_answer) in ("active", "passive")
    assert remote_sctp(their_answer) == (5000, 262144, False)
    assert state == "stable"
