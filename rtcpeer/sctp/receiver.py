"""Receiving side of an association: TSN tracking, SACK generation (RFC 9260 §6.2),
reassembly (§6.9), ordered/unordered delivery (§6.5, §6.6) and FORWARD-TSN (RFC 3758 §3.6).

TSNs received above the cumulative TSN are kept as sorted, disjoint, non-adjacent ranges
(``_starts``/``_ends``), so the in-order case is O(1) per chunk, an out-of-order chunk costs a
bisection, and a SACK's gap blocks (at most ``MAX_GAP_BLOCKS``) are read off the first ranges
whatever the number of TSNs held.

Reassembly: held fragments are joined, as they arrive, into segments of consecutive TSNs of one
message (a segment never holds an E fragment but at its end, nor a B but at its start;
``_seg_start`` maps the end of a segment still open to the right (no E) to its start,
``_seg_end`` the start of one open to the left (no B) to its end). A message is complete when
its segment starts with B and ends with E, so each fragment costs O(1) whatever the arrival
order and the message O(n).

Window (RFC 9260 §6.2). ``held`` counts real memory: payload plus ``CHUNK_OVERHEAD`` per held
fragment and ``MESSAGE_OVERHEAD`` per whole message waiting (out of order or undrained), what
CPython holds beside the payload (measured with tracemalloc, see the tests). New DATA is dropped
and counted while ``held`` reaches the window (a gap-filling TSN below the highest one is still
taken, up to twice the window, so that a full window of data above a hole cannot wedge the
association), and so is any TSN more than ``tsn_window`` above the cumulative TSN: a peer
honouring our window cannot have more chunks than that outstanding (each costs at least
``CHUNK_OVERHEAD`` here), and it keeps the ranges and SACK offsets bounded (offsets are 16-bit).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable

from rtcpeer.sctp.chunks import DataChunk, ForwardTsnChunk, SackChunk
from rtcpeer.sctp.tsn import HALF32, MASK32, ssn_newer, unwrap

MAX_GAP_BLOCKS = 64
MAX_DUPS = 32
# CPython memory per held fragment beside its payload: the bytes object header, the 5-tuple,
# the TSN/SSN ints, the dict slots in ``frags`` and the segment maps (tracemalloc: ~250).
CHUNK_OVERHEAD = 256
# Per whole message held (ordered-pending entry or undrained DataReceived event).
MESSAGE_OVERHEAD = 160


class _InStream:
    __slots__ = ("expected", "pending")

    def __init__(self) -> None:
        self.expected = 0
        self.pending: dict[int, tuple[int, bytes]] = {}


class Receiver:
    """Inbound data path. ``deliver(stream_id, ppid, data)`` is called per whole message."""

    def __init__(
        self, peer_initial_tsn: int, local_rwnd: int, deliver: Callable[[int, int, bytes], None]
    ) -> None:
        self.cum = peer_initial_tsn - 1
        self.highest = self.cum
        self._starts: list[int] = []  # received TSN ranges above cum + 1, sorted
        self._ends: list[int] = []
        self.dups: list[int] = []
        # TSN -> (stream id, SSN, PPID, user data, flags U=4 B=2 E=1)
        self.frags: dict[int, tuple[int, int, int, bytes, int]] = {}
        self._seg_end: dict[int, int] = {}  # start TSN -> end TSN, segments without B
        self._seg_start: dict[int, int] = {}  # end TSN -> start TSN, segments without E
        self.streams: dict[int, _InStream] = {}
        self.local_rwnd = local_rwnd
        self.tsn_window = max(16, min(local_rwnd // CHUNK_OVERHEAD, 0xFFFF))
        self.held = 0  # bytes of real memory in fragments, pending messages, undrained events
        self.last_advertised = local_rwnd
        self.deliver = deliver
        self.sack_now = False
        self.data_packets = 0  # packets with DATA since the last SACK
        self.dropped = 0
        self.beyond_window = 0  # of which: TSN more than tsn_window above cum

    @property
    def rwnd(self) -> int:
        return max(0, self.local_rwnd - self.held)

    @property
    def gap_ranges(self) -> list[tuple[int, int]]:
        """The TSN ranges held above the cumulative TSN (unbounded TSNs)."""
        return list(zip(self._starts, self._ends, strict=True))

    def on_data(self, chunk: DataChunk) -> None:
        flags = (chunk.unordered << 2) | (chunk.beginning << 1) | chunk.ending
        self.on_data_fields(
            chunk.tsn, chunk.stream_id, chunk.ssn, chunk.ppid, chunk.user_data, flags
        )

    def on_data_fields(
        self, wire_tsn: int, sid: int, ssn: int, ppid: int, data: bytes, flags: int
    ) -> None:
        """One DATA chunk as its fields (``flags``: U=4, B=2, E=1), the per-chunk hot path."""
        cum = self.cum
        d = (wire_tsn - cum) & MASK32  # unwrap(wire_tsn, cum), inlined
        tsn = cum + d - (1 << 32) if d >= HALF32 else cum + d
        if (
            self.held >= self.local_rwnd
            and tsn > cum
            and (tsn > self.highest or self.held >= 2 * self.local_rwnd)
        ):
            self.dropped += 1  # RFC 9260 §6.2: window full, drop new data
            self.sack_now = True
            return
        if tsn == cum + 1:
            self.cum = tsn
            if self._starts:
                if self._starts[0] == tsn + 1:
                    self._advance()
                self.sack_now = True  # a gap was (partly) filled
        elif tsn <= cum or tsn - cum > self.tsn_window or not self._insert(tsn):
            self._reject(tsn, wire_tsn)
            return
        else:
            self.sack_now = True  # out of order: immediate SACK
        if tsn > self.highest:
            self.highest = tsn
        if flags & 3 == 3:  # B and E: a whole message in one chunk
            self._message(sid, ssn, ppid, data, bool(flags & 4))
            return
        frags = self.frags
        frags[tsn] = (sid, ssn, ppid, data, flags)
        self.held += len(data) + CHUNK_OVERHEAD
        # Join the fragment's segment (module docstring), inlined: B starts and E ends one.
        start = tsn if flags & 2 else self._seg_start.pop(tsn - 1, tsn)
        end = tsn if flags & 1 else self._seg_end.pop(tsn + 1, tsn)
        closed_left = frags[start][4] & 2
        closed_right = frags[end][4] & 1
        if closed_left and closed_right:
            self._take(start, end)
            return
        if not closed_right:
            self._seg_start[end] = start
        if not closed_left:
            self._seg_end[start] = end

    def _reject(self, tsn: int, wire_tsn: int) -> None:
        self.sack_now = True
        if tsn > self.cum + self.tsn_window:
            self.dropped += 1  # beyond the window (see the module docstring)
            self.beyond_window += 1
        elif len(self.dups) < MAX_DUPS:
            self.dups.append(wire_tsn)  # RFC 9260 §6.2: duplicates are reported at once

    def _insert(self, tsn: int) -> bool:
        """Record out-of-order ``tsn`` in the ranges; False if it was already there."""
        starts, ends = self._starts, self._ends
        if not starts or tsn > ends[-1]:  # the usual case: above every range
            if starts and ends[-1] == tsn - 1:
                ends[-1] = tsn
            else:
                starts.append(tsn)
                ends.append(tsn)
            return True
        i = bisect_right(starts, tsn) - 1
        if i >= 0 and tsn <= ends[i]:
            return False
        left = i >= 0 and ends[i] == tsn - 1
        if starts[i + 1] == tsn + 1:  # a range follows: tsn <= ends[-1] and not inside one
            if left:
                ends[i] = ends[i + 1]
                del starts[i + 1], ends[i + 1]
            else:
                starts[i + 1] = tsn
        elif left:
            ends[i] = tsn
        else:
            starts.insert(i + 1, tsn)
            ends.insert(i + 1, tsn)
        return True

    def _advance(self) -> None:
        """cum + 1 starts the first range: the cumulative TSN jumps to its end."""
        self.cum = self._ends[0]
        del self._starts[0], self._ends[0]

    def _take(self, start: int, end: int) -> None:
        """Fragments ``start``..``end`` form one message: remove and deliver it."""
        frags = self.frags
        sid, ssn, ppid, _, flags = frags[start]
        parts = []
        mixed = False
        for t in range(start, end + 1):
            frag = frags.pop(t)
            self.held -= len(frag[3]) + CHUNK_OVERHEAD
            mixed = mixed or frag[0] != sid
            parts.append(frag[3])
        if mixed:
            self.dropped += 1  # fragments of one message on different streams
            return
        self._message(sid, ssn, ppid, b"".join(parts), bool(flags & 4))

    def _message(self, sid: int, ssn: int, ppid: int, data: bytes, unordered: bool) -> None:
        if unordered:
            self._emit(sid, ppid, data)
            return
        stream = self.streams.get(sid)
        if stream is None:
            stream = self.streams[sid] = _InStream()
        if ssn != stream.expected:
            if ssn_newer(ssn, stream.expected):
                stream.pending[ssn] = (ppid, data)
                self.held += len(data) + MESSAGE_OVERHEAD
            else:
                self.dropped += 1  # stale SSN
            return
        self._emit(sid, ppid, data)
        stream.expected = (ssn + 1) & 0xFFFF
        if stream.pending:
            self._drain(sid, stream)

    def _drain(self, sid: int, stream: _InStream) -> None:
        while stream.expected in stream.pending:
            ppid, data = stream.pending.pop(stream.expected)
            self.held -= len(data) + MESSAGE_OVERHEAD
            self._emit(sid, ppid, data)
            stream.expected = (stream.expected + 1) & 0xFFFF

    def _emit(self, sid: int, ppid: int, data: bytes) -> None:
        self.held += len(data) + MESSAGE_OVERHEAD
        self.deliver(sid, ppid, data)

    def consumed(self, nbytes: int) -> None:
        """The application took one delivered message of ``nbytes``: maybe send a window
        update."""
        self.held -= nbytes + MESSAGE_OVERHEAD
        quarter = max(self.local_rwnd // 4, 1)
        if self.last_advertised < self.local_rwnd // 2 and self.rwnd >= self.last_advertised + (
            quarter
        ):
            self.sack_now = True

    # -- SACK -----------------------------------------------------------------------
    def build_sack(self) -> SackChunk:
        cum = self.cum
        gaps = [
            (start - cum, end - cum)
            for start, end in zip(self._starts[:MAX_GAP_BLOCKS], self._ends, strict=False)
        ]
        dups, self.dups = self.dups, []
        self.sack_now = False
        self.data_packets = 0
        self.last_advertised = self.rwnd
        return SackChunk(self.cum & MASK32, self.last_advertised, gaps, dups)

    # -- FORWARD-TSN (RFC 3758 §3.6) ------------------------------------------------
    def on_forward_tsn(self, chunk: ForwardTsnChunk) -> None:
        new_cum = unwrap(chunk.new_cumulative_tsn, self.cum)
        self.sack_now = True
        if new_cum <= self.cum:
            return
        if new_cum - self.cum > 1 << 30:
            self.dropped += 1
            return
        self._forget_below(new_cum)
        self.cum = new_cum
        self.highest = max(self.highest, new_cum)
        if self._starts and self._starts[0] == new_cum + 1:
            self._advance()
        for sid, ssn in chunk.streams:
            stream = self.streams.get(sid)
            if stream is None:
                stream = self.streams[sid] = _InStream()
            if not ssn_newer(stream.expected, ssn):
                for old in [s for s in stream.pending if not ssn_newer(s, ssn)]:
                    self.held -= len(stream.pending.pop(old)[1]) + MESSAGE_OVERHEAD
                stream.expected = (ssn + 1) & 0xFFFF
            self._drain(sid, stream)

    def _forget_below(self, new_cum: int) -> None:
        """Drop ranges, fragments and segment ends at or below ``new_cum``."""
        i = bisect_right(self._ends, new_cum)
        del self._starts[:i], self._ends[:i]
        if self._starts and self._starts[0] <= new_cum:
            self._starts[0] = new_cum + 1
        for t in [t for t in self.frags if t <= new_cum]:
            self.held -= len(self.frags.pop(t)[3]) + CHUNK_OVERHEAD
        for start, end in [(s, e) for s, e in self._seg_end.items() if s <= new_cum]:
            del self._seg_end[start]
            if end > new_cum:  # the segment's head was abandoned: keep its tail
                self._seg_end[new_cum + 1] = end
        for end in [e for e, s in self._seg_start.items() if s <= new_cum]:
            del self._seg_start[end]
            if end > new_cum:
                self._seg_start[end] = new_cum + 1

    def reset_streams(self, stream_ids: tuple[int, ...]) -> None:
        """Incoming SSN reset (RFC 6525 §5.2.2): next expected SSN becomes 0."""
        for sid in stream_ids or tuple(self.streams):
            stream = self.streams.pop(sid, None)
            if stream is not None:
                for _ppid, data in stream.pending.values():
                    self.held -= len(data) + MESSAGE_OVERHEAD
