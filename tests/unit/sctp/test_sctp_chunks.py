"""Round-trips of every SCTP chunk type, CRC32c vectors, packet parsing fuzz."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtcpeer.sctp import chunks as c
from rtcpeer.sctp.crc32c import crc32c, crc32c_pure
from rtcpeer.sctp.packet import ChecksumError, Packet, parse_packet, serialize_packet

SAMPLES: list[c.Chunk] = [
    c.DataChunk(1, 2, 3, 51, b"hello"),
    c.DataChunk(0xFFFFFFFF, 65535, 65535, 0, b"", unordered=True, beginning=False, ending=False),
    c.DataChunk(7, 0, 0, 53, b"abcd", immediate=True, beginning=True, ending=False),
    c.InitChunk(0x1234, 1 << 20, 65535, 65535, 99, [(0x8008, b"\xc0\x82"), (0xC000, b"")]),
    c.InitAckChunk(0x4321, 5000, 10, 12, 1, [(7, b"cookie-bytes")]),
    c.SackChunk(100, 4096, [(2, 3), (5, 9)], [98, 99]),
    c.SackChunk(0, 0),
    c.HeartbeatChunk([(1, b"info!")]),
    c.HeartbeatAckChunk([(1, b"info!")]),
    c.AbortChunk([(12, b"bye")], reflected=True),
    c.AbortChunk(),
    c.ShutdownChunk(12345),
    c.ShutdownAckChunk(),
    c.ErrorChunk([(6, b"\x99\x00\x00\x04")]),
    c.CookieEchoChunk(b"cookie"),
    c.CookieAckChunk(),
    c.ShutdownCompleteChunk(reflected=True),
    c.ForwardTsnChunk(77, [(1, 2), (3, 4)]),
    c.ReconfigChunk([c.OutgoingSsnResetRequest(1, 2, 3, (4, 5, 6))]),
    c.ReconfigChunk([c.IncomingSsnResetRequest(9, (1,))]),
    c.ReconfigChunk([c.ReconfigResponse(1, c.RESULT_PERFORMED)]),
    c.ReconfigChunk([c.ReconfigResponse(1, c.RESULT_IN_PROGRESS, 5, 6), (99, b"x")]),
    c.UnknownChunk(0xBF, 3, b"xyz"),
    c.PadChunk(0),
    c.PadChunk(5),
    c.PadChunk(1200),
]


@pytest.mark.parametrize("chunk", SAMPLES, ids=lambda ch: type(ch).__name__)
def test_chunk_round_trip(chunk: c.Chunk) -> None:
    raw = chunk.serialize()
    assert len(raw) % 4 == 0
    (parsed,) = c.parse_chunks(raw)
    assert parsed == chunk
    assert parsed.serialize() == raw


def test_every_known_type_is_sampled() -> None:
    assert {type(s) for s in SAMPLES} >= set(c.CHUNK_CLASSES.values())


def test_data_chunk_wire_format() -> None:
    raw = c.DataChunk(0x01020304, 5, 6, 51, b"ab", unordered=True).serialize()
    assert raw == bytes.fromhex("0007001201020304000500060000003361620000")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (bytes(32), 0x8A9136AA),  # RFC 3720 B.4: 32 bytes of zeroes
        (b"\xff" * 32, 0x62A8AB43),  # 32 bytes of ones
        (bytes(range(32)), 0x46DD794E),  # incrementing
        (bytes(range(31, -1, -1)), 0x113FDB5C),  # decrementing
        (b"123456789", 0xE3069283),
    ],
)
def test_crc32c_vectors(data: bytes, expected: int) -> None:
    assert crc32c_pure(data) == expected
    assert crc32c(data) == expected


def test_rfc3720_iscsi_read_pdu() -> None:
    # Full PDU from RFC 3720 B.4 (48 bytes)
    pdu = bytes.fromhex(
        "01c00000"
        "00000000"
        "00000000"
        "00000000"
        "14000000"
        "00000400"
        "00000014"
        "00000018"
        "28000000"
        "00000000"
        "02000000"
        "00000000"
    )
    assert crc32c_pure(pdu) == 0xD9963A56


def test_packet_round_trip_and_bundling() -> None:
    pkt = Packet(5000, 5000, 0xDEADBEEF, [c.SackChunk(1, 2), c.DataChunk(2, 0, 0, 51, b"x")])
    raw = pkt.serialize()
    assert parse_packet(raw) == pkt
    assert raw == serialize_packet(5000, 5000, 0xDEADBEEF, [ch.serialize() for ch in pkt.chunks])


def test_bad_checksum_and_truncation() -> None:
    raw = bytearray(Packet(1, 2, 3, [c.CookieAckChunk()]).serialize())
    raw[-1] ^= 1
    with pytest.raises(ChecksumError):
        parse_packet(bytes(raw))
    good = Packet(1, 2, 3, [c.ShutdownChunk(5)]).serialize()
    with pytest.raises(ValueError):
        parse_packet(good[:-2], check_crc=False)
    with pytest.raises(ValueError):
        parse_packet(b"\x00" * 5)


def test_truncated_bodies_raise_value_error() -> None:
    for chunk in SAMPLES:
        raw = chunk.serialize()
        for cut in range(len(raw)):
            with contextlib.suppress(ValueError):
                c.parse_chunks(raw[:cut])


@given(st.binary(max_size=300))
def test_fuzz_parse_chunks_only_value_error(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        c.parse_chunks(data)


@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 65535),
    st.integers(0, 65535),
    st.integers(0, 2**32 - 1),
    st.binary(max_size=100),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_hypothesis_data_round_trip(
    tsn: int, sid: int, ssn: int, ppid: int, payload: bytes, u: bool, b: bool, e: bool
) -> None:
    chunk = c.DataChunk(tsn, sid, ssn, ppid, payload, unordered=u, beginning=b, ending=e)
    assert c.parse_chunks(chunk.serialize()) == [chunk]


@given(
    st.integers(0, 2**32 - 1),
    st.integers(0, 2**32 - 1),
    st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 65535)), max_size=20),
    st.lists(st.integers(0, 2**32 - 1), max_size=20),
)
def test_hypothesis_sack_round_trip(
    cum: int, rwnd: int, gaps: list[tuple[int, int]], dups: list[int]
) -> None:
    chunk = c.SackChunk(cum, rwnd, gaps, dups)
    assert c.parse_chunks(chunk.serialize()) == [chunk]


@given(st.integers(0, 2**32 - 1), st.lists(st.tuples(st.integers(0, 65535), st.integers(0, 65535))))
def test_hypothesis_forward_tsn_round_trip(cum: int, streams: list[tuple[int, int]]) -> None:
    chunk = c.ForwardTsnChunk(cum, streams)
    assert c.parse_chunks(chunk.serialize()) == [chunk]


@given(st.binary(min_size=12, max_size=200))
def test_fuzz_parse_packet(data: bytes) -> None:
    with contextlib.suppress(ValueError):
        parse_packet(data, check_crc=False)
