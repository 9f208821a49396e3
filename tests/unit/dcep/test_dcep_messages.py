"""DCEP (RFC 8832) message encoding/decoding and PPID mapping (RFC 8831 §8)."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rtcpeer.dcep import messages as m


def test_open_wire_format_reliable_ordered() -> None:
    data = m.encode_open(m.ChannelParameters(label="chat", protocol="json"))
    # type, channel type, priority, reliability, label len, protocol len
    assert data[:12] == struct.pack("!BBHIHH", 0x03, 0x00, 256, 0, 4, 4)
    assert data[12:] == b"chatjson"


@pytest.mark.parametrize(
    ("params", "kind", "param"),
    [
        (m.ChannelParameters(ordered=False), 0x80, 0),
        (m.ChannelParameters(max_retransmits=3), 0x01, 3),
        (m.ChannelParameters(max_retransmits=0, ordered=False), 0x81, 0),
        (m.ChannelParameters(max_packet_lifetime=1500), 0x02, 1500),
        (m.ChannelParameters(max_packet_lifetime=10, ordered=False), 0x82, 10),
    ],
)
def test_channel_types(params: m.ChannelParameters, kind: int, param: int) -> None:
    data = m.encode_open(params)
    assert data[1] == kind
    assert struct.unpack("!I", data[4:8])[0] == param
    assert m.decode_open(data) == params


def test_ack_is_one_byte() -> None:
    assert m.encode_ack() == b"\x02"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "shorter"),
        (b"\x03\x00\x01\x00\x00\x00\x00\x00\x00\x05\x00\x00ab", "past the message"),
        (b"\x02" + bytes(11), "not a DATA_CHANNEL_OPEN"),
        (b"\x03\x05" + bytes(10), "unknown channel type"),
        (b"\x03\x00\x01\x00\x00\x00\x00\x00\x00\x02\x00\x00\xff\xfe", "UTF-8"),
    ],
)
def test_malformed_open_is_a_dcep_error(data: bytes, error: str) -> None:
    with pytest.raises(m.DcepError, match=error):
        m.decode_open(data)


@given(st.binary(max_size=200))
def test_decode_open_never_raises_anything_else(data: bytes) -> None:
    with contextlib.suppress(m.DcepError):
        m.decode_open(data)


@given(
    st.text(max_size=50),
    st.text(max_size=50),
    st.booleans(),
    st.one_of(st.none(), st.integers(0, 65535)),
    st.integers(0, 65535),
)
def test_open_round_trip(
    label: str, protocol: str, ordered: bool, retransmits: int | None, priority: int
) -> None:
    params = m.ChannelParameters(label, protocol, ordered, retransmits, None, priority)
    assert m.decode_open(m.encode_open(params)) == params


@pytest.mark.parametrize(
    ("message", "ppid", "payload"),
    [
        ("hi", m.PPID_STRING, b"hi"),
        ("é", m.PPID_STRING, "é".encode()),
        ("", m.PPID_STRING_EMPTY, b"\x00"),
        (b"\x00\x01", m.PPID_BINARY, b"\x00\x01"),
        (b"", m.PPID_BINARY_EMPTY, b"\x00"),
    ],
)
def test_message_ppids(message: str | bytes, ppid: int, payload: bytes) -> None:
    assert m.encode_message(message) == (ppid, payload)
    assert m.decode_message(ppid, payload) == message


def test_unknown_ppid_is_not_a_message() -> None:
    assert m.decode_message(99, b"x") is None
    assert m.decode_message(m.PPID_DCEP, b"\x02") is None
