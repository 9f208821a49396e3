"""RTP parse/serialize and RtpSession per-packet cost, against aiortc in the same run.

A typical Chromium video packet: 1200 bytes, one-byte extensions mid + abs-send-time +
transport-wide seq. Rates are packets per CPU-second (``time.process_time``). aiortc parses
with a configured HeaderExtensionsMap (it decodes the known extensions to typed fields), as
its receive path does. A benchmark, not a test.

    python bench/rtp.py [--packets 100000]
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable

from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters, RTCRtpParameters
from aiortc.rtp import HeaderExtensionsMap
from aiortc.rtp import RtpPacket as AiortcRtpPacket

from rtcpeer.rtp.packet import (
    ABS_SEND_TIME_URI,
    MID_URI,
    TRANSPORT_CC_URI,
    HeaderExtensionMap,
    RtpPacket,
    parse_rtp,
)
from rtcpeer.rtp.session import MediaSectionConfig, RtpSession, RtpSessionConfig, SendStreamConfig

EXT = {1: MID_URI, 2: ABS_SEND_TIME_URI, 3: TRANSPORT_CC_URI}


def rate(fn: Callable[[], object], n: int) -> float:
    t0 = time.process_time()
    for _ in range(n):
        fn()
    return n / (time.process_time() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--packets", type=int, default=100_000)
    n = ap.parse_args().packets
    exts = {1: b"1", 2: b"\x01\x02\x03", 3: b"\x00\x07"}
    data = RtpPacket(96, 1, 2, 3, bytes(1200 - 28), True, extensions=exts).serialize()
    amap = HeaderExtensionsMap()
    amap.configure(
        RTCRtpParameters(
            headerExtensions=[RTCRtpHeaderExtensionParameters(id=i, uri=u) for i, u in EXT.items()]
        )
    )
    ours_parse = rate(lambda: parse_rtp(data), n)
    theirs_parse = rate(lambda: AiortcRtpPacket.parse(data, amap), n)
    ours_pkt, theirs_pkt = parse_rtp(data), AiortcRtpPacket.parse(data, amap)
    assert ours_pkt.serialize() == data and theirs_pkt.serialize(amap) == data
    ours_ser = rate(ours_pkt.serialize, n)
    theirs_ser = rate(lambda: theirs_pkt.serialize(amap), n)
    print(
        f"parse      rtcpeer {ours_parse / 1e3:6.1f}k/s  aiortc {theirs_parse / 1e3:6.1f}k/s"
        f"  (ratio {ours_parse / theirs_parse:.2f})"
    )
    print(
        f"serialize  rtcpeer {ours_ser / 1e3:6.1f}k/s  aiortc {theirs_ser / 1e3:6.1f}k/s"
        f"  (ratio {ours_ser / theirs_ser:.2f})"
    )

    media = MediaSectionConfig(
        "1", {96: 90000}, HeaderExtensionMap(EXT), (SendStreamConfig(20, "cn"),)
    )
    cfg = RtpSessionConfig((media,))
    tx = RtpSession(cfg, rng=random.Random(1), now=0.0, ntp_offset=3.9e9)
    payload = bytes(1150)
    send = rate(lambda: tx.send_rtp("1", 96, payload, 0, False, 1.0), n)
    wire = [d for d, _ in tx.packets_to_send(1.0)]
    rx = RtpSession(cfg, rng=random.Random(2), now=0.0, ntp_offset=3.9e9)
    it = iter(wire)
    recv = rate(lambda: (rx.receive_rtp(next(it), 1.0), rx.next_event()), len(wire))
    print(f"RtpSession send_rtp {send / 1e3:6.1f}k/s  receive_rtp+next_event {recv / 1e3:6.1f}k/s")


if __name__ == "__main__":
    main()
