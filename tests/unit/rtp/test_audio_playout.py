"""AudioPlayout: fixed-rate slots, loss costs only its own slot, adaptive target delay."""

from __future__ import annotations

import random

from rtcpeer.rtp.audio_playout import TIMER_PLAYOUT, AudioPlayout, AudioPlayoutConfig, PlayoutSlot
from rtcpeer.rtp.packet import RtpPacket

SPP = 960  # 20 ms at 48 kHz


def pkt(i: int, ts0: int = 0) -> RtpPacket:
    return RtpPacket(111, i & 0xFFFF, (ts0 + SPP * i) & 0xFFFFFFFF, 9, bytes([i & 0xFF]))


def run(
    ap: AudioPlayout, arrivals: list[tuple[float, RtpPacket]], until: float
) -> list[PlayoutSlot]:
    """Deliver packets at their arrival times and fire every timer in between."""
    out: list[PlayoutSlot] = []
    events = sorted(arrivals, key=lambda a: a[0])
    i = 0
    while True:
        timer = ap.get_timer()
        next_arrival = events[i][0] if i < len(events) else None
        if next_arrival is not None and (timer is None or next_arrival <= timer):
            ap.add(events[i][1], next_arrival)
            i += 1
        elif timer is not None and timer <= until:
            ap.handle_timer(timer)
        else:
            break
        while (s := ap.next_event()) is not None:
            out.append(s)
    return out


def test_a_lost_packet_costs_only_its_own_slot_and_exposes_the_next_for_fec() -> None:
    ap = AudioPlayout()
    arrivals = [(0.02 * i, pkt(i)) for i in range(20) if i != 7]
    slots = run(ap, arrivals, until=0.5)
    played = [s for s in slots if s.reason != "stretch"][:20]
    assert [s.timestamp - played[0].timestamp for s in played] == [SPP * i for i in range(20)]
    dues = [round(s.due - played[0].due, 9) for s in played]
    assert dues == [round(0.02 * i, 9) for i in range(20)]  # the loss shifts nothing
    lost = played[7]
    assert lost.packet is None and lost.reason == "lost"
    assert lost.next_packet is not None and lost.next_packet.sequence_number == 8
    assert played[8].packet is not None and played[8].packet.sequence_number == 8
    assert played[0].due == 0.04  # min_delay after the first arrival: no jitter
    assert ap.stats["slots_stretched"] == 0 and ap.stats["slots_lost"] >= 1


def test_a_burst_loss_never_waits_more_than_the_schedule() -> None:
    ap = AudioPlayout()
    arrivals = [(0.02 * i, pkt(i)) for i in range(30) if not 10 <= i < 15]
    slots = run(ap, arrivals, until=0.7)
    by_ts = {s.timestamp - slots[0].timestamp: s for s in slots if s.reason != "stretch"}
    for i in range(30):
        s = by_ts[SPP * i]
        assert abs(s.due - (0.02 * i + 0.04)) < 1e-9  # each slot exactly on time
        assert (s.packet is None) == (10 <= i < 15)
    assert by_ts[SPP * 14].next_packet is not None  # FEC for the last of the burst


def test_target_delay_adapts_to_jitter_and_late_packets_become_rare() -> None:
    rng = random.Random(7)
    n = 250  # 5 s, each packet delayed 0..60 ms
    arrivals = [(0.02 * i + rng.uniform(0.0, 0.06), pkt(i)) for i in range(n)]
    ap = AudioPlayout(AudioPlayoutConfig(adapt_slots=25))
    run(ap, arrivals, until=0.02 * n + 0.5)
    assert 0.04 < ap.target_delay <= ap.config.max_delay
    assert ap.stats["slots_stretched"] > 0
    assert ap.stats["packets_late"] <= n // 100
    assert ap.stats["slots_played"] >= n - n // 100


def test_a_late_packet_is_dropped_and_stretches_at_once() -> None:
    ap = AudioPlayout()
    arrivals = [(0.02 * i, pkt(i)) for i in range(10) if i != 5]
    arrivals.append((0.2, pkt(5)))  # 100 ms late: its slot (0.12) is past
    slots = run(ap, arrivals, until=0.25)
    assert ap.stats["packets_late"] == 1
    assert any(s.reason == "stretch" for s in slots)


def test_delay_shrinks_when_jitter_goes_away() -> None:
    ap = AudioPlayout(AudioPlayoutConfig(adapt_slots=10))
    rng = random.Random(3)
    noisy = [(0.02 * i + rng.uniform(0, 0.08), pkt(i)) for i in range(100)]
    calm = [(0.02 * i + 0.04, pkt(i)) for i in range(100, 400)]
    run(ap, noisy + calm, until=8.5)
    assert ap.stats["packets_discarded"] > 0
    assert ap.target_delay < 0.05


def test_timestamp_wrap_and_reordering() -> None:
    ap = AudioPlayout()
    ts0 = 0xFFFFFFFF - 3 * SPP
    order = [0, 2, 1, 3, 5, 4, 6, 7]
    arrivals = [(0.02 * k, pkt(i, ts0)) for k, i in enumerate(order)]
    slots = run(ap, arrivals, until=0.3)
    played = [s for s in slots if s.packet is not None]
    assert [s.packet.sequence_number for s in played if s.packet] == list(range(8))
    assert [s.timestamp - played[0].timestamp for s in played] == [SPP * i for i in range(8)]


def test_playout_goes_idle_in_silence_and_restarts_on_the_next_spurt() -> None:
    ap = AudioPlayout()
    first = [(0.02 * i, pkt(i)) for i in range(5)]
    run(ap, first, until=1.0)
    assert ap.get_timer() is None and ap.timer_reason is None
    assert ap.stats["slots_lost"] == ap.config.idle_slots
    second = [(2.0 + 0.02 * i, pkt(i + 100)) for i in range(3)]
    slots = run(ap, second, until=2.2)
    assert slots[0].packet is not None and abs(slots[0].due - (2.0 + ap.target_delay)) < 1e-9
    assert ap.timer_reason in (TIMER_PLAYOUT, None)
