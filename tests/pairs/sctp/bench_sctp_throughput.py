"""Non-asserting self-benchmark: two in-memory associations move 20 MB of 16 KiB messages.

Run: python tests/pairs/sctp/bench_sctp_throughput.py   (prints MB/s; not collected by pytest)
"""

from __future__ import annotations

import random
import time

from rtcpeer.sctp.association import Association
from rtcpeer.sctp.crc32c import IMPLEMENTATION
from rtcpeer.sctp.events import DataReceived


def main(total: int = 20 * 1024 * 1024, size: int = 16 * 1024) -> None:
    a = Association(rng=random.Random(1))
    b = Association(rng=random.Random(2))
    a.connect(0.0)
    for _ in range(5):
        for src, dst in ((a, b), (b, a)):
            for p in src.datagrams_to_send(0.0):
                dst.receive_datagram(p, 0.0)
    msg = b"\xab" * size
    count = total // size
    got = packets = 0
    start = time.perf_counter()
    sent = 0
    while got < count:
        while sent < count and a.buffered_amount(1) < 1024 * 1024:
            a.send(1, 53, msg, 0.0)
            sent += 1
        for src, dst in ((a, b), (b, a)):
            for p in src.datagrams_to_send(0.0):
                packets += 1
                dst.receive_datagram(p, 0.0)
        for assoc in (a, b):
            while (ev := assoc.next_event()) is not None:
                if type(ev) is DataReceived:
                    got += 1
    elapsed = time.perf_counter() - start
    print(
        f"crc32c={IMPLEMENTATION} {total / elapsed / 1e6:.1f} MB/s "
        f"({packets} packets, {elapsed:.2f} s)"
    )


if __name__ == "__main__":
    main()
