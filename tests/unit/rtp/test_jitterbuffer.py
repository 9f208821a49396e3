"""VideoJitterBuffer: frame assembly, reordering, bounded waits, keyframe skipping."""

from __future__ import annotations

from rtcpeer.rtp.jitterbuffer import (
    TIMER_JITTER,
    Frame,
    JitterBufferConfig,
    KeyframeNeeded,
    VideoJitterBuffer,
)
from rtcpeer.rtp.packet import RtpPacket


class Toy:
    """b"K..." starts a keyframe, b"S..." starts a delta frame, anything else continues."""

    def starts_frame(self, payload: bytes) -> bool:
        return payload[:1] in (b"K", b"S")

    def is_keyframe(self, payload: bytes) -> bool:
        return payload[:1] == b"K"


def frame_packets(seq: int, ts: int, n: int, key: bool = False) -> list[RtpPacket]:
    out = []
    for i in range(n):
        head = (b"K" if key else b"S") if i == 0 else b"C"
        out.append(
            RtpPacket(96, (seq + i) & 0xFFFF, ts & 0xFFFFFFFF, 1, head + bytes([i]), i == n - 1)
        )
    return out


def stream(
    first_seq: int, first_ts: int, frames: int, per_frame: int = 3, key_every: int = 1000
) -> list[list[RtpPacket]]:
    out = []
    seq = first_seq
    for f in range(frames):
        out.append(frame_packets(seq, first_ts + 3000 * f, per_frame, key=f % key_every == 0))
        seq += per_frame
    return out


def drain(jb: VideoJitterBuffer) -> list[object]:
    out = []
    while (e := jb.next_event()) is not None:
        out.append(e)
    return out


def frames(events: list[object]) -> list[Frame]:
    return [e for e in events if isinstance(e, Frame)]


def test_in_order_frames_are_released_on_their_marker() -> None:
    jb = VideoJitterBuffer(Toy())
    fs = stream(100, 0, 3)
    for p in fs[0][:2]:
        jb.add(p, 0.0)
    assert drain(jb) == []
    jb.add(fs[0][2], 0.0)
    (f,) = frames(drain(jb))
    assert f.keyframe and [p.sequence_number for p in f.packets] == [100, 101, 102]
    for p in fs[1] + fs[2]:
        jb.add(p, 0.03)
    out = frames(drain(jb))
    assert [f.timestamp - out[0].timestamp for f in out] == [0, 3000]
    assert not out[0].keyframe
    assert jb.get_timer() is None and jb.packets_held == 0


def test_reordered_packets_wait_for_their_predecessor_then_release_in_order() -> None:
    jb = VideoJitterBuffer(Toy())
    fs = stream(10, 0, 3)
    for p in fs[0]:
        jb.add(p, 0.0)
    drain(jb)
    # frame 2 arrives completely before frame 1's middle packet
    jb.add(fs[1][0], 0.01)
    jb.add(fs[1][2], 0.01)
    for p in fs[2]:
        jb.add(p, 0.02)
    assert drain(jb) == []
    assert jb.get_timer() is not None
    jb.add(fs[1][1], 0.03)
    out = frames(drain(jb))
    assert [f.first_seq & 0xFFFF for f in out] == [13, 16]
    assert jb.get_timer() is None


def test_rtx_arrival_before_the_deadline_completes_the_frame() -> None:
    jb = VideoJitterBuffer(Toy())
    jb.set_rtt(0.05)
    assert jb.wait == 0.125  # 2.5 RTT
    fs = stream(0, 0, 2)
    for p in fs[0]:
        jb.add(p, 0.0)
    drain(jb)
    jb.add(fs[1][0], 1.0)
    jb.add(fs[1][2], 1.0)  # hole at seq 4 detected at 1.0
    assert jb.get_timer() == 1.125 and jb.timer_reason == TIMER_JITTER
    jb.handle_timer(1.1)  # early: nothing happens
    jb.add(fs[1][1], 1.1)  # the retransmission
    (f,) = frames(drain(jb))
    assert f.first_seq & 0xFFFF == 3 and jb.stats["frames_dropped"] == 0


def test_rtx_after_the_deadline_is_late_and_the_buffer_asks_for_a_keyframe() -> None:
    jb = VideoJitterBuffer(Toy())
    fs = stream(0, 0, 4, key_every=3)  # frames 0 and 3 are keyframes
    for p in fs[0]:
        jb.add(p, 0.0)
    drain(jb)
    jb.add(fs[1][0], 1.0)
    jb.add(fs[1][2], 1.0)
    for p in fs[2]:
        jb.add(p, 1.03)
    deadline = jb.get_timer()
    assert deadline == 1.0 + jb.wait == 1.25
    jb.handle_timer(deadline)
    assert drain(jb) == [KeyframeNeeded("frame-lost")]
    assert jb.stats["frames_dropped"] == 1
    jb.add(fs[1][1], 1.3)  # the retransmission, too late
    assert jb.stats["packets_late"] == 1 and drain(jb) == []
    for p in fs[3]:
        jb.add(p, 1.4)
    (f,) = frames(drain(jb))
    assert f.keyframe and f.first_seq & 0xFFFF == 9


def test_a_lost_packet_costs_one_wait_not_one_per_queued_frame() -> None:
    """Frames 1 and 2 each lose a packet in the same burst; a keyframe (3) follows.
    The keyframe is released at the first deadline, one wait after the burst."""
    jb = VideoJitterBuffer(Toy())
    fs = stream(0, 0, 4, key_every=3)
    for p in fs[0]:
        jb.add(p, 0.0)
    drain(jb)
    t = 2.0
    for p in [fs[1][0], fs[1][2], fs[2][0], fs[2][2], *fs[3]]:
        jb.add(p, t)
    assert drain(jb) == []
    jb.handle_timer(t + jb.wait)
    (f,) = frames(drain(jb))  # no KeyframeNeeded: a keyframe was held
    assert f.keyframe and f.released_at == t + jb.wait
    assert jb.get_timer() is None and jb.stats["frames_dropped"] == 1


def test_a_repaired_frame_does_not_restart_the_wait_of_the_next_one() -> None:
    """Holes in frames 1 and 2 are detected together at 0.1; frame 1 is repaired at 0.3.
    Frame 2's deadline stays 0.1 + wait (not 0.3 + wait): waits do not chain."""
    jb = VideoJitterBuffer(Toy())
    fs = stream(0, 0, 3)
    for p in fs[0]:
        jb.add(p, 0.0)
    drain(jb)
    for p in [fs[1][0], fs[1][2], fs[2][0], fs[2][2]]:
        jb.add(p, 0.1)
    assert jb.get_timer() == 0.1 + jb.wait
    jb.add(fs[1][1], 0.3)
    assert len(frames(drain(jb))) == 1
    assert jb.get_timer() == 0.1 + jb.wait
    jb.handle_timer(0.1 + jb.wait)
    assert drain(jb) == [KeyframeNeeded("frame-lost")]


def test_sequence_number_and_timestamp_wrap_with_reordering() -> None:
    jb = VideoJitterBuffer(Toy())
    fs = stream(0xFFFE, 0xFFFFFFFF - 3000, 3)  # seq and ts wrap inside the stream
    order = [fs[0][0], fs[0][2], fs[0][1], fs[1][1], fs[1][0], fs[2][0], fs[1][2], *fs[2][1:]]
    for p in order:
        jb.add(p, 0.0)
    out = frames(drain(jb))
    assert [[p.sequence_number for p in f.packets] for f in out] == [
        [0xFFFE, 0xFFFF, 0],
        [1, 2, 3],
        [4, 5, 6],
    ]
    ts = [f.timestamp for f in out]
    assert ts[1] - ts[0] == 3000 and ts[2] - ts[1] == 3000  # no 2^32 jump
    assert [p.timestamp for p in out[2].packets] == [(0xFFFFFFFF - 3000 + 6000) & 0xFFFFFFFF] * 3


def test_memory_is_bounded_when_the_head_never_completes() -> None:
    jb = VideoJitterBuffer(Toy(), JitterBufferConfig(max_packets=50))
    fs = stream(0, 0, 60)
    for p in fs[0]:
        jb.add(p, 0.0)
    drain(jb)
    # frame 1 loses its first packet; everything else keeps arriving, no timer is run
    for f in fs[1:]:
        for p in f:
            if p is not fs[1][0]:
                jb.add(p, 0.01)
            assert jb.packets_held <= 50
    assert KeyframeNeeded("overflow") in drain(jb)
    assert jb.stats["packets_dropped"] > 0


def test_stream_starting_with_a_delta_frame_waits_for_a_keyframe() -> None:
    jb = VideoJitterBuffer(Toy())
    fs = stream(500, 0, 5, key_every=4)  # frame 4 is the only keyframe after the first
    for p in fs[1] + fs[2]:
        jb.add(p, 0.0)
    assert drain(jb) == [] and jb.get_timer() == jb.wait
    jb.handle_timer(jb.wait)
    assert drain(jb) == [KeyframeNeeded("no-keyframe")]
    assert jb.get_timer() is None
    for p in fs[3] + fs[4]:
        jb.add(p, 0.5)
    (f,) = frames(drain(jb))
    assert f.keyframe and f.first_seq & 0xFFFF == 512


def test_keyframe_start_reordered_behind_its_second_packet() -> None:
    jb = VideoJitterBuffer(Toy())
    fs = stream(7, 0, 2)
    jb.add(fs[0][1], 0.0)
    jb.add(fs[0][0], 0.001)
    jb.add(fs[0][2], 0.002)
    out = frames(drain(jb))
    assert len(out) == 1 and out[0].keyframe


def test_duplicates_are_counted_not_released_twice() -> None:
    jb = VideoJitterBuffer(Toy())
    fs = stream(0, 0, 1)
    jb.add(fs[0][0], 0.0)
    jb.add(fs[0][0], 0.0)
    jb.add(fs[0][1], 0.0)
    jb.add(fs[0][2], 0.0)
    jb.add(fs[0][2], 0.0)
    assert len(frames(drain(jb))) == 1
    assert jb.stats["packets_duplicate"] == 1 and jb.stats["packets_late"] == 1


def test_without_retransmissions_the_wait_is_the_reorder_tolerance() -> None:
    jb = VideoJitterBuffer(Toy(), JitterBufferConfig(retransmissions=False))
    jb.set_rtt(0.2)
    assert jb.wait == 0.02
    jb.set_rtt(0.001)
    assert VideoJitterBuffer(Toy()).wait == 0.25 and jb.wait == 0.02


def test_a_huge_sequence_jump_restarts_the_buffer() -> None:
    jb = VideoJitterBuffer(Toy(), JitterBufferConfig(max_packets=100))
    for p in stream(0, 0, 1)[0]:
        jb.add(p, 0.0)
    drain(jb)
    for p in stream(5000, 90000, 2)[0]:
        jb.add(p, 1.0)  # a keyframe 5000 seqs later
    out = frames(drain(jb))
    assert len(out) == 1 and out[0].first_seq & 0xFFFF == 5000


def test_with_the_real_vp8_depacketizer_a_lost_frame_skips_to_the_next_keyframe() -> None:
    from rtcpeer.media.vp8 import Vp8Depacketizer, Vp8Packetizer

    key = b"\x10\x02\x00\x9d\x01\x2a" + bytes(range(256)) * 8  # P bit clear: keyframe
    delta = b"\x11\x02\x00" + bytes(range(255, -1, -1)) * 6  # P bit set: interframe
    packetizer, depacketizer = Vp8Packetizer(), Vp8Depacketizer()
    jb = VideoJitterBuffer(depacketizer)
    seq, sent = 0, []
    for i, data in enumerate([key, delta, delta, key]):
        payloads = packetizer.packetize(data, 600)
        sent.append(data)
        for j, payload in enumerate(payloads):
            p = RtpPacket(96, seq, 3000 * i, 1, payload, j == len(payloads) - 1)
            seq += 1
            if not (i == 1 and j == 1):  # frame 1 loses a packet for good
                jb.add(p, 0.01 * i)
    jb.handle_timer(1.0)
    out = frames(drain(jb))
    assert [f.keyframe for f in out] == [True, True]
    for f, data in zip(out, [sent[0], sent[3]], strict=True):
        assert depacketizer.depacketize([p.payload for p in f.packets]) == data
    assert jb.stats["frames_dropped"] == 1
