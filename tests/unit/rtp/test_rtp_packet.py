"""RTP packet parse/serialize (RFC 3550 §5.1, RFC 8285 §4.2/§4.3)."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtcpeer.rtp.packet import (
    MID_URI,
    HeaderExtensionMap,
    RtpPacket,
    RtpParseError,
    parse_rtp,
)


def test_minimal_packet_fields() -> None:
    data = struct.pack("!BBHII", 0x80, 0x80 | 111, 65535, 0xDEADBEEF, 42) + b"opus"
    p = parse_rtp(data)
    assert (p.payload_type, p.marker, p.sequence_number) == (111, True, 65535)
    assert (p.timestamp, p.ssrc, p.payload) == (0xDEADBEEF, 42, b"opus")
    assert p.serialize() == data


def test_csrcs_padding_and_one_byte_extensions() -> None:
    # Hand-built: CC=2, P, X with 0xBEDE: id 1 len 1 "ab", padding byte, id 3 len 3 "wxyz".
    ext = bytes([0x11]) + b"ab" + b"\x00" + bytes([0x33]) + b"wxyz" + b"\x00\x00\x00"
    data = (
        struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 96, 7, 8, 9)
        + struct.pack("!II", 100, 200)
        + struct.pack("!HH", 0xBEDE, len(ext) // 4)
        + ext
        + b"payload"
        + b"\x00\x00\x03"
    )
    p = parse_rtp(data)
    assert p.csrcs == (100, 200)
    assert p.extensions == {1: b"ab", 3: b"wxyz"}
    assert p.padding_size == 3 and p.payload == b"payload"
    again = parse_rtp(p.serialize())
    assert again == p  # the interior padding byte is not kept; the content is


def test_one_byte_id_15_stops_parsing() -> None:
    ext = bytes([0x10]) + b"a" + bytes([0xF0]) + bytes([0x20]) + b"b"
    ext += bytes(-len(ext) % 4)
    data = struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + struct.pack("!HH", 0xBEDE, 2) + ext
    assert parse_rtp(data).extensions == {1: b"a"}


def test_two_byte_form_parsed_and_chosen_when_needed() -> None:
    p = RtpPacket(96, 1, 2, 3, b"x", extensions={1: b"", 20: b"y" * 20})
    data = p.serialize()
    assert struct.unpack_from("!H", data, 12)[0] == 0x1000
    q = parse_rtp(data)
    assert q.extensions == {1: b"", 20: b"y" * 20} and q.extension_profile == 0x1000
    assert q.serialize() == data
    small = RtpPacket(96, 1, 2, 3, b"x", extensions={1: b"a"}).serialize()
    assert struct.unpack_from("!H", small, 12)[0] == 0xBEDE


def test_unknown_extension_profile_kept_raw() -> None:
    data = struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + struct.pack("!HH", 0xABCD, 1) + b"wxyz"
    p = parse_rtp(data)
    assert p.extensions == {} and p.extension_profile == 0xABCD
    assert p.extension_data == b"wxyz" and p.serialize() == data


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x80\x60\x00",
        struct.pack("!BBHII", 0x40, 96, 1, 2, 3),  # version 1
        struct.pack("!BBHII", 0x83, 96, 1, 2, 3) + b"\x00" * 8,  # 3 CSRCs, room for 2
        struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + b"\xbe\xde",  # cut extension header
        struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + b"\xbe\xde\x00\x02abcd",  # cut block
        struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + b"\xbe\xde\x00\x01\x13ab\x00",  # long el.
        struct.pack("!BBHII", 0x90, 96, 1, 2, 3) + b"\x10\x00\x00\x01\x05\x09ab",  # 2-byte
        struct.pack("!BBHII", 0xA0, 96, 1, 2, 3) + b"ab\x00",  # padding count 0
        struct.pack("!BBHII", 0xA0, 96, 1, 2, 3) + b"ab\x09",  # padding past the header
    ],
)
def test_malformed_raise_rtp_parse_error(data: bytes) -> None:
    with pytest.raises(RtpParseError):
        parse_rtp(data)


@given(st.binary(max_size=80))
def test_random_bytes_raise_only_rtp_parse_error(data: bytes) -> None:
    with contextlib.suppress(RtpParseError):
        parse_rtp(data)


@given(st.binary(min_size=12, max_size=80))
def test_random_v2_bytes_raise_only_rtp_parse_error(data: bytes) -> None:
    try:
        p = parse_rtp(bytes([0x80 | (data[0] & 0x3F)]) + data[1:])
    except RtpParseError:
        return
    assert 0 <= p.payload_type < 128


_ext_ids = st.integers(min_value=1, max_value=255)
packets = st.builds(
    RtpPacket,
    payload_type=st.integers(0, 127),
    sequence_number=st.integers(0, 0xFFFF),
    timestamp=st.integers(0, 0xFFFFFFFF),
    ssrc=st.integers(0, 0xFFFFFFFF),
    payload=st.binary(max_size=64),
    marker=st.booleans(),
    csrcs=st.lists(st.integers(0, 0xFFFFFFFF), max_size=15).map(tuple),
    extensions=st.dictionaries(_ext_ids, st.binary(min_size=1, max_size=40), max_size=5),
    padding_size=st.integers(0, 255),
)


@given(packets)
def test_round_trip(p: RtpPacket) -> None:
    data = p.serialize()
    q = parse_rtp(data)
    assert q.serialize() == data
    p.extension_profile = q.extension_profile  # chosen by serialize
    assert q == p


def test_extension_map_lookups() -> None:
    m = HeaderExtensionMap({4: MID_URI, 9: "urn:x"})
    assert m.id_of(MID_URI) == 4 and m.id_of("urn:y") is None and m.uri_of(9) == "urn:x"
