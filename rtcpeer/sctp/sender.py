"""Sending side of an association: TSN assignment, fragmentation, congestion control,
retransmission (T3-rtx, fast retransmit), RTO estimation and PR-SCTP abandonment.

Constants (documented choice): RTO.Initial 1.0 s and RTO.Max 60 s as RFC 9260 §16;
RTO.Min 0.2 s (lower than the RFC's 1 s, like WebRTC stacks, for quick recovery on
low-latency paths). Association.Max.Retrans 10.

Data structures keep per-SACK work proportional to what the SACK changes: ``_outstanding``
maps TSN -> chunk for everything above the cumulative ack (insertion order == TSN order),
``_unsent`` is a FIFO of chunks never transmitted, ``_rtx`` the set marked for retransmission,
``_inflight`` the chunks in flight in the order they were (last) sent, each with a send
``stamp``, and ``_gap_acked`` the merged TSN intervals above the cumulative ack that earlier
SACKs already acknowledged.

SACK cost (linear, not gap blocks x in flight): at most ``MAX_GAP_BLOCKS`` gap blocks of a SACK
are honoured (the lowest ones; the rest are ignored as if the SACK had been truncated, which
RFC 9260 §6.2 allows a receiver to do anyway). They are clamped to the TSNs actually sent,
sorted and merged; only the parts not already in ``_gap_acked`` are walked TSN by TSN, so a
TSN is visited once when first gap-acked however often later SACKs repeat the block. 256
blocks is more than a 1 MiB window of 1200-byte packets can need with every fourth packet
lost, and bounds the per-SACK sort and merge to a few thousand operations; our own receiver
sends at most 64. ``stats["sack_work"]`` counts the TSNs and intervals visited (a
deterministic measure for tests).

Miss indications (RFC 9260 §7.2.4, with the HTNA rule): a SACK with gap blocks counts a miss
for a chunk in flight only if a chunk sent *after* it (by send stamp) is newly acknowledged by
that SACK. This is HTNA by transmission order rather than TSN order, so that a retransmission
that is lost again is detected like any other loss (three later-sent chunks acked) and
fast-retransmitted again instead of waiting for T3-rtx; and the walk stops at the first chunk
sent after the newly acked one, so it only visits chunks that are really missing.

Time-based loss detection (RACK, RFC 8985 §6.2, as a second trigger of the same fast
retransmit): a chunk with a miss indication that was sent more than RACK_WINDOW x SRTT before
now is lost at once rather than after two more SACKs. With one SACK per receive batch a
cwnd-limited window sees about one SACK per RTT, so three misses took three RTTs, and when the
window was too small to produce three SACKs at all, T3-rtx.

Tail loss probe (after RFC 8985 §7, RACK-TLP, which SCTP lacks): when nothing has been acked
for a probe timeout PTO = max(2 SRTT, TLP_MIN) with data in flight, the most recently sent
chunk is sent once more (a copy: flight size, cwnd and retransmission counts unchanged), at
most TLP_MAX_PROBES times, the timeout doubling each time, and only while that is before
T3-rtx (four probes: a 10 % loss both ways fails all of them 0.1 % of the time; two failed
3.6 % of the time, which was most of the T3 expirations left in the batched simulation).
Why: the asyncio driver reads datagrams in batches and SACKs once per batch, so a
cwnd-limited sender often gets one SACK per window; when that SACK was lost (or the last
chunks of the window were), nothing more arrived until T3-rtx: RTO >= RTO.Min = 0.2 s
(~150 RTTs on a LAN), cwnd = 1 MTU and the whole flight resent, and the receiver then delays
the SACK for that single packet by 200 ms too. Measured in the 2-process bench at 2 % loss:
18 T3 expirations per 10 MB, most of the transfer time. The copy reaches the receiver as a
duplicate (SACKed at once, RFC 9260 §6.2) or fills the tail; either way a
SACK comes back within an RTT and the ack clock restarts.

Fast Recovery (RFC 9260 §7.2.4): cwnd is cut once per window of data; the exit point is the
highest TSN *sent* when recovery starts (it used to be the highest TSN assigned, which with a
deep send queue kept the association in recovery, cwnd frozen, for seconds; every later loss
then cut it again as soon as recovery ended).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from rtcpeer.sctp.chunks import DATA_HEADER as _DATA_HEADER
from rtcpeer.sctp.chunks import ForwardTsnChunk, SackChunk, pack_data_chunk
from rtcpeer.sctp.tsn import MASK32, unwrap

RTO_INITIAL = 1.0
RTO_MIN = 0.2
RTO_MAX = 60.0
MAX_RETRANS = 10
CLOCK_GRANULARITY = 0.001
DATA_CHUNK_HEADER = 16
MAX_GAP_BLOCKS = 256  # gap blocks honoured per SACK, see the module docstring
FAST_RTX_MISSES = 3  # RFC 9260 §7.2.4
RACK_WINDOW = 1.25  # SRTTs; RFC 8985 §6.2: RTT + reordering window of RTT/4
TLP_MIN = 0.01  # s, floor of the tail loss probe timeout
TLP_MAX_PROBES = 4  # probes without an ack (the timeout doubling each time), then T3-rtx


class _Message:
    __slots__ = ("abandoned", "chunks", "expiry", "max_rtx", "ordered", "ssn", "stream_id")

    def __init__(
        self, stream_id: int, ssn: int, ordered: bool, max_rtx: int | None, expiry: float | None
    ) -> None:
        self.stream_id = stream_id
        self.ssn = ssn
        self.ordered = ordered
        self.max_rtx = max_rtx
        self.expiry = expiry
        self.chunks: list[_Out] = []
        self.abandoned = False


class _Out:
    __slots__ = (
        "acked",
        "in_flight",
        "misses",
        "msg",
        "raw",
        "sent_at",
        "sent_count",
        "size",
        "stamp",
        "tsn",
    )

    def __init__(self, tsn: int, raw: bytes, size: int, msg: _Message) -> None:
        self.tsn = tsn
        self.raw = raw
        self.size = size
        self.msg = msg
        self.sent_count = 0
        self.acked = False
        self.in_flight = False
        self.misses = 0
        self.stamp = 0
        self.sent_at = 0.0


class Sender:
    """Outbound data path of one association (RFC 9260 §6, §7; RFC 3758 §3.5)."""

    def __init__(self, initial_tsn: int, peer_rwnd: int, mtu: int) -> None:
        self.mtu = mtu
        self.next_tsn = initial_tsn
        self.cum_ack = initial_tsn - 1
        self.adv_peer_ack = initial_tsn - 1
        self.peer_rwnd = peer_rwnd
        # RFC 9260 §7.2.1
        self.cwnd = min(4 * mtu, max(2 * mtu, 4380))
        self.ssthresh = peer_rwnd
        self.partial_bytes_acked = 0
        self.flight_size = 0
        self.fast_recovery_exit: int | None = None
        self._fast_rtx_pending = False
        # RTO (RFC 9260 §6.3.1)
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.rto = RTO_INITIAL
        self._rtt_probe: tuple[int, float] | None = None
        self.t3_deadline: float | None = None
        self.tlp_deadline: float | None = None
        self.rtx_bytes = 0  # DATA bytes retransmitted (PLPMTUD's loss measure)
        self._tlp_probes = 0
        self._tlp_raw: bytes | None = None  # the probe copy to send next
        self.error_count = 0
        self._outstanding: dict[int, _Out] = {}
        self._unsent: deque[_Out] = deque()
        self._rtx: set[int] = set()
        self._inflight: dict[int, _Out] = {}  # in send order
        self._stamp = 0  # send stamp of the next transmission
        self._gap_acked: list[tuple[int, int]] = []
        self.highest_sent = initial_tsn - 1
        self._ssn: dict[int, int] = {}
        self.buffered: dict[int, int] = {}
        self.changed_streams: set[int] = set()
        self.forward_tsn_needed = False
        self.stats = {
            "retransmits": 0,
            "fast_retransmits": 0,
            "t3_expirations": 0,
            "abandoned_messages": 0,
            "sack_work": 0,
            "tail_loss_probes": 0,
        }
        self.on_failure: Callable[[str], None] | None = None

    # -- queueing -------------------------------------------------------------------
    def queue(
        self,
        stream_id: int,
        ppid: int,
        data: bytes,
        ordered: bool,
        max_rtx: int | None,
        expiry: float | None,
    ) -> None:
        """Fragment one user message (RFC 9260 §6.9) and assign TSNs."""
        ssn = 0
        if ordered:
            ssn = self._ssn.get(stream_id, 0)
            self._ssn[stream_id] = (ssn + 1) & 0xFFFF
        msg = _Message(stream_id, ssn, ordered, max_rtx, expiry)
        frag = self.max_fragment()
        n = len(data)
        unordered = 0 if ordered else 4
        outstanding, unsent, chunks = self._outstanding, self._unsent, msg.chunks
        tsn = self.next_tsn
        if n > frag:  # fragments of ``frag`` bytes (a multiple of 4: no padding) and a last one
            head = _DATA_HEADER.pack
            flags = unordered | 2  # flags U/B/E (RFC 9260 §3.3.1)
            for pos in range(0, n - frag, frag):
                raw = head(0, flags, 16 + frag, tsn & MASK32, stream_id, ssn, ppid)
                out = _Out(tsn, raw + data[pos : pos + frag], frag, msg)
                chunks.append(out)
                outstanding[tsn] = out
                unsent.append(out)
                tsn += 1
                flags = unordered
            pos += frag
            last = data[pos:]
            raw = pack_data_chunk(tsn & MASK32, stream_id, ssn, ppid, last, unordered | 1)
        else:
            last = data
            raw = pack_data_chunk(tsn & MASK32, stream_id, ssn, ppid, data, unordered | 3)
        out = _Out(tsn, raw, len(last), msg)
        chunks.append(out)
        outstanding[tsn] = out
        unsent.append(out)
        self.next_tsn = tsn + 1
        self.buffered[stream_id] = self.buffered.get(stream_id, 0) + n

    def max_fragment(self) -> int:
        return (self.mtu - 12 - DATA_CHUNK_HEADER) & ~3

    def reset_ssn(self, stream_ids: tuple[int, ...]) -> None:
        for sid in stream_ids:
            self._ssn.pop(sid, None)

    def all_acked(self) -> bool:
        return not self._outstanding

    def last_assigned_tsn(self) -> int:
        return self.next_tsn - 1

    # -- transmission ---------------------------------------------------------------
    def _take(self, out: _Out, now: float) -> None:
        if out.sent_count == 0:
            sid = out.msg.stream_id
            self.buffered[sid] -= out.size
            self.changed_streams.add(sid)
            if self._rtt_probe is None:
                self._rtt_probe = (out.tsn, now)
        else:
            self.stats["retransmits"] += 1
            self.rtx_bytes += out.size
            if self._rtt_probe is not None and self._rtt_probe[0] == out.tsn:
                self._rtt_probe = None  # Karn's rule
        out.sent_count += 1
        out.in_flight = True
        out.misses = 0
        out.stamp = self._stamp
        out.sent_at = now
        self._stamp += 1
        self._inflight[out.tsn] = out
        if out.tsn > self.highest_sent:
            self.highest_sent = out.tsn
        self.flight_size += out.size
        self.peer_rwnd = max(0, self.peer_rwnd - out.size)
        if self.t3_deadline is None:
            self.t3_deadline = now + self.rto

    def next_chunks(self, now: float, budget: int, alone: bool = False) -> list[bytes]:
        """Chunks for one packet of at most ``budget`` bytes: retransmissions, then new data.

        ``alone``: the packet is empty so far, so one chunk larger than ``budget`` (fragmented
        before the path MTU dropped) may go out by itself rather than never (RFC 9260 §7.3).
        """
        picked: list[bytes] = []
        if self._tlp_raw is not None and (len(self._tlp_raw) <= budget or alone):
            picked.append(self._tlp_raw)
            budget -= len(self._tlp_raw)
            self._tlp_raw = None
        if self._rtx:
            ignore_cwnd = self._fast_rtx_pending
            self._fast_rtx_pending = False
            for tsn in sorted(self._rtx):
                out = self._outstanding.get(tsn)
                if out is None or out.acked or out.msg.abandoned:
                    self._rtx.discard(tsn)
                    continue
                if not ignore_cwnd and self.flight_size >= self.cwnd:
                    return picked
                if len(out.raw) > budget and (picked or not alone):
                    return picked
                if self._expired(out, now):
                    continue
                self._rtx.discard(tsn)
                picked.append(out.raw)
                budget -= len(out.raw)
                self._take(out, now)
                if tsn == self.cum_ack + 1:
                    self.t3_deadline = now + self.rto  # RFC 9260 §7.2.4 step 4
        if self._unsent:
            self._next_new(now, budget, alone, picked)
        return picked

    def _next_new(self, now: float, budget: int, alone: bool, picked: list[bytes]) -> None:
        """New DATA for :meth:`next_chunks` (the per-packet hot path: ``_take`` inlined for a
        first transmission, counters kept in locals)."""
        unsent = self._unsent
        flight, cwnd, rwnd = self.flight_size, self.cwnd, self.peer_rwnd
        buffered, changed = self.buffered, self.changed_streams
        inflight, stamp = self._inflight, self._stamp
        tsn = self.highest_sent
        while unsent:
            out = unsent[0]
            msg = out.msg
            if msg.abandoned:
                unsent.popleft()
                continue
            raw = out.raw
            if flight >= cwnd or (len(raw) > budget and (picked or not alone)):
                break
            size = out.size
            if rwnd < size and flight > 0:
                break  # RFC 9260 §6.1 rule A (zero window probe when nothing in flight)
            if msg.expiry is not None and now >= msg.expiry:
                self.flight_size, self.peer_rwnd = flight, rwnd
                self._abandon(msg)  # may take sent fragments out of flight
                flight = self.flight_size
                continue
            unsent.popleft()
            picked.append(raw)
            budget -= len(raw)
            # _take() for a chunk in _unsent (never transmitted)
            sid = msg.stream_id
            buffered[sid] -= size
            changed.add(sid)
            if self._rtt_probe is None:
                self._rtt_probe = (out.tsn, now)
            out.sent_count = 1
            out.in_flight = True
            out.stamp = stamp
            out.sent_at = now
            stamp += 1
            tsn = out.tsn
            inflight[tsn] = out
            flight += size
            rwnd = rwnd - size if rwnd > size else 0
            if self.t3_deadline is None:
                self.t3_deadline = now + self.rto
        self.flight_size, self.peer_rwnd = flight, rwnd
        self._stamp, self.highest_sent = stamp, tsn
        if self.tlp_deadline is None and self.srtt is not None:
            self.tlp_deadline = now + max(2 * self.srtt, TLP_MIN)

    def has_pending(self) -> bool:
        return bool(self._rtx) or bool(self._unsent)

    # -- SACK processing (RFC 9260 §6.2.1, §7.2) ------------------------------------
    def on_sack(self, sack: SackChunk, now: float) -> None:
        cum = unwrap(sack.cumulative_tsn, self.cum_ack)
        if cum < self.cum_ack or cum > max(self.highest_sent, self.adv_peer_ack):
            return  # old, or acks TSNs never sent: ignored
        flight_before = self.flight_size
        acked, newest = self._advance_cum(cum, now)
        if sack.gaps:
            newly, gap_newest = self._process_gaps(cum, sack.gaps)
            acked += newly
            probe = self._rtt_probe
            if probe is not None and probe[0] > cum:
                out = self._outstanding.get(probe[0])
                if out is not None and out.acked:
                    self._measure_rtt(probe[0], now)  # first acked by a gap block
            self._count_misses(max(newest, gap_newest), now)
        self._update_cwnd(acked, flight_before)
        if acked:
            self._tlp_probes = 0
            self.tlp_deadline = self._pto(now) if self.flight_size else None
        self.peer_rwnd = max(0, sack.a_rwnd - self.flight_size)
        self._update_adv_peer_ack()

    def on_cum_ack(self, cum_wire: int, now: float) -> None:
        """Cumulative TSN ack carried by SHUTDOWN (RFC 9260 §9.2)."""
        cum = unwrap(cum_wire, self.cum_ack)
        if self.cum_ack < cum <= self.highest_sent:
            self._advance_cum(cum, now)
            self._update_adv_peer_ack()

    def _advance_cum(self, cum: int, now: float) -> tuple[int, int]:
        """Acknowledge everything up to ``cum``: (bytes newly acked, newest send stamp
        among the chunks that were in flight, -1 if none)."""
        acked = 0
        newest = -1
        if cum > self.cum_ack:
            pop = self._outstanding.pop
            inflight_pop = self._inflight.pop
            for tsn in range(self.cum_ack + 1, cum + 1):
                out = pop(tsn, None)
                if out is None:
                    continue
                if out.in_flight:
                    self.flight_size -= out.size
                    out.in_flight = False
                    inflight_pop(tsn, None)
                    if out.stamp > newest:
                        newest = out.stamp
                if not out.acked:
                    acked += out.size
                    out.acked = True
                if out.sent_count == 0 and not out.msg.abandoned:
                    # acked via FORWARD-TSN skip only; never happens for live data
                    self.buffered[out.msg.stream_id] -= out.size
            if self._rtx:
                self._rtx.difference_update(range(self.cum_ack + 1, cum + 1))
            self._measure_rtt(cum, now)
            self.cum_ack = cum
            if self._gap_acked:
                self._gap_acked = [(max(lo, cum + 1), hi) for lo, hi in self._gap_acked if hi > cum]
            self.error_count = 0
            if self.fast_recovery_exit is not None and cum >= self.fast_recovery_exit:
                self.fast_recovery_exit = None  # RFC 9260 §7.2.4: recovery ends
            self.t3_deadline = now + self.rto if self._outstanding_in_flight() else None
        return acked, newest

    def _outstanding_in_flight(self) -> bool:
        return self.flight_size > 0 or self.adv_peer_ack > self.cum_ack or bool(self._rtx)

    def _measure_rtt(self, cum: int, now: float) -> None:
        """RFC 9260 §6.3.1 C5: one RTT sample from the probe chunk when it is first acked,
        by the cumulative ack or a gap block, and never if it was sent twice (Karn). Taking it
        only from the cumulative ack counted the recovery of every lost chunk below the probe
        into the sample: under heavy loss SRTT and RTO grew to 10-24 s with no T3 at all,
        and delivery stalled for tens of seconds (finding 3)."""
        probe = self._rtt_probe
        if probe is None or probe[0] > cum:
            return
        self._rtt_probe = None
        r = now - probe[1]
        if self.srtt is None:
            self.srtt, self.rttvar = r, r / 2
        else:
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - r)
            self.srtt = 0.875 * self.srtt + 0.125 * r
        rto = self.srtt + max(CLOCK_GRANULARITY, 4 * self.rttvar)
        self.rto = min(max(rto, RTO_MIN), RTO_MAX)

    def _new_gap_ranges(self, cum: int, gaps: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The absolute TSN ranges this SACK gap-acks that no earlier SACK did; updates
        ``_gap_acked``. At most MAX_GAP_BLOCKS blocks, clamped to TSNs sent (see module
        docstring): O(blocks log blocks + known intervals)."""
        top = self.highest_sent
        blocks: list[tuple[int, int]] = []
        for block in sorted(
            (cum + s, min(cum + e, top)) for s, e in gaps[:MAX_GAP_BLOCKS] if 0 < s <= e
        ):
            if block[0] <= block[1]:
                _add_interval(blocks, block)  # overlapping blocks merged first
        known = self._gap_acked
        fresh: list[tuple[int, int]] = []
        merged: list[tuple[int, int]] = []
        k, nk = 0, len(known)
        for lo, hi in blocks:
            while k < nk and known[k][1] < lo:  # known intervals wholly below this block
                _add_interval(merged, known[k])
                k += 1
            pos = lo
            j = k
            while j < nk and known[j][0] <= hi:  # known intervals overlapping the block
                if known[j][0] > pos:
                    fresh.append((pos, known[j][0] - 1))
                pos = max(pos, known[j][1] + 1)
                j += 1
            if pos <= hi:
                fresh.append((pos, hi))
            _add_interval(merged, (lo, hi))
        for iv in known[k:]:
            _add_interval(merged, iv)
        self.stats["sack_work"] += len(blocks) + nk
        self._gap_acked = merged
        return fresh

    def _process_gaps(self, cum: int, gaps: list[tuple[int, int]]) -> tuple[int, int]:
        """Mark newly gap-acked chunks: (bytes newly acked, newest send stamp among them)."""
        acked = 0
        newest = -1
        get = self._outstanding.get
        inflight_pop = self._inflight.pop
        rtx = self._rtx
        work = 0
        for lo, hi in self._new_gap_ranges(cum, gaps):
            work += hi - lo + 1
            for tsn in range(lo, hi + 1):
                out = get(tsn)
                if out is None or out.acked or out.sent_count == 0:
                    continue
                out.acked = True
                rtx.discard(tsn)
                if out.in_flight:
                    out.in_flight = False
                    self.flight_size -= out.size
                    inflight_pop(tsn, None)
                    if out.stamp > newest:
                        newest = out.stamp
                acked += out.size
        self.stats["sack_work"] += work
        return acked, newest

    def _count_misses(self, newest: int, now: float) -> None:
        """RFC 9260 §7.2.4: a miss for each chunk in flight sent before the newest newly
        acked one (HTNA by send order); three misses trigger a fast retransmit, and so does
        one miss for a chunk sent more than RACK_WINDOW x SRTT ago (see module docstring)."""
        if newest < 0:
            return
        lost: list[_Out] = []
        work = 0
        old = now - RACK_WINDOW * self.srtt if self.srtt is not None else -1.0
        for out in self._inflight.values():  # send order: stops at the first later one
            if out.stamp >= newest:
                break
            work += 1
            out.misses += 1
            if out.misses >= FAST_RTX_MISSES or out.sent_at < old:
                lost.append(out)
        self.stats["sack_work"] += work
        if not lost:
            return
        for out in lost:
            self._mark_rtx(out, now=None)
        self.stats["fast_retransmits"] += 1
        self._fast_rtx_pending = True
        if self.fast_recovery_exit is None:  # RFC 9260 §7.2.3: one cut per window
            self.ssthresh = max(self.cwnd // 2, 4 * self.mtu)
            self.cwnd = self.ssthresh
            self.partial_bytes_acked = 0
            self.fast_recovery_exit = self.highest_sent

    def _update_cwnd(self, acked: int, flight_before: int) -> None:
        """RFC 9260 §7.2.1, §7.2.2; no increase during Fast Recovery (§7.2.4)."""
        if acked == 0 or self.fast_recovery_exit is not None:
            return
        utilized = flight_before + self.mtu > self.cwnd
        if self.cwnd <= self.ssthresh:  # slow start, RFC 9260 §7.2.1
            if utilized:
                self.cwnd += min(acked, self.mtu)
        else:  # congestion avoidance, RFC 9260 §7.2.2
            self.partial_bytes_acked += acked
            if self.partial_bytes_acked >= self.cwnd and utilized:
                self.partial_bytes_acked -= self.cwnd
                self.cwnd += self.mtu
        if self.flight_size == 0:
            self.partial_bytes_acked = 0

    # -- retransmission and abandonment ---------------------------------------------
    def _mark_rtx(self, out: _Out, now: float | None) -> None:
        if out.in_flight:
            out.in_flight = False
            self.flight_size -= out.size
            self._inflight.pop(out.tsn, None)
        msg = out.msg
        if (msg.max_rtx is not None and out.sent_count > msg.max_rtx) or (
            now is not None and msg.expiry is not None and now >= msg.expiry
        ):
            self._abandon(msg)
        else:
            self._rtx.add(out.tsn)

    def _expired(self, out: _Out, now: float) -> bool:
        if out.msg.expiry is not None and now >= out.msg.expiry:
            self._abandon(out.msg)
            return True
        return False

    def _abandon(self, msg: _Message) -> None:
        """RFC 3758 §3.5: abandon every fragment of the message."""
        if msg.abandoned:
            return
        msg.abandoned = True
        self.stats["abandoned_messages"] += 1
        for out in msg.chunks:
            self._rtx.discard(out.tsn)
            if out.in_flight:
                out.in_flight = False
                self.flight_size -= out.size
                self._inflight.pop(out.tsn, None)
            if out.sent_count == 0:
                self.buffered[msg.stream_id] -= out.size
                self.changed_streams.add(msg.stream_id)
        self.forward_tsn_needed = True

    # -- tail loss probe (see the module docstring) -----------------------------------
    def _pto(self, now: float) -> float | None:
        return None if self.srtt is None else now + max(2 * self.srtt, TLP_MIN)

    def on_tlp(self, now: float) -> None:
        """The probe timeout expired with nothing acked: copy the last chunk sent."""
        self.tlp_deadline = None
        if not self._inflight or self._tlp_probes >= TLP_MAX_PROBES:
            return
        out = next(reversed(self._inflight.values()))
        self._tlp_probes += 1
        self.stats["tail_loss_probes"] += 1
        self._tlp_raw = out.raw
        if self._rtt_probe is not None and self._rtt_probe[0] == out.tsn:
            self._rtt_probe = None  # Karn's rule: this TSN is now sent twice
        pto = self._pto(now)
        if pto is not None:
            pto = now + (pto - now) * (1 << self._tlp_probes)  # backed off
            if self.t3_deadline is None or pto < self.t3_deadline:
                self.tlp_deadline = pto

    def on_t3(self, now: float) -> None:
        """T3-rtx expiry, RFC 9260 §6.3.3."""
        self.stats["t3_expirations"] += 1
        self.error_count += 1
        if self.error_count > MAX_RETRANS and self.on_failure is not None:
            self.on_failure("too many retransmissions")
            return
        self.rto = min(self.rto * 2, RTO_MAX)
        self.ssthresh = max(self.cwnd // 2, 4 * self.mtu)
        self.cwnd = self.mtu
        self.partial_bytes_acked = 0
        self.fast_recovery_exit = None
        self._rtt_probe = None
        self.tlp_deadline, self._tlp_raw, self._tlp_probes = None, None, 0
        for out in list(self._inflight.values()):  # RFC 9260 §6.3.3 E3: all to retransmit
            self._mark_rtx(out, now)
        self._update_adv_peer_ack()
        if self.adv_peer_ack > self.cum_ack:
            self.forward_tsn_needed = True
        pending = self._rtx or self.forward_tsn_needed
        self.t3_deadline = now + self.rto if pending else None

    # -- PR-SCTP (RFC 3758 §3.5) ----------------------------------------------------
    def _update_adv_peer_ack(self) -> None:
        adv = max(self.adv_peer_ack, self.cum_ack)
        get = self._outstanding.get
        while True:
            out = get(adv + 1)
            if out is None or not out.msg.abandoned:
                break
            adv += 1
        self.adv_peer_ack = adv

    def forward_tsn(self, now: float) -> ForwardTsnChunk | None:
        """The FORWARD-TSN to send now, if the advanced peer ack point moved."""
        self.forward_tsn_needed = False
        self._update_adv_peer_ack()
        if self.adv_peer_ack <= self.cum_ack:
            return None
        streams: dict[int, int] = {}
        get = self._outstanding.get
        for tsn in range(self.cum_ack + 1, self.adv_peer_ack + 1):
            out = get(tsn)
            if out is not None and out.msg.ordered:
                streams[out.msg.stream_id] = out.msg.ssn
        if self.t3_deadline is None:
            self.t3_deadline = now + self.rto
        return ForwardTsnChunk(self.adv_peer_ack & MASK32, sorted(streams.items()))


def _add_interval(merged: list[tuple[int, int]], iv: tuple[int, int]) -> None:
    """Append ``iv`` (not below the last interval's start) to sorted, disjoint ``merged``."""
    if merged and iv[0] <= merged[-1][1] + 1:
        if iv[1] > merged[-1][1]:
            merged[-1] = (merged[-1][0], iv[1])
    else:
        merged.append(iv)
