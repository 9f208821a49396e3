"""CPU cost per packet of the sans-IO data path (DTLS + SCTP + data channels), no sockets.

Two :class:`rtcpeer.bundle.BundleTransport` cores connected in memory at the 1200-byte
base MTU (PLPMTUD off): the sender keeps ``bufferedAmount`` near 2 MiB with 16 KiB messages;
each round the sender's datagrams go to the receiver, the receiver's (SACKs) come back. Prints
MB per CPU-second (``time.process_time``) and microseconds per DATA packet, for both ends.

A benchmark, not a test. The machine is shared, so compare instruction counts, which are
repeatable: run it under callgrind with two sizes and divide the difference by the difference
in packets, which cancels imports and the handshake::

    valgrind --tool=callgrind --callgrind-out-file=/tmp/a.out python bench/transport_cpu.py --mb 2
    valgrind --tool=callgrind --callgrind-out-file=/tmp/b.out python bench/transport_cpu.py --mb 8
    # (Ir(b) - Ir(a)) / (packets(b) - packets(a)) = instructions per packet

Figures here (Python 3.11): ~152k instructions per packet before the hot-path work of
November 2026, ~92k after.
"""

from __future__ import annotations

import argparse
import os
import time

from rtcpeer.bundle import BundleTransport
from rtcpeer.dcep import messages as m
from rtcpeer.dcep.manager import ChannelMessage, ChannelRecord
from rtcpeer.dtls.certificate import RTCCertificate

SIZE = 16384
HIGH_WATER = 2 * 1024 * 1024


def connected_pair() -> tuple[BundleTransport, BundleTransport, ChannelRecord]:
    ca, cb = RTCCertificate.generate(), RTCCertificate.generate()
    a, b = BundleTransport(ca, plpmtud=False), BundleTransport(cb, plpmtud=False)
    a.configure("client", cb.getFingerprints(), sctp=True)
    b.configure("server", ca.getFingerprints(), sctp=True)
    params = m.ChannelParameters(label="bench")
    record = a.channels.create(params, negotiated=True, stream_id=0)
    b.channels.create(params, negotiated=True, stream_id=0)
    a.start(0.0)
    for _ in range(50):
        for d in a.datagrams_to_send(0.0):
            b.receive_datagram(d, 0.0)
        for d in b.datagrams_to_send(0.0):
            a.receive_datagram(d, 0.0)
        while a.next_event() is not None or b.next_event() is not None:
            pass
        if a.sctp_state == b.sctp_state == "connected":
            return a, b, record
    raise RuntimeError("the in-memory pair did not connect")


def run(mbytes: int) -> tuple[float, int, float]:
    """(MB per CPU-second, DATA packets, CPU seconds) for one transfer of ``mbytes`` MB."""
    a, b, record = connected_pair()
    message = os.urandom(SIZE)
    count = mbytes * 1_000_000 // SIZE
    sent = got = packets = 0
    now = 1.0
    started = time.process_time()
    for _ in range(10 * count + 1000):  # bounded: far more rounds than needed
        if got >= count * SIZE:
            break
        while sent < count and a.channels.buffered_amount(record) < HIGH_WATER:
            a.channels.send(record, message, now)
            sent += 1
        for d in a.datagrams_to_send(now):
            b.receive_datagram(d, now)
            packets += 1
        while a.next_event() is not None:
            pass
        for d in b.datagrams_to_send(now):
            a.receive_datagram(d, now)
        while (event := b.next_event()) is not None:
            if isinstance(event, ChannelMessage):
                got += len(event.data)
        now += 0.0001
    else:
        raise RuntimeError("transfer did not complete")
    cpu = time.process_time() - started
    return got / 1e6 / cpu, packets, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=40, help="MB per run (default 40)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for _ in range(args.runs):
        rate, packets, cpu = run(args.mb)
        print(f"{rate:6.1f} MB/cpu-s  packets {packets}  {1e6 * cpu / packets:.2f} us/packet")


if __name__ == "__main__":
    main()
