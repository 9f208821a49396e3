"""H.264 payload format (RFC 6184): single NAL, STAP-A, FU-A, mode 0, Annex B, loss."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from media_test_helpers import encode_frames

from rtcpeer.media import FrameLossError, H264Depacketizer, H264Packetizer, PayloadError
from rtcpeer.media.h264 import split_annexb

SC = b"\x00\x00\x00\x01"
SPS = b"\x67\x42\xe0\x1f\xda\x01"
PPS = b"\x68\xce\x3c\x80"


def idr(size: int) -> bytes:
    return b"\x65\x88" + bytes((i % 251) + 1 for i in range(size - 2))  # first_mb_in_slice=0


def annexb(*nals: bytes) -> bytes:
    return b"".join(SC + n for n in nals)


def test_sps_pps_and_small_idr_share_one_stap_a() -> None:
    frame = annexb(SPS, PPS, idr(100))
    payloads = H264Packetizer().packetize(frame, 1200)
    assert len(payloads) == 1 and payloads[0][0] & 0x1F == 24
    assert payloads[0][0] & 0x60 == 0x60  # the highest NRI of the aggregated units
    dep = H264Depacketizer()
    assert dep.starts_frame(payloads[0]) and dep.is_keyframe(payloads[0])
    assert dep.depacketize(payloads) == frame


@pytest.mark.parametrize("size", [1199, 1200, 1201, 2400, 5000])
def test_big_idr_is_fragmented_into_fu_a(size: int) -> None:
    frame = annexb(SPS, PPS, idr(size))
    payloads = H264Packetizer().packetize(frame, 1200)
    assert all(len(p) <= 1200 for p in payloads)
    dep = H264Depacketizer()
    if size <= 1200:
        assert payloads[-1] == idr(size)  # fits: a single NAL unit packet
    else:
        fus = payloads[1:]
        assert all(p[0] & 0x1F == 28 for p in fus)
        assert fus[0][1] & 0x80 and fus[-1][1] & 0x40
        assert not dep.starts_frame(fus[1]) if len(fus) > 1 else True
    assert dep.is_keyframe(payloads[0])
    assert dep.depacketize(payloads) == frame


def test_three_byte_start_codes_and_many_nals() -> None:
    nals = [b"\x41" + bytes((i,)) * (i * 40 + 1) + b"\x01" for i in range(1, 30)]
    frame = b"".join(b"\x00\x00\x01" + n for n in nals)
    assert split_annexb(frame) == nals
    payloads = H264Packetizer().packetize(frame, 300)
    assert all(len(p) <= 300 for p in payloads)
    assert H264Depacketizer().depacketize(payloads) == annexb(*nals)


nal_bodies = st.lists(st.integers(min_value=1, max_value=255), min_size=1, max_size=3000).map(bytes)


@given(
    st.lists(
        st.tuples(st.sampled_from([0x41, 0x65, 0x67, 0x68, 0x06]), nal_bodies),
        min_size=1,
        max_size=8,
    ),
    st.integers(min_value=3, max_value=1500),
)
def test_random_access_units_round_trip(nals: list[tuple[int, bytes]], mtu: int) -> None:
    units = [bytes((h,)) + body for h, body in nals]
    frame = annexb(*units)
    payloads = H264Packetizer().packetize(frame, mtu)
    assert max(len(p) for p in payloads) <= mtu
    assert H264Depacketizer().depacketize(payloads) == frame


def test_mode_0_sends_single_nal_units_and_refuses_big_ones() -> None:
    pk = H264Packetizer(packetization_mode=0)
    frame = annexb(SPS, PPS, idr(1000))
    assert pk.packetize(frame, 1000) == [SPS, PPS, idr(1000)]
    with pytest.raises(ValueError, match="packetization-mode 0"):
        pk.packetize(frame, 999)


def test_keyframe_detection_on_x264_output() -> None:
    frames = encode_frames("libx264", count=5, keyframes=(0, 3))
    dep = H264Depacketizer()
    pk = H264Packetizer()
    flags = []
    for data, _ in frames:
        payloads = pk.packetize(data, 1200)
        assert dep.starts_frame(payloads[0])
        flags.append(dep.is_keyframe(payloads[0]))
        if not flags[-1]:  # (inside a key access unit the IDR's first FU-A also qualifies)
            assert not any(dep.is_keyframe(p) for p in payloads)
        assert dep.depacketize(payloads) == annexb(*split_annexb(data))
    assert flags == [key for _, key in frames] == [True, False, False, True, False]


def test_second_slice_is_not_a_frame_start() -> None:
    dep = H264Depacketizer()
    assert dep.starts_frame(b"\x41\x9a")  # first_mb_in_slice = 0
    assert not dep.starts_frame(b"\x41\x42")  # first_mb_in_slice > 0
    assert dep.starts_frame(b"\x09\xf0")  # access unit delimiter


def test_fragment_loss_is_detected() -> None:
    frame = annexb(idr(5000))
    payloads = H264Packetizer().packetize(frame, 1200)
    dep = H264Depacketizer()
    for broken in (payloads[1:], payloads[:-1], payloads[:1] + payloads[:1] + payloads[1:]):
        with pytest.raises(FrameLossError):
            dep.depacketize(broken)
    with pytest.raises(FrameLossError):
        dep.depacketize(payloads[:2] + payloads[3:], [1, 2, 4, 5])


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"\x18",
        b"\x18\x00",
        b"\x18\x00\x05\x41",
        b"\x18\x00\x00",
        b"\x1c\x85",
        b"\x19ab",
        b"\x1d\x85ab",
    ],
)
def test_malformed_payloads_raise_payload_error(payload: bytes) -> None:
    with pytest.raises(PayloadError):
        H264Depacketizer().depacketize([payload])


@given(st.lists(st.binary(max_size=24), min_size=1, max_size=4))
def test_random_payloads_raise_only_payload_error(payloads: list[bytes]) -> None:
    dep = H264Depacketizer()
    for p in payloads:
        dep.starts_frame(p)
        dep.is_keyframe(p)
    try:
        out = dep.depacketize(payloads)
    except PayloadError:
        return
    assert isinstance(out, bytes)
