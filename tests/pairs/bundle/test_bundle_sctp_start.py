"""Who starts the SCTP association over DTLS (RFC 8261 §6, RFC 9260 §5.2.4).

Both DTLS roles send INIT once DTLS connects: some peers (werift as answerer) start SCTP only
when they are ICE-controlling, so a DTLS server that waits can wait forever.
"""

from __future__ import annotations

import random

from bundle_pair_helpers import TransportPair, make_transports

from rtcpeer.bundle import BundleTransport
from rtcpeer.dtls.certificate import RTCCertificate
from rtcpeer.dtls.endpoint import DtlsEndpoint
from rtcpeer.dtls.events import DtlsApplicationData
from rtcpeer.sctp.association import Association
from rtcpeer.sctp.chunks import InitChunk
from rtcpeer.sctp.events import AssociationEstablished


class PassiveSctpPeer:
    """A DTLS client whose SCTP side never sends INIT, only answers (as werift does)."""

    def __init__(self, cert: RTCCertificate, remote: RTCCertificate) -> None:
        self.dtls = DtlsEndpoint(cert, "client", remote.getFingerprints())
        self.assoc = Association(rng=random.Random(5), plpmtud=False)
        self.sctp_events: list[object] = []
        self.inits_received = 0

    def start(self, now: float) -> None:
        self.dtls.start(now)

    def receive_datagram(self, data: bytes, now: float) -> None:
        self.dtls.receive_datagram(data, now)
        while (ev := self.dtls.next_event()) is not None:
            if isinstance(ev, DtlsApplicationData):
                if len(ev.data) > 12 and ev.data[12] == InitChunk.type:
                    self.inits_received += 1
                self.assoc.receive_datagram(ev.data, now)
        while (sev := self.assoc.next_event()) is not None:
            self.sctp_events.append(sev)

    def datagrams_to_send(self, now: float) -> list[bytes]:
        if self.dtls.state == "connected":
            packets = self.assoc.datagrams_to_send(now)
            if packets:
                self.dtls.send_many(packets)
        return self.dtls.datagrams_to_send(now)

    def get_timer(self) -> float | None:
        timers = [t for t in (self.dtls.get_timer(), self.assoc.get_timer()) if t is not None]
        return min(timers) if timers else None

    def handle_timer(self, now: float) -> None:
        self.dtls.handle_timer(now)
        self.assoc.handle_timer(now)

    def next_event(self) -> object | None:
        return None


def test_both_sides_send_init_and_the_collision_establishes_once() -> None:
    a, b = make_transports()
    pair = TransportPair(a, b)
    a.start(0.0)
    b.start(0.0)
    # Step by hand until both associations exist: each must be in cookie-wait (its own INIT
    # sent) by the time it has processed everything the other sent so far.
    first_state: dict[str, str] = {}
    for _ in range(20):
        for src, dst, name in ((a, b, "b"), (b, a, "a")):
            for data in src.datagrams_to_send(0.0):
                dst.receive_datagram(data, 0.0)
            if dst.association is not None and name not in first_state:
                first_state[name] = dst.association.state
    assert first_state == {"a": "cookie-wait", "b": "cookie-wait"}
    pair.run_until(lambda: a.sctp_state == b.sctp_state == "connected", 0.0)
    assert a.association is not None and b.association is not None
    # Both INITs went out (one SCTP INIT per side; §5.2.4 collision, no restart).
    assert a.association.state == b.association.state == "established"
    assert a.association.local_tag == b.association.peer_tag
    assert b.association.local_tag == a.association.peer_tag
    assert a.association.stats["dropped"] == b.association.stats["dropped"] == 0
    for name in ("a", "b"):
        connected = [e for e in pair.events[name] if getattr(e, "state", None) == "connected"]
        assert len(connected) == 2  # dtls connected once, sctp connected once


def test_dtls_server_starts_sctp_when_the_peer_never_sends_init() -> None:
    server_cert, client_cert = RTCCertificate.generate(), RTCCertificate.generate()
    server = BundleTransport(server_cert, plpmtud=False)
    server.configure("server", client_cert.getFingerprints(), sctp=True)
    peer = PassiveSctpPeer(client_cert, server_cert)
    pair = TransportPair(peer, server)
    server.start(0.0)
    peer.start(0.0)
    now = pair.run_until(lambda: server.sctp_state == "connected", 0.0, limit=10.0)
    assert now == 0.0  # no timer needed: the server's INIT went out as soon as DTLS connected
    assert peer.inits_received == 1
    assert peer.assoc.state == "established"
    assert [e for e in peer.sctp_events if isinstance(e, AssociationEstablished)]
