"""VP9 payload format (RFC 9628): round trips, SS on keyframes, flexible mode, loss."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from media_test_helpers import encode_frames

from rtcpeer.media import FrameLossError, PayloadError, Vp9Depacketizer, Vp9Packetizer
from rtcpeer.media.vp9 import build_superframe, parse_vp9_descriptor, read_vp9_keyframe_size

HEADER = 5  # I+15-bit PID, L, TL0PICIDX
DELTA_FRAME = b"\x87\x01\x02" + bytes(50)  # frame_marker=2, profile 0, frame_type=1


@pytest.mark.parametrize("size", [1, 1194, 1195, 1196, 5000])
def test_round_trip_around_fragment_boundaries(size: int) -> None:
    frame = DELTA_FRAME + bytes(i & 0xFF for i in range(size))
    frame = frame[:size] if size >= 3 else frame
    payloads = Vp9Packetizer().packetize(frame, 1200)
    assert all(len(p) <= 1200 for p in payloads)
    assert len(payloads) == -(-len(frame) // (1200 - HEADER))
    dep = Vp9Depacketizer()
    assert [dep.starts_frame(p) for p in payloads] == [True] + [False] * (len(payloads) - 1)
    assert not dep.is_keyframe(payloads[0])
    d = [parse_vp9_descriptor(p) for p in payloads]
    assert [x.end for x in d] == [False] * (len(d) - 1) + [True]
    assert dep.depacketize(payloads) == frame


@given(st.binary(min_size=1, max_size=4000), st.integers(min_value=HEADER + 1, max_value=1400))
def test_random_frames_round_trip(tail: bytes, mtu: int) -> None:
    frame = DELTA_FRAME[:3] + tail
    payloads = Vp9Packetizer().packetize(frame, mtu)
    assert max(len(p) for p in payloads) <= mtu
    assert Vp9Depacketizer().depacketize(payloads) == frame


def test_keyframes_of_libvpx_carry_the_scalability_structure() -> None:
    frames = encode_frames("libvpx-vp9", count=5, keyframes=(0, 3))
    dep = Vp9Depacketizer()
    pk = Vp9Packetizer()
    flags = []
    for data, _ in frames:
        payloads = pk.packetize(data, 1000)
        first = payloads[0]
        flags.append(dep.is_keyframe(first))
        assert bool(first[0] & 0x02) == dep.is_keyframe(first)  # V only on keyframes
        assert dep.depacketize(payloads) == data
    assert flags == [key for _, key in frames] == [True, False, False, True, False]
    assert read_vp9_keyframe_size(frames[0][0]) == (64, 64)
    ss = pk.packetize(frames[0][0], 1000)[0][HEADER:]
    assert ss[:8] == bytes((0x18, 0, 64, 0, 64, 1, 0x04, 1))


def test_flexible_mode_with_p_diffs_and_two_spatial_layers() -> None:
    """A flexible-mode sender (as libwebrtc's SVC): I, L, F and P_DIFFs; SID 0 then SID 1."""
    base = bytes((0xFC, 0x80, 0x07, 0x00, 0x03, 0x02)) + b"L0"  # I P L F B E, P_DIFF N=1, 1
    upper = bytes((0xBC, 0x80, 0x07, 0x02)) + b"L1"  # I L F B E, SID=1, not predicted
    dep = Vp9Depacketizer()
    assert dep.starts_frame(base) and not dep.starts_frame(upper)
    assert not dep.is_keyframe(base)
    assert dep.depacketize([base, upper]) == build_superframe([b"L0", b"L1"])
    assert build_superframe([b"L0", b"L1"]) == b"L0L1\xc1\x02\x02\xc1"


def test_loss_inside_a_picture_is_detected() -> None:
    pk = Vp9Packetizer()
    frame = DELTA_FRAME + bytes(3000)
    a = pk.packetize(frame, 1200)
    b = pk.packetize(frame, 1200)
    dep = Vp9Depacketizer()
    # lost start, lost end, the next picture's continuation (PictureID differs)
    for broken in (a[1:], a[:-1], a[:2] + b[2:]):
        with pytest.raises(FrameLossError):
            dep.depacketize(broken)
    with pytest.raises(FrameLossError):  # a lost middle packet needs the sequence numbers
        dep.depacketize([a[0], a[2]], [10, 12])
    assert dep.depacketize(a, [10, 11, 12]) == frame


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x80", b"\x80\x80", b"\xa0\x05", b"\x02", b"\x02\x18\x00", b"\x50\x01\x01\x01\x01x"],
)
def test_truncated_descriptors_raise_payload_error(payload: bytes) -> None:
    dep = Vp9Depacketizer()
    with pytest.raises(PayloadError):
        dep.depacketize([payload])
    assert not dep.starts_frame(payload)


@given(st.lists(st.binary(max_size=24), min_size=1, max_size=4))
def test_random_payloads_raise_only_payload_error(payloads: list[bytes]) -> None:
    dep = Vp9Depacketizer()
    for p in payloads:
        dep.starts_frame(p)
        dep.is_keyframe(p)
    try:
        out = dep.depacketize(payloads)
    except PayloadError:
        return
    assert isinstance(out, bytes)
