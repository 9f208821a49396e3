"""RFC 4588 RTX: send history bounds, NACK responder, RTX unwrapping, and a round trip
through two RtpSessions with the NACK generator and the jitter buffer in the loop."""

from __future__ import annotations

import random

import pytest

from rtcpeer.rtp import events as ev
from rtcpeer.rtp.jitterbuffer import Frame, VideoJitterBuffer
from rtcpeer.rtp.nack import NackGenerator
from rtcpeer.rtp.packet import (
    MID_URI,
    REPAIRED_RID_URI,
    RID_URI,
    HeaderExtensionMap,
    RtpPacket,
)
from rtcpeer.rtp.rtx import NackResponder, RtxReceiver, SendHistory, rtx_payload, unwrap_rtx
from rtcpeer.rtp.session import MediaSectionConfig, RtpSession, RtpSessionConfig, SendStreamConfig


def pkt(seq: int, payload: bytes = b"x" * 100, pt: int = 96, ssrc: int = 5) -> RtpPacket:
    return RtpPacket(pt, seq & 0xFFFF, 1000, ssrc, payload, False)


def test_history_is_bounded_by_count_bytes_and_age() -> None:
    h = SendHistory(max_packets=10, max_bytes=550, max_age=1.0)
    for i in range(20):
        h.add(pkt(i), 0.0)
    assert len(h) == 5 and h.bytes == 500  # bytes bound first
    assert h.get(14, 0.0) is None and h.get(15, 0.0) is not None
    h2 = SendHistory(max_packets=10)
    for i in range(20):
        h2.add(pkt(i, b"y"), 0.0)
    assert len(h2) == 10 and h2.get(10, 0.0) is not None and h2.get(9, 0.0) is None
    h3 = SendHistory(max_age=1.0)
    h3.add(pkt(1), 0.0)
    h3.add(pkt(2), 1.5)
    assert len(h3) == 1 and h3.get(2, 1.5) is not None
    assert h3.get(2, 2.6) is None  # older than max_age even without a new add


def test_responder_resends_as_rtx_at_most_once_per_rtt() -> None:
    h = SendHistory()
    for i in range(65530, 65540):  # across the wrap
        h.add(pkt(i), 0.0)
    r = NackResponder(h, {96: 97})
    r.set_rtt(0.05)
    out = r.on_nack([65535, 0, 2], 0.1)
    assert [(x.packet.sequence_number, x.rtx_payload_type) for x in out] == [
        (65535, 97),
        (0, 97),
        (2, 97),
    ]
    assert r.on_nack([0], 0.12) == []  # within one RTT of the last resend
    assert r.stats["nack_rate_limited"] == 1
    assert len(r.on_nack([0], 0.16)) == 1
    assert r.on_nack([1000], 0.2) == [] and r.stats["nack_unknown_seq"] == 1
    assert r.stats["retransmitted_packets_sent"] == 4
    assert r.stats["retransmitted_bytes_sent"] == 400


def test_without_rtx_nothing_is_resent() -> None:
    h = SendHistory()
    h.add(pkt(1), 0.0)
    r = NackResponder(h, {})
    assert r.on_nack([1], 0.0) == []
    assert r.stats["nack_without_rtx"] == 1 and r.stats["retransmitted_packets_sent"] == 0


def test_rtx_payload_round_trip_and_padding_probe() -> None:
    original = RtpPacket(96, 4321, 777, 5, b"media", True)
    rtx = RtpPacket(97, 9, 777, 6, rtx_payload(original), True)
    assert unwrap_rtx(rtx, 5, 96) == original
    assert unwrap_rtx(RtpPacket(97, 10, 777, 6, b"", False, padding_size=200), 5, 96) is None


def test_receiver_maps_by_ssrc_group() -> None:
    rx = RtxReceiver({97: 96}, {6: 5})
    out = rx.unwrap(RtpPacket(97, 1, 0, 6, b"\x00\x07abc"))
    assert out is not None and (out.ssrc, out.payload_type, out.sequence_number) == (5, 96, 7)


def test_receiver_learns_an_unsignalled_rtx_ssrc_from_the_pt() -> None:
    rx = RtxReceiver({97: 96})
    assert rx.unwrap(RtpPacket(97, 1, 0, 6, b"\x00\x07abc")) is None  # no media seen yet
    rx.media_packet_seen(RtpPacket(96, 7, 0, 5, b"abc"))
    out = rx.unwrap(RtpPacket(97, 2, 0, 6, b"\x00\x07abc"))
    assert out is not None and out.ssrc == 5
    assert rx.stats == {"rtx_received": 2, "rtx_unwrapped": 1, "rtx_padding": 0, "rtx_unmapped": 1}


def test_receiver_maps_simulcast_rtx_by_repaired_rid_then_by_order() -> None:
    rx = RtxReceiver({97: 96}, rid_id=4, repaired_rid_id=5)
    rx.media_packet_seen(RtpPacket(96, 1, 0, 100, b"a", extensions={4: b"lo"}))
    rx.media_packet_seen(RtpPacket(96, 1, 0, 200, b"a", extensions={4: b"hi"}))
    out = rx.unwrap(RtpPacket(97, 1, 0, 201, b"\x00\x01a", extensions={5: b"hi"}))
    assert out is not None and out.ssrc == 200
    plain = RtxReceiver({97: 96})
    for ssrc in (100, 200):
        plain.media_packet_seen(RtpPacket(96, 1, 0, ssrc, b"a"))
    first = plain.unwrap(RtpPacket(97, 1, 0, 101, b"\x00\x01a"))
    second = plain.unwrap(RtpPacket(97, 1, 0, 201, b"\x00\x01a"))
    assert first is not None and second is not None
    assert (first.ssrc, second.ssrc) == (100, 200)


def test_session_send_rtx_needs_an_rtx_ssrc() -> None:
    cfg = RtpSessionConfig(
        (
            MediaSectionConfig(
                "v", {96: 90000, 97: 90000}, HeaderExtensionMap(), (SendStreamConfig(5, "c"),)
            ),
        )
    )
    s = RtpSession(cfg, rng=random.Random(0), now=0.0, ntp_offset=0.0)
    p = s.send_rtp("v", 96, b"a", 0, True, 0.0)
    with pytest.raises(ValueError):
        s.send_rtx("v", 97, p, 0.0)


# -- the round trip --------------------------------------------------------------------

EXT = HeaderExtensionMap({1: MID_URI, 10: RID_URI, 11: REPAIRED_RID_URI})


class Toy:
    def starts_frame(self, payload: bytes) -> bool:
        return payload[:1] in (b"K", b"S")

    def is_keyframe(self, payload: bytes) -> bool:
        return payload[:1] == b"K"


def sessions(signal_rtx_ssrc: bool) -> tuple[RtpSession, RtpSession]:
    send = MediaSectionConfig(
        "v", {96: 90000, 97: 90000}, EXT, (SendStreamConfig(1111, "a", rtx_ssrc=2222),)
    )
    remote = (1111, 2222) if signal_rtx_ssrc else ()
    recv = MediaSectionConfig("v", {96: 90000, 97: 90000}, EXT, remote_ssrcs=remote)
    a = RtpSession(RtpSessionConfig((send,)), rng=random.Random(1), now=0.0, ntp_offset=0.0)
    b = RtpSession(
        RtpSessionConfig((recv,), rtcp_reduced_size=True),
        rng=random.Random(2),
        now=0.0,
        ntp_offset=0.0,
    )
    return a, b


@pytest.mark.parametrize("signal_rtx_ssrc", [True, False])
def test_rtx_round_trip_through_two_sessions(signal_rtx_ssrc: bool) -> None:
    a, b = sessions(signal_rtx_ssrc)
    history = SendHistory()
    responder = NackResponder(history, {96: 97})
    rtx_rx = RtxReceiver({97: 96}, {2222: 1111} if signal_rtx_ssrc else None)
    nacks = NackGenerator(sender_ssrc=3333, media_ssrc=1111)
    jb = VideoJitterBuffer(Toy())
    frames: list[Frame] = []

    def b_receives(now: float, drop: set[int]) -> None:
        for data, is_rtcp in a.packets_to_send(now):
            if is_rtcp:
                b.receive_rtcp(data, now)
                continue
            if int.from_bytes(data[2:4], "big") in drop and data[1] & 0x7F == 96:
                continue
            b.receive_rtp(data, now)
        while (e := b.next_event()) is not None:
            if not isinstance(e, ev.RtpReceived):
                continue
            p = e.packet
            if rtx_rx.is_rtx(p):
                unwrapped = rtx_rx.unwrap(p)
                if unwrapped is None:
                    continue
                p = unwrapped
            else:
                rtx_rx.media_packet_seen(p)
            nacks.packet_received(p.sequence_number, now)
            jb.add(p, now)
        while (f := jb.next_event()) is not None:
            assert isinstance(f, Frame)
            frames.append(f)

    sent = []
    for i in range(6):  # two frames of three packets: K C C, S C C
        head = (b"K" if i == 0 else b"S") if i % 3 == 0 else b"C"
        p = a.send_rtp("v", 96, head + bytes([i]) * 50, 3000 * (i // 3), i % 3 == 2, 0.0)
        history.add(p, 0.0)
        sent.append(p)
    lost = sent[1].sequence_number
    b_receives(0.0, {lost})
    assert len(frames) == 0 and jb.get_timer() is not None
    # B's NACK generator: one NACK, sent alone (reduced-size), through A's session
    nacks.handle_timer(0.0)
    nack = nacks.take_feedback()
    assert nack is not None and nack.lost == (lost,)
    b.send_rtcp([nack], 0.01)
    for data, is_rtcp in b.packets_to_send(0.01):
        assert is_rtcp
        a.receive_rtcp(data, 0.02)
    (got,) = [e for e in iter(a.next_event, None) if isinstance(e, ev.NackReceived)]
    assert got.media_ssrc == 1111 and got.lost == (lost,)
    for rt in responder.on_nack(got.lost, 0.02):
        rtx = a.send_rtx("v", rt.rtx_payload_type, rt.packet, 0.02)
        assert (rtx.ssrc, rtx.payload_type, rtx.timestamp) == (2222, 97, rt.packet.timestamp)
    b_receives(0.03, set())
    assert [len(f.packets) for f in frames] == [3, 1 + 2]
    repaired = frames[0].packets[1]
    assert (repaired.ssrc, repaired.payload_type) == (1111, 96)
    assert (repaired.sequence_number, repaired.payload) == (lost, sent[1].payload)
    assert responder.stats["retransmitted_packets_sent"] == 1
    assert a.stats["rtx_sent"] == 1 and nacks.missing == 0
    assert jb.stats["frames_dropped"] == 0
