"""The real cores composed: two BundleTransports, each with SrtpSession and RtpSession.

Media flows over the same DTLS-SRTP keyed pair as a data channel; the RTP session's RTCP
reports leave through the bundle's merged timer ("rtp.rtcp-report").
"""

from __future__ import annotations

import random

from bundle_pair_helpers import TransportPair, make_transports, open_negotiated

from rtcpeer.dcep.manager import ChannelMessage
from rtcpeer.rtp.events import RtpReceived, SenderReportReceived
from rtcpeer.rtp.packet import MID_URI, HeaderExtensionMap
from rtcpeer.rtp.session import (
    MediaSectionConfig,
    RtpSession,
    RtpSessionConfig,
    SendStreamConfig,
)
from rtcpeer.srtp.session import SrtpSession

OPUS = 111


def _session(ssrc: int, seed: int) -> RtpSession:
    media = MediaSectionConfig(
        mid="0",
        clock_rates={OPUS: 48000},
        extensions=HeaderExtensionMap({1: MID_URI}),
        send_streams=(SendStreamConfig(ssrc=ssrc, cname=f"cname-{ssrc}"),),
    )
    return RtpSession(
        RtpSessionConfig(media=(media,)), rng=random.Random(seed), now=0.0, ntp_offset=0.0
    )


def test_real_srtp_and_rtp_sessions_over_the_bundle() -> None:
    a, b = make_transports()
    pair = TransportPair(a, b)
    a.start(0.0)
    b.start(0.0)
    pair.run_until(lambda: a.sctp_state == b.sctp_state == "connected", 0.0)
    ra, rb = _session(0x1111, 1), _session(0x2222, 2)
    a.attach_rtp_session(ra)
    b.attach_rtp_session(rb)
    assert isinstance(a.srtp, SrtpSession) and isinstance(b.srtp, SrtpSession)
    record = open_negotiated(a, b, 1)
    for n in range(3):
        ra.send_rtp("0", OPUS, b"opus-%d" % n, 960 * n, False, 0.0)
    for n in range(3):
        rb.send_rtp("0", OPUS, b"back-%d" % n, 960 * n, False, 0.0)
    a.channels.send(record, "text beside media", 0.0)
    pair.transfer(0.0)
    got_b = [e for e in pair.events["b"] if isinstance(e, RtpReceived)]
    got_a = [e for e in pair.events["a"] if isinstance(e, RtpReceived)]
    assert [e.packet.payload for e in got_b] == [b"opus-0", b"opus-1", b"opus-2"]
    assert [(e.mid, e.packet.ssrc) for e in got_b] == [("0", 0x1111)] * 3
    assert [e.packet.payload for e in got_a] == [b"back-0", b"back-1", b"back-2"]
    assert [e.data for e in pair.events["b"] if isinstance(e, ChannelMessage)] == [
        "text beside media"
    ]
    assert b.srtp is not None and b.srtp.stats["rtp_unprotected"] == 3
    # RTCP: the RTP session's report timer is the bundle's earliest deadline once SCTP is idle.
    deadline = a.get_timer()
    assert deadline is not None and a.timer_reason == "rtp.rtcp-report"
    pair.run_until(
        lambda: (
            any(isinstance(e, SenderReportReceived) for e in pair.events["b"])
            and any(isinstance(e, SenderReportReceived) for e in pair.events["a"])
        ),
        0.0,
        limit=30.0,
    )
    sr = next(e for e in pair.events["b"] if isinstance(e, SenderReportReceived))
    assert sr.ssrc == 0x1111 and sr.packet_count == 3
    assert b.stats["srtcp_datagrams"] >= 1 and b.stats["srtcp_rejected"] == 0
