"""RFC 7983 first-byte demux."""

from __future__ import annotations

import pytest

from rtcpeer._mux import classify, is_rtcp


@pytest.mark.parametrize(
    ("first", "kind"),
    [
        (0, "stun"),
        (1, "stun"),
        (3, "stun"),
        (4, "unknown"),
        (15, "unknown"),
        (16, "zrtp"),
        (19, "zrtp"),
        (20, "dtls"),
        (22, "dtls"),
        (23, "dtls"),
        (63, "dtls"),
        (64, "turn-channel"),
        (79, "turn-channel"),
        (80, "unknown"),
        (127, "unknown"),
        (128, "rtp"),
        (0x80, "rtp"),
        (191, "rtp"),
        (192, "unknown"),
        (255, "unknown"),
    ],
)
def test_classify_ranges(first: int, kind: str) -> None:
    assert classify(bytes([first, 0, 0, 0])) == kind


def test_classify_every_byte_matches_rfc7983_ranges() -> None:
    for b in range(256):
        expected = (
            "stun"
            if b < 4
            else "zrtp"
            if 16 <= b < 20
            else "dtls"
            if 20 <= b < 64
            else "turn-channel"
            if 64 <= b < 80
            else "rtp"
            if 128 <= b < 192
            else "unknown"
        )
        assert classify(bytes([b])) == expected


def test_classify_empty() -> None:
    assert classify(b"") == "unknown"


def test_real_packets() -> None:
    stun_binding = bytes.fromhex("0001000021120a442b2b2b2b2b2b2b2b2b2b2b2b")
    dtls_client_hello = bytes.fromhex("16fefd000000000000000000")
    rtp = bytes([0x80, 0x6F, 0x00, 0x01]) + bytes(8)
    rtcp_sr = bytes([0x80, 200, 0x00, 0x06]) + bytes(24)
    assert classify(stun_binding) == "stun"
    assert classify(dtls_client_hello) == "dtls"
    assert classify(rtp) == "rtp" and not is_rtcp(rtp)
    assert classify(rtcp_sr) == "rtp" and is_rtcp(rtcp_sr)


@pytest.mark.parametrize("pt", [192, 200, 201, 202, 203, 204, 205, 206, 207, 223])
def test_is_rtcp_types(pt: int) -> None:
    assert is_rtcp(bytes([0x80, pt, 0, 1]))


@pytest.mark.parametrize("second", [0, 96, 111, 127, 0xE0, 0xFF, 0x60 | 0x80])
def test_is_rtp_not_rtcp(second: int) -> None:
    assert not is_rtcp(bytes([0x80, second, 0, 1]))


def test_is_rtcp_short() -> None:
    assert not is_rtcp(b"") and not is_rtcp(b"\x80")
