"""Receiver worst cases: reassembly order, a gap that never fills, tiny fragments.

Complexity is asserted with deterministic counters (dictionary operations on the fragment
store) or memory (tracemalloc), never with wall-clock time.
"""

from __future__ import annotations

import os
import tracemalloc
from typing import Any

import pytest

from rtcpeer.sctp.receiver import Receiver

U, B, E = 4, 2, 1
PAYLOAD = os.urandom(4096)


class CountingDict(dict[Any, Any]):
    """A dict counting the lookups made on it: a deterministic measure of work."""

    ops = 0

    def __getitem__(self, key: Any) -> Any:
        self.ops += 1
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.ops += 1
        return super().__contains__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.ops += 1
        return super().get(key, default)

    def pop(self, key: Any, *default: Any) -> Any:
        self.ops += 1
        return super().pop(key, *default)


def reassemble_descending(n: int) -> int:
    """Fragments 1 (B) and n (E) first, then n-1 .. 2: returns the fragment-store lookups."""
    got: list[bytes] = []
    r = Receiver(1, 1 << 40, lambda s, p, d: got.append(d))
    frags = CountingDict()
    r.frags = frags
    for tsn in [1, n, *range(n - 1, 1, -1)]:
        flags = (B if tsn == 1 else 0) | (E if tsn == n else 0)
        r.on_data_fields(tsn, 1, 0, 51, tsn.to_bytes(4, "big"), flags)
    assert got == [b"".join(t.to_bytes(4, "big") for t in range(1, n + 1))]
    assert not r.frags and r.held >= 4 * n  # the undrained message is still counted
    return frags.ops


def test_reassembly_is_linear_whatever_the_order() -> None:
    small, large = reassemble_descending(500), reassemble_descending(2000)
    assert large < 4.5 * small  # quadratic reassembly made this ~16x
    assert large < 10 * 2000


@pytest.mark.parametrize("seed", range(5))
def test_reassembly_in_random_order_across_messages(seed: int) -> None:
    import random

    rng = random.Random(seed)
    got: list[tuple[int, bytes]] = []
    r = Receiver(100, 1 << 30, lambda s, p, d: got.append((s, d)))
    chunks = []
    tsn = 100
    messages = []
    for m in range(30):
        n = rng.randint(1, 6)
        body = bytes([m]) * (n * 3)
        messages.append((m % 3, body))
        for k in range(n):
            flags = U | (B if k == 0 else 0) | (E if k == n - 1 else 0)
            chunks.append((tsn, m % 3, body[3 * k : 3 * k + 3], flags))
            tsn += 1
    rng.shuffle(chunks)
    for t, sid, data, flags in chunks:
        r.on_data_fields(t, sid, 0, 51, data, flags)
    assert sorted(got) == sorted(messages)
    assert r.cum == tsn - 1 and not r.frags and not r.gap_ranges


def fill_above_gap(r: Receiver, first: int, n: int, sack_every: int) -> None:
    for i in range(n):
        r.on_data_fields(first + i, 1, 0, 51, b"x", U | B | E)  # TSN 1 never arrives
        if i % sack_every == 0:
            r.build_sack()


def test_gap_that_never_fills_is_bounded_by_the_window() -> None:
    r = Receiver(1, 1 << 20, lambda s, p, d: r.consumed(len(d)))
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fill_above_gap(r, 2, 100_000, 1000)
        held = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.reset_peak()
        peak_base = tracemalloc.get_traced_memory()[0]
        fill_above_gap(r, 100_002, 8, 8)  # one more packet and its SACK
        sack = r.build_sack()
        packet_peak = tracemalloc.get_traced_memory()[1] - peak_base
    finally:
        tracemalloc.stop()
    assert held < 200_000  # was ~7.5 MB: one set entry per TSN
    assert packet_peak < 20_000  # sorting every held TSN per SACK allocated O(n)
    window = r.tsn_window
    assert (sack.cumulative_tsn, sack.gaps, sack.duplicates) == (0, [(2, window)], [])
    assert r.beyond_window == r.dropped == 100_000 + 8 - (window - 1)
    assert r.gap_ranges == [(2, window)]


def test_gap_blocks_are_the_first_ranges_and_fill_correctly() -> None:
    r = Receiver(1, 1 << 20, lambda s, p, d: None)
    for tsn in range(3, 400, 2):  # every other TSN from 3: 199 ranges
        r.on_data_fields(tsn, 1, 0, 51, b"x", U | B | E)
    sack = r.build_sack()
    assert len(sack.gaps) == 64
    assert sack.gaps[:2] == [(3, 3), (5, 5)]
    for tsn in range(2, 401, 2):
        r.on_data_fields(tsn, 1, 0, 51, b"x", U | B | E)
    r.on_data_fields(1, 1, 0, 51, b"x", U | B | E)
    r.on_data_fields(5, 1, 0, 51, b"x", U | B | E)  # duplicate
    sack = r.build_sack()
    assert (sack.cumulative_tsn, sack.gaps, sack.duplicates) == (400, [], [5])


PATTERNS = {
    "ascending middle fragments": lambda i: (2 + i, 0, 0),
    "every other TSN": lambda i: (2 + 2 * i, 0, 0),
    "ordered messages behind a hole": lambda i: (1 + i, B | E, 1 + i),
}


@pytest.mark.parametrize("pattern", PATTERNS)
def test_tiny_chunks_cannot_hold_more_memory_than_the_window(pattern: str) -> None:
    window = 256 * 1024
    r = Receiver(1, window, lambda s, p, d: None)
    make = PATTERNS[pattern]
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(20_000):
            tsn, flags, ssn = make(i)
            r.on_data_fields(tsn, 1, ssn, 51, PAYLOAD[i % 4000 : i % 4000 + 2], flags)
        real = tracemalloc.get_traced_memory()[0] - base
    finally:
        tracemalloc.stop()
    assert real <= window  # 2-byte chunks used to cost ~70x their counted size
    assert r.dropped > 0
    assert r.held >= real  # the window counts at least what Python really holds
    if pattern != "every other TSN":  # there the TSN window stops it first
        assert r.build_sack().a_rwnd == 0


def test_forward_tsn_drops_abandoned_fragments_and_keeps_later_messages() -> None:
    from rtcpeer.sctp.chunks import ForwardTsnChunk

    got: list[bytes] = []
    r = Receiver(1, 1 << 20, lambda s, p, d: got.append(d))
    # Message A = TSNs 1-4 (abandoned by the sender, 1 and 2 lost), message B = TSNs 5-7.
    r.on_data_fields(3, 1, 0, 51, b"a3", U)
    r.on_data_fields(4, 1, 0, 51, b"a4", U | E)
    r.on_data_fields(6, 1, 0, 51, b"b6", U)
    r.on_data_fields(5, 1, 0, 51, b"b5", U | B)
    r.on_forward_tsn(ForwardTsnChunk(3, []))  # abandons up to TSN 3: segment 3-4 cut
    assert r.cum == 6 and sorted(r.frags) == [4, 5, 6] and not r.gap_ranges
    r.on_data_fields(7, 1, 0, 51, b"b7", U | E)
    assert got == [b"b5b6b7"]
    r.on_forward_tsn(ForwardTsnChunk(7, []))
    assert sorted(r.frags) == [4]  # TSN 4 (A's tail) is at or below cum: dropped next time
    r.on_forward_tsn(ForwardTsnChunk(8, []))
    assert not r.frags and not r._seg_end and not r._seg_start
    assert r.held == 160 + 6  # only the undrained message "b5b6b7" is held
