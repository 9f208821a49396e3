"""AV1 payload format (AOM AV1 RTP v1.0): OBU elements, Z/Y/W/N, size fields, loss."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from media_test_helpers import encode_frames

from rtcpeer.media import Av1Depacketizer, Av1Packetizer, FrameLossError, PayloadError
from rtcpeer.media.av1 import parse_av1_payload, read_leb128, split_obus, write_leb128

TD = b"\x12\x00"


def obu(obu_type: int, body: bytes, extension: int | None = None) -> bytes:
    """An OBU with obu_has_size_field = 1."""
    header = (obu_type << 3) | 0x02 | (0x04 if extension is not None else 0)
    ext = bytes((extension,)) if extension is not None else b""
    return bytes((header,)) + ext + write_leb128(len(body)) + body


SEQ = obu(1, b"\x00\x00\x00\x02\xaf\xff")  # profile 0, not reduced
KEY = obu(6, b"\x10" + bytes(range(1, 200)))  # show_existing_frame=0, frame_type=KEY(0)
DELTA = obu(6, b"\x30" + bytes(range(1, 200)))  # frame_type=INTER(1)


def test_leb128() -> None:
    for value in (0, 1, 127, 128, 16383, 16384, 2**32):
        assert read_leb128(write_leb128(value), 0) == (value, len(write_leb128(value)))
    with pytest.raises(PayloadError):
        read_leb128(b"\x80" * 9, 0)


def test_temporal_delimiter_dropped_sizes_stripped_and_restored() -> None:
    tu = TD + SEQ + KEY
    payloads = Av1Packetizer().packetize(tu, 1200)
    assert len(payloads) == 1
    header, elements = parse_av1_payload(payloads[0])
    assert header == 0x28  # W=2, N=1
    assert [e[0] for e in elements] == [0x08, 0x30]  # sequence header, frame; no size bit
    dep = Av1Depacketizer()
    assert dep.is_keyframe(payloads[0]) and dep.starts_frame(payloads[0])
    assert dep.depacketize(payloads) == tu


@pytest.mark.parametrize("mtu", [3, 4, 50, 201, 202, 203, 1200])
def test_fragmented_obus_round_trip(mtu: int) -> None:
    tu = TD + DELTA + obu(4, bytes(700), extension=0x20) + DELTA
    payloads = Av1Packetizer().packetize(tu, mtu)
    assert all(len(p) <= mtu for p in payloads)
    dep = Av1Depacketizer()
    assert dep.starts_frame(payloads[0]) and not dep.is_keyframe(payloads[0])
    assert dep.depacketize(payloads) == tu
    for p in payloads[1:]:
        assert not p[0] & 0x08


def test_many_obus_use_w_0_and_a_sender_that_keeps_size_fields_is_accepted() -> None:
    tu = TD + b"".join(obu(5, bytes((i,)) * 3) for i in range(6))
    payloads = Av1Packetizer().packetize(tu, 1200)
    assert len(payloads) == 1 and (payloads[0][0] >> 4) & 3 == 0
    assert Av1Depacketizer().depacketize(payloads) == tu
    kept = bytes((0x10,)) + SEQ  # W=1: one element, unsized, with its obu_size kept
    assert Av1Depacketizer().depacketize([kept]) == TD + SEQ


@given(
    st.lists(
        st.tuples(st.sampled_from([1, 3, 4, 5, 6]), st.binary(max_size=2500)),
        min_size=1,
        max_size=6,
    ),
    st.integers(min_value=3, max_value=1400),
)
def test_random_temporal_units_round_trip(obus: list[tuple[int, bytes]], mtu: int) -> None:
    tu = TD + b"".join(obu(t, body) for t, body in obus)
    payloads = Av1Packetizer().packetize(tu, mtu)
    assert max(len(p) for p in payloads) <= mtu
    assert Av1Depacketizer().depacketize(payloads) == tu


def test_keyframe_detection_on_svt_av1_output() -> None:
    frames = encode_frames("libsvtav1", count=5, keyframes=(0, 3))
    dep = Av1Depacketizer()
    pk = Av1Packetizer()
    flags = []
    for data, _ in frames:
        payloads = pk.packetize(data, 1000)
        assert dep.starts_frame(payloads[0])
        flags.append(dep.is_keyframe(payloads[0]))
        assert not any(dep.is_keyframe(p) for p in payloads[1:])
        assert split_obus(dep.depacketize(payloads)) == split_obus(data)
    assert flags == [key for _, key in frames] == [True, False, False, True, False]


def test_loss_is_detected_from_z_and_y() -> None:
    payloads = Av1Packetizer().packetize(TD + obu(6, bytes(3000)), 1200)
    assert len(payloads) == 3
    dep = Av1Depacketizer()
    for broken in (payloads[1:], payloads[:-1]):
        with pytest.raises(FrameLossError):
            dep.depacketize(broken)
    with pytest.raises(FrameLossError):
        dep.depacketize([payloads[0], payloads[2]], [7, 9])


@pytest.mark.parametrize(
    "payload", [b"", b"\x00", b"\x88\x08", b"\x00\x05ab", b"\x30\x05ab", b"\x10\x04", b"\x00\xff"]
)
def test_malformed_payloads_raise_payload_error(payload: bytes) -> None:
    with pytest.raises(PayloadError):
        Av1Depacketizer().depacketize([payload])


@given(st.lists(st.binary(max_size=24), min_size=1, max_size=4))
def test_random_payloads_raise_only_payload_error(payloads: list[bytes]) -> None:
    dep = Av1Depacketizer()
    for p in payloads:
        dep.starts_frame(p)
        dep.is_keyframe(p)
    try:
        out = dep.depacketize(payloads)
    except PayloadError:
        return
    assert isinstance(out, bytes)
