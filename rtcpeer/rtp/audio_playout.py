"""Audio playout: RTP packets of one SSRC -> one decode decision per packet time.

Sans-IO: :meth:`AudioPlayout.add` (a packet and ``now``), ``get_timer()`` (the due time of
the next slot, reason ``"rtp.playout"``), ``handle_timer(now)`` and ``next_event()``, which
yields one :class:`PlayoutSlot` per ``ptime`` (20 ms by default): the packet to decode, or
None when it is missing. For a missing slot ``next_packet`` is the following slot's packet
if it has already arrived, so the decoder can recover the missing one from its in-band FEC
(Opus LBRR, RFC 6716 §2.1.7); otherwise it conceals (PLC).

Schedule. Slots advance on the RTP timeline (``ptime * clock_rate`` ticks each, unwrapped
32-bit timestamps) and on local time together; a slot is due at its time whether or not its
packet came, so a lost packet costs nothing beyond its own slot (aiortc waits ~320 ms).
A packet that arrives after its slot is too late and is dropped (counted).

Target delay (RFC 3550 A.8 jitter, in seconds: ``J += (|D| - J) / 16`` over the transit
time differences) is ``clamp(jitter_factor * J, min_delay, max_delay)``; ``min_delay`` is
two packet times by default, so that without jitter the next packet has arrived when a
missing slot is due and its FEC can be used. The first packet
of a talk spurt is scheduled ``target`` after its arrival. Every ``adapt_slots`` slots (1 s),
or at once after a late packet, the smallest margin (scheduled time minus arrival) of the
packets that arrived meanwhile is compared with the target: below ``target - ptime/2`` a
concealment slot is inserted (``reason="stretch"``, the timeline pauses one ptime: the delay
grows), above ``target + ptime`` the oldest queued packet is discarded (the delay shrinks by
one ptime). After ``idle_slots`` missing slots with nothing queued (DTX, a paused sender)
playout stops; the next packet starts a new spurt with the current target.

Slots are fixed at ``ptime``; a stream whose packets span other durations needs that ptime.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from rtcpeer.rtp.packet import RtpPacket
from rtcpeer.rtp.unwrap import TimestampUnwrapper

__all__ = ["TIMER_PLAYOUT", "AudioPlayout", "AudioPlayoutConfig", "PlayoutSlot"]

TIMER_PLAYOUT = "rtp.playout"


@dataclass(frozen=True)
class AudioPlayoutConfig:
    clock_rate: int = 48000
    ptime: float = 0.02
    min_delay: float = 0.04  # two packet times: the next packet is there for FEC
    max_delay: float = 0.3
    jitter_factor: float = 3.0
    adapt_slots: int = 50
    idle_slots: int = 10


@dataclass(frozen=True)
class PlayoutSlot:
    """Decode ``packet`` now, or conceal (``packet`` None): see the module docstring."""

    timestamp: int  # unwrapped RTP timestamp of the slot
    due: float
    packet: RtpPacket | None
    next_packet: RtpPacket | None = None  # for a missing slot: in-band FEC source
    reason: str | None = None  # None | "lost" | "stretch"


class AudioPlayout:
    """Adaptive playout queue for one audio SSRC; see the module docstring."""

    def __init__(self, config: AudioPlayoutConfig | None = None) -> None:
        c = self.config = config or AudioPlayoutConfig()
        self._spp = round(c.ptime * c.clock_rate)  # RTP ticks per slot
        self._ahead = round(2 * c.max_delay * c.clock_rate) + self._spp  # furthest accepted
        self._ts = TimestampUnwrapper()
        self._queue: dict[int, RtpPacket] = {}
        self._next_ts: int | None = None  # None: idle, the next packet starts a spurt
        self._next_time = 0.0
        self._jitter = 0.0
        self._prev_transit: float | None = None
        self._min_margin = float("inf")
        self._slots_since_adapt = 0
        self._late_seen = False
        self._missing_run = 0
        self._events: deque[PlayoutSlot] = deque()
        self.timer_reason: str | None = None
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "packets_received",
                "packets_late",
                "packets_duplicate",
                "packets_discarded",
                "slots_played",
                "slots_lost",
                "slots_stretched",
                "resyncs",
            ),
            0,
        )

    @property
    def jitter(self) -> float:
        """RFC 3550 A.8 interarrival jitter, seconds."""
        return self._jitter

    @property
    def target_delay(self) -> float:
        c = self.config
        return min(c.max_delay, max(c.min_delay, c.jitter_factor * self._jitter))

    def add(self, packet: RtpPacket, now: float) -> None:
        self.stats["packets_received"] += 1
        ts = self._ts.unwrap(packet.timestamp)
        transit = now - ts / self.config.clock_rate
        if self._prev_transit is not None:
            self._jitter += (abs(transit - self._prev_transit) - self._jitter) / 16.0
        self._prev_transit = transit
        next_ts = self._next_ts
        if next_ts is None or ts - next_ts > self._ahead:
            if next_ts is not None:
                self.stats["resyncs"] += 1
                self.stats["packets_discarded"] += len(self._queue)
                self._queue.clear()
            next_ts = self._start_spurt(ts, now)
        elif ts < next_ts:
            self.stats["packets_late"] += 1
            self._late_seen = True
            late = self._next_time + (ts - next_ts) / self.config.clock_rate - now
            self._min_margin = min(self._min_margin, late)
            return
        if ts in self._queue:
            self.stats["packets_duplicate"] += 1
            return
        self._queue[ts] = packet
        margin = self._next_time + (ts - next_ts) / self.config.clock_rate - now
        if margin < self._min_margin:
            self._min_margin = margin

    def _start_spurt(self, ts: int, now: float) -> int:
        self._next_ts = ts
        self._next_time = now + self.target_delay
        self._missing_run = 0
        self._reset_window()
        self.timer_reason = TIMER_PLAYOUT
        return ts

    def _reset_window(self) -> None:
        self._min_margin = float("inf")
        self._slots_since_adapt = 0
        self._late_seen = False

    def get_timer(self) -> float | None:
        return None if self._next_ts is None else self._next_time

    def handle_timer(self, now: float) -> None:
        """Emit every slot due at ``now``."""
        while self._next_ts is not None and self._next_time <= now:
            if not self._adapt():
                self._play_slot()

    def _adapt(self) -> bool:
        """Grow or shrink the delay by one ptime if the margins say so; True if done."""
        self._slots_since_adapt += 1
        if not self._late_seen and self._slots_since_adapt < self.config.adapt_slots:
            return False
        margin, target, ptime = self._min_margin, self.target_delay, self.config.ptime
        self._reset_window()
        assert self._next_ts is not None
        if margin < target - ptime / 2:
            self._events.append(PlayoutSlot(self._next_ts, self._next_time, None, None, "stretch"))
            self.stats["slots_stretched"] += 1
            self._next_time += ptime
            return True
        shrink = margin != float("inf") and margin > target + ptime
        if shrink and self._queue.pop(self._next_ts, None) is not None:
            self.stats["packets_discarded"] += 1
            self._next_ts += self._spp
            return True
        return False

    def _play_slot(self) -> None:
        ts = self._next_ts
        assert ts is not None
        packet = self._queue.pop(ts, None)
        if packet is not None:
            self._missing_run = 0
            self._events.append(PlayoutSlot(ts, self._next_time, packet))
            self.stats["slots_played"] += 1
        else:
            self._missing_run += 1
            if self._missing_run > self.config.idle_slots and not self._queue:
                self._next_ts = None  # idle until the next talk spurt
                self.timer_reason = None
                return
            nxt = self._queue.get(ts + self._spp)
            self._events.append(PlayoutSlot(ts, self._next_time, None, nxt, "lost"))
            self.stats["slots_lost"] += 1
        self._next_ts = ts + self._spp
        self._next_time += self.config.ptime

    def next_event(self) -> PlayoutSlot | None:
        return self._events.popleft() if self._events else None

    @property
    def packets_queued(self) -> int:
        return len(self._queue)
