"""Keyframe requests: the receiver's PLI/FIR policy and the sender's coalescing.

Receiver (:class:`KeyframeRequester`, one per remote video SSRC). :meth:`request` is called
when the jitter buffer gives up on a frame (``KeyframeNeeded``) or the decoder reports an
error. It sends a PLI (RFC 4585 §6.3.1) if ``a=rtcp-fb:* nack pli`` was negotiated, else a
FIR (RFC 5104 §4.3.1) if ``ccm fir`` was, else nothing (counted). Requests are rate limited
to one per ``max(min_interval, rtt)`` (300 ms by default); one asked for within that time is
sent when it ends. Until :meth:`keyframe_received` the request stands: it is repeated every
``max(retry_interval, 2 * rtt)`` (a lost PLI must not freeze the video for good). A FIR
carries a command sequence number that is incremented for each new request and kept for
repetitions of the same one (RFC 5104 §4.3.1.2). Deadline reason ``"rtp.keyframe"``;
``stats`` has W3C ``pliCount`` / ``firCount`` as ``pli_count`` / ``fir_count``.

Sender (:class:`KeyframeRequestCoalescer`, one per local video SSRC). Every received PLI,
and every FIR with a new sequence number (a repeated number is a retransmission of a request
already seen, RFC 5104 §4.3.1.2), asks for a keyframe; requests within ``window`` of the
last keyframe decided on are coalesced into it, so a burst of requests (several receivers
of an SFU, retries) yields one keyframe.
"""

from __future__ import annotations

from rtcpeer.rtp.rtcp import Fir, Pli

__all__ = ["TIMER_KEYFRAME", "KeyframeRequestCoalescer", "KeyframeRequester"]

TIMER_KEYFRAME = "rtp.keyframe"
DEFAULT_RTT = 0.1


class KeyframeRequester:
    """PLI/FIR sending for one remote SSRC; see the module docstring."""

    def __init__(
        self,
        sender_ssrc: int,
        media_ssrc: int,
        *,
        pli: bool,
        fir: bool,
        min_interval: float = 0.3,
        retry_interval: float = 1.0,
    ) -> None:
        self.sender_ssrc = sender_ssrc
        self.media_ssrc = media_ssrc
        self.pli = pli
        self.fir = fir
        self.min_interval = min_interval
        self.retry_interval = retry_interval
        self._rtt = DEFAULT_RTT
        self._wanted = False
        self._last_sent: float | None = None
        self._deadline: float | None = None
        self._fir_seq = -1
        self._out: list[Pli | Fir] = []
        self.timer_reason: str | None = None
        self.stats: dict[str, int] = dict.fromkeys(
            ("pli_count", "fir_count", "requests_rate_limited", "requests_unsupported"), 0
        )

    def set_rtt(self, rtt: float) -> None:
        self._rtt = rtt

    @property
    def interval(self) -> float:
        return max(self.min_interval, self._rtt)

    def request(self, now: float) -> None:
        """The decoder needs a keyframe (a frame was lost, or it failed to decode)."""
        if not (self.pli or self.fir):
            self.stats["requests_unsupported"] += 1
            return
        if not self._wanted:
            self._wanted = True
            self._fir_seq = (self._fir_seq + 1) & 0xFF
        last = self._last_sent
        if last is None or now - last >= self.interval:
            self._send(now)
            return
        self.stats["requests_rate_limited"] += 1
        self._set_deadline(min(last + self.interval, self._deadline or float("inf")))

    def keyframe_received(self, now: float) -> None:
        """A keyframe was decoded: the request is answered."""
        self._wanted = False
        self._set_deadline(None)

    def _send(self, now: float) -> None:
        if self.pli:
            self._out.append(Pli(self.sender_ssrc, self.media_ssrc))
            self.stats["pli_count"] += 1
        else:
            self._out.append(Fir(self.sender_ssrc, ((self.media_ssrc, self._fir_seq),)))
            self.stats["fir_count"] += 1
        self._last_sent = now
        self._set_deadline(now + max(self.retry_interval, 2 * self._rtt))

    def _set_deadline(self, deadline: float | None) -> None:
        self._deadline = deadline
        self.timer_reason = None if deadline is None else TIMER_KEYFRAME

    def get_timer(self) -> float | None:
        return self._deadline

    def handle_timer(self, now: float) -> None:
        if self._deadline is not None and now >= self._deadline and self._wanted:
            self._send(now)

    def take_feedback(self) -> list[Pli | Fir]:
        out, self._out = self._out, []
        return out


class KeyframeRequestCoalescer:
    """Received PLI/FIR -> "produce a keyframe now" decisions, coalesced."""

    def __init__(self, window: float = 0.3) -> None:
        self.window = window
        self._last: float | None = None
        self._fir_seqs: dict[int, int] = {}  # requesting SSRC -> last FIR seq number
        self.stats: dict[str, int] = dict.fromkeys(
            ("keyframes_wanted", "requests_coalesced", "fir_repeated"), 0
        )

    def on_pli(self, now: float) -> bool:
        """A PLI arrived (RFC 4585 §6.3.1). True: encode a keyframe now."""
        return self._want(now)

    def on_fir(self, sender_ssrc: int, sequence_number: int, now: float) -> bool:
        """A FIR entry for us arrived (RFC 5104 §4.3.1). True: encode a keyframe now."""
        if self._fir_seqs.get(sender_ssrc) == sequence_number:
            self.stats["fir_repeated"] += 1
            return False
        self._fir_seqs[sender_ssrc] = sequence_number
        return self._want(now)

    def _want(self, now: float) -> bool:
        if self._last is not None and now - self._last < self.window:
            self.stats["requests_coalesced"] += 1
            return False
        self._last = now
        self.stats["keyframes_wanted"] += 1
        return True
