"""Video jitter buffer: RTP packets of one SSRC -> complete frames, in decode order.

Sans-IO: :meth:`VideoJitterBuffer.add` (a packet and ``now``), ``get_timer()`` /
``handle_timer(now)`` (reason ``"rtp.jitter"``) and ``next_event()`` yielding
:class:`Frame` or :class:`KeyframeNeeded`. The codec is seen only through
:class:`FrameBoundaries` (the depacketizer of ``rtcpeer.media`` implements it).

Rules (RFC 3550 §5.1 fields; frame boundaries as the RTP payload formats define them, e.g.
RFC 7741 §4.4 for VP8: the marker bit is set on a frame's last packet, the payload
descriptor says where a frame starts):

* Sequence numbers are unwrapped to unbounded ints and timestamps too (32-bit wrap), so
  reordering around a wrap never makes a frame's timestamp jump (aiortc #1041).
* A frame is the run of consecutive sequence numbers from a packet that starts a frame to
  the next packet with the marker bit. Frames are released in sequence order only: the
  frame at the head is released as soon as it is complete; a later frame waits for it.
* A hole is known when a packet with a higher sequence number arrives; its detection time
  is kept. The head frame waits for the first hole it contains at most
  ``wait = min(max_wait, max(min_wait, rtt_factor * rtt))`` after that hole was detected
  (2.5 RTT by default: a NACK sent at detection and one retry spaced by RTT, RFC 4585
  §6.2.1, each answered within about one RTT). Without retransmissions ``wait`` is
  ``min_wait`` (reordering tolerance only). Since the deadline counts from the hole's
  detection, not from when the frame reached the head, holes detected together cost one
  wait in all: a packet lost for good costs at most one ``wait`` of stall, never one per
  frame queued behind it (aiortc waits until 512 packets have piled up).
* When the head frame is given up, the frames after it reference what was lost, so the
  buffer skips to the next held keyframe start; if none is held it emits
  :class:`KeyframeNeeded` and drops everything until one arrives. Packets older than the
  head are too late and are dropped (counted).
* At most ``max_packets`` packets plus holes are held; beyond that the head frame is given
  up (reason ``"overflow"``). A jump of more than ``max_packets`` sequence numbers
  restarts the buffer as at the start of a stream.
* At the start of a stream (and after a restart) everything waits for a keyframe start;
  if none has arrived ``wait`` after the first packet, :class:`KeyframeNeeded` is emitted.

Not done here: jumping ahead to a complete keyframe while an older frame is still within
its wait (it is reached when that frame completes or is given up).
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from rtcpeer.rtp.packet import RtpPacket
from rtcpeer.rtp.unwrap import SeqUnwrapper, TimestampUnwrapper

__all__ = [
    "TIMER_JITTER",
    "Frame",
    "FrameBoundaries",
    "JitterBufferConfig",
    "JitterEvent",
    "KeyframeNeeded",
    "VideoJitterBuffer",
]

TIMER_JITTER = "rtp.jitter"
DEFAULT_RTT = 0.1  # seconds, until an RTT is measured (RFC 4585 gives none; libwebrtc's)


class FrameBoundaries(Protocol):
    """What the jitter buffer needs to know about a codec's RTP payloads."""

    def starts_frame(self, payload: bytes) -> bool:
        """True if this payload is the first of a frame."""
        ...

    def is_keyframe(self, payload: bytes) -> bool:
        """True if this payload is the first of a keyframe (implies ``starts_frame``)."""
        ...


@dataclass(frozen=True)
class Frame:
    """A complete frame: its packets in sequence order."""

    packets: tuple[RtpPacket, ...]
    timestamp: int  # unwrapped RTP timestamp (monotonic across the 32-bit wrap)
    first_seq: int  # unwrapped sequence number of its first packet
    keyframe: bool
    released_at: float  # ``now`` when it became releasable (complete, predecessor done)


@dataclass(frozen=True)
class KeyframeNeeded:
    """The stream cannot be decoded until a keyframe arrives: ask the sender for one."""

    reason: str  # "frame-lost" | "overflow" | "no-keyframe"


JitterEvent = Frame | KeyframeNeeded


@dataclass(frozen=True)
class JitterBufferConfig:
    max_wait: float = 0.3  # seconds a frame with a hole may wait for a retransmission
    min_wait: float = 0.02  # reordering tolerance
    rtt_factor: float = 2.5
    retransmissions: bool = True  # NACK negotiated: wait for retransmissions
    max_packets: int = 2000  # packets + holes held


class VideoJitterBuffer:
    """Frame assembly for one video SSRC; see the module docstring."""

    def __init__(
        self, boundaries: FrameBoundaries, config: JitterBufferConfig | None = None
    ) -> None:
        self._codec = boundaries
        self.config = config or JitterBufferConfig()
        self._seq = SeqUnwrapper()
        self._ts = TimestampUnwrapper()
        self._packets: dict[int, tuple[RtpPacket, int, float]] = {}  # seq -> (p, ts, t)
        self._missing: dict[int, float] = {}  # seq -> when the hole was detected
        self._key_starts: list[int] = []  # heap of held keyframe-start seqs
        self._highest: int | None = None
        self._head: int | None = None  # first seq of the next frame; None: need keyframe
        self._contig = 0  # last seq of the run present from the head
        self._floor: int | None = None  # while waiting for a keyframe: older is too late
        self._start_deadline: float | None = None
        self._deadline: float | None = None
        self._rtt = DEFAULT_RTT
        self._events: deque[JitterEvent] = deque()
        self.timer_reason: str | None = None
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "packets_received",
                "packets_duplicate",
                "packets_late",
                "packets_dropped",
                "frames_released",
                "frames_dropped",
                "keyframes_needed",
            ),
            0,
        )

    # -- inputs --------------------------------------------------------------------------

    def set_rtt(self, rtt: float) -> None:
        """The round-trip time measured by RTCP (RFC 3550 §6.4.1)."""
        self._rtt = rtt
        self._update_deadline()

    @property
    def wait(self) -> float:
        c = self.config
        if not c.retransmissions:
            return c.min_wait
        return min(c.max_wait, max(c.min_wait, c.rtt_factor * self._rtt))

    def add(self, packet: RtpPacket, now: float) -> None:
        """One received (or RTX-repaired) RTP packet of this SSRC."""
        self.stats["packets_received"] += 1
        seq = self._seq.unwrap(packet.sequence_number)
        if seq in self._packets:
            self.stats["packets_duplicate"] += 1
            return
        head = self._head
        key = self._codec.is_keyframe(packet.payload)
        if head is not None:
            if seq < head:
                self.stats["packets_late"] += 1
                return
        elif self._floor is not None and self._too_late_for_keyframe(seq, key):
            self.stats["packets_late"] += 1
            return
        self._note_seq(seq, now)
        self._packets[seq] = (packet, self._ts.unwrap(packet.timestamp), now)
        if key:
            heapq.heappush(self._key_starts, seq)
            if self._head is None:
                self._start_at(seq, now)
        if self._head is not None and seq == self._contig + 1:
            self._advance(now)
        self._enforce_bound(now)
        self._update_deadline()

    def _too_late_for_keyframe(self, seq: int, key: bool) -> bool:
        """Waiting for a keyframe after a loss: older than the given-up frame, or a
        non-keyframe packet that fills an old hole (it belongs to an undecodable frame)."""
        assert self._floor is not None
        if seq < self._floor:
            return True
        return not key and self._highest is not None and seq <= self._highest

    def _note_seq(self, seq: int, now: float) -> None:
        """Record the holes ``seq`` reveals (RFC 3550 A.1-style gap, bounded)."""
        highest = self._highest
        if highest is None:
            self._highest = seq
            self._start_deadline = now + self.wait
            return
        if seq <= highest:
            self._missing.pop(seq, None)
            return
        if seq - highest > self.config.max_packets:
            self._restart(seq, now)
        else:
            missing = self._missing
            for s in range(highest + 1, seq):
                missing[s] = now
        self._highest = seq

    # -- frame assembly ------------------------------------------------------------------

    def _advance(self, now: float) -> None:
        """Extend the run present from the head; release every frame it completes."""
        packets = self._packets
        while self._head is not None:
            nxt = self._contig + 1
            entry = packets.get(nxt)
            if entry is None:
                return
            if nxt == self._head and not self._codec.starts_frame(entry[0].payload):
                # The previous frame's marker was lost or lied: this frame has no start.
                self._give_up(now, "frame-lost")
                return
            self._contig = nxt
            if entry[0].marker:
                self._release(now)

    def _release(self, now: float) -> None:
        assert self._head is not None
        head, last = self._head, self._contig
        pop = self._packets.pop
        entries = [pop(s) for s in range(head, last + 1)]
        first = entries[0][0]
        self._events.append(
            Frame(
                tuple(e[0] for e in entries),
                entries[0][1],
                head,
                self._codec.is_keyframe(first.payload),
                now,
            )
        )
        self.stats["frames_released"] += 1
        self._head = last + 1
        heap = self._key_starts
        while heap and heap[0] <= last:
            heapq.heappop(heap)

    def _give_up(self, now: float, reason: str) -> None:
        """Abandon the head frame: skip to the next held keyframe, or ask for one."""
        assert self._head is not None
        self.stats["frames_dropped"] += 1
        head = self._head
        heap = self._key_starts
        while heap and (heap[0] <= head or heap[0] not in self._packets):
            heapq.heappop(heap)
        if heap:
            self._start_at(heap[0], now)
            return
        self._head = None
        self._floor = head + 1
        self._drop_below(head + 1)
        self._need_keyframe(reason)

    def _start_at(self, seq: int, now: float) -> None:
        """Make the keyframe starting at ``seq`` the head; drop everything before it."""
        self._drop_below(seq)
        self._head = seq
        self._contig = seq - 1
        self._floor = None
        self._start_deadline = None
        self._advance(now)

    def _drop_below(self, seq: int) -> None:
        packets = self._packets
        old = [s for s in packets if s < seq]
        for s in old:
            del packets[s]
        self.stats["packets_dropped"] += len(old)
        missing = self._missing
        for s in [s for s in missing if s < seq]:
            del missing[s]

    def _need_keyframe(self, reason: str) -> None:
        self.stats["keyframes_needed"] += 1
        self._events.append(KeyframeNeeded(reason))

    def _restart(self, seq: int, now: float) -> None:
        """A jump too big to bridge: start over as at the start of a stream."""
        self.stats["packets_dropped"] += len(self._packets)
        self._packets.clear()
        self._missing.clear()
        self._key_starts.clear()
        self._head = None
        self._floor = seq
        self._start_deadline = now + self.wait

    def _enforce_bound(self, now: float) -> None:
        limit = self.config.max_packets
        if len(self._packets) + len(self._missing) <= limit:
            return
        if self._head is not None:
            self._give_up(now, "overflow")
        if len(self._packets) + len(self._missing) > limit:
            self.stats["packets_dropped"] += len(self._packets)
            self._packets.clear()
            self._missing.clear()
            self._key_starts.clear()
            self._head = None
            self._floor = (self._highest or 0) + 1
            self._need_keyframe("overflow")

    # -- timer ---------------------------------------------------------------------------

    def _update_deadline(self) -> None:
        if self._head is None:
            self._deadline = self._start_deadline
        else:
            detected = self._missing.get(self._contig + 1)
            self._deadline = None if detected is None else detected + self.wait
        self.timer_reason = None if self._deadline is None else TIMER_JITTER

    def get_timer(self) -> float | None:
        return self._deadline

    def handle_timer(self, now: float) -> None:
        """Give up every frame whose wait is over (each later one may be, too)."""
        while self._deadline is not None and now >= self._deadline:
            if self._head is None:
                self._start_deadline = None
                self._need_keyframe("no-keyframe")
            else:
                self._give_up(now, "frame-lost")
            self._update_deadline()

    def next_event(self) -> JitterEvent | None:
        return self._events.popleft() if self._events else None

    @property
    def packets_held(self) -> int:
        return len(self._packets)
