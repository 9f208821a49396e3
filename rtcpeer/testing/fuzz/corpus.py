"""Record the seed corpus from a real sans-IO DTLS + SCTP + DCEP pair session.

Two :class:`~rtcpeer.bundle.BundleTransport` cores (the recorded associations use the
seeds of :mod:`.sessions`, so a fuzz session rebuilds the same verification tags) open
DCEP channels of every reliability kind, exchange strings, binary, empty and fragmented
messages, and close one channel (RFC 6525 stream reset). Recorded:

* ``dtls/``: every datagram on the wire, handshake and application records alike;
* ``sctp/``: every plaintext SCTP packet an association received;
* ``dcep/``: every message the channel managers received, as ``stream (2) | PPID (4) | data``;
* ``rtp/``, ``srtp/``: RTP and RTCP of every type an RtpSession sends, plain and protected
  (:mod:`.media`).

Files are ``NNN.bin``, one input each; :func:`load` reads a directory back.
"""

from __future__ import annotations

import random
from pathlib import Path

from rtcpeer import bundle as _transport
from rtcpeer.dcep import messages as m
from rtcpeer.sctp.association import Association
from rtcpeer.testing.fuzz import media, sessions

MAX_SEED_BYTES = 4096  # keep the committed corpus small


def load(directory: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(directory.glob("*.bin"))]


def write(directory: Path, seeds: list[bytes]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.bin"):
        old.unlink()
    unique = list(dict.fromkeys(s for s in seeds if len(s) <= MAX_SEED_BYTES))
    for i, seed in enumerate(unique):
        (directory / f"{i:03d}.bin").write_bytes(seed)


class _RecordingAssociation(Association):
    received: list[bytes] = []

    def receive_datagram(self, data: bytes, now: float) -> None:
        self.received.append(bytes(data))
        super().receive_datagram(data, now)


def record_session() -> dict[str, list[bytes]]:
    """Run the session; return the seeds per target name."""
    wire: list[bytes] = []
    dcep: list[bytes] = []
    names = vars(_transport)  # the transport builds its association from this name
    original = names["Association"]
    names["Association"] = _RecordingAssociation
    _RecordingAssociation.received = []
    try:
        a, b = sessions.new_transport_pair(sessions.CLIENT_SEED, sessions.SERVER_SEED)
        for t in (a, b):
            _tap_manager(t, dcep)
        now = 0.0
        a.start(now)
        _flush(a, b, now, wire)
        _converse(a, b, now, wire)
    finally:
        names["Association"] = original
    _check_tags(_RecordingAssociation.received)
    sctp = _RecordingAssociation.received + _graceful_shutdown()
    rtp = media.record_rtp()
    return {
        "dtls": wire,
        "sctp": sctp,
        "dcep": dcep,
        "rtp": rtp,
        "srtp": media.record_srtp(rtp),
    }


def _graceful_shutdown() -> list[bytes]:
    """SHUTDOWN / SHUTDOWN-ACK / SHUTDOWN-COMPLETE (RFC 9260 §9.2), which the transport
    session (it ends with ABORT) never sends: the same two associations, shut down."""
    a = sessions.new_association(sessions.CLIENT_SEED)
    b = sessions.new_association(sessions.SERVER_SEED)
    a.connect(0.0)
    b.connect(0.0)
    seen: list[bytes] = []
    for step in range(40):
        now = step * 0.1
        if step == 2:
            a.send(1, m.PPID_STRING, b"bye", now)
            a.shutdown(now)
        for src, dst in ((a, b), (b, a)):
            deadline = src.get_timer()
            if deadline is not None and deadline <= now:
                src.handle_timer(now)
            for packet in src.datagrams_to_send(now):
                seen.append(packet)
                dst.receive_datagram(packet, now)
    assert a.state == b.state == "closed", "the recorded shutdown did not complete"
    return seen


def _tap_manager(t: _transport.BundleTransport, out: list[bytes]) -> None:
    received = t.channels.data_received

    def tap(stream_id: int, ppid: int, data: bytes, now: float) -> None:
        out.append(stream_id.to_bytes(2, "big") + ppid.to_bytes(4, "big") + data)
        received(stream_id, ppid, data, now)

    t.channels.data_received = tap  # type: ignore[method-assign]


def _flush(
    a: _transport.BundleTransport, b: _transport.BundleTransport, now: float, wire: list[bytes]
) -> None:
    for _ in range(100):
        moved = 0
        for src, dst in ((a, b), (b, a)):
            for datagram in src.datagrams_to_send(now) + src.probe_datagrams_to_send(now):
                wire.append(datagram)
                dst.receive_datagram(datagram, now)
                moved += 1
            while src.next_event() is not None:
                pass
        if not moved:
            return


def _converse(
    a: _transport.BundleTransport, b: _transport.BundleTransport, now: float, wire: list[bytes]
) -> None:
    assert a.sctp_state == b.sctp_state == "connected", "the recorded session did not connect"
    kinds = [
        m.ChannelParameters(label="chat", protocol="json"),
        m.ChannelParameters(label="unordered", ordered=False, max_retransmits=0),
        m.ChannelParameters(label="lifetime", max_packet_lifetime=500),
    ]
    records = [a.channels.create(p) for p in kinds]
    records.append(b.channels.create(m.ChannelParameters(label="from-b")))
    for t in (a, b):
        assert t.association is not None
        t.channels.association_established(t.association, now)
    _flush(a, b, now, wire)
    rng = random.Random(7)
    payloads: list[str | bytes] = ["hello", "", b"", b"\x00\xff" * 8, "é" * 20, rng.randbytes(2500)]
    for record in records:
        owner = b if record is records[-1] else a
        for payload in payloads:
            owner.channels.send(record, payload, now)
        _flush(a, b, now, wire)
    now += 0.5  # delayed SACKs and the rest
    for t in (a, b):
        t.handle_timer(now)
    _flush(a, b, now, wire)
    a.channels.close(records[0], now)  # RE-CONFIG both ways (RFC 8831 §6.7)
    _flush(a, b, now, wire)
    a.close(now)  # ABORT and DTLS close_notify
    _flush(a, b, now, wire)


def _check_tags(packets: list[bytes]) -> None:
    """The fuzz sessions rebuild these associations: the recorded tags must be theirs."""
    client = sessions.new_association(sessions.CLIENT_SEED)
    client.connect(0.0)
    tags = {p[4:8] for p in packets if p[4:8] != b"\x00" * 4}
    assert client.local_tag.to_bytes(4, "big") in tags, "recorded tags differ from the seeds'"


def main(root: Path) -> None:
    for name, seeds in record_session().items():
        write(root / name, seeds)
        print(f"{name}: {len(list((root / name).glob('*.bin')))} seeds")
