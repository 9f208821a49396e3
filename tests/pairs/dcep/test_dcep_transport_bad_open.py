"""DCEP input from a misbehaving peer through the whole secure transport (DTLS + SCTP + DCEP)."""

from __future__ import annotations

import random

from rtcpeer.bundle import BundleTransport
from rtcpeer.dcep import messages as m
from rtcpeer.dcep.manager import ChannelBufferedAmount, ChannelOpened, RemoteChannelCreated
from rtcpeer.dtls.certificate import RTCCertificate


def _connected() -> tuple[BundleTransport, BundleTransport]:
    ca, cb = RTCCertificate.generate(), RTCCertificate.generate()
    a = BundleTransport(ca, rng=random.Random(1), plpmtud=False)
    b = BundleTransport(cb, rng=random.Random(2), plpmtud=False)
    a.configure("client", cb.getFingerprints(), sctp=True)
    b.configure("server", ca.getFingerprints(), sctp=True)
    a.start(0.0)
    _flush(a, b)
    assert a.sctp_state == b.sctp_state == "connected"
    return a, b


def _flush(a: BundleTransport, b: BundleTransport) -> None:
    for _ in range(50):
        moved = 0
        for src, dst in ((a, b), (b, a)):
            for datagram in src.datagrams_to_send(0.0):
                dst.receive_datagram(datagram, 0.0)
                moved += 1
        if not moved:
            return


def _events(t: BundleTransport) -> list[object]:
    out = []
    while (e := t.next_event()) is not None:
        out.append(e)
    return out


def test_open_on_stream_65535_is_dropped_not_raised() -> None:
    """Hardening issue item 3 (595 of 660k fuzzed DCEP inputs): an OPEN on stream 65535 made
    ``receive_datagram`` raise ``LocalProtocolError: stream 65535 not negotiated``."""
    a, b = _connected()
    _events(a), _events(b)
    assoc = a.association
    assert assoc is not None
    # A peer that ignores the stream count: let a's association send on the reserved id.
    assoc.outbound_streams = 65536
    assoc.send(65535, m.PPID_DCEP, m.encode_open(m.ChannelParameters(label="bad")), 0.0)
    _flush(a, b)  # raised LocalProtocolError out of b.receive_datagram before the fix
    assert b.channels.stats["dropped_messages"] == 1
    assert [e for e in _events(b) if not isinstance(e, ChannelBufferedAmount)] == []
    # The association is unharmed: a proper OPEN still opens a channel.
    assoc.send(2, m.PPID_DCEP, m.encode_open(m.ChannelParameters(label="good")), 0.0)
    _flush(a, b)
    kinds = [type(e) for e in _events(b) if not isinstance(e, ChannelBufferedAmount)]
    assert kinds == [RemoteChannelCreated, ChannelOpened]


def test_peer_resets_a_channel_and_shuts_down_in_one_packet() -> None:
    """Fuzzer finding (dcep target): the peer's RE-CONFIG reset of a channel's stream bundled
    with SHUTDOWN. By the time the manager answers the reset with its own (RFC 8831 §6.7) the
    association is in SHUTDOWN-ACK-SENT, and reset_streams raised LocalProtocolError out of
    receive_datagram. Now the channel closes with the association instead."""
    a, b = _connected()
    record = a.channels.create(m.ChannelParameters(label="x"))
    assert a.association is not None
    a.channels.association_established(a.association, 0.0)
    _flush(a, b)
    for t in (a, b):
        t.handle_timer(1.0)  # the delayed SACK: everything a sent is acknowledged
    _flush(a, b)
    _events(a), _events(b)
    a.channels.close(record, 1.0)  # RE-CONFIG: reset our outgoing stream
    a.association.shutdown(1.0)  # all acked: SHUTDOWN goes in the same packet
    _flush(a, b)  # raised LocalProtocolError out of b.receive_datagram before the fix
    assert b.association is not None and b.association.state == "closed"
    assert all(c.state == "closed" for c in b.channels.channels())
