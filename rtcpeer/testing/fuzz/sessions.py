"""Live sans-IO sessions the fuzz targets feed: an established SCTP pair, a DCEP pair on top
of it, and a DTLS+SCTP secure-transport pair (during and after the handshake).

The SCTP pair is built exactly as the recorded corpus session built it (same RNG seeds, same
ports), so the recorded packets carry the verification tags of a fresh session and reach the
chunk handlers instead of stopping at the tag check. Only the harness's own calls into a core
may raise LocalProtocolError (a call the core refuses in its current state); anything raised
while delivering input is a finding.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Callable
from typing import Any

from rtcpeer._mux import classify
from rtcpeer.bundle import BundleTransport
from rtcpeer.dcep import messages as m
from rtcpeer.dcep.manager import DataChannelManager
from rtcpeer.dtls.certificate import RTCCertificate
from rtcpeer.errors import InvalidStateError, LocalProtocolError
from rtcpeer.sctp.association import Association
from rtcpeer.sctp.events import (
    AssociationClosed,
    AssociationEstablished,
    BufferedAmountChanged,
    DataReceived,
    OutgoingStreamsReset,
    StreamsReset,
)

CLIENT_SEED, SERVER_SEED = 1, 2  # the RNG seeds of the recorded session's associations
SCTP_MTU = 1200  # the association MTU argument of the recorded session


def new_association(seed: int) -> Association:
    return Association(rng=random.Random(seed), mtu=SCTP_MTU)


def _quiet(a: Association, b: Association, now: float, on_events: Callable[[], None]) -> None:
    for _ in range(12):
        moved = 0
        for src, dst in ((a, b), (b, a)):
            for packet in src.datagrams_to_send(now) + src.probe_datagrams_to_send(now):
                dst.receive_datagram(packet, now)
                moved += 1
        on_events()
        if not moved:
            return


class SctpSession:
    """Packets into an ESTABLISHED association (the one whose tag the packet carries)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = 0.0
        self.a = new_association(CLIENT_SEED)
        self.b = new_association(SERVER_SEED)
        self.a.connect(0.0)
        self.b.connect(0.0)  # both DTLS roles send INIT, as the secure transport does
        _quiet(self.a, self.b, 0.0, self.on_events)
        assert self.a.state == self.b.state == "established"
        self._tags = {self.a.local_tag.to_bytes(4, "big"): self.a}
        self.local_send(self.a, 40)  # data in flight both ways, so SACKs meet outstanding TSNs
        self.local_send(self.b, 40)

    def on_events(self) -> None:
        for assoc in (self.a, self.b):
            while assoc.next_event() is not None:
                pass

    def local_send(self, assoc: Association, size: int) -> None:
        """The application sends (a refused call in the current state is not a finding)."""
        if assoc.state != "established":
            return
        stream = self.rng.randrange(4)
        with contextlib.suppress(LocalProtocolError):
            assoc.send(stream, m.PPID_BINARY, self.rng.randbytes(size), self.now)

    def local_control(self, assoc: Association) -> None:
        """The application resets a stream or shuts down (refused calls are not findings)."""
        with contextlib.suppress(LocalProtocolError):
            if self.rng.random() < 0.8:
                assoc.reset_streams([self.rng.randrange(4)], self.now)
            else:
                assoc.shutdown(self.now)

    def restart_if_closed(self) -> None:
        """An accepted ABORT ends the association: go on with a fresh one (deterministic)."""
        if self.b.state == "closed" or self.a.state == "closed":
            type(self).__init__(self, self.rng)

    def feed(self, data: bytes) -> None:
        self.restart_if_closed()
        target = self._tags.get(data[4:8], self.b)
        target.receive_datagram(data, self.now)
        self.after_input()

    def after_input(self) -> None:
        rng = self.rng
        self.now += 0.01
        if rng.random() < 0.1:
            self.local_send(rng.choice((self.a, self.b)), rng.choice((1, 100, 3000)))
        if rng.random() < 0.02:
            self.local_control(rng.choice((self.a, self.b)))
        if rng.random() < 0.3:
            # Let the fuzzed endpoint answer (SACK, INIT-ACK, ABORT ...) and the peer reply.
            _quiet(self.a, self.b, self.now, self.on_events)
        for assoc in (self.a, self.b):
            deadline = assoc.get_timer()
            if deadline is not None and (deadline <= self.now or rng.random() < 0.05):
                self.now = max(self.now, deadline)
                assoc.handle_timer(self.now)
        self.on_events()


_MANAGER_EVENTS: dict[type, Callable[[DataChannelManager, Association, Any, float], None]] = {
    DataReceived: lambda mgr, _a, e, now: mgr.data_received(e.stream_id, e.ppid, e.data, now),
    BufferedAmountChanged: lambda mgr, _a, e, _now: mgr.buffered_amount_changed(
        e.stream_id, e.buffered
    ),
    AssociationEstablished: lambda mgr, a, _e, now: mgr.association_established(a, now),
    StreamsReset: lambda mgr, _a, e, now: mgr.incoming_streams_reset(e.stream_ids, now),
    OutgoingStreamsReset: lambda mgr, _a, e, _now: mgr.outgoing_streams_reset(e.stream_ids),
    AssociationClosed: lambda mgr, _a, _e, _now: mgr.association_closed(),
}


class DcepSession(SctpSession):
    """DCEP/user messages (``stream id (2) | PPID (4) | payload``) from a peer that sends
    whatever it likes, through SCTP into an established channel manager, as the secure
    transport wires them (association events -> manager)."""

    def __init__(self, rng: random.Random) -> None:
        self.ma, self.mb = DataChannelManager(), DataChannelManager()
        self.ma.set_role(True)
        self.mb.set_role(False)
        self.records = [
            self.ma.create(m.ChannelParameters(label="chat")),
            self.ma.create(m.ChannelParameters(label="u", ordered=False, max_retransmits=0)),
            self.mb.create(m.ChannelParameters(label="t", max_packet_lifetime=500)),
            self.ma.create(m.ChannelParameters(label="n"), negotiated=True, stream_id=100),
        ]
        super().__init__(rng)
        # The injecting side ignores its negotiated stream count, as a misbehaving peer can.
        self.a.outbound_streams = 1 << 16

    def on_events(self) -> None:
        for assoc, mgr in ((self.a, self.ma), (self.b, self.mb)):
            while (event := assoc.next_event()) is not None:
                _MANAGER_EVENTS[type(event)](mgr, assoc, event, self.now)
            while mgr.next_event() is not None:
                pass

    def feed(self, data: bytes) -> None:
        self.restart_if_closed()
        if len(data) < 7 or self.a.state != "established":
            return
        stream, ppid = int.from_bytes(data[0:2], "big"), int.from_bytes(data[2:6], "big")
        try:
            self.a.send(stream, ppid, data[6:], self.now, ordered=self.rng.random() < 0.8)
        except LocalProtocolError:
            return  # e.g. that stream is being reset on the sending side
        _quiet(self.a, self.b, self.now, self.on_events)
        if self.rng.random() < 0.05:
            self._local_call()
        self.after_input()

    def local_control(self, assoc: Association) -> None:
        """Streams are reset through the managers (channel close), never beneath them."""
        if self.rng.random() < 0.8:
            mgr = self.ma if assoc is self.a else self.mb
            channels = [c for c in mgr.channels() if c.state == "open"]
            if channels:
                mgr.close(self.rng.choice(channels), self.now)
        else:
            with contextlib.suppress(LocalProtocolError):
                assoc.shutdown(self.now)

    def _local_call(self) -> None:
        """The application on b uses its channels (send, close) while input arrives; the
        W3C error of a call its state refuses (InvalidStateError) is not a finding."""
        mgr = self.mb
        channels = [c for c in mgr.channels() if c.state == "open"]
        if not channels:
            return
        record = self.rng.choice(channels)
        if self.rng.random() < 0.3:
            mgr.close(record, self.now)
        else:
            with contextlib.suppress(InvalidStateError):
                mgr.send(record, self.rng.choice(("hi", b"\x00\x01", "")), self.now)


_CERTS: list[RTCCertificate] = []


def _certificates() -> list[RTCCertificate]:
    if not _CERTS:
        _CERTS.extend(RTCCertificate.generate() for _ in range(2))
    return _CERTS


def new_transport_pair(seed_a: int, seed_b: int) -> tuple[BundleTransport, BundleTransport]:
    ca, cb = _certificates()
    a = BundleTransport(ca, rng=random.Random(seed_a))
    b = BundleTransport(cb, rng=random.Random(seed_b))
    a.configure("client", cb.getFingerprints(), sctp=True)
    b.configure("server", ca.getFingerprints(), sctp=True)
    return a, b


class DtlsSession:
    """Datagrams through the RFC 7983 demux into a secure transport, during the handshake
    (between genuine flights) and after it (between genuine SCTP traffic)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.now = 0.0
        self.a, self.b = new_transport_pair(CLIENT_SEED, SERVER_SEED)
        self.a.start(0.0)
        self._pending: list[tuple[BundleTransport, bytes]] = []
        self._collect()

    def _collect(self) -> None:
        for src, dst in ((self.a, self.b), (self.b, self.a)):
            self._pending += [(dst, d) for d in src.datagrams_to_send(self.now)]
            self._pending += [(dst, d) for d in src.probe_datagrams_to_send(self.now)]
        for t in (self.a, self.b):
            while t.next_event() is not None:
                pass

    def _deliver(self, limit: int) -> None:
        for _ in range(limit):
            if not self._pending:
                self._collect()
                if not self._pending:
                    return
            dst, data = self._pending.pop(0)
            dst.receive_datagram(data, self.now)
        self._collect()

    def feed(self, data: bytes) -> None:
        rng = self.rng
        dst = self.b if rng.random() < 0.7 else self.a
        if classify(data) == "dtls":  # the driver hands only DTLS-range datagrams over
            dst.receive_datagram(data, self.now)
        self.now += 0.01
        if rng.random() < 0.4:
            self._deliver(rng.choice((1, 2, 8)))
        if self.a.sctp_state == "connected" and rng.random() < 0.2:
            self._send_message()
        for t in (self.a, self.b):
            deadline = t.get_timer()
            if deadline is not None and deadline <= self.now:
                t.handle_timer(self.now)
        self._collect()

    def _send_message(self) -> None:
        assoc = self.a.association
        if assoc is None or assoc.state != "established":
            return
        with contextlib.suppress(LocalProtocolError):
            assoc.send(1, m.PPID_BINARY, self.rng.randbytes(self.rng.choice((1, 500))), self.now)
