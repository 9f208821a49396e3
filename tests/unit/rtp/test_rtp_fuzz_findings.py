"""Regressions found by the rtp/srtp fuzz targets (rtcpeer/testing/fuzz/media.py)."""

from __future__ import annotations

import random

from rtcpeer.rtp.packet import RtpPacket
from rtcpeer.rtp.rtcp import ReceiverReport, SenderReport, parse_compound
from rtcpeer.rtp.session import MediaSectionConfig, RtpSession, RtpSessionConfig


def test_report_while_a_new_source_is_in_probation() -> None:
    """One packet of a new SSRC, then the RTCP timer: the source is still in probation
    (RFC 3550 A.1, expected 1 / received 0), its block had fraction_lost 256 and
    serializing the report raised struct.error out of handle_timer."""
    config = RtpSessionConfig((MediaSectionConfig("0", {111: 48000}, remote_ssrcs=(7,)),))
    session = RtpSession(config, rng=random.Random(1), now=0.0, ntp_offset=0.0)
    session.receive_rtp(RtpPacket(111, 100, 0, 7, b"\x00" * 20).serialize(), 0.1)
    deadline = session.get_timer()
    assert deadline is not None
    session.handle_timer(deadline)  # raised struct.error before the fix
    (data, _), *_ = session.packets_to_send(deadline)
    report = parse_compound(data)[0]
    assert isinstance(report, ReceiverReport | SenderReport)
    assert report.reports == ()  # nothing to say about a source that is not valid yet
    session.receive_rtp(RtpPacket(111, 101, 960, 7, b"\x00" * 20).serialize(), 0.2)
    session.handle_timer(session.get_timer() or 0.0)
    (data, _), *_ = session.packets_to_send(10.0)
    (block,) = parse_compound(data)[0].reports  # type: ignore[union-attr]
    assert (block.ssrc, block.fraction_lost, block.packets_lost) == (7, 0, 0)
