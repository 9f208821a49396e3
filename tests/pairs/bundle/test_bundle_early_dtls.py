"""DTLS records that arrive before the transport is configured are held, not thrown away.

A peer that answers may send its ClientHello before we have applied its answer (seen with
node-datachannel). Dropping it costs the peer's 1 s retransmission; instead the first few
datagrams (bounded, the excess counted) are fed to DTLS as soon as it is configured and ICE
has a pair to answer on (an answer before that is dropped by ICE, costing the same 1 s).
"""

from __future__ import annotations

from bundle_pair_helpers import TransportPair

from rtcpeer.bundle import BundleTransport
from rtcpeer.dtls.certificate import RTCCertificate


def _unconfigured_server() -> tuple[BundleTransport, BundleTransport, RTCCertificate]:
    cc, sc = RTCCertificate.generate(), RTCCertificate.generate()
    client, server = BundleTransport(cc, plpmtud=False), BundleTransport(sc, plpmtud=False)
    client.configure("client", sc.getFingerprints(), sctp=True)
    return client, server, cc


def test_client_hello_before_configure_is_answered_right_after_it() -> None:
    client, server, client_cert = _unconfigured_server()
    client.start(0.0)
    hello = client.datagrams_to_send(0.0)
    assert hello
    for data in hello:
        server.receive_datagram(data, 0.0)
    assert server.datagrams_to_send(0.0) == []  # nothing to answer with yet
    server.configure("server", client_cert.getFingerprints(), sctp=True)
    # Configured, but ICE has no pair yet: an answer now would go nowhere (the reply would
    # cost the peer's 1 s retransmission), so the ClientHello stays held.
    assert server.datagrams_to_send(0.0) == []
    server.path_ready()
    assert server.dtls_state == "connecting"
    answer = server.datagrams_to_send(0.0)
    assert answer, "the held ClientHello was not answered"
    assert server.stats["early_dtls_dropped"] == 0
    for data in answer:
        client.receive_datagram(data, 0.0)
    # The handshake finishes with no timer fired (virtual time stays at 0).
    pair = TransportPair(client, server)
    now = pair.run_until(lambda: client.sctp_state == server.sctp_state == "connected", 0.0)
    assert now == 0.0
    assert server.dtls is not None and server.dtls.stats["retransmissions"] == 0
    assert client.dtls is not None and client.dtls.stats["retransmissions"] == 0


def test_early_datagrams_are_bounded_and_the_excess_counted() -> None:
    client, server, client_cert = _unconfigured_server()
    client.start(0.0)
    hello = client.datagrams_to_send(0.0)[0]
    for _ in range(50):
        server.receive_datagram(hello, 0.0)
    held, dropped = server.stats["early_dtls_held"], server.stats["early_dtls_dropped"]
    assert 1 <= held < 50 and held + dropped == 50
    big = b"\x16\xfe\xfd" + bytes(20000)
    server.receive_datagram(big, 0.0)
    assert server.stats["early_dtls_dropped"] == dropped + 1  # beyond the byte bound
    server.path_ready()
    assert server.datagrams_to_send(0.0) == []  # a path, but not configured yet
    server.configure("server", client_cert.getFingerprints(), sctp=True)
    assert server.datagrams_to_send(0.0)
