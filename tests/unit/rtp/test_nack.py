"""NackGenerator (RFC 4585 §6.2.1): detection, batching, retry spacing, stop rules."""

from __future__ import annotations

from rtcpeer.rtp.nack import TIMER_NACK, NackConfig, NackGenerator
from rtcpeer.rtp.rtcp import GenericNack, parse_compound


def run(gen: NackGenerator, now: float) -> GenericNack | None:
    timer = gen.get_timer()
    if timer is not None and timer <= now:
        gen.handle_timer(now)
    return gen.take_feedback()


def test_missing_seqs_are_nacked_at_once_in_one_feedback() -> None:
    gen = NackGenerator(1, 2)
    gen.packet_received(10, 0.0)
    gen.packet_received(11, 0.0)
    gen.packet_received(15, 0.01)
    assert gen.get_timer() == 0.01 and gen.timer_reason == TIMER_NACK
    nack = run(gen, 0.01)
    assert nack == GenericNack(1, 2, (12, 13, 14))
    (parsed,) = parse_compound(nack.serialize())
    assert parsed == nack
    assert gen.stats["nack_count"] == 1 and gen.stats["nack_requests"] == 3


def test_retries_are_spaced_by_rtt_and_stop_after_max_retries() -> None:
    gen = NackGenerator(1, 2, NackConfig(max_retries=3, max_age=10.0))
    gen.set_rtt(0.05)
    gen.packet_received(0, 0.0)
    gen.packet_received(2, 0.0)
    times = []
    now = 0.0
    for _ in range(10):
        timer = gen.get_timer()
        if timer is None:
            break
        now = timer
        gen.handle_timer(now)
        if (nack := gen.take_feedback()) is not None:
            assert nack.lost == (1,)
            times.append(now)
    assert times == [0.0, 0.05, 0.1]
    assert gen.get_timer() is None and gen.stats["nack_given_up"] == 1


def test_default_rtt_is_100ms_before_one_is_measured() -> None:
    gen = NackGenerator(1, 2)
    gen.packet_received(0, 0.0)
    gen.packet_received(2, 0.0)
    assert run(gen, 0.0) is not None
    assert gen.get_timer() == 0.1
    assert run(gen, 0.09) is None


def test_a_recovered_packet_is_not_nacked_again() -> None:
    gen = NackGenerator(1, 2)
    gen.packet_received(0, 0.0)
    gen.packet_received(3, 0.0)
    assert run(gen, 0.0) == GenericNack(1, 2, (1, 2))
    gen.packet_received(1, 0.05)  # e.g. repaired from RTX
    assert run(gen, 0.1) == GenericNack(1, 2, (2,))
    assert gen.stats["nack_recovered"] == 1


def test_too_old_entries_are_dropped() -> None:
    gen = NackGenerator(1, 2, NackConfig(max_age=0.25))
    gen.packet_received(0, 0.0)
    gen.packet_received(2, 0.0)
    sent = 0
    now = 0.0
    while (timer := gen.get_timer()) is not None and now < 5.0:
        now = timer
        gen.handle_timer(now)
        sent += gen.take_feedback() is not None
    assert sent == 3  # 0.0, 0.1, 0.2; at 0.3 it is older than max_age
    assert gen.missing == 0


def test_sequence_wrap() -> None:
    gen = NackGenerator(1, 2)
    gen.packet_received(0xFFFE, 0.0)
    gen.packet_received(1, 0.0)
    assert run(gen, 0.0) == GenericNack(1, 2, (0xFFFF, 0))


def test_list_is_bounded_and_huge_gaps_are_not_nacked() -> None:
    gen = NackGenerator(1, 2, NackConfig(max_list=100))
    gen.packet_received(0, 0.0)
    gen.packet_received(1000, 0.0)
    assert gen.missing == 0 and gen.stats["nack_list_overflow"] == 1
    for s in range(1001, 1400, 2):  # every other packet lost
        gen.packet_received(s, 0.0)
        assert gen.missing <= 100


def test_one_feedback_is_capped_and_the_rest_follows_at_once() -> None:
    gen = NackGenerator(1, 2, NackConfig(max_per_feedback=10))
    gen.packet_received(0, 0.0)
    gen.packet_received(26, 0.0)
    first = run(gen, 0.0)
    assert first is not None and first.lost == tuple(range(1, 11))
    assert gen.get_timer() == 0.0
    second = run(gen, 0.0)
    assert second is not None and second.lost == tuple(range(11, 21))
