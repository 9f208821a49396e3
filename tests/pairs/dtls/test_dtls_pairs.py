"""Two DtlsEndpoints wired in memory: handshake, data, SRTP keys, failure, close, garbage."""

from __future__ import annotations

import os
import random
import time

import pylibsrtp
import pytest
from dtls_pair_helpers import connect, events, make_pair, roundtrip, state, transfer

from rtcpeer.dtls import (
    DtlsApplicationData,
    DtlsClosed,
    DtlsConnected,
    DtlsEndpoint,
    DtlsFailed,
    RTCCertificate,
    RTCDtlsFingerprint,
    certificate_fingerprint,
)
from rtcpeer.errors import LocalProtocolError

PROFILES = ("SRTP_AEAD_AES_128_GCM", "SRTP_AEAD_AES_256_GCM", "SRTP_AES128_CM_SHA1_80")


def test_handshake_completes_and_both_sides_agree() -> None:
    client, server = make_pair()
    assert state(client) == state(server) == "new"
    client.start(0.0)
    server.start(0.0)
    assert state(client) == state(server) == "connecting"
    assert server.get_timer() is None  # a server has nothing to retransmit yet
    roundtrip(client, server)
    assert client.state == server.state == "connected"
    ce, se = events(client), events(server)
    assert len(ce) == len(se) == 1
    assert isinstance(ce[0], DtlsConnected) and isinstance(se[0], DtlsConnected)
    assert ce[0].srtp_profile == se[0].srtp_profile == "SRTP_AEAD_AES_128_GCM"
    assert client.srtp_profile == server.srtp_profile == "SRTP_AEAD_AES_128_GCM"
    assert client.get_timer() is None and server.get_timer() is None
    # each side records the sha-256 fingerprint of the other's certificate
    assert client.remote_certificate_fingerprint == server._certificate.getFingerprints()[0]
    assert server.remote_certificate_fingerprint == client._certificate.getFingerprints()[0]


def test_client_timer_armed_after_start() -> None:
    client, _ = make_pair()
    client.start(10.0)
    timer = client.get_timer()
    assert timer is not None
    assert 10.9 < timer <= 11.0  # OpenSSL's initial DTLS timeout is 1 s (wall clock)


def test_datagrams_respect_mtu() -> None:
    client, server = make_pair(mtu=300)
    client.start(0.0)
    server.start(0.0)
    sizes: list[int] = []

    def watch(_src: DtlsEndpoint, dgram: bytes) -> bool:
        sizes.append(len(dgram))
        return False

    roundtrip(client, server, drop=watch)
    assert client.state == server.state == "connected"
    assert sizes and max(sizes) <= 300
    assert len(sizes) > 4  # the server's certificate flight had to be split


@pytest.mark.parametrize("size", [1, 100, 1100])
def test_application_data_both_ways_byte_exact(size: int) -> None:
    client, server = make_pair()
    connect(client, server)
    events(client), events(server)
    payloads = [os.urandom(size) for _ in range(5)]
    for p in payloads:
        client.send(p)
    transfer(client, server)
    assert events(server) == [DtlsApplicationData(p) for p in payloads]
    for p in payloads:
        server.send(p[::-1])
    transfer(server, client)
    assert events(client) == [DtlsApplicationData(p[::-1]) for p in payloads]
    assert client.stats["records_out"] == 5 and server.stats["records_in"] == 5


def test_empty_send_sends_nothing() -> None:
    client, server = make_pair()
    connect(client, server)
    client.send(b"")
    assert client.datagrams_to_send(0.0) == []


def test_max_payload_fits_mtu() -> None:
    client, server = make_pair()
    connect(client, server)
    assert 1100 < client.max_payload < 1200
    client.send(b"m" * client.max_payload)
    (dgram,) = client.datagrams_to_send(0.0)
    assert len(dgram) <= 1200


def test_one_send_is_one_datagram() -> None:
    client, server = make_pair()
    connect(client, server)
    for _ in range(3):
        client.send(b"x" * 1100)
    dgrams = client.datagrams_to_send(0.0)
    assert len(dgrams) == 3
    assert all(len(d) <= 1200 for d in dgrams)


@pytest.mark.parametrize("profile", PROFILES)
def test_profile_negotiated_when_restricted(profile: str) -> None:
    client, server = make_pair(client_profiles=(profile,))
    connect(client, server)
    ce, se = events(client), events(server)
    assert ce == [DtlsConnected(profile, client.srtp_keys())]
    assert se == [DtlsConnected(profile, server.srtp_keys())]


def test_server_preference_wins() -> None:
    client, server = make_pair(server_profiles=("SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM"))
    connect(client, server)
    assert client.srtp_profile == server.srtp_profile == "SRTP_AES128_CM_SHA1_80"


def test_no_common_profile_connects_without_srtp() -> None:
    client, server = make_pair(
        client_profiles=("SRTP_AEAD_AES_256_GCM",), server_profiles=("SRTP_AES128_CM_SHA1_80",)
    )
    connect(client, server)
    assert client.state == server.state == "connected"
    assert client.srtp_profile is None and client.srtp_keys() is None
    assert events(server) == [DtlsConnected(None, None)]


@pytest.mark.parametrize("profile", PROFILES)
def test_srtp_keys_match_and_protect_rtp_both_ways(profile: str) -> None:
    client, server = make_pair(client_profiles=(profile,))
    connect(client, server)
    ck, sk = client.srtp_keys(), server.srtp_keys()
    assert ck is not None and sk is not None
    assert ck.profile == sk.profile == profile
    assert ck.local_key == sk.remote_key and ck.local_salt == sk.remote_salt
    assert ck.remote_key == sk.local_key and ck.remote_salt == sk.local_salt
    assert ck.local_key != ck.remote_key
    rtp = bytes([0x80, 96, 0, 1, 0, 0, 0, 160, 0x12, 0x34, 0x56, 0x78]) + os.urandom(160)
    for sender, receiver in ((ck, sk), (sk, ck)):
        tx = pylibsrtp.Session(
            policy=pylibsrtp.Policy(
                key=sender.local_master_key,
                ssrc_type=pylibsrtp.Policy.SSRC_ANY_OUTBOUND,
                srtp_profile=sender.libsrtp_profile,
            )
        )
        rx = pylibsrtp.Session(
            policy=pylibsrtp.Policy(
                key=receiver.remote_master_key,
                ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND,
                srtp_profile=receiver.libsrtp_profile,
            )
        )
        protected = tx.protect(rtp)
        assert protected != rtp
        assert rx.unprotect(protected) == rtp


def test_fingerprint_mismatch_fails_and_delivers_nothing() -> None:
    wrong = RTCCertificate.generate().getFingerprints()
    client, server = make_pair(client_fps=wrong)
    connect(client, server)
    assert client.state == "failed" and server.state == "failed"
    ce, se = events(client), events(server)
    assert ce == [DtlsFailed("fingerprint mismatch")]
    assert len(se) == 1 and isinstance(se[0], DtlsFailed)  # bad_certificate alert from client
    assert client.srtp_keys() is None and server.srtp_keys() is None
    with pytest.raises(LocalProtocolError):
        client.send(b"secret")
    with pytest.raises(LocalProtocolError):
        server.send(b"secret")


def test_server_side_fingerprint_mismatch() -> None:
    wrong = RTCCertificate.generate().getFingerprints()
    client, server = make_pair(server_fps=wrong)
    connect(client, server)
    assert server.state == "failed"
    assert events(server) == [DtlsFailed("fingerprint mismatch")]
    assert client.state == "failed"
    assert all(not isinstance(e, DtlsApplicationData) for e in events(client))


@pytest.mark.parametrize("algorithm", ["sha-1", "sha-384", "sha-512", "sha-224", "SHA-256"])
def test_other_fingerprint_algorithms_accepted(algorithm: str) -> None:
    cc, sc = RTCCertificate.generate(), RTCCertificate.generate()
    sfp = RTCDtlsFingerprint(algorithm, certificate_fingerprint(sc.der, algorithm).lower())
    cfp = RTCDtlsFingerprint(algorithm, certificate_fingerprint(cc.der, algorithm))
    client = DtlsEndpoint(cc, "client", [sfp])
    server = DtlsEndpoint(sc, "server", [cfp])
    connect(client, server)
    assert client.state == server.state == "connected"


def test_any_matching_fingerprint_is_enough() -> None:
    cc, sc = RTCCertificate.generate(), RTCCertificate.generate()
    other = RTCCertificate.generate().getFingerprints()[0]
    unknown = RTCDtlsFingerprint("md5", "00:11")
    client = DtlsEndpoint(cc, "client", [other, unknown, *sc.getFingerprints()])
    server = DtlsEndpoint(sc, "server", cc.getFingerprints())
    connect(client, server)
    assert client.state == server.state == "connected"


def test_late_remote_fingerprints_hold_data_until_verified() -> None:
    cc, sc = RTCCertificate.generate(), RTCCertificate.generate()
    client = DtlsEndpoint(cc, "client", sc.getFingerprints())
    server = DtlsEndpoint(sc, "server", [])  # the answer has not arrived yet
    connect(client, server)
    assert client.state == "connected" and server.state == "connecting"
    client.send(b"early")
    transfer(client, server)
    assert events(server) == []
    server.set_remote_fingerprints(cc.getFingerprints())
    assert state(server) == "connected"
    evs = events(server)
    assert isinstance(evs[0], DtlsConnected)
    assert evs[1:] == [DtlsApplicationData(b"early")]


def test_late_wrong_fingerprints_fail_and_drop_held_data() -> None:
    cc, sc = RTCCertificate.generate(), RTCCertificate.generate()
    client = DtlsEndpoint(cc, "client", sc.getFingerprints())
    server = DtlsEndpoint(sc, "server", [])
    connect(client, server)
    client.send(b"early")
    transfer(client, server)
    server.set_remote_fingerprints(RTCCertificate.generate().getFingerprints())
    assert server.state == "failed"
    assert events(server) == [DtlsFailed("fingerprint mismatch")]


def test_close_notify_reaches_peer() -> None:
    client, server = make_pair()
    connect(client, server)
    events(client), events(server)
    client.close()
    assert client.state == "closed"
    assert events(client) == [DtlsClosed()]
    transfer(client, server)
    assert server.state == "closed"
    assert events(server) == [DtlsClosed()]
    with pytest.raises(LocalProtocolError):
        server.send(b"late")
    client.close()  # idempotent
    assert events(client) == []


def test_server_close_reaches_client() -> None:
    client, server = make_pair()
    connect(client, server)
    events(client)
    server.close()
    transfer(server, client)
    assert client.state == "closed" and events(client) == [DtlsClosed()]


def test_close_before_start() -> None:
    client, _ = make_pair()
    client.close()
    assert client.state == "closed"
    assert client.datagrams_to_send(0.0) == []
    assert events(client) == [DtlsClosed()]


def test_start_twice_is_a_local_error() -> None:
    client, _ = make_pair()
    client.start(0.0)
    with pytest.raises(LocalProtocolError):
        client.start(0.0)


def test_send_before_connected_is_a_local_error() -> None:
    client, _ = make_pair()
    with pytest.raises(LocalProtocolError):
        client.send(b"x")


def test_server_accepts_client_hello_before_start() -> None:
    client, server = make_pair()
    client.start(0.0)
    transfer(client, server)
    assert state(server) == "connecting"
    server.start(0.0)  # the driver's late start() is harmless
    roundtrip(client, server)
    assert client.state == server.state == "connected"
    with pytest.raises(LocalProtocolError):
        server.start(0.0)


def test_duplicated_handshake_datagrams() -> None:
    client, server = make_pair()
    client.start(0.0)
    server.start(0.0)
    for _ in range(6):
        for src, dst in ((client, server), (server, client)):
            for dgram in src.datagrams_to_send(0.0):
                dst.receive_datagram(dgram, 0.0)
                dst.receive_datagram(dgram, 0.0)
    assert client.state == server.state == "connected"
    assert [type(e) for e in events(client)] == [DtlsConnected]
    assert [type(e) for e in events(server)] == [DtlsConnected]
    client.send(b"after dup")
    transfer(client, server)
    assert events(server) == [DtlsApplicationData(b"after dup")]


def test_reordered_client_flight_recovers_by_retransmission() -> None:
    """The client's second flight (several datagrams) arrives in reverse: OpenSSL drops the
    early ChangeCipherSpec/Finished, and the handshake recovers when the server's
    wall-clock timer retransmits its flight (~1 s of real time)."""
    client, server = make_pair(mtu=300)
    client.start(0.0)
    server.start(0.0)
    transfer(client, server)
    transfer(server, client)
    flight = client.datagrams_to_send(0.0)
    assert len(flight) > 1
    for dgram in reversed(flight):
        server.receive_datagram(dgram, 0.0)
    if state(server) != "connected":
        deadline = server.get_timer()
        assert deadline is not None
        time.sleep(deadline + 0.05)
        server.handle_timer(deadline)
        roundtrip(client, server, now=deadline)
    assert client.state == server.state == "connected"


def test_garbage_after_connect_is_counted_and_survives() -> None:
    client, server = make_pair()
    connect(client, server)
    events(server)
    client.send(b"legit")
    legit = client.datagrams_to_send(0.0)[0]
    other_c, other_s = make_pair()
    connect(other_c, other_s)
    other_c.send(b"other session")
    foreign = other_c.datagrams_to_send(0.0)[0]
    rng = random.Random(7)
    garbage = [b"", b"\x17", os.urandom(100), legit[:10], legit[:-3], legit + b"\x00", foreign]
    for _ in range(500):
        mutated = bytearray(legit)
        mutated[rng.randrange(13, len(mutated))] ^= 1 + rng.randrange(255)
        garbage.append(bytes(mutated))
        header = bytes([rng.choice([20, 21, 22, 23, 25]), 0xFE, 0xFD]) + os.urandom(8)
        body = os.urandom(rng.randrange(40))
        garbage.append(header + len(body).to_bytes(2, "big") + body)
    for g in garbage:
        server.receive_datagram(g, 0.0)
        assert server.state == "connected"
    assert events(server) == []
    assert server.stats["dropped_datagrams"] >= len(garbage) - 10
    server.receive_datagram(legit, 0.0)
    server.receive_datagram(legit, 0.0)  # replay: dropped by OpenSSL
    assert events(server) == [DtlsApplicationData(b"legit")]
    server.send(b"still fine")
    transfer(server, client)
    assert events(client)[-1] == DtlsApplicationData(b"still fine")


def test_garbage_during_handshake_does_not_raise() -> None:
    client, server = make_pair()
    client.start(0.0)
    server.start(0.0)
    for g in (b"", b"\x00\x01", os.urandom(200), b"\x16\xfe\xfd" + b"\x00" * 10):
        client.receive_datagram(g, 0.0)
        server.receive_datagram(g, 0.0)
    roundtrip(client, server)
    assert client.state == server.state == "connected"


def test_datagrams_after_failure_are_dropped() -> None:
    wrong = RTCCertificate.generate().getFingerprints()
    client, server = make_pair(client_fps=wrong)
    connect(client, server)
    before = client.stats["dropped_datagrams"]
    client.receive_datagram(b"\x17\xfe\xfd" + bytes(10), 1.0)
    assert client.stats["dropped_datagrams"] == before + 1


def test_handle_timer_before_deadline_does_nothing() -> None:
    client, _ = make_pair()
    client.start(0.0)
    client.datagrams_to_send(0.0)
    client.handle_timer(0.0)
    assert client.datagrams_to_send(0.0) == []
    assert client.stats["retransmissions"] == 0


def test_lost_client_hello_is_retransmitted() -> None:
    """OpenSSL's timer runs on the wall clock: this test waits ~1 s of real time."""
    client, server = make_pair()
    client.start(0.0)
    server.start(0.0)
    assert len(client.datagrams_to_send(0.0)) == 1  # the ClientHello, lost
    deadline = client.get_timer()
    assert deadline is not None
    time.sleep(deadline + 0.05)
    client.handle_timer(deadline)
    assert client.stats["retransmissions"] == 1
    roundtrip(client, server, now=deadline)
    assert client.state == server.state == "connected"
    assert client.get_timer() is None
