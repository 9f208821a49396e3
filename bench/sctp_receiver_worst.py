"""Worst-case inputs for the SCTP receiver (a benchmark, not a test): time and memory.

1. Reassembly of one message whose middle fragments arrive in descending TSN order.
2. A gap that never fills while the peer keeps sending TSNs above it (1-byte unordered
   messages, consumed at once, one SACK per 8-chunk packet): memory held and the cost of
   one more packet at the end.

Run from the tree to measure (``PYTHONPATH=/path/to/other/tree`` measures another tree).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

from rtcpeer.sctp.receiver import Receiver

U, B, E = 4, 2, 1


def reassembly(n: int) -> float:
    """Seconds to reassemble ``n`` fragments: first, last, then the middle descending."""
    got: list[int] = []
    r = Receiver(1, 1 << 40, lambda s, p, d: got.append(len(d)))
    order = [1, n, *range(n - 1, 1, -1)]
    started = time.perf_counter()
    for tsn in order:
        flags = (B if tsn == 1 else 0) | (E if tsn == n else 0)
        r.on_data_fields(tsn, 1, 0, 51, b"x" * 100, flags)
    elapsed = time.perf_counter() - started
    assert got == [100 * n], got
    return elapsed


def gap(n: int) -> tuple[float, float, int]:
    """(MB held, ms for one more 8-chunk packet + SACK, chunks dropped) after ``n`` TSNs."""
    r = Receiver(1, 1 << 20, lambda s, p, d: r.consumed(len(d)))
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    tsn = 2  # TSN 1 is never sent
    while tsn < n + 2:
        for _ in range(8):
            r.on_data_fields(tsn & 0xFFFFFFFF, 1, 0, 51, b"x", U | B | E)
            tsn += 1
        r.build_sack()
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        for _ in range(8):
            r.on_data_fields(tsn & 0xFFFFFFFF, 1, 0, 51, b"x", U | B | E)
            tsn += 1
        r.build_sack()
    per_packet = (time.perf_counter() - started) / rounds
    return held / 1e6, per_packet * 1e3, r.dropped


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frags", type=int, nargs="*", default=[4000, 16000])
    parser.add_argument("--tsns", type=int, nargs="*", default=[50000, 200000])
    args = parser.parse_args()
    for n in args.frags:
        print(f"reassembly {n:6d} fragments, middle descending: {reassembly(n):7.3f} s")
    for n in args.tsns:
        mb, ms, dropped = gap(n)
        print(
            f"gap never filled, {n:6d} TSNs sent: {mb:6.2f} MB held, "
            f"{ms:7.3f} ms per further packet+SACK, {dropped} dropped"
        )


if __name__ == "__main__":
    main()
