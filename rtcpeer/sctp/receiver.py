"""Receiving side of an association: TSN tracking, SACK generation (RFC 9260 §6.2),
reassembly (§6.9), ordered/unordered delivery (§6.5, §6.6) and FORWARD-TSN (RFC 3758 §3.6).

``received`` holds only the TSNs above the cumulative TSN (empty when nothing is lost), so
the common in-order case is O(1) per chunk. Fragments are kept by TSN until a message is
complete; a forward walk from the new fragment stops at the first hole, so in-order
reassembly costs O(fragments) per message.
"""

from __future__ import annotations

from collections.abc import Callable

from rtcpeer.sctp.chunks import DataChunk, ForwardTsnChunk, SackChunk
from rtcpeer.sctp.tsn import HALF32, MASK32, ssn_newer, unwrap

MAX_GAP_BLOCKS = 64
MAX_DUPS = 32


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
        self.received: set[int] = set()
        self.dups: list[int] = []
        # TSN -> (stream id, SSN, PPID, user data, flags U=4 B=2 E=1)
        self.frags: dict[int, tuple[int, int, int, bytes, int]] = {}
        self.streams: dict[int, _InStream] = {}
        self.local_rwnd = local_rwnd
        self.held = 0  # bytes in fragments, ordered-pending and undrained events
        self.last_advertised = local_rwnd
        self.deliver = deliver
        self.sack_now = False
        self.data_packets = 0  # packets with DATA since the last SACK
        self.dropped = 0

    @property
    def rwnd(self) -> int:
        return max(0, self.local_rwnd - self.held)

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
        if tsn <= cum or tsn in self.received:
            if len(self.dups) < MAX_DUPS:
                self.dups.append(wire_tsn)
            self.sack_now = True  # RFC 9260 §6.2: duplicates are reported at once
            return
        if self.held >= self.local_rwnd and tsn > self.highest:
            self.dropped += 1  # RFC 9260 §6.2: window full, drop new data
            self.sack_now = True
            return
        if tsn == cum + 1:
            self.cum = tsn
            if self.received:
                self._advance()
                self.sack_now = True  # a gap was filled
        else:
            self.received.add(tsn)
            self.sack_now = True  # out of order: immediate SACK
        if tsn > self.highest:
            self.highest = tsn
        if flags & 3 == 3:  # B and E: a whole message in one chunk
            self._message(sid, ssn, ppid, data, bool(flags & 4))
            return
        frags = self.frags
        frags[tsn] = (sid, ssn, ppid, data, flags)
        self.held += len(data)
        if flags & 1 or tsn + 1 in frags:  # else no E fragment can follow yet
            self._try_reassemble(tsn)

    def _advance(self) -> None:
        received = self.received
        cum = self.cum
        while cum + 1 in received:
            cum += 1
            received.discard(cum)
        self.cum = cum

    def _try_reassemble(self, tsn: int) -> None:
        frags = self.frags
        end = tsn
        while not frags[end][4] & 1:
            end += 1
            if end not in frags:
                return
        start = tsn
        while not frags[start][4] & 2:
            start -= 1
            if start not in frags:
                return
        sid, ssn, ppid, _, flags = frags[start]
        parts = []
        for t in range(start, end + 1):
            frag = frags.pop(t)
            self.held -= len(frag[3])
            if frag[0] != sid:
                self.dropped += 1
                return
            parts.append(frag[3])
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
                self.held += len(data)
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
            self.held -= len(data)
            self._emit(sid, ppid, data)
            stream.expected = (stream.expected + 1) & 0xFFFF

    def _emit(self, sid: int, ppid: int, data: bytes) -> None:
        self.held += len(data)
        self.deliver(sid, ppid, data)

    def consumed(self, nbytes: int) -> None:
        """The application took ``nbytes`` of delivered data: maybe send a window update."""
        self.held -= nbytes
        quarter = max(self.local_rwnd // 4, 1)
        if self.last_advertised < self.local_rwnd // 2 and self.rwnd >= self.last_advertised + (
            quarter
        ):
            self.sack_now = True

    # -- SACK -----------------------------------------------------------------------
    def build_sack(self) -> SackChunk:
        gaps: list[tuple[int, int]] = []
        if self.received:
            cum = self.cum
            start = prev = -1
            for tsn in sorted(self.received):
                off = tsn - cum
                if off > 0xFFFF:
                    break
                if off != prev + 1:
                    if start >= 0:
                        gaps.append((start, prev))
                        if len(gaps) >= MAX_GAP_BLOCKS:
                            break
                    start = off
                prev = off
            if start >= 0 and len(gaps) < MAX_GAP_BLOCKS:
                gaps.append((start, prev))
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
        self.received = {t for t in self.received if t > new_cum}
        for t in [t for t in self.frags if t <= new_cum]:
            self.held -= len(self.frags.pop(t)[3])
        self.cum = new_cum
        self.highest = max(self.highest, new_cum)
        self._advance()
        for sid, ssn in chunk.streams:
            stream = self.streams.get(sid)
            if stream is None:
                stream = self.streams[sid] = _InStream()
            if not ssn_newer(stream.expected, ssn):
                for old in [s for s in stream.pending if not ssn_newer(s, ssn)]:
                    self.held -= len(stream.pending.pop(old)[1])
                stream.expected = (ssn + 1) & 0xFFFF
            self._drain(sid, stream)

    def reset_streams(self, stream_ids: tuple[int, ...]) -> None:
        """Incoming SSN reset (RFC 6525 §5.2.2): next expected SSN becomes 0."""
        for sid in stream_ids or tuple(self.streams):
            stream = self.streams.pop(sid, None)
            if stream is not None:
                for _ppid, data in stream.pending.values():
                    self.held -= len(data)
