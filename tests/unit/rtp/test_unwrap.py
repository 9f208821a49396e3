"""Seq/timestamp unwrapping: nearest representation, reference only moves forward."""

from __future__ import annotations

from rtcpeer.rtp.unwrap import SeqUnwrapper, TimestampUnwrapper


def test_seq_unwrap_across_the_wrap_with_reordering() -> None:
    u = SeqUnwrapper()
    base = u.unwrap(0xFFFE)
    got = [u.unwrap(s) - base for s in (0xFFFF, 1, 0, 2, 0xFFFD)]
    assert got == [1, 3, 2, 4, -1]


def test_timestamp_unwrap_is_monotonic_for_reordered_packets() -> None:
    u = TimestampUnwrapper()
    base = u.unwrap(0xFFFFF000)
    got = [u.unwrap(t) - base for t in (0x00000800, 0xFFFFF800, 0x00001000)]
    assert got == [0x1800, 0x800, 0x2000]


def test_a_very_old_value_does_not_drag_the_reference_back() -> None:
    u = SeqUnwrapper()
    u.unwrap(40000)
    assert u.unwrap(40000 - 30000) == (1 << 16) + 10000
    assert u.unwrap(40001) == (1 << 16) + 40001  # still next to 40000
