"""RFC 3550 A.1/A.3/A.8 receiver statistics, sender counters, LSR/DLSR/RTT, NTP mapping."""

from __future__ import annotations

import random
import statistics

import pytest

from rtcpeer.rtp.interval import COMPENSATION, rtcp_interval
from rtcpeer.rtp.rtcp import ReportBlock
from rtcpeer.rtp.stats import (
    ReceiverStats,
    RemoteSenderInfo,
    SenderStats,
    ntp_from_seconds,
    ntp_middle,
    rtt_seconds,
)


def feed(rs: ReceiverStats, seqs: list[int], clock: int = 8000) -> list[bool]:
    return [rs.update(s, s * 160, s * 0.02) for s in seqs]


def test_probation_needs_two_sequential_packets() -> None:
    rs = ReceiverStats(1, 8000, 100)
    assert feed(rs, [100]) == [False]
    assert feed(rs, [101]) == [True]
    assert rs.base_seq == 101 and rs.received == 1 and rs.expected == 1


def test_probation_restarts_on_a_gap() -> None:
    rs = ReceiverStats(1, 8000, 100)
    assert feed(rs, [100, 105, 106, 107]) == [False, False, True, True]
    assert rs.base_seq == 106 and rs.received == 2


def test_wrap_around_65535_extends_the_sequence() -> None:
    rs = ReceiverStats(1, 8000, 65533)
    feed(rs, [65533, 65534, 65535, 0, 1, 2])
    assert rs.cycles == 65536 and rs.max_seq == 2
    assert rs.extended_max == 65538 and rs.base_seq == 65534
    assert rs.expected == 5 and rs.received == 5 and rs.cumulative_lost == 0


def test_loss_fraction_and_cumulative_a3() -> None:
    rs = ReceiverStats(1, 8000, 0)
    feed(rs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])  # base 1, 10 received
    b1 = rs.report_block()
    assert (b1.fraction_lost, b1.packets_lost, b1.highest_sequence) == (0, 0, 10)
    feed(rs, [11, 14, 15, 16, 18, 19, 20])  # 10 expected (11..20), 7 received
    b2 = rs.report_block()
    assert b2.packets_lost == 3 and b2.fraction_lost == (3 << 8) // 10  # 76
    b3 = rs.report_block()  # nothing new
    assert b3.fraction_lost == 0 and b3.packets_lost == 3


def test_reordering_and_duplicates() -> None:
    rs = ReceiverStats(1, 8000, 0)
    feed(rs, [0, 1, 3, 2, 4, 4, 4])  # 2 late, 4 duplicated twice
    assert rs.max_seq == 4 and rs.expected == 4
    assert rs.received == 6  # A.1 counts duplicates: lost goes negative
    assert rs.cumulative_lost == -2
    assert rs.report_block().fraction_lost == 0


def test_large_jump_needs_two_sequential_packets_to_restart() -> None:
    rs = ReceiverStats(1, 8000, 0)
    feed(rs, [0, 1, 2])
    assert rs.update(20000, 0, 1.0) is False  # a jump beyond MAX_DROPOUT: suspect
    assert rs.max_seq == 2
    assert rs.update(20001, 0, 1.0) is True  # bad_seq matched: resync
    assert rs.base_seq == 20001 and rs.received == 1


def test_jitter_a8_hand_computed() -> None:
    rs = ReceiverStats(1, 8000, 0)
    # Packets every 20 ms of media (160 ticks); arrivals 0, 20, 50, 60 ms (transit 0, 0, 80, 0).
    for seq, arrival in [(0, 0.0), (1, 0.020), (2, 0.050), (3, 0.060)]:
        rs.update(seq, seq * 160, arrival)
    # packet 0 is in probation (no jitter update); then D = 0, 80, 80.
    j = 0.0
    for d in (0, 80, 80):
        j += (d - j) / 16
    assert rs.jitter == pytest.approx(j)
    assert rs.report_block().jitter == int(j)


def test_sender_stats_and_sr_rtp_timestamp() -> None:
    s = SenderStats(5, 90000)
    s.on_sent(1000, 3000, 10.0)
    s.on_sent(500, 6000, 10.033)
    assert (s.packet_count, s.octet_count) == (2, 1500)
    assert s.rtp_timestamp_at(11.033) == 96000


def test_lsr_dlsr_and_rtt() -> None:
    ntp_sr = ntp_from_seconds(3_900_000_000.25)
    info = RemoteSenderInfo(9, ntp_sr, 1234, arrival=50.0, clock_rate=48000)
    lsr, dlsr = info.lsr_dlsr(50.5)
    assert lsr == ntp_middle(ntp_sr) and dlsr == 32768  # 0.5 s in 1/65536
    block = ReportBlock(1, 0, 0, 0, 0, lsr, dlsr)
    # The SR left at NTP T, the report came back 0.5 s later + 0.1 s of network both ways.
    arrival = ntp_from_seconds(3_900_000_000.25 + 0.6)
    rtt = rtt_seconds(arrival, block)
    assert rtt == pytest.approx(0.1, abs=1 / 65536)
    assert rtt_seconds(arrival, ReportBlock(1, 0, 0, 0, 0, 0, 0)) is None


def test_ntp_rtp_mapping_for_av_sync() -> None:
    info = RemoteSenderInfo(9, ntp_from_seconds(1000.0), 0xFFFF_FF00, 0.0, 48000)
    assert info.ntp_seconds_of((0xFFFF_FF00 + 48000) & 0xFFFF_FFFF) == pytest.approx(1001.0)
    assert info.ntp_seconds_of(0xFFFF_FF00 - 4800) == pytest.approx(999.9)
    assert info.rtp_timestamp_of(1002.0) == (0xFFFF_FF00 + 96000) & 0xFFFF_FFFF


# RFC 3550 §6.3.1 / A.7 interval.
def test_interval_bounds_and_mean_over_many_seeds() -> None:
    samples = []
    for seed in range(2000):
        t = rtcp_interval(
            members=2,
            senders=2,
            session_bandwidth=2e6,
            we_sent=True,
            avg_rtcp_size=120,
            initial=False,
            rng=random.Random(seed),
        )
        samples.append(t)
    lo, hi = 0.5 / COMPENSATION, 1.5 / COMPENSATION
    assert all(lo <= t <= hi for t in samples)
    assert statistics.mean(samples) == pytest.approx(1 / COMPENSATION, rel=0.03)


def test_interval_initial_halves_tmin_and_bandwidth_can_dominate() -> None:
    rng = random.Random(1)
    t0 = rtcp_interval(
        members=2,
        senders=0,
        session_bandwidth=2e6,
        we_sent=False,
        avg_rtcp_size=120,
        initial=True,
        rng=rng,
    )
    assert 0.25 / COMPENSATION <= t0 <= 0.75 / COMPENSATION
    # 64 kb/s, 100 members, all receivers: 75% of 400 B/s shared by 100 -> 40 s deterministic part.
    t = rtcp_interval(
        members=100,
        senders=0,
        session_bandwidth=64000,
        we_sent=False,
        avg_rtcp_size=120,
        initial=False,
        rng=random.Random(2),
        tmin=5.0,
    )
    base = 120 * 100 / (64000 * 0.05 / 8 * 0.75)
    assert base * 0.5 / COMPENSATION <= t <= base * 1.5 / COMPENSATION
