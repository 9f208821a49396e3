"""receive_datagram never raises on random or mutated input (hypothesis)."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from rtcpeer.sctp.association import Association
from rtcpeer.sctp.crc32c import crc32c


def _pair() -> tuple[Association, Association, list[bytes]]:
    a = Association(rng=random.Random(1))
    b = Association(rng=random.Random(2))
    a.connect(0.0)
    seen: list[bytes] = []
    for _ in range(10):
        for src, dst in ((a, b), (b, a)):
            for pkt in src.datagrams_to_send(0.0):
                seen.append(pkt)
                dst.receive_datagram(pkt, 0.0)
    a.send(1, 51, b"hello" * 500, 0.0)
    seen += a.datagrams_to_send(0.0)
    return a, b, seen


def _fix_crc(data: bytearray) -> bytes:
    if len(data) >= 12:
        data[8:12] = b"\x00\x00\x00\x00"
        data[8:12] = crc32c(bytes(data)).to_bytes(4, "little")
    return bytes(data)


@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _, b, _ = _pair()
    b.receive_datagram(data, 1.0)
    b.receive_datagram(_fix_crc(bytearray(data)), 1.0)
    b.datagrams_to_send(1.0)
    b.handle_timer(2.0)


@settings(max_examples=300)
@given(st.data())
def test_mutated_valid_packets(data: st.DataObject) -> None:
    a, b, seen = _pair()
    pkt = bytearray(data.draw(st.sampled_from(seen)))
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(12, max(12, len(pkt) - 1)))
        if pos < len(pkt):
            pkt[pos] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(12, len(pkt)))
    mutated = _fix_crc(pkt[:cut])
    for target in (a, b):
        target.receive_datagram(mutated, 0.5)
        target.datagrams_to_send(0.5)
        target.handle_timer(5.0)
        while target.next_event() is not None:
            pass
    assert b.stats.get("internal_errors", 0) == 0
    assert a.stats.get("internal_errors", 0) == 0


def test_bad_checksum_and_vtag_counted() -> None:
    _, b, seen = _pair()
    pkt = bytearray(seen[-1])
    pkt[-1] ^= 0xFF
    b.receive_datagram(bytes(pkt), 0.0)
    assert b.stats["bad_checksum"] == 1
    pkt = bytearray(seen[-1])
    pkt[4:8] = b"\x01\x02\x03\x04"
    b.receive_datagram(_fix_crc(pkt), 0.0)
    assert b.stats["bad_vtag"] == 1
    b.receive_datagram(b"\x00" * 3, 0.0)
    assert b.stats["dropped"] >= 1
