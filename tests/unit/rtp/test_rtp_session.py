"""RtpSession: RFC 8843 §9.2 routing, sending, SR/RR/SDES/BYE generation, RTCP events."""

from __future__ import annotations

import random

import pytest

from rtcpeer.rtp import events as ev
from rtcpeer.rtp.interval import COMPENSATION
from rtcpeer.rtp.packet import (
    ABS_SEND_TIME_URI,
    MID_URI,
    TRANSPORT_CC_URI,
    HeaderExtensionMap,
    RtpPacket,
    parse_rtp,
)
from rtcpeer.rtp.rtcp import (
    Bye,
    GenericNack,
    Pli,
    ReceiverReport,
    Remb,
    Sdes,
    SenderReport,
    UnknownRtcp,
    parse_compound,
)
from rtcpeer.rtp.session import (
    MediaSectionConfig,
    RtpSession,
    RtpSessionConfig,
    SendStreamConfig,
)

EXT = HeaderExtensionMap({1: MID_URI, 2: ABS_SEND_TIME_URI, 3: TRANSPORT_CC_URI})
NTP_OFFSET = 3_900_000_000.0


def config(a_ssrc: int, v_ssrc: int, **kw: object) -> RtpSessionConfig:
    audio = MediaSectionConfig("0", {111: 48000}, EXT, (SendStreamConfig(a_ssrc, "cn"),))
    video = MediaSectionConfig(
        "1", {96: 90000, 97: 90000}, EXT, (SendStreamConfig(v_ssrc, "cn", rtx_ssrc=v_ssrc + 1),)
    )
    return RtpSessionConfig((audio, video), **kw)  # type: ignore[arg-type]


def pair() -> tuple[RtpSession, RtpSession]:
    a = RtpSession(config(10, 20), rng=random.Random(1), now=0.0, ntp_offset=NTP_OFFSET)
    b = RtpSession(config(30, 40), rng=random.Random(2), now=0.0, ntp_offset=NTP_OFFSET)
    return a, b


def drain(s: RtpSession) -> list[object]:
    out = []
    while (e := s.next_event()) is not None:
        out.append(e)
    return out


def deliver(src: RtpSession, dst: RtpSession, now: float) -> None:
    for data, is_rtcp in src.packets_to_send(now):
        (dst.receive_rtcp if is_rtcp else dst.receive_rtp)(data, now)


def test_send_stamps_ssrc_seq_mid_abs_send_time_and_transport_seq() -> None:
    a, _ = pair()
    p1 = a.send_rtp("1", 96, b"v1", 0, False, now=1.0)
    p2 = a.send_rtp("0", 111, b"a1", 960, True, now=1.5)
    p3 = a.send_rtp("1", 96, b"v2", 3000, True, now=2.0)
    wire = [d for d, is_rtcp in a.packets_to_send(2.0) if not is_rtcp]
    assert wire == [p1.serialize(), p2.serialize(), p3.serialize()]
    assert parse_rtp(wire[0]).extensions == p1.extensions
    assert (p1.ssrc, p2.ssrc) == (20, 10)
    assert p3.sequence_number == (p1.sequence_number + 1) & 0xFFFF
    assert (p3.timestamp - p1.timestamp) & 0xFFFFFFFF == 3000
    assert p1.extensions[1] == b"1" and p2.extensions[1] == b"0"
    twcc = [int.from_bytes(p.extensions[3], "big") for p in (p1, p2, p3)]
    assert twcc[1] == (twcc[0] + 1) & 0xFFFF and twcc[2] == (twcc[0] + 2) & 0xFFFF
    ast = [int.from_bytes(p.extensions[2], "big") for p in (p1, p3)]
    assert (ast[1] - ast[0]) & 0xFFFFFF == 1 << 18  # one second in 6.18 fixed point
    with pytest.raises(ValueError):
        a.send_rtp("1", 111, b"", 0, False, now=2.0)  # audio PT on the video m-section
    with pytest.raises(ValueError):
        a.send_rtp("9", 96, b"", 0, False, now=2.0)


def test_random_initial_seq_and_timestamp_come_from_the_rng() -> None:
    firsts = set()
    for seed in range(3):
        s = RtpSession(config(10, 20), rng=random.Random(seed), now=0.0, ntp_offset=0.0)
        p = s.send_rtp("1", 96, b"", 0, False, 0.0)
        firsts.add((p.sequence_number, p.timestamp))
    assert len(firsts) == 3
    again = RtpSession(config(10, 20), rng=random.Random(0), now=0.0, ntp_offset=0.0)
    p = again.send_rtp("1", 96, b"", 0, False, 0.0)
    first = RtpSession(config(10, 20), rng=random.Random(0), now=0.0, ntp_offset=0.0)
    assert first.send_rtp("1", 96, b"", 0, False, 0.0) == p  # deterministic per seed


def test_routing_by_mid_then_latched_ssrc() -> None:
    a, b = pair()
    a.send_rtp("1", 96, b"v", 0, False, 0.1)
    deliver(a, b, 0.1)
    (e,) = drain(b)
    assert isinstance(e, ev.RtpReceived) and e.mid == "1" and e.arrival_time == 0.1
    # Without the mid extension, the latched SSRC routes it.
    b.receive_rtp(RtpPacket(97, 5, 0, 20, b"x").serialize(), 0.2)
    (e,) = drain(b)
    assert isinstance(e, ev.RtpReceived) and e.mid == "1"
    # The SSRC, not the PT, decides: audio's PT 111 on the video SSRC is not video's PT.
    b.receive_rtp(RtpPacket(111, 6, 0, 20, b"x").serialize(), 0.3)
    assert drain(b) == [] and b.stats["rtp_unknown_payload_type"] == 1


def test_payload_type_fallback_latches_ssrc() -> None:
    _, b = pair()
    b.receive_rtp(RtpPacket(111, 1, 0, 777, b"a").serialize(), 0.0)
    (e,) = drain(b)
    assert isinstance(e, ev.RtpReceived) and e.mid == "0"
    b.receive_rtp(RtpPacket(111, 2, 960, 777, b"a").serialize(), 0.02)
    assert isinstance(drain(b)[0], ev.RtpReceived)
    rs = b.receiver_stats(777)
    assert rs is not None and rs.clock_rate == 48000


def test_unknown_ssrc_unknown_mid_and_garbage_are_counted() -> None:
    _, b = pair()
    b.receive_rtp(RtpPacket(100, 1, 0, 555, b"?").serialize(), 0.0)  # PT of no m-section
    b.receive_rtp(RtpPacket(96, 1, 0, 556, b"?", extensions={1: b"7"}).serialize(), 0.0)
    b.receive_rtp(b"\x80\x60", 0.0)
    b.receive_rtcp(b"\x80\xc9\x00\x09", 0.0)
    assert drain(b) == []
    assert b.stats["rtp_unknown_ssrc"] == 1 and b.stats["rtp_unknown_mid"] == 1
    assert b.stats["rtp_parse_errors"] == 1 and b.stats["rtcp_parse_errors"] == 1


def test_signalled_remote_ssrc_routes_without_mid() -> None:
    video = MediaSectionConfig("v", {96: 90000}, HeaderExtensionMap(), remote_ssrcs=(4242,))
    audio = MediaSectionConfig("a", {96: 48000}, HeaderExtensionMap())  # same PT: ambiguous
    s = RtpSession(RtpSessionConfig((audio, video)), rng=random.Random(0), now=0, ntp_offset=0)
    s.receive_rtp(RtpPacket(96, 1, 0, 4242, b"").serialize(), 0.0)
    s.receive_rtp(RtpPacket(96, 1, 0, 4243, b"").serialize(), 0.0)  # ambiguous PT: dropped
    (e,) = drain(s)
    assert isinstance(e, ev.RtpReceived) and e.mid == "v"
    assert s.stats["rtp_unknown_ssrc"] == 1


def test_first_report_timing_then_sr_rr_sdes_contents() -> None:
    a, b = pair()
    t0 = a.get_timer()
    assert a.timer_reason == "rtp.rtcp-report"
    assert t0 is not None and 0.25 / COMPENSATION <= t0 <= 0.75 / COMPENSATION
    a.handle_timer(t0 - 0.001)  # early: nothing
    assert a.packets_to_send(t0) == []
    # b sends video; a receives it, then a's report is an RR (a sent nothing).
    for i in range(5):
        b.send_rtp("1", 96, b"x" * 100, i * 3000, False, 0.01 * i)
    deliver(b, a, 0.05)
    drain(a)
    a.handle_timer(t0)
    ((data, is_rtcp),) = a.packets_to_send(t0)
    assert is_rtcp
    rr, sdes = parse_compound(data)
    assert isinstance(rr, ReceiverReport) and isinstance(sdes, Sdes)
    assert rr.ssrc == 10  # our first send SSRC, though idle
    (block,) = rr.reports
    assert block.ssrc == 40 and block.packets_lost == 0 and block.lsr == 0
    assert sdes.chunks[0].cname == b"cn"
    t1 = a.get_timer()
    assert t1 is not None and t0 + 0.5 / COMPENSATION <= t1 <= t0 + 1.5 / COMPENSATION


def test_sr_then_rr_lsr_dlsr_gives_rtt() -> None:
    a, b = pair()
    a.send_rtp("1", 96, b"x" * 100, 0, True, 0.0)
    a.send_rtp("1", 96, b"x" * 50, 3000, True, 0.5)
    a_wire = [d for d, _ in a.packets_to_send(0.5)]
    for d in a_wire:
        b.receive_rtp(d, 0.5)
    drain(b)
    a.handle_timer(1.0)
    sr_data = a.packets_to_send(1.0)[0][0]
    sr = parse_compound(sr_data)[0]
    assert isinstance(sr, SenderReport) and sr.ssrc == 20
    assert (sr.packet_count, sr.octet_count) == (2, 150)
    first_ts = parse_rtp(a_wire[0]).timestamp
    assert sr.rtp_timestamp == (first_ts + 3000 + 45000) & 0xFFFFFFFF  # 0.5 s after the last
    assert sr.ntp_timestamp >> 32 == int(NTP_OFFSET + 1.0)
    b.receive_rtcp(sr_data, 1.05)  # 50 ms one way
    (sre,) = [e for e in drain(b) if isinstance(e, ev.SenderReportReceived)]
    assert sre.ssrc == 20 and sre.mid == "1"
    info = b.remote_sender_info(20)
    assert info is not None and info.clock_rate == 90000
    b.handle_timer(1.25)  # b holds the SR for 0.2 s, then reports
    a.receive_rtcp(b.packets_to_send(1.25)[0][0], 1.30)  # 50 ms back
    (rb,) = [e for e in drain(a) if isinstance(e, ev.ReportBlockReceived)]
    assert rb.block.ssrc == 20 and rb.rtt == pytest.approx(0.1, abs=2e-4)


def test_feedback_events_and_reduced_size() -> None:
    a, _ = pair()
    a.receive_rtcp(
        b"".join(
            p.serialize()
            for p in (
                ReceiverReport(30),
                GenericNack(30, 20, (5, 6, 9)),
                Pli(30, 20),
                Remb(30, 500_000, (20,)),
                UnknownRtcp(204, 0, b"abcd"),
            )
        ),
        1.0,
    )
    got = drain(a)
    assert ev.NackReceived(30, 20, (5, 6, 9)) in got
    assert ev.PliReceived(30, 20) in got
    assert ev.RembReceived(30, 500_000, (20,)) in got
    assert ev.RtcpUnknownReceived(UnknownRtcp(204, 0, b"abcd")) in got
    a.send_rtcp([Pli(10, 40)], 1.0)  # not reduced-size: compound with RR + SDES first
    kinds = [type(p) for p in parse_compound(a.packets_to_send(1.0)[0][0])]
    assert kinds == [ReceiverReport, Sdes, Pli]
    r = RtpSession(config(1, 2, rtcp_reduced_size=True), rng=random.Random(0), now=0, ntp_offset=0)
    r.send_rtcp([Pli(1, 40)], 1.0)
    assert r.packets_to_send(1.0) == [(Pli(1, 40).serialize(), True)]


def test_bye_on_close_and_bye_received_forgets_the_source() -> None:
    a, b = pair()
    b.send_rtp("0", 111, b"a", 0, False, 0.0)
    deliver(b, a, 0.0)
    drain(a)
    b.close(1.0)
    assert b.get_timer() is None and b.timer_reason is None
    ((data, _),) = b.packets_to_send(1.0)
    packets = parse_compound(data)
    assert isinstance(packets[0], SenderReport) and isinstance(packets[-1], Bye)
    assert set(packets[-1].ssrcs) == {30, 40}
    a.receive_rtcp(data, 1.0)
    assert any(isinstance(e, ev.ByeReceived) for e in drain(a))
    assert a.receiver_stats(30) is None


def test_report_after_a_single_received_packet_does_not_crash() -> None:
    """Regression: one packet in probation gave fraction_lost 256 and struct.error in the SR."""
    a, b = pair()
    a.send_rtp("0", 111, b"x", 0, False, 0.0)
    for data, is_rtcp in a.packets_to_send(0.0):
        assert not is_rtcp
        b.receive_rtp(data, 0.0)
    deadline = b.get_timer()
    assert deadline is not None
    b.handle_timer(deadline)
    reports = [p for p, is_rtcp in b.packets_to_send(deadline) if is_rtcp]
    assert reports
    blocks = [blk for p in parse_compound(reports[0]) for blk in getattr(p, "reports", ())]
    assert all(0 <= blk.fraction_lost <= 255 for blk in blocks)
