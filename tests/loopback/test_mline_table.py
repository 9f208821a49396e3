"""The facade's m-line table: a data section added after a rejected audio/video offer takes a
new mid and keeps the rejected m-lines in place (RFC 9429 §5.2.1, §5.2.2)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from helpers import loopback_config

from rtcpeer import RTCPeerConnection, RTCSessionDescription
from rtcpeer.sdp.parse import parse

pytestmark = pytest.mark.loopback

FIXTURE = Path(__file__).parents[1] / "fixtures/sdp/chromium_audio_video_offer.sdp"


def _chromium_offer_without_candidates() -> str:
    """Chromium's audio/video offer with every codec renamed to one nobody implements, so
    both m-lines have no codec in common and are rejected (RFC 9429 §5.3.1)."""
    lines = FIXTURE.read_text().replace("\r\n", "\n").split("\n")
    kept = [line for line in lines if line and not line.startswith("a=candidate:")]
    sdp = "\r\n".join(kept) + "\r\n"
    return re.sub(r"a=rtpmap:(\d+) [^/\s]+/", r"a=rtpmap:\1 x-unsupported/", sdp)


async def test_data_section_after_rejected_media_gets_a_new_mid(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pc = RTCPeerConnection(loopback_config())
    try:
        needed = asyncio.Event()
        pc.on("negotiationneeded", needed.set)
        await pc.setRemoteDescription(
            RTCSessionDescription(sdp=_chromium_offer_without_candidates(), type="offer")
        )
        await pc.setLocalDescription(await pc.createAnswer())
        assert pc.localDescription is not None
        answer = parse(pc.localDescription.sdp)
        assert [(m.kind, m.port, m.mid) for m in answer.media] == [
            ("audio", 0, "0"),
            ("video", 0, "1"),
        ]
        # The application is told which m-line was refused and why.
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any("mid '0'" in w and "no codec in common" in w for w in warnings), warnings
        assert any("mid '1'" in w and "no codec in common" in w for w in warnings), warnings
        # Rejected sections keep the transport attributes (aiortc refuses sections without).
        assert all(m.ice_ufrag and m.rtcp_mux for m in answer.media)
        assert not needed.is_set()
        pc.createDataChannel("late")
        await asyncio.wait_for(needed.wait(), 5)
        offer = parse((await pc.createOffer()).sdp)
        # It used to be one section with the hard-coded mid "0" (the remote's audio mid).
        assert [(m.kind, m.port == 0, m.mid) for m in offer.media] == [
            ("audio", True, "0"),
            ("video", True, "1"),
            ("application", False, "2"),
        ]
        assert offer.bundle_group is not None and offer.bundle_group.mids == ["2"]
        await pc.setLocalDescription()
        assert pc.signalingState == "have-local-offer"
        sdp = pc.localDescription.sdp
        for _ in range(50):
            if "a=candidate:" in sdp:
                break
            await asyncio.sleep(0.05)
            sdp = pc.localDescription.sdp
        sections = sdp.split("\r\nm=")[1:]
        with_candidates = [s.split(" ")[0] for s in sections if "a=candidate:" in s]
        assert with_candidates == ["application"]  # only the BUNDLE tag section
    finally:
        await pc.close()
