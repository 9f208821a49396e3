"""RTCP packets: every type round-trips, compound parsing, NACK and TWCC encodings."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtcpeer.rtp.rtcp import (
    Bye,
    Fir,
    GenericNack,
    Pli,
    ReceiverReport,
    Remb,
    ReportBlock,
    RtcpPacket,
    RtcpParseError,
    Sdes,
    SdesChunk,
    SenderReport,
    TransportFeedback,
    UnknownRtcp,
    nack_pairs,
    parse_compound,
    serialize_compound,
)

BLOCK = ReportBlock(0xAAAA, 25, -3, 70000, 12, 0x12345678, 0x10000)

EXAMPLES: list[RtcpPacket] = [
    SenderReport(1, (3_900_000_000 << 32) | 5, 160, 10, 1600),
    SenderReport(1, 2, 3, 4, 5, (BLOCK, BLOCK), b"ext!"),
    ReceiverReport(7),
    ReceiverReport(7, (BLOCK,)),
    Sdes((SdesChunk(1, ((1, b"cname-1"),)), SdesChunk(2, ((1, b"abc"), (2, b"name"))))),
    Sdes((SdesChunk(3, ()),)),
    Bye((1, 2)),
    Bye((1,), b"shutting down"),
    GenericNack(1, 2, (100, 101, 116, 117)),
    Pli(1, 2),
    Fir(1, ((2, 7), (3, 255))),
    Remb(1, 123_456, (2, 3)),
    Remb(1, 1 << 40, ()),
    TransportFeedback(1, 2, 65530, -5, 3, (1, 1, 0, 2, 1), (4, 250, -20, 0)),
    UnknownRtcp(204, 3, b"name" + b"data"),  # APP
    UnknownRtcp(206, 15, b"\x00\x00\x00\x01\x00\x00\x00\x02ABCD"),  # AFB that is not REMB
    UnknownRtcp(207, 0, b"\x00\x00\x00\x09"),  # XR
]


@pytest.mark.parametrize("packet", EXAMPLES, ids=lambda p: type(p).__name__)
def test_every_type_round_trips(packet: RtcpPacket) -> None:
    data = packet.serialize()
    assert len(data) % 4 == 0
    assert struct.unpack_from("!H", data, 2)[0] == len(data) // 4 - 1
    assert parse_compound(data) == [packet]


def test_compound_round_trip_and_order() -> None:
    data = serialize_compound(EXAMPLES)
    assert parse_compound(data) == EXAMPLES


def test_sr_known_bytes() -> None:
    sr = SenderReport(0x01020304, 0x0A0B0C0D_01020304, 0x11223344, 5, 6)
    assert sr.serialize() == (
        bytes.fromhex(
            "80c80006 01020304 0a0b0c0d 01020304 11223344 00000005 00000006".replace(" ", "")
        )
    )


def test_report_block_negative_cumulative_lost() -> None:
    data = BLOCK.serialize()
    assert data[4:8] == bytes([25, 0xFF, 0xFF, 0xFD])
    assert ReportBlock.parse_many(data, 0, 1) == (BLOCK,)


def test_sdes_cname() -> None:
    s = Sdes((SdesChunk(9, ((2, b"n"), (1, b"user@host"))),))
    assert s.serialize()[-1] == 0  # ends in the null item / padding
    (p,) = parse_compound(s.serialize())
    assert isinstance(p, Sdes) and p.chunks[0].cname == b"user@host"


def test_padding_on_last_packet_is_stripped() -> None:
    data = Pli(1, 2).serialize()
    padded = (
        bytes([data[0] | 0x20, data[1]]) + struct.pack("!H", 3) + data[4:] + b"\x00\x00\x00\x04"
    )
    assert parse_compound(padded) == [Pli(1, 2)]
    with pytest.raises(RtcpParseError):  # padding on a packet that is not the last
        parse_compound(padded + data)


# RFC 4585 §6.2.1: PID + BLP bitmask <-> lost sequence numbers.
@pytest.mark.parametrize(
    ("lost", "pairs"),
    [
        ([5], [(5, 0)]),
        ([5, 6], [(5, 0x0001)]),
        ([5, 21], [(5, 0x8000)]),  # PID + 16: the top bit
        ([5, 22], [(5, 0), (22, 0)]),  # PID + 17: a new pair
        ([65535, 0, 1], [(65535, 0x0003)]),  # across the wrap
        ([65530, 10], [(65530, 0x8000)]),  # (65530 + 16) & 0xFFFF = 10, across the wrap
        ([1, 1, 2], [(1, 0x0001)]),  # duplicates
        ([10, 3], [(10, 0), (3, 0)]),  # behind the PID: new pair
        (list(range(100, 134)), [(100, 0xFFFF), (117, 0xFFFF)]),
    ],
)
def test_nack_pairs(lost: list[int], pairs: list[tuple[int, int]]) -> None:
    assert nack_pairs(lost) == pairs
    nack = GenericNack(1, 2, tuple(lost))
    (parsed,) = parse_compound(nack.serialize())
    assert isinstance(parsed, GenericNack)
    expected: list[int] = []
    for s in lost:
        if s not in expected:
            expected.append(s)
    assert sorted(parsed.lost) == sorted(expected)


def test_nack_known_bytes() -> None:
    data = GenericNack(0x11, 0x22, (1000, 1002, 1016)).serialize()
    assert data == bytes.fromhex("81cd0003000000110000002203e88002")


@given(st.lists(st.integers(0, 0xFFFF), min_size=1, max_size=60))
def test_nack_covers_exactly_the_lost_set(lost: list[int]) -> None:
    (parsed,) = parse_compound(GenericNack(1, 2, tuple(lost)).serialize())
    assert isinstance(parsed, GenericNack) and set(parsed.lost) == set(lost)


def test_remb_mantissa_exponent() -> None:
    data = Remb(1, 1_000_000, (5,)).serialize()
    exp, mantissa = data[17] >> 2, ((data[17] & 3) << 16) | int.from_bytes(data[18:20], "big")
    assert (exp, mantissa) == (2, 250_000)
    (p,) = parse_compound(data)
    assert isinstance(p, Remb) and p.bitrate == 1_000_000 and p.ssrcs == (5,)


# draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1.3/§3.1.4 chunk types.
def _chunks(fb: TransportFeedback) -> list[int]:
    data = fb.serialize()
    n = len(data)
    out = []
    pos, seen = 20, 0
    while seen < len(fb.statuses) and pos < n:
        c = int.from_bytes(data[pos : pos + 2], "big")
        out.append(c)
        seen += (c & 0x1FFF) if not c & 0x8000 else (7 if c & 0x4000 else 14)
        pos += 2
    return out


def test_twcc_run_length_chunk() -> None:
    fb = TransportFeedback(1, 2, 10, 0, 0, (1,) * 20, (1,) * 20)
    assert _chunks(fb) == [(1 << 13) | 20]
    assert parse_compound(fb.serialize()) == [fb]


def test_twcc_one_bit_vector_chunk() -> None:
    statuses = (1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0)
    fb = TransportFeedback(1, 2, 10, 0, 0, statuses, (3,) * 7)
    assert _chunks(fb) == [0b1010_1010_1010_1010]
    assert parse_compound(fb.serialize()) == [fb]


def test_twcc_two_bit_vector_chunk() -> None:
    statuses = (2, 0, 1, 2, 0, 1, 2)
    fb = TransportFeedback(1, 2, 10, 0, 0, statuses, (-1, 2, 300, 4, 5))
    assert _chunks(fb) == [0b11_10_00_01_10_00_01_10]
    assert parse_compound(fb.serialize()) == [fb]


def test_twcc_parses_hand_built_packet_and_arrivals() -> None:
    # base 100, 4 statuses, ref time 2 (128 ms), fb count 9; run-length chunk: 2 x small,
    # then a two-bit vector: not received, large; deltas 4, 8 (small) and -4 (large).
    body = struct.pack("!IIHHI", 1, 2, 100, 4, (2 << 8) | 9)
    body += struct.pack("!HH", (1 << 13) | 2, 0xC000 | (0 << 12) | (2 << 10))
    body += bytes([4, 8]) + (-4).to_bytes(2, "big", signed=True)
    data = bytes([0x8F, 205]) + struct.pack("!H", len(body) // 4) + body
    (fb,) = parse_compound(data)
    assert isinstance(fb, TransportFeedback)
    assert fb.statuses == (1, 1, 0, 2) and fb.deltas == (4, 8, -4)
    assert fb.arrivals_us() == [(100, 129_000), (101, 131_000), (102, None), (103, 130_000)]


twcc_statuses = st.lists(st.sampled_from([0, 1, 2]), min_size=1, max_size=100)


@given(twcc_statuses, st.integers(0, 0xFFFF), st.integers(-(1 << 23), (1 << 23) - 1))
def test_twcc_round_trip(statuses: list[int], base: int, ref: int) -> None:
    deltas = tuple(7 if s == 1 else -300 for s in statuses if s)
    fb = TransportFeedback(1, 2, base, ref, 255, tuple(statuses), deltas)
    assert parse_compound(fb.serialize()) == [fb]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\xc8\x00",
        b"\x40\xc9\x00\x01\x00\x00\x00\x01",  # version 1
        b"\x80\xc9\x00\x05\x00\x00\x00\x01",  # length past the end
        b"\x81\xc9\x00\x01\x00\x00\x00\x01",  # RR with 1 block and no room for it
        b"\x81\xca\x00\x01\x00\x00\x00\x01",  # SDES chunk without its null item
        b"\x81\xcd\x00\x00",  # NACK without SSRCs
        b"\x80\xc9\x00\x01\x00\x00\x00\x01\x80",  # trailing byte
    ],
)
def test_malformed_raise_rtcp_parse_error(data: bytes) -> None:
    with pytest.raises(RtcpParseError):
        parse_compound(data)


@given(st.binary(max_size=120))
def test_random_bytes_raise_only_rtcp_parse_error(data: bytes) -> None:
    with contextlib.suppress(RtcpParseError):
        parse_compound(data)


@given(st.binary(min_size=4, max_size=120), st.sampled_from([200, 201, 202, 203, 205, 206]))
def test_random_bodies_of_known_types_raise_only_rtcp_parse_error(data: bytes, pt: int) -> None:
    words = (len(data) - 4) // 4
    framed = (
        bytes([0x80 | (data[0] & 0x1F), pt]) + struct.pack("!H", words) + data[4 : 4 + 4 * words]
    )
    try:
        packets = parse_compound(framed)
    except RtcpParseError:
        return
    assert parse_compound(serialize_compound(packets)) == packets
