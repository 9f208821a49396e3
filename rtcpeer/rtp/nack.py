"""NACK generator: the receiver side of RFC 4585 §6.2.1 Generic NACK, for one media SSRC.

Sans-IO: :meth:`NackGenerator.packet_received` (every packet of the SSRC, including ones
repaired from RTX), ``get_timer()`` / ``handle_timer(now)`` (reason ``"rtp.nack"``) and
:meth:`NackGenerator.take_feedback`, which returns at most one :class:`GenericNack` with every
sequence number due (one NACK per RTCP packet; the caller hands it to
``RtpSession.send_rtcp``, which sends it alone when reduced-size RTCP is negotiated, RFC 5506).

Rules:

* A sequence number is missing when a higher one arrives (unwrapped, 16-bit wrap). It is
  NACKed at once (RFC 4585 §3.5.2 allows early feedback; a WebRTC endpoint in immediate
  mode sends it without delay), then again every ``rtt`` (spacing ~ RTT, 100 ms until an
  RTT is measured) until it arrives, ``max_retries`` NACKs went out for it, or it was
  detected more than ``max_age`` seconds ago (the jitter buffer has given it up by then).
* At most ``max_list`` sequence numbers are tracked. A gap larger than that is not NACKed
  at all (the list is cleared: repairing it would take longer than a keyframe does) and
  counted in ``nack_list_overflow``.
* One feedback message carries at most ``max_per_feedback`` sequence numbers (oldest first);
  the rest stay due, so the timer fires again at once.

``stats["nack_count"]`` is W3C ``RTCInboundRtpStreamStats.nackCount`` (NACK packets sent).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from rtcpeer.rtp.rtcp import GenericNack
from rtcpeer.rtp.unwrap import SeqUnwrapper

__all__ = ["TIMER_NACK", "NackConfig", "NackGenerator"]

TIMER_NACK = "rtp.nack"
DEFAULT_RTT = 0.1


@dataclass(frozen=True)
class NackConfig:
    max_retries: int = 10
    max_age: float = 1.0  # seconds after detection
    max_list: int = 500
    max_per_feedback: int = 200  # <= 200 (PID, BLP) pairs: ~812 bytes, under any MTU
    min_spacing: float = 0.005  # retries no closer than this, whatever the RTT


class _Missing:
    __slots__ = ("detected", "due", "sent")

    def __init__(self, detected: float) -> None:
        self.detected = detected
        self.sent = 0
        self.due = detected


class NackGenerator:
    """Missing-packet tracking and NACK scheduling for one remote SSRC."""

    def __init__(self, sender_ssrc: int, media_ssrc: int, config: NackConfig | None = None) -> None:
        self.sender_ssrc = sender_ssrc
        self.media_ssrc = media_ssrc
        self.config = config or NackConfig()
        self._unwrap = SeqUnwrapper()
        self._highest: int | None = None
        self._missing: dict[int, _Missing] = {}
        self._heap: list[tuple[float, int]] = []  # (due, seq); stale entries skipped
        self._pending: list[int] = []
        self._rtt = DEFAULT_RTT
        self.timer_reason: str | None = None
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "nack_count",
                "nack_requests",
                "nack_recovered",
                "nack_given_up",
                "nack_list_overflow",
            ),
            0,
        )

    def set_rtt(self, rtt: float) -> None:
        self._rtt = rtt

    @property
    def missing(self) -> int:
        return len(self._missing)

    def packet_received(self, sequence_number: int, now: float) -> None:
        seq = self._unwrap.unwrap(sequence_number)
        highest = self._highest
        if highest is None:
            self._highest = seq
            return
        if seq <= highest:
            if self._missing.pop(seq, None) is not None:
                self.stats["nack_recovered"] += 1
            return
        self._highest = seq
        gap = seq - highest - 1
        if gap == 0:
            return
        if gap + len(self._missing) > self.config.max_list:
            self.stats["nack_list_overflow"] += 1
            self._missing.clear()
            self._heap.clear()
            if gap > self.config.max_list:
                return
        missing, heap = self._missing, self._heap
        for s in range(highest + 1, seq):
            missing[s] = _Missing(now)
            heapq.heappush(heap, (now, s))
        self.timer_reason = TIMER_NACK

    def get_timer(self) -> float | None:
        heap = self._heap
        while heap:
            due, seq = heap[0]
            entry = self._missing.get(seq)
            if entry is not None and entry.due == due:
                return due
            heapq.heappop(heap)
        self.timer_reason = None
        return None

    def handle_timer(self, now: float) -> None:
        """Collect every sequence number due at ``now`` into the next feedback."""
        c = self.config
        heap, missing, pending = self._heap, self._missing, self._pending
        spacing = max(self._rtt, c.min_spacing)
        while heap and heap[0][0] <= now and len(pending) < c.max_per_feedback:
            due, seq = heapq.heappop(heap)
            entry = missing.get(seq)
            if entry is None or entry.due != due:
                continue
            if entry.sent >= c.max_retries or now - entry.detected > c.max_age:
                del missing[seq]
                self.stats["nack_given_up"] += 1
                continue
            entry.sent += 1
            entry.due = now + spacing
            heapq.heappush(heap, (entry.due, seq))
            pending.append(seq)

    def take_feedback(self) -> GenericNack | None:
        """The NACK to send now (RFC 4585 §6.2.1), or None."""
        if not self._pending:
            return None
        lost = sorted(self._pending)
        self._pending = []
        self.stats["nack_count"] += 1
        self.stats["nack_requests"] += len(lost)
        return GenericNack(self.sender_ssrc, self.media_ssrc, tuple(s & 0xFFFF for s in lost))
