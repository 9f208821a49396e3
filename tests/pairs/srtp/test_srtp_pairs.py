"""SRTP sessions keyed from a sans-IO DTLS pair, in every offered protection profile."""

from __future__ import annotations

import struct

import pytest
from dtls_pair_helpers import connect, make_pair

from rtcpeer.dtls.srtp_keys import DEFAULT_SRTP_PROFILES, SrtpKeyMaterial
from rtcpeer.srtp import SrtpSession


def rtp(seq: int, ssrc: int = 0x1234_5678, payload: bytes = b"\xab" * 160) -> bytes:
    return struct.pack("!BBHII", 0x80, 96, seq, seq * 160, ssrc) + payload


def rtcp_rr(ssrc: int = 0x1234_5678) -> bytes:
    """An RR with one report block (RFC 3550 §6.4.2): 8 + 24 bytes."""
    block = struct.pack("!IIIIII", 0xCAFE, 0, 7, 0, 0, 0)
    return struct.pack("!BBHI", 0x81, 201, 7, ssrc) + block


@pytest.fixture(scope="module", params=DEFAULT_SRTP_PROFILES)
def keys(request: pytest.FixtureRequest) -> tuple[SrtpKeyMaterial, SrtpKeyMaterial]:
    """Keys exported by a real sans-IO DTLS handshake (client side, server side)."""
    profile: str = request.param
    client, server = make_pair(client_profiles=(profile,))
    connect(client, server)
    ck, sk = client.srtp_keys(), server.srtp_keys()
    assert ck is not None and sk is not None and ck.profile == sk.profile == profile
    return ck, sk


@pytest.fixture
def pair(keys: tuple[SrtpKeyMaterial, SrtpKeyMaterial]) -> tuple[SrtpSession, SrtpSession]:
    """Fresh SRTP contexts per test (replay windows start empty)."""
    return SrtpSession(keys[0]), SrtpSession(keys[1])


def test_rtp_and_rtcp_round_trip_both_ways(pair: tuple[SrtpSession, SrtpSession]) -> None:
    a, b = pair
    for tx, rx in ((a, b), (b, a)):
        for seq in range(1, 6):
            plain = rtp(seq)
            wire = tx.protect_rtp(plain)
            assert wire != plain and len(wire) > len(plain)
            assert rx.unprotect_rtp(wire) == plain
        plain_rtcp = rtcp_rr()
        wire = tx.protect_rtcp(plain_rtcp)
        assert wire[:8] == plain_rtcp[:8]  # SRTCP leaves the header and sender SSRC clear
        assert rx.unprotect_rtcp(wire) == plain_rtcp
        assert tx.stats["rtp_protected"] == 5 and tx.stats["rtcp_protected"] == 1
        assert rx.stats["rtp_unprotected"] == 5 and rx.stats["rtcp_unprotected"] == 1


def test_own_key_does_not_unprotect_own_packets(pair: tuple[SrtpSession, SrtpSession]) -> None:
    a, _ = pair
    assert a.unprotect_rtp(a.protect_rtp(rtp(1))) is None
    assert a.stats["rtp_auth_failures"] == 1


def test_tampered_rtp_dropped_and_next_good_packet_passes(
    pair: tuple[SrtpSession, SrtpSession],
) -> None:
    a, b = pair
    assert b.unprotect_rtp(a.protect_rtp(rtp(1))) == rtp(1)
    wire = bytearray(a.protect_rtp(rtp(2)))
    wire[20] ^= 0x01
    assert b.unprotect_rtp(bytes(wire)) is None
    assert b.stats["rtp_auth_failures"] == 1
    # The tampered copy did not advance the replay window: the genuine packet 2 still passes.
    wire[20] ^= 0x01
    assert b.unprotect_rtp(bytes(wire)) == rtp(2)
    assert b.unprotect_rtp(a.protect_rtp(rtp(3))) == rtp(3)


def test_replayed_rtp_dropped_and_counted(pair: tuple[SrtpSession, SrtpSession]) -> None:
    a, b = pair
    w1 = a.protect_rtp(rtp(1))
    assert b.unprotect_rtp(w1) == rtp(1)
    assert b.unprotect_rtp(w1) is None
    assert b.stats["rtp_replays"] == 1 and b.stats["rtp_auth_failures"] == 0
    assert b.unprotect_rtp(a.protect_rtp(rtp(2))) == rtp(2)


def test_rtp_behind_the_replay_window_is_a_replay(pair: tuple[SrtpSession, SrtpSession]) -> None:
    a, b = pair
    old = a.protect_rtp(rtp(1))
    for seq in range(2, 300):
        assert b.unprotect_rtp(a.protect_rtp(rtp(seq))) is not None
    assert b.unprotect_rtp(old) is None  # never seen, but 298 behind a 128-packet window
    assert b.stats["rtp_replays"] == 1


@pytest.mark.parametrize("keep", [0, 1, 11, 12, 20])
def test_truncated_rtp_dropped_and_next_good_packet_passes(
    pair: tuple[SrtpSession, SrtpSession], keep: int
) -> None:
    a, b = pair
    wire = a.protect_rtp(rtp(1))
    assert b.unprotect_rtp(wire[:keep]) is None
    bad = b.stats["rtp_malformed"] + b.stats["rtp_auth_failures"]
    assert bad == 1
    if keep < 12:
        assert b.stats["rtp_malformed"] == 1
    assert b.unprotect_rtp(wire) == rtp(1)


def test_too_long_rtp_is_malformed_not_raised(pair: tuple[SrtpSession, SrtpSession]) -> None:
    _, b = pair
    assert b.unprotect_rtp(rtp(1, payload=bytes(3000))) is None
    assert b.stats["rtp_malformed"] == 1


def test_rtcp_tampered_replayed_truncated(pair: tuple[SrtpSession, SrtpSession]) -> None:
    a, b = pair
    w1 = a.protect_rtcp(rtcp_rr())
    assert b.unprotect_rtcp(w1) == rtcp_rr()
    assert b.unprotect_rtcp(w1) is None
    assert b.stats["rtcp_replays"] == 1
    w2 = bytearray(a.protect_rtcp(rtcp_rr()))
    w2[12] ^= 0x80
    assert b.unprotect_rtcp(bytes(w2)) is None
    assert b.stats["rtcp_auth_failures"] == 1
    w3 = a.protect_rtcp(rtcp_rr())
    assert b.unprotect_rtcp(w3[:7]) is None
    assert b.unprotect_rtcp(w3[:12]) is None
    assert b.stats["rtcp_malformed"] == 2
    assert b.unprotect_rtcp(w3) == rtcp_rr()
    w2[12] ^= 0x80
    assert b.unprotect_rtcp(bytes(w2)) == rtcp_rr()  # index 2 still unseen: accepted


def test_many_ssrcs_share_one_context(pair: tuple[SrtpSession, SrtpSession]) -> None:
    a, b = pair
    for ssrc in (1, 2, 0xFFFF_FFFF):
        assert b.unprotect_rtp(a.protect_rtp(rtp(7, ssrc=ssrc))) == rtp(7, ssrc=ssrc)


def test_protecting_the_same_seq_twice_is_a_local_error(
    pair: tuple[SrtpSession, SrtpSession],
) -> None:
    import pylibsrtp

    a, _ = pair
    a.protect_rtp(rtp(1))
    with pytest.raises(pylibsrtp.Error):
        a.protect_rtp(rtp(1))
