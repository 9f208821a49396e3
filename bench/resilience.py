"""Video jitter buffer: per-packet cost and the stall after one packet lost for good,
against aiortc's JitterBuffer (capacity 128, as its video receiver uses) in the same run.

Stream: frames of 3 packets of 1200 bytes, 30 fps, every 30th frame a keyframe. Rates are
packets per CPU-second (``time.process_time``). The stall is counted in packets received
after the lost one before the next frame comes out (rtcpeer: timer fired at wait). A
benchmark, not a test.

    python bench/resilience.py [--packets 90000]
"""

from __future__ import annotations

import argparse
import time

from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtp import RtpPacket as AiortcRtpPacket

from rtcpeer.rtp.jitterbuffer import Frame, VideoJitterBuffer
from rtcpeer.rtp.packet import RtpPacket


class Toy:
    def starts_frame(self, payload: bytes) -> bool:
        return payload[:1] in (b"K", b"S")

    def is_keyframe(self, payload: bytes) -> bool:
        return payload[:1] == b"K"


def stream(n: int) -> list[RtpPacket]:
    out = []
    for i in range(n):
        frame, part = divmod(i, 3)
        head = (b"K" if frame % 30 == 0 else b"S") if part == 0 else b"C"
        payload = head + bytes(1199)
        out.append(RtpPacket(96, i & 0xFFFF, (3000 * frame) & 0xFFFFFFFF, 1, payload, part == 2))
    return out


def rate_rtcpeer(packets: list[RtpPacket]) -> float:
    jb = VideoJitterBuffer(Toy())
    t0 = time.process_time()
    for i, p in enumerate(packets):
        jb.add(p, i / 270.0)
        while jb.next_event() is not None:
            pass
    return len(packets) / (time.process_time() - t0)


def rate_aiortc(packets: list[AiortcRtpPacket]) -> float:
    jb = JitterBuffer(capacity=128, is_video=True)
    t0 = time.process_time()
    for p in packets:
        jb.add(p)
    return len(packets) / (time.process_time() - t0)


def stall_rtcpeer(packets: list[RtpPacket], lost: int) -> tuple[int, float]:
    jb = VideoJitterBuffer(Toy())
    for i, p in enumerate(packets):
        now = i / 270.0
        timer = jb.get_timer()
        if timer is not None and timer <= now:
            jb.handle_timer(now)
        if i != lost:
            jb.add(p, now)
        while (e := jb.next_event()) is not None:
            if isinstance(e, Frame) and i > lost:
                return i - lost, now - lost / 270.0
    return -1, 0.0


def stall_aiortc(packets: list[AiortcRtpPacket], lost: int) -> int:
    jb = JitterBuffer(capacity=128, is_video=True)
    for i, p in enumerate(packets):
        if i == lost:
            continue
        _, frame = jb.add(p)
        if frame is not None and i > lost + 3:
            return i - lost
    return -1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--packets", type=int, default=90000)
    n = ap.parse_args().packets
    ours = stream(n)
    theirs = [AiortcRtpPacket.parse(p.serialize()) for p in ours]
    for p in theirs:  # aiortc's receiver sets _data to the depacketized payload first
        p._data = p.payload  # type: ignore[attr-defined]
    r_ours, r_theirs = rate_rtcpeer(ours), rate_aiortc(theirs)
    print(
        f"jitter buffer, in order: rtcpeer {r_ours:,.0f} packets/s, aiortc {r_theirs:,.0f}"
        f" packets/s ({r_ours / r_theirs:.2f}x)"
    )
    lost = 3 * 40 + 1  # a delta frame's middle packet
    packets, seconds = stall_rtcpeer(ours[:3000], lost)
    print(
        f"stall after one packet lost for good: rtcpeer {packets} packets ({seconds * 1000:.0f}"
        f" ms, then the next keyframe), aiortc {stall_aiortc(theirs[:3000], lost)} packets"
    )


if __name__ == "__main__":
    main()
