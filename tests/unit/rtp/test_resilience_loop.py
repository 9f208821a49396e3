"""The whole receive-repair loop through two RtpSessions: a packet lost for good (its RTX
lost too) stalls video for one jitter-buffer wait, then a PLI brings a keyframe."""

from __future__ import annotations

import random

from rtcpeer.rtp import events as ev
from rtcpeer.rtp.jitterbuffer import Frame, KeyframeNeeded, VideoJitterBuffer
from rtcpeer.rtp.keyframes import KeyframeRequestCoalescer, KeyframeRequester
from rtcpeer.rtp.nack import NackGenerator
from rtcpeer.rtp.packet import MID_URI, HeaderExtensionMap
from rtcpeer.rtp.rtx import NackResponder, RtxReceiver, SendHistory
from rtcpeer.rtp.session import MediaSectionConfig, RtpSession, RtpSessionConfig, SendStreamConfig

EXT = HeaderExtensionMap({1: MID_URI})


class Toy:
    def starts_frame(self, payload: bytes) -> bool:
        return payload[:1] in (b"K", b"S")

    def is_keyframe(self, payload: bytes) -> bool:
        return payload[:1] == b"K"


class Sender:
    def __init__(self) -> None:
        cfg = MediaSectionConfig(
            "v", {96: 90000, 97: 90000}, EXT, (SendStreamConfig(11, "a", rtx_ssrc=12),)
        )
        self.session = RtpSession(
            RtpSessionConfig((cfg,), rtcp_reduced_size=True),
            rng=random.Random(1),
            now=0.0,
            ntp_offset=0.0,
        )
        self.history = SendHistory()
        self.responder = NackResponder(self.history, {96: 97})
        self.keyframes = KeyframeRequestCoalescer()
        self.frame_no = 0
        self.force_key = False

    def send_frame(self, now: float) -> None:
        key = self.frame_no == 0 or self.force_key
        self.force_key = False
        for i in range(3):
            head = (b"K" if key else b"S") if i == 0 else b"C"
            p = self.session.send_rtp("v", 96, head + b"x" * 100, 3000 * self.frame_no, i == 2, now)
            self.history.add(p, now)
        self.frame_no += 1

    def on_events(self, now: float) -> None:
        while (e := self.session.next_event()) is not None:
            if isinstance(e, ev.NackReceived):
                for rt in self.responder.on_nack(e.lost, now):
                    self.session.send_rtx("v", rt.rtx_payload_type, rt.packet, now)
            elif isinstance(e, ev.PliReceived) and self.keyframes.on_pli(now):
                self.force_key = True


class Receiver:
    def __init__(self) -> None:
        cfg = MediaSectionConfig("v", {96: 90000, 97: 90000}, EXT)
        self.session = RtpSession(
            RtpSessionConfig((cfg,), rtcp_reduced_size=True),
            rng=random.Random(2),
            now=0.0,
            ntp_offset=0.0,
        )
        self.rtx = RtxReceiver({97: 96})
        self.nacks = NackGenerator(99, 11)
        self.jb = VideoJitterBuffer(Toy())
        self.pli = KeyframeRequester(99, 11, pli=True, fir=False)
        self.frames: list[Frame] = []
        self.keyframe_needed_at: list[float] = []

    def on_events(self, now: float) -> None:
        while (e := self.session.next_event()) is not None:
            if not isinstance(e, ev.RtpReceived):
                continue
            p = e.packet
            if self.rtx.is_rtx(p):
                if (q := self.rtx.unwrap(p)) is None:
                    continue
                p = q
            else:
                self.rtx.media_packet_seen(p)
            self.nacks.packet_received(p.sequence_number, now)
            self.jb.add(p, now)
        self.timers(now)

    def timers(self, now: float) -> None:
        for core in (self.nacks, self.jb, self.pli):
            t = core.get_timer()
            if t is not None and t <= now:
                core.handle_timer(now)
        while (f := self.jb.next_event()) is not None:
            if isinstance(f, KeyframeNeeded):
                self.keyframe_needed_at.append(now)
                self.pli.request(now)
            else:
                self.frames.append(f)
                if f.keyframe:
                    self.pli.keyframe_received(now)
        feedback = [*self.pli.take_feedback()]
        if (nack := self.nacks.take_feedback()) is not None:
            feedback.append(nack)
        if feedback:
            self.session.send_rtcp(feedback, now)


def test_a_packet_lost_for_good_costs_one_wait_then_a_pli_brings_a_keyframe() -> None:
    a, b = Sender(), Receiver()
    lost_seq: int | None = None
    lost_at: float | None = None
    now = 0.0
    for step in range(120):  # 1.2 s in 10 ms steps, a frame every 30 ms
        now = round(step * 0.01, 3)
        if step % 3 == 0:
            a.send_frame(now)
        for data, is_rtcp in a.session.packets_to_send(now):
            if is_rtcp:
                b.session.receive_rtcp(data, now)
                continue
            seq = int.from_bytes(data[2:4], "big")
            payload = data[20:]  # 12-byte header + 8-byte one-byte extension block (mid)
            if a.frame_no == 4 and lost_seq is None and payload[:1] == b"C":
                lost_seq, lost_at = seq, now  # frame 3's second packet
                continue
            if data[1] & 0x7F == 97:
                continue  # every retransmission is lost too
            b.session.receive_rtp(data, now)
        b.on_events(now)
        for data, is_rtcp in b.session.packets_to_send(now):
            assert is_rtcp
            a.session.receive_rtcp(data, now)
        a.on_events(now)
    assert lost_seq is not None and lost_at is not None
    assert b.nacks.stats["nack_count"] >= 2  # NACKed, then retried one RTT later
    assert a.responder.stats["retransmitted_packets_sent"] >= 2
    # the jitter buffer gave up exactly one wait after the hole was seen
    assert b.keyframe_needed_at[0] - lost_at <= b.jb.wait + 0.01
    assert b.pli.stats["pli_count"] == 1 and a.keyframes.stats["keyframes_wanted"] == 1
    keys = [f for f in b.frames if f.keyframe]
    assert len(keys) == 2  # the first frame, and the one the PLI asked for
    assert keys[1].released_at - b.keyframe_needed_at[0] <= 0.04  # next frame slot
    assert b.jb.stats["frames_dropped"] == 1
