"""VP8 payload format (RFC 7741): round trips, keyframe detection on libvpx output, loss."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from media_test_helpers import encode_frames

from rtcpeer.media import FrameLossError, PayloadError, Vp8Depacketizer, Vp8Packetizer
from rtcpeer.media.vp8 import parse_vp8_descriptor

DESCRIPTOR = 4  # X, I with 15-bit PictureID


@pytest.mark.parametrize("size", [1, 100, 1195, 1196, 1197, 2392, 2393, 10_000])
@pytest.mark.parametrize("mtu", [1200, DESCRIPTOR + 1])
def test_round_trip_around_fragment_boundaries(size: int, mtu: int) -> None:
    frame = bytes(i * 7 & 0xFF for i in range(size))
    if mtu == DESCRIPTOR + 1 and size > 2400:
        frame = frame[:300]
    payloads = Vp8Packetizer().packetize(frame, mtu)
    assert all(len(p) <= mtu for p in payloads)
    assert len(payloads) == -(-len(frame) // (mtu - DESCRIPTOR))
    dep = Vp8Depacketizer()
    assert dep.starts_frame(payloads[0])
    assert not any(dep.starts_frame(p) for p in payloads[1:])
    assert dep.depacketize(payloads) == frame


def test_exactly_max_payload_is_one_packet_and_one_more_is_two() -> None:
    pk = Vp8Packetizer()
    assert len(pk.packetize(b"\x01" * 1196, 1200)) == 1
    two = pk.packetize(b"\x01" * 1197, 1200)
    assert [len(p) for p in two] == [603, 602]  # even split, no 1-byte tail


def test_picture_id_is_15_bit_and_increments_per_frame() -> None:
    pk = Vp8Packetizer(picture_id=0x7FFF)
    first = pk.packetize(b"\x00\x00\x00", 100)[0]
    second = pk.packetize(b"\x00\x00\x00", 100)[0]
    assert parse_vp8_descriptor(first) == (4, True, 0, 0x7FFF)
    assert parse_vp8_descriptor(second)[3] == 0


@given(st.binary(min_size=1, max_size=5000), st.integers(min_value=5, max_value=1500))
def test_random_frames_round_trip(frame: bytes, mtu: int) -> None:
    payloads = Vp8Packetizer().packetize(frame, mtu)
    assert max(len(p) for p in payloads) <= mtu
    assert Vp8Depacketizer().depacketize(payloads) == frame


def test_keyframe_detection_on_libvpx_output() -> None:
    frames = encode_frames("libvpx", count=5, keyframes=(0, 3))
    dep = Vp8Depacketizer()
    pk = Vp8Packetizer()
    flags = []
    for data, _ in frames:
        payloads = pk.packetize(data, 1200)
        flags.append(dep.is_keyframe(payloads[0]))
        assert not any(dep.is_keyframe(p) for p in payloads[1:])
        assert dep.depacketize(payloads) == data
    assert flags == [key for _, key in frames] == [True, False, False, True, False]


def test_short_descriptors_from_other_senders() -> None:
    """7-bit PictureID, TL0PICIDX and TID/KEYIDX bytes, and no extension at all."""
    dep = Vp8Depacketizer()
    assert dep.depacketize([b"\x10\x00\x00\x00", b"\x00\x01"]) == b"\x00\x00\x00\x01"
    ext = bytes((0x90, 0xF0, 0x05, 0x11, 0x40)) + b"\x00payload"
    assert parse_vp8_descriptor(ext) == (5, True, 0, 5)
    assert dep.is_keyframe(ext)


def test_lost_middle_packet_is_detected_by_sequence_numbers() -> None:
    payloads = Vp8Packetizer().packetize(bytes(3000), 1200)
    dep = Vp8Depacketizer()
    assert dep.depacketize(payloads, [65535, 0, 1]) == bytes(3000)
    with pytest.raises(FrameLossError):
        dep.depacketize([payloads[0], payloads[2]], [65535, 1])


def test_lost_first_packet_and_lost_marker_are_detected() -> None:
    pk = Vp8Packetizer()
    a = pk.packetize(bytes(3000), 1200)
    b = pk.packetize(bytes(3000), 1200)
    dep = Vp8Depacketizer()
    with pytest.raises(FrameLossError):
        dep.depacketize(a[1:])
    with pytest.raises(FrameLossError):  # the marker packet of a was lost: b's start follows
        dep.depacketize(a[:2] + b[:1])
    with pytest.raises(FrameLossError):  # PictureID differs
        dep.depacketize(a[:1] + b[1:])


@pytest.mark.parametrize(
    "payload", [b"", b"\x80", b"\x80\x80", b"\x80\x80\x80", b"\x90\x80\x85\x01", b"\x10"]
)
def test_truncated_descriptors_raise_payload_error(payload: bytes) -> None:
    dep = Vp8Depacketizer()
    with pytest.raises(PayloadError):
        dep.depacketize([payload])
    assert not dep.starts_frame(payload)
    assert not dep.is_keyframe(payload)


@given(st.lists(st.binary(max_size=20), min_size=1, max_size=4))
def test_random_payloads_raise_only_payload_error(payloads: list[bytes]) -> None:
    dep = Vp8Depacketizer()
    for p in payloads:
        dep.starts_frame(p)
        dep.is_keyframe(p)
    try:
        out = dep.depacketize(payloads)
    except PayloadError:
        return
    assert isinstance(out, bytes)
