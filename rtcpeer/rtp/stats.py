"""Per-SSRC RTP statistics: RFC 3550 A.1 (sequence validation), A.3 (loss), A.8 (jitter),
sender counters for SRs, NTP <-> RTP mapping from received SRs, and RTT (§6.4.1).

Times: ``arrival``/``now`` are the caller's monotonic seconds. NTP times are 64-bit NTP
format integers (seconds since 1900 << 32 | fraction); the RTP session maps ``now`` to NTP
with the offset it is given, since the sans-IO core reads no wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from rtcpeer.rtp.rtcp.reports import ReportBlock

__all__ = [
    "ReceiverStats",
    "RemoteSenderInfo",
    "SenderStats",
    "ntp_from_seconds",
    "ntp_middle",
    "rtt_seconds",
]

RTP_SEQ_MOD = 1 << 16
MAX_DROPOUT = 3000  # RFC 3550 A.1
MAX_MISORDER = 100
MIN_SEQUENTIAL = 2


def ntp_from_seconds(seconds: float) -> int:
    """64-bit NTP timestamp for ``seconds`` since the NTP epoch (1900-01-01)."""
    return int(seconds * (1 << 32)) & 0xFFFF_FFFF_FFFF_FFFF


def ntp_middle(ntp: int) -> int:
    """The middle 32 bits of a 64-bit NTP timestamp: LSR/DLSR units (RFC 3550 §6.4.1)."""
    return (ntp >> 16) & 0xFFFF_FFFF


def rtt_seconds(arrival_ntp: int, block: ReportBlock) -> float | None:
    """RFC 3550 §6.4.1: RTT = A - LSR - DLSR, in 1/65536 s; None if no SR was reported."""
    if block.lsr == 0:
        return None
    rtt = (ntp_middle(arrival_ntp) - block.lsr - block.dlsr) & 0xFFFF_FFFF
    if rtt & 0x8000_0000:  # clock skew or a bogus DLSR: a negative RTT is no RTT
        return None
    return rtt / 65536.0


class ReceiverStats:
    """Reception statistics of one remote SSRC, following RFC 3550 A.1/A.3/A.8 exactly."""

    __slots__ = (
        "bad_seq",
        "base_seq",
        "clock_rate",
        "cycles",
        "expected_prior",
        "jitter",
        "max_seq",
        "probation",
        "received",
        "received_prior",
        "ssrc",
        "transit",
    )

    def __init__(self, ssrc: int, clock_rate: int, seq: int) -> None:
        """Start on the first packet seen (A.1: init_seq, then probation)."""
        self.ssrc = ssrc
        self.clock_rate = clock_rate
        self._init_seq(seq)
        self.max_seq = (seq - 1) & 0xFFFF
        self.probation = MIN_SEQUENTIAL
        self.expected_prior = 0
        self.received_prior = 0
        self.jitter = 0.0  # A.8, in RTP timestamp units
        self.transit: int | None = None

    def _init_seq(self, seq: int) -> None:
        self.base_seq = seq
        self.max_seq = seq
        self.bad_seq = RTP_SEQ_MOD + 1  # so seq == bad_seq is false
        self.cycles = 0
        self.received = 0
        self.received_prior = 0
        self.expected_prior = 0

    def update(self, seq: int, rtp_timestamp: int, arrival: float) -> bool:
        """A.1 ``update_seq`` then the A.8 jitter update; False: not (yet) a valid packet."""
        if not self._update_seq(seq):
            return False
        self._update_jitter(rtp_timestamp, arrival)
        return True

    def _update_seq(self, seq: int) -> bool:
        udelta = (seq - self.max_seq) & 0xFFFF
        if self.probation:
            # A source is valid once MIN_SEQUENTIAL packets arrive in sequence.
            if seq == (self.max_seq + 1) & 0xFFFF:
                self.probation -= 1
                self.max_seq = seq
                if self.probation == 0:
                    self._init_seq(seq)
                    self.received += 1
                    return True
            else:
                self.probation = MIN_SEQUENTIAL - 1
                self.max_seq = seq
            return False
        if udelta < MAX_DROPOUT:  # in order, with a permissible gap
            if seq < self.max_seq:
                self.cycles += RTP_SEQ_MOD  # wrapped
            self.max_seq = seq
        elif udelta <= RTP_SEQ_MOD - MAX_MISORDER:  # a very large jump
            if seq == self.bad_seq:
                # Two sequential packets: the source restarted without telling us.
                self._init_seq(seq)
            else:
                self.bad_seq = (seq + 1) & 0xFFFF
                return False
        # else: a duplicate or a reordered packet
        self.received += 1
        return True

    def _update_jitter(self, rtp_timestamp: int, arrival: float) -> None:
        # A.8: J += (|D| - J) / 16, D the change in transit time, in RTP units (mod 2^32).
        arrival_ts = int(arrival * self.clock_rate)
        transit = (arrival_ts - rtp_timestamp) & 0xFFFF_FFFF
        if self.transit is not None:
            d = (transit - self.transit) & 0xFFFF_FFFF
            if d & 0x8000_0000:
                d = (1 << 32) - d
            self.jitter += (d - self.jitter) / 16.0
        self.transit = transit

    @property
    def extended_max(self) -> int:
        return self.cycles + self.max_seq

    @property
    def expected(self) -> int:
        return self.extended_max - self.base_seq + 1

    @property
    def cumulative_lost(self) -> int:
        """A.3: expected - received, clamped to the signed 24-bit field (0 in probation:
        statistics start once the source is valid, A.1)."""
        if self.probation:
            return 0
        return max(-0x800000, min(0x7FFFFF, self.expected - self.received))

    def report_block(self, lsr: int = 0, dlsr: int = 0) -> ReportBlock:
        """A.3 report block for the interval since the last call (advances the 'prior' state)."""
        expected = self.expected
        expected_interval = expected - self.expected_prior
        self.expected_prior = expected
        received_interval = self.received - self.received_prior
        self.received_prior = self.received
        lost_interval = expected_interval - received_interval
        fraction = 0
        if expected_interval > 0 and lost_interval > 0 and not self.probation:
            # 8-bit fixed point; lost == expected would be 256, which the field cannot hold.
            fraction = min(255, (lost_interval << 8) // expected_interval)
        return ReportBlock(
            self.ssrc,
            fraction,
            self.cumulative_lost,
            self.extended_max & 0xFFFF_FFFF,
            int(self.jitter),
            lsr,
            dlsr,
        )


@dataclass(slots=True)
class SenderStats:
    """What an SR reports about one of our sending SSRCs (RFC 3550 §6.4.1 sender info)."""

    ssrc: int
    clock_rate: int
    packet_count: int = 0
    octet_count: int = 0  # payload octets only
    last_rtp_timestamp: int = 0
    last_send_time: float | None = None

    def on_sent(self, payload_len: int, rtp_timestamp: int, now: float) -> None:
        self.packet_count = (self.packet_count + 1) & 0xFFFF_FFFF
        self.octet_count = (self.octet_count + payload_len) & 0xFFFF_FFFF
        self.last_rtp_timestamp = rtp_timestamp
        self.last_send_time = now

    def rtp_timestamp_at(self, now: float) -> int:
        """The RTP timestamp matching ``now`` (extrapolated from the last packet sent)."""
        if self.last_send_time is None:
            return self.last_rtp_timestamp
        ticks = round((now - self.last_send_time) * self.clock_rate)
        return (self.last_rtp_timestamp + ticks) & 0xFFFF_FFFF


@dataclass(frozen=True)
class RemoteSenderInfo:
    """The last SR received from one remote SSRC: LSR/DLSR source and NTP <-> RTP mapping."""

    ssrc: int
    ntp_timestamp: int
    rtp_timestamp: int
    arrival: float  # caller's monotonic seconds
    clock_rate: int

    def lsr_dlsr(self, now: float) -> tuple[int, int]:
        """(LSR, DLSR) for a report block sent at ``now`` (RFC 3550 §6.4.1)."""
        delay = max(0.0, now - self.arrival)
        return ntp_middle(self.ntp_timestamp), int(delay * 65536) & 0xFFFF_FFFF

    def ntp_seconds_of(self, rtp_timestamp: int) -> float:
        """Sender's NTP time (seconds since 1900) of a media sample: for A/V sync (§6.4.1)."""
        delta = (rtp_timestamp - self.rtp_timestamp) & 0xFFFF_FFFF
        if delta & 0x8000_0000:
            delta -= 1 << 32
        return self.ntp_timestamp / (1 << 32) + delta / self.clock_rate

    def rtp_timestamp_of(self, ntp_seconds: float) -> int:
        """The RTP timestamp the sender's clock had at ``ntp_seconds``."""
        delta = ntp_seconds - self.ntp_timestamp / (1 << 32)
        return (self.rtp_timestamp + round(delta * self.clock_rate)) & 0xFFFF_FFFF
