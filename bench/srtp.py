"""SRTP protect/unprotect per CPU-second: rtcpeer's SrtpSession against bare pylibsrtp.

Both sides run in the same process and the same run (aiortc calls pylibsrtp.Session the
same bare way, so "pylibsrtp" is also aiortc's per-packet SRTP cost). Keys are random, not
from a handshake: only the per-packet cost is measured. 1200-byte RTP packets (a full video
packet at the base MTU) and 100-byte compound RTCP packets. A benchmark, not a test.

    python bench/srtp.py [--packets 50000]
"""

from __future__ import annotations

import argparse
import os
import struct
import time
from collections.abc import Callable

import pylibsrtp

from rtcpeer.dtls.srtp_keys import SRTP_PROFILES, SrtpKeyMaterial
from rtcpeer.srtp import SrtpSession

PROFILES = ("SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM", "SRTP_AEAD_AES_256_GCM")


def keys(profile: str) -> SrtpKeyMaterial:
    info = SRTP_PROFILES[profile]
    k, s = os.urandom(info.key_len), os.urandom(info.salt_len)
    return SrtpKeyMaterial(profile, k, s, k, s)  # loop back: our remote key is our local key


def packets(n: int, size: int) -> list[bytes]:
    body = os.urandom(size - 12)
    return [struct.pack("!BBHII", 0x80, 96, i & 0xFFFF, i * 3000, 0xBEEF) + body for i in range(n)]


def rate(fn: Callable[[bytes], object], items: list[bytes]) -> float:
    t0 = time.process_time()
    for p in items:
        fn(p)
    return len(items) / (time.process_time() - t0)


def bare(km: SrtpKeyMaterial, inbound: bool) -> pylibsrtp.Session:
    ssrc = pylibsrtp.Policy.SSRC_ANY_INBOUND if inbound else pylibsrtp.Policy.SSRC_ANY_OUTBOUND
    return pylibsrtp.Session(
        pylibsrtp.Policy(key=km.local_master_key, ssrc_type=ssrc, srtp_profile=km.libsrtp_profile)
    )


def bench_profile(profile: str, n: int) -> None:
    km = keys(profile)
    plain = packets(min(n, 65536), 1200)
    t_ours = rate(SrtpSession(km).protect_rtp, plain)
    t_raw = rate(bare(km, inbound=False).protect, plain)
    tx = SrtpSession(km)
    wire = [tx.protect_rtp(p) for p in plain]
    u_ours = rate(SrtpSession(km).unprotect_rtp, wire)
    u_raw = rate(bare(km, inbound=True).unprotect, wire)
    print(
        f"{profile:24s} 1200-byte RTP  protect: SrtpSession {t_ours / 1e3:6.1f}k/s "
        f"pylibsrtp {t_raw / 1e3:6.1f}k/s (ratio {t_ours / t_raw:.2f})   "
        f"unprotect: SrtpSession {u_ours / 1e3:6.1f}k/s pylibsrtp {u_raw / 1e3:6.1f}k/s "
        f"(ratio {u_ours / u_raw:.2f})"
    )
    rtcp = [struct.pack("!BBHI", 0x81, 201, 24, 0xBEEF) + bytes(92)] * min(n, 20000)
    tx = SrtpSession(km)
    wire = [tx.protect_rtcp(p) for p in rtcp]
    p_rate = rate(SrtpSession(km).protect_rtcp, rtcp)
    u_rate = rate(SrtpSession(km).unprotect_rtcp, wire)
    print(
        f"{profile:24s} 100-byte RTCP  protect {p_rate / 1e3:6.1f}k/s "
        f"unprotect {u_rate / 1e3:6.1f}k/s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--packets", type=int, default=50000)
    args = ap.parse_args()
    for profile in PROFILES:
        bench_profile(profile, args.packets)


if __name__ == "__main__":
    main()
