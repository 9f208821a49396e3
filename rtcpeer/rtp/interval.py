"""The RTCP transmission interval (RFC 3550 §6.3.1, §6.2 and the A.7 algorithm).

``T = max(Tmin, avg_rtcp_size * n / rtcp_bw)``, where ``rtcp_bw`` is 5% of the session
bandwidth, split 25% to senders / 75% to receivers when senders are at most a quarter of the
members (§6.2); then ``T * U[0.5, 1.5] / (e - 3/2)`` (the randomisation, and the
compensation for timer reconsideration's bias, §6.3.1). The first report uses Tmin / 2.

Tmin: RFC 3550's 5 s is far too slow for video feedback, and RFC 3550 §6.2 itself allows a
reduced minimum (360 / session kb/s), as RFC 4585 §3.4 does for AVPF. We pick
``WEBRTC_MIN_INTERVAL = 1.0`` s, the video report interval of libwebrtc (browsers report
about every second for video). With the compensation the mean interval is 1 / (e - 1.5)
= 0.82 s, spread uniformly over [0.41, 1.23] s. Reconsideration (§6.3.3 / §6.3.7) matters
for large multicast groups and changes nothing for a 2-party session, so it is not done.
"""

from __future__ import annotations

import math
import random

__all__ = ["RTCP_MIN_INTERVAL", "WEBRTC_MIN_INTERVAL", "rtcp_interval", "update_avg_size"]

RTCP_MIN_INTERVAL = 5.0  # RFC 3550 §6.2
WEBRTC_MIN_INTERVAL = 1.0
RTCP_BANDWIDTH_FRACTION = 0.05  # §6.2
SENDER_BANDWIDTH_FRACTION = 0.25
COMPENSATION = math.e - 1.5  # §6.3.1 / A.7
UDP_IP_OVERHEAD = 28  # §6.2: avg_rtcp_size includes lower-layer headers (IPv4 + UDP)


def rtcp_interval(
    *,
    members: int,
    senders: int,
    session_bandwidth: float,
    we_sent: bool,
    avg_rtcp_size: float,
    initial: bool,
    rng: random.Random,
    tmin: float = WEBRTC_MIN_INTERVAL,
) -> float:
    """Seconds until the next RTCP report (RFC 3550 A.7 ``rtcp_interval``).

    ``session_bandwidth`` in bits/s; ``avg_rtcp_size`` in octets including UDP/IP headers.
    """
    rtcp_bw = session_bandwidth * RTCP_BANDWIDTH_FRACTION / 8  # octets/s
    min_time = tmin / 2 if initial else tmin
    n = max(members, 1)
    if senders <= members * SENDER_BANDWIDTH_FRACTION:
        if we_sent:
            rtcp_bw *= SENDER_BANDWIDTH_FRACTION
            n = max(senders, 1)
        else:
            rtcp_bw *= 1 - SENDER_BANDWIDTH_FRACTION
            n = max(members - senders, 1)
    t = avg_rtcp_size * n / rtcp_bw if rtcp_bw > 0 else min_time
    t = max(t, min_time)
    return t * (rng.random() + 0.5) / COMPENSATION


def update_avg_size(avg: float, packet_size: int) -> float:
    """§6.3.3: avg_rtcp_size = 1/16 * size + 15/16 * avg (size with UDP/IP headers)."""
    return (packet_size + UDP_IP_OVERHEAD) / 16 + avg * 15 / 16
