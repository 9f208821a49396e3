"""Two BundleTransports wired in memory: DTLS, SCTP data channels and SRTP share one pair.

SRTP is real (rtcpeer.srtp.session.SrtpSession, the bundle's default, keyed from the DTLS-SRTP
export); the RTP session is a small fake implementing the ``RtpSessionCore`` protocol (the
real RtpSession is in test_bundle_rtp_session.py).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from bundle_pair_helpers import TransportPair, make_transports, open_negotiated

from rtcpeer.bundle import BundleTransport
from rtcpeer.dcep.manager import ChannelMessage


@dataclass(frozen=True)
class Received:
    packet: bytes
    rtcp: bool


class FakeRtpSession:
    """RtpSessionCore: records what arrives, sends what it is told, one RTCP report timer."""

    def __init__(self, ssrc: int, report_at: float | None = None) -> None:
        self.ssrc = ssrc
        self.rtp: list[bytes] = []
        self.rtcp: list[bytes] = []
        self.outbox: list[tuple[bytes, bool]] = []
        self.events: list[object] = []
        self.report_at = report_at
        self.timer_reason: str | None = "rtcp-report" if report_at is not None else None
        self.reports_sent = 0

    def receive_rtp(self, packet: bytes, now: float) -> None:
        self.rtp.append(packet)
        self.events.append(Received(packet, False))

    def receive_rtcp(self, packet: bytes, now: float) -> None:
        self.rtcp.append(packet)
        self.events.append(Received(packet, True))

    def packets_to_send(self, now: float) -> list[tuple[bytes, bool]]:
        out, self.outbox = self.outbox, []
        return out

    def get_timer(self) -> float | None:
        return self.report_at

    def handle_timer(self, now: float) -> None:
        if self.report_at is not None and now >= self.report_at:
            self.reports_sent += 1
            self.outbox.append((rtcp_rr(self.ssrc), True))
            self.report_at = now + 5.0

    def next_event(self) -> object | None:
        return self.events.pop(0) if self.events else None


def rtp(ssrc: int, seq: int, payload: bytes = b"media", pt: int = 96) -> bytes:
    """An RTP packet (RFC 3550 §5.1): V=2, no padding/extension/CSRC."""
    return struct.pack("!BBHII", 0x80, pt, seq, seq * 960, ssrc) + payload


def rtcp_rr(ssrc: int) -> bytes:
    """An empty RTCP receiver report (RFC 3550 §6.4.2): PT 201, length 1 word."""
    return struct.pack("!BBHI", 0x80, 201, 1, ssrc)


def connected_media_pair() -> tuple[BundleTransport, BundleTransport, TransportPair]:
    a, b = make_transports()
    pair = TransportPair(a, b)
    a.start(0.0)
    b.start(0.0)
    pair.run_until(lambda: a.sctp_state == b.sctp_state == "connected", 0.0)
    return a, b, pair


def test_dtls_sctp_and_srtp_both_ways_over_one_pair() -> None:
    a, b, pair = connected_media_pair()
    assert a.dtls_state == b.dtls_state == "connected"
    sa, sb = FakeRtpSession(0xA), FakeRtpSession(0xB)
    a.attach_rtp_session(sa)
    b.attach_rtp_session(sb)
    # Data channel on the same pair.
    ra = open_negotiated(a, b, 1)
    a.channels.send(ra, "hello", 0.0)
    # RTP and RTCP both ways: through send_rtp/send_rtcp and through packets_to_send.
    a.send_rtp(rtp(0xA, 1))
    a.send_rtcp(rtcp_rr(0xA))
    sb.outbox += [(rtp(0xB, 7, b"back"), False), (rtcp_rr(0xB), True)]
    pair.transfer(0.0)
    assert sb.rtp == [rtp(0xA, 1)] and sb.rtcp == [rtcp_rr(0xA)]
    assert sa.rtp == [rtp(0xB, 7, b"back")] and sa.rtcp == [rtcp_rr(0xB)]
    messages = [e for e in pair.events["b"] if isinstance(e, ChannelMessage)]
    assert [e.data for e in messages] == ["hello"]
    # The RTP session's events come out of the bundle's next_event, as they are.
    assert Received(rtp(0xA, 1), False) in pair.events["b"]
    assert Received(rtcp_rr(0xB), True) in pair.events["a"]
    # On the wire the media was protected (not the plaintext) and counted by the demux.
    wire = [d for direction, d in pair.log if direction == "a>b" and 128 <= d[0] <= 191]
    assert len(wire) == 2 and rtp(0xA, 1) not in wire
    assert b.stats["srtp_datagrams"] == 1 and b.stats["srtcp_datagrams"] == 1
    assert a.stats["rtp_sent"] == 1 and a.stats["rtcp_sent"] == 1
    assert b.stats["rtp_sent"] == 1 and b.stats["rtcp_sent"] == 1


def test_tampered_srtp_and_srtcp_are_dropped_and_counted() -> None:
    a, b, pair = connected_media_pair()
    sb = FakeRtpSession(0xB)
    b.attach_rtp_session(sb)
    a.attach_rtp_session(FakeRtpSession(0xA))
    a.send_rtp(rtp(0xA, 1))
    a.send_rtcp(rtcp_rr(0xA))
    for data in a.datagrams_to_send(0.0):
        tampered = bytearray(data)
        tampered[-1] ^= 0x01  # the authentication tag
        b.receive_datagram(bytes(tampered), 0.0)
    assert sb.rtp == [] and sb.rtcp == []
    assert b.stats["srtp_rejected"] == 1 and b.stats["srtcp_rejected"] == 1
    assert b.srtp is not None
    assert b.srtp.stats["rtp_auth_failures"] == b.srtp.stats["rtcp_auth_failures"] == 1
    a.send_rtp(rtp(0xA, 2))  # the stream still works afterwards
    pair.transfer(0.0)
    assert sb.rtp == [rtp(0xA, 2)]


def test_srtp_before_keys_is_dropped_and_counted_both_ways() -> None:
    a, b = make_transports()
    sa, sb = FakeRtpSession(0xA), FakeRtpSession(0xB)
    a.attach_rtp_session(sa)
    b.attach_rtp_session(sb)
    # Outbound before DTLS is connected: RFC 5764 §4.1, nothing leaves, each one counted.
    a.send_rtp(rtp(0xA, 1))
    a.send_rtcp(rtcp_rr(0xA))
    sa.outbox.append((rtp(0xA, 2), False))
    assert a.datagrams_to_send(0.0) == []
    assert a.stats["media_send_dropped_no_keys"] == 3 and a.stats["rtp_sent"] == 0
    # Inbound before keys: dropped and counted, the RTP session sees nothing.
    b.receive_datagram(rtp(0xA, 3), 0.0)
    b.receive_datagram(rtcp_rr(0xA), 0.0)
    assert b.stats["media_dropped_before_keys"] == 2
    assert b.stats["srtp_datagrams"] == 1 and b.stats["srtcp_datagrams"] == 1
    assert sb.rtp == [] and sb.rtcp == [] and b.srtp is None
    # Once DTLS connects, the same calls go through.
    pair = TransportPair(a, b)
    a.start(0.0)
    b.start(0.0)
    pair.run_until(lambda: a.dtls_state == b.dtls_state == "connected", 0.0)
    a.send_rtp(rtp(0xA, 4))
    pair.transfer(0.0)
    assert sb.rtp == [rtp(0xA, 4)]


def test_media_without_an_rtp_session_is_dropped_and_counted() -> None:
    a, b, pair = connected_media_pair()
    a.send_rtp(rtp(0xA, 1))  # a sends without a session of its own: SRTP made on first use
    a.send_rtcp(rtcp_rr(0xA))
    pair.transfer(0.0)
    assert a.srtp is not None and b.srtp is None  # b never built libsrtp contexts
    assert b.stats["media_dropped_no_rtp_session"] == 2
    assert b.stats["media_dropped_before_keys"] == 0


def test_garbage_first_bytes_are_counted_and_do_not_disturb() -> None:
    a, b, pair = connected_media_pair()
    for first in (0, 3, 4, 16, 19, 64, 79, 80, 127, 192, 255):
        b.receive_datagram(bytes([first]) + bytes(40), 0.0)
    b.receive_datagram(b"", 0.0)
    assert b.stats["garbage_datagrams"] == 11 and b.stats["empty_datagrams"] == 1
    assert b.stats["media_dropped_before_keys"] == b.stats["media_dropped_no_rtp_session"] == 0
    assert b.dtls_state == "connected" and b.sctp_state == "connected"
    assert b.dtls is not None and b.dtls.stats["dropped_datagrams"] == 0
    sb = FakeRtpSession(0xB)
    b.attach_rtp_session(sb)
    record = open_negotiated(a, b, 5)
    a.channels.send(record, "after", 0.0)
    a.send_rtp(rtp(0xA, 1))
    pair.transfer(0.0)
    assert [e.data for e in pair.events["b"] if isinstance(e, ChannelMessage)] == ["after"]
    assert sb.rtp == [rtp(0xA, 1)]


def test_timer_reasons_name_the_child_whose_deadline_it_is() -> None:
    a, b = make_transports()
    assert a.get_timer() is None and a.timer_reason is None
    a.start(0.0)
    assert a.get_timer() is not None and a.timer_reason == "dtls.retransmit"
    pair = TransportPair(a, b)
    b.start(0.0)
    pair.run_until(lambda: a.sctp_state == b.sctp_state == "connected", 0.0)
    # SCTP: a message in flight that is never acknowledged arms T3-rtx.
    record = open_negotiated(a, b, 3)
    a.channels.send(record, "lost", 0.0)
    a.datagrams_to_send(0.0)  # sent, never delivered
    t3 = a.get_timer()
    assert t3 is not None and a.timer_reason == "sctp.t3-rtx"
    # An RTP session with an earlier deadline wins, and its reason is prefixed.
    session = FakeRtpSession(0xA, report_at=t3 / 2)
    a.attach_rtp_session(session)
    assert a.get_timer() == t3 / 2 and a.timer_reason == "rtp.rtcp-report"
    b.attach_rtp_session(sb := FakeRtpSession(0xB))
    a.handle_timer(t3 / 2)  # only the RTP session is due
    assert session.reports_sent == 1
    assert a.association is not None and a.association.get_timer() == t3
    pair.transfer(t3 / 2)
    assert sb.rtcp == [rtcp_rr(0xA)]  # the report went out protected and arrived
    assert a.get_timer() == t3 and a.timer_reason == "sctp.t3-rtx"
