"""Stream reconfiguration (RFC 6525) as WebRTC uses it (RFC 8831 §6.7).

Outgoing: ``request(stream_ids)`` queues streams; once every queued byte on them has been
transmitted and no other request is in flight, one Outgoing SSN Reset Request carries them
with the sender's last assigned TSN (§5.1.2). The request is retransmitted on the
``sctp.reconfig`` timer (RTO) until a response arrives; "in progress" (result 6) re-arms the
timer; "success performed"/"nothing to do" resets our outgoing SSNs to 0 and emits
:class:`OutgoingStreamsReset`.

Incoming: a request whose sequence number is expected is performed once our cumulative TSN
reaches its last assigned TSN (deferred reset processing, §5.2.2), resetting incoming SSNs
to 0, answering "success performed" and emitting :class:`StreamsReset`. A retransmitted
request gets the cached response again (§5.2.1).

Size: every RE-CONFIG chunk we build fits one packet at the current PLPMTU. A request lists at
most ``max_streams()`` streams; more queued streams go in the following requests (one at a
time, §5.1.1), which is how an Incoming SSN Reset Request listing thousands of streams is
answered (§5.2.3 asks for an Outgoing request for those streams, not for one parameter). Stream
numbers we never negotiated are left out of it. Each chunk carries at most two parameters
(§3.1), so responses to a packet full of requests never grow beyond the requests.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING

from rtcpeer.sctp import chunks as ch
from rtcpeer.sctp.events import OutgoingStreamsReset, StreamsReset
from rtcpeer.sctp.packet import COMMON_HEADER_SIZE
from rtcpeer.sctp.tsn import MASK32, unwrap

# RE-CONFIG chunk header (4) + Outgoing SSN Reset Request header (16) + room for a response
# parameter with TSNs bundled in the same chunk (20), RFC 6525 §3.1, §4.1, §4.4.
_REQUEST_OVERHEAD = 4 + 16 + 20

if TYPE_CHECKING:
    from rtcpeer.sctp.association import Association


class StreamReset:
    def __init__(self, assoc: Association, local_itsn: int, peer_itsn: int) -> None:
        self._assoc = assoc
        self.local_seq = local_itsn & MASK32
        self.peer_seq = peer_itsn & MASK32  # next request sequence number expected
        self.pending: dict[int, None] = {}  # streams queued for a request, in order
        self.outstanding: ch.OutgoingSsnResetRequest | None = None
        self._outstanding_ids: frozenset[int] = frozenset()
        self.deadline: float | None = None
        self._retries = 0
        self._deferred: ch.OutgoingSsnResetRequest | None = None
        self._last_response: ch.ReconfigResponse | None = None
        self._out: list[ch.ReconfigParam] = []
        self.stats = {"reconfig_requests_sent": 0, "reconfig_denied": 0}

    def is_resetting(self, stream_id: int) -> bool:
        return stream_id in self.pending or stream_id in self._outstanding_ids

    def request(self, stream_ids: list[int]) -> None:
        for sid in stream_ids:
            if sid not in self._outstanding_ids:
                self.pending[sid] = None

    def max_streams(self) -> int:
        """Streams one request may list so that its RE-CONFIG chunk fits one packet."""
        room = self._assoc.plpmtu - COMMON_HEADER_SIZE - _REQUEST_OVERHEAD
        return max(1, room // 2)

    # -- output ------------------------------------------------------------------------
    def flush(self, now: float) -> None:
        """Called while building packets: start a request, send queued parameters."""
        sender = self._assoc.sender
        if self.outstanding is None and self.pending and sender is not None:
            batch = list(islice(self.pending, self.max_streams()))
            if all(sender.buffered.get(sid, 0) == 0 for sid in batch):
                for sid in batch:
                    del self.pending[sid]
                self.outstanding = ch.OutgoingSsnResetRequest(
                    self.local_seq,
                    (self.peer_seq - 1) & MASK32,
                    sender.last_assigned_tsn() & MASK32,
                    tuple(batch),
                )
                self._outstanding_ids = frozenset(batch)
                self._retries = 0
                self._send_request(now)
        out = self._out
        for i in range(0, len(out), 2):  # RFC 6525 §3.1: one or two parameters per chunk
            self._assoc._control.append(ch.ReconfigChunk(out[i : i + 2]).serialize())
        self._out = []

    def _send_request(self, now: float) -> None:
        assert self.outstanding is not None and self._assoc.sender is not None
        self._out.append(self.outstanding)
        self.stats["reconfig_requests_sent"] += 1
        self.deadline = now + self._assoc.sender.rto * (1 << min(self._retries, 6))

    def on_timer(self, now: float) -> None:
        self.deadline = None
        if self.outstanding is not None:
            self._retries += 1
            self._send_request(now)

    # -- input -------------------------------------------------------------------------
    def on_chunk(self, chunk: ch.ReconfigChunk, now: float) -> None:
        for param in chunk.params:
            if isinstance(param, ch.ReconfigResponse):
                self._on_response(param, now)
            elif isinstance(param, ch.OutgoingSsnResetRequest):
                self._on_outgoing_request(param, now)
            elif isinstance(param, ch.IncomingSsnResetRequest):
                self._on_incoming_request(param)

    def _on_response(self, resp: ch.ReconfigResponse, now: float) -> None:
        req = self.outstanding
        if req is None or resp.response_seq != req.request_seq:
            return
        if resp.result == ch.RESULT_IN_PROGRESS:
            self._retries += 1
            assert self._assoc.sender is not None
            self.deadline = now + self._assoc.sender.rto
            return
        self.outstanding = None
        self._outstanding_ids = frozenset()
        self.deadline = None
        self.local_seq = (self.local_seq + 1) & MASK32
        if resp.result in (ch.RESULT_PERFORMED, ch.RESULT_NOTHING_TO_DO):
            assert self._assoc.sender is not None
            self._assoc.sender.reset_ssn(req.streams)
            self._assoc._events.append(OutgoingStreamsReset(req.streams))
        else:
            self.stats["reconfig_denied"] += 1

    def _on_outgoing_request(self, req: ch.OutgoingSsnResetRequest, now: float) -> None:
        if req.request_seq == (self.peer_seq - 1) & MASK32 and self._last_response is not None:
            self._out.append(self._last_response)  # retransmitted request (§5.2.1)
            return
        if req.request_seq != self.peer_seq:
            self._out.append(ch.ReconfigResponse(req.request_seq, ch.RESULT_ERROR_BAD_SEQUENCE))
            return
        self._deferred = req
        if not self.check_deferred(now):
            self._out.append(ch.ReconfigResponse(req.request_seq, ch.RESULT_IN_PROGRESS))

    def check_deferred(self, now: float) -> bool:
        """Perform a deferred incoming reset once the cumulative TSN reached it."""
        req = self._deferred
        receiver = self._assoc.receiver
        if req is None or receiver is None:
            return False
        if unwrap(req.last_tsn, receiver.cum) > receiver.cum:
            return False
        self._deferred = None
        receiver.reset_streams(req.streams)
        self._respond(req.request_seq, ch.RESULT_PERFORMED)
        self._assoc._events.append(StreamsReset(req.streams))
        return True

    def _on_incoming_request(self, req: ch.IncomingSsnResetRequest) -> None:
        if req.request_seq != self.peer_seq:
            if req.request_seq == (self.peer_seq - 1) & MASK32 and self._last_response:
                self._out.append(self._last_response)
            return
        # Answer by resetting those of our outgoing streams that exist (§5.2.3).
        self.request([sid for sid in req.streams if sid < self._assoc.outbound_streams])
        self._respond(req.request_seq, ch.RESULT_PERFORMED)

    def _respond(self, seq: int, result: int) -> None:
        self._last_response = ch.ReconfigResponse(seq, result)
        self._out.append(self._last_response)
        self.peer_seq = (self.peer_seq + 1) & MASK32
