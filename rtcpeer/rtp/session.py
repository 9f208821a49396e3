"""The sans-IO RTP session of one BUNDLE group: routing, sending, RTCP reports.

Implements the bundle transport's ``RtpSessionCore`` protocol: plaintext packets in
(``receive_rtp``/``receive_rtcp``, after SRTP), plaintext packets out (``packets_to_send``,
before SRTP), one deadline (``get_timer``/``handle_timer``, reason ``"rtp.rtcp-report"``)
and typed events (:mod:`rtcpeer.rtp.events`).

Receive routing follows RFC 8843 §9.2: (1) the ``mid`` header extension, which also maps the
packet's SSRC to that mid; (2) a known SSRC (latched, or signalled with ``remote_ssrcs``);
(3) a payload type negotiated by exactly one m-section, which also latches the SSRC;
otherwise the packet is dropped and counted (``rtp_unknown_ssrc``). RFC 8843 only lets a
packet with a newer extended sequence number re-map an SSRC; here any mid-tagged packet
does (a reordered packet re-mapping to the same mid is harmless, and a remote that moves an
SSRC between mids is broken anyway).

Every routed packet is delivered, including during RFC 3550 A.1 probation: SRTP has already
authenticated it, and probation only decides when statistics start.

Sending: ``send_rtp`` stamps the stream's SSRC, sequence number (random start) and a random
timestamp offset (RFC 3550 §5.1), the ``mid`` extension, and, when negotiated, abs-send-time
and a bundle-wide transport-wide sequence number. RTCP (RFC 3550 §6.4): an SR per stream
that has sent media, else an RR from a receive-only SSRC, carrying one report block per
received SSRC, then SDES CNAME; BYE on :meth:`RtpSession.close`. The NTP clock is
``now + ntp_offset`` (the driver supplies the offset; this core reads no clock).
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rtcpeer.rtp import events as ev
from rtcpeer.rtp.interval import WEBRTC_MIN_INTERVAL, rtcp_interval, update_avg_size
from rtcpeer.rtp.packet import (
    ABS_SEND_TIME_URI,
    MID_URI,
    TRANSPORT_CC_URI,
    HeaderExtensionMap,
    RtpPacket,
    RtpParseError,
    parse_rtp,
)
from rtcpeer.rtp.rtcp import (
    CNAME,
    Bye,
    Fir,
    GenericNack,
    Pli,
    ReceiverReport,
    Remb,
    ReportBlock,
    RtcpPacket,
    RtcpParseError,
    Sdes,
    SdesChunk,
    SenderReport,
    TransportFeedback,
    UnknownRtcp,
    parse_compound,
)
from rtcpeer.rtp.rtx import rtx_payload
from rtcpeer.rtp.stats import (
    ReceiverStats,
    RemoteSenderInfo,
    SenderStats,
    ntp_from_seconds,
    rtt_seconds,
)

__all__ = ["MediaSectionConfig", "RtpSession", "RtpSessionConfig", "SendStreamConfig"]

TIMER_RTCP = "rtp.rtcp-report"
MAX_REPORT_BLOCKS = 31  # RFC 3550 §6.4: the 5-bit count


@dataclass(frozen=True)
class SendStreamConfig:
    """One local send stream of an m-section (RFC 3550 SSRC, RFC 4588 RTX SSRC)."""

    ssrc: int
    cname: str
    rtx_ssrc: int | None = None


@dataclass(frozen=True)
class MediaSectionConfig:
    """What negotiation settled for one m-section of the BUNDLE group."""

    mid: str
    clock_rates: Mapping[int, int]  # payload type -> RTP clock rate (incl. RTX / FEC PTs)
    extensions: HeaderExtensionMap = field(default_factory=HeaderExtensionMap)
    send_streams: tuple[SendStreamConfig, ...] = ()
    remote_ssrcs: tuple[int, ...] = ()  # SSRCs signalled in SDP (a=ssrc), if any


@dataclass(frozen=True)
class RtpSessionConfig:
    media: tuple[MediaSectionConfig, ...]
    rtcp_reduced_size: bool = False  # RFC 5506, a=rtcp-rsize negotiated
    session_bandwidth: float = 2_000_000.0  # bits/s, for the RTCP share (RFC 3550 §6.2)
    rtcp_min_interval: float = WEBRTC_MIN_INTERVAL


@dataclass(slots=True)
class _SendStream:
    mid: str
    config: SendStreamConfig
    seq: int
    ts_offset: int
    stats: SenderStats
    rtx_seq: int | None = None  # RFC 4588 §4: the RTX stream's own sequence numbers


def _single_id(config: RtpSessionConfig, uri: str) -> int | None:
    """The bundle-wide id of ``uri`` (RFC 8843 §9.1: one id per URI across the group)."""
    ids = {i for m in config.media if (i := m.extensions.id_of(uri)) is not None}
    if len(ids) > 1:
        raise ValueError(f"{uri} has different extension ids in one BUNDLE group: {ids}")
    return ids.pop() if ids else None


class RtpSession:
    """RTP/RTCP for one BUNDLE group; see the module docstring."""

    _twcc_seq: int

    def __init__(
        self, config: RtpSessionConfig, *, rng: random.Random, now: float, ntp_offset: float
    ) -> None:
        self._rng = rng
        self._ntp_offset = ntp_offset
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "rtp_received",
                "rtp_parse_errors",
                "rtp_unknown_ssrc",
                "rtp_unknown_mid",
                "rtp_unknown_payload_type",
                "rtp_sent",
                "rtx_sent",
                "rtcp_received",
                "rtcp_parse_errors",
                "rtcp_sent",
            ),
            0,
        )
        self._out: list[tuple[bytes, bool]] = []
        self._events: deque[ev.Event] = deque()
        self._receivers: dict[int, ReceiverStats] = {}
        self._remote_senders: dict[int, RemoteSenderInfo] = {}
        self._avg_rtcp_size = 100.0
        self._closed = False
        self._configure(config)
        self._next_rtcp: float | None = now + self._interval(initial=True)
        self.timer_reason: str | None = TIMER_RTCP

    # -- configuration -------------------------------------------------------------------

    def reconfigure(self, config: RtpSessionConfig) -> None:
        """A renegotiation changed the m-sections: send streams that stay keep their sequence
        numbers, timestamp offsets and counters (RFC 3550 §5.1: one SSRC, one sequence), the
        transport-wide sequence goes on, and learned SSRC -> mid mappings of kept mids stay."""
        kept = {s.config.ssrc: s for ss in self._streams.values() for s in ss}
        twcc_seq: int = self._twcc_seq
        learned = self._ssrc_mid
        self._configure(config)
        self._twcc_seq = twcc_seq
        for mid, streams in self._streams.items():
            self._streams[mid] = [
                _SendStream(mid, s.config, old.seq, old.ts_offset, old.stats)
                if (old := kept.get(s.config.ssrc)) is not None
                else s
                for s in streams
            ]
        mids = set(self._clock_rates)
        for ssrc, mid in learned.items():
            if mid in mids:
                self._ssrc_mid.setdefault(ssrc, mid)

    def _configure(self, config: RtpSessionConfig) -> None:
        self.config = config
        self._clock_rates: dict[str, Mapping[int, int]] = {
            m.mid: m.clock_rates for m in config.media
        }
        self._mid_id = _single_id(config, MID_URI)
        self._abs_send_time_id = _single_id(config, ABS_SEND_TIME_URI)
        self._twcc_id = _single_id(config, TRANSPORT_CC_URI)
        self._twcc_seq = self._rng.getrandbits(16)
        pt_mids: dict[int, list[str]] = {}
        for m in config.media:
            for pt in m.clock_rates:
                pt_mids.setdefault(pt, []).append(m.mid)
        self._pt_mid = {pt: mids[0] for pt, mids in pt_mids.items() if len(mids) == 1}
        self._ssrc_mid: dict[int, str] = {s: m.mid for m in config.media for s in m.remote_ssrcs}
        self._streams: dict[str, list[_SendStream]] = {}
        self._local_ssrcs: set[int] = set()
        for m in config.media:
            for sc in m.send_streams:
                stream = _SendStream(
                    m.mid,
                    sc,
                    self._rng.getrandbits(16),
                    self._rng.getrandbits(32),
                    SenderStats(sc.ssrc, 90000),
                )
                self._streams.setdefault(m.mid, []).append(stream)
                self._local_ssrcs.add(sc.ssrc)
                if sc.rtx_ssrc is not None:
                    self._local_ssrcs.add(sc.rtx_ssrc)
        self._receiver_ssrc = self._rng.getrandbits(32)  # for RRs when we send nothing
        self._cname = next((s.config.cname for ss in self._streams.values() for s in ss), "rtcpeer")

    # -- receive RTP ---------------------------------------------------------------------

    def receive_rtp(self, packet: bytes, now: float) -> None:
        """Route one plaintext RTP packet (RFC 8843 §9.2); drops and counts the unroutable."""
        try:
            p = parse_rtp(packet)
        except RtpParseError:
            self.stats["rtp_parse_errors"] += 1
            return
        mid: str | None = None
        if self._mid_id is not None and (raw := p.extensions.get(self._mid_id)) is not None:
            mid = raw.decode("ascii", "replace")
            if mid not in self._clock_rates:
                self.stats["rtp_unknown_mid"] += 1
                return
            self._ssrc_mid[p.ssrc] = mid
        else:
            mid = self._ssrc_mid.get(p.ssrc)
            if mid is None:
                mid = self._pt_mid.get(p.payload_type)
                if mid is None:
                    self.stats["rtp_unknown_ssrc"] += 1
                    return
                self._ssrc_mid[p.ssrc] = mid
        clock_rate = self._clock_rates[mid].get(p.payload_type)
        if clock_rate is None:
            self.stats["rtp_unknown_payload_type"] += 1
            return
        rs = self._receivers.get(p.ssrc)
        if rs is None:
            rs = self._receivers[p.ssrc] = ReceiverStats(p.ssrc, clock_rate, p.sequence_number)
        rs.update(p.sequence_number, p.timestamp, now)
        self.stats["rtp_received"] += 1
        self._events.append(ev.RtpReceived(mid, p, now))

    def receiver_stats(self, ssrc: int) -> ReceiverStats | None:
        return self._receivers.get(ssrc)

    def remote_sender_info(self, ssrc: int) -> RemoteSenderInfo | None:
        """The last SR of ``ssrc``: NTP <-> RTP mapping for A/V sync."""
        return self._remote_senders.get(ssrc)

    # -- receive RTCP --------------------------------------------------------------------

    def receive_rtcp(self, packet: bytes, now: float) -> None:
        """Parse one plaintext (compound) RTCP packet into events; drops and counts garbage."""
        try:
            packets = parse_compound(packet)
        except RtcpParseError:
            self.stats["rtcp_parse_errors"] += 1
            return
        self.stats["rtcp_received"] += 1
        self._avg_rtcp_size = update_avg_size(self._avg_rtcp_size, len(packet))
        for p in packets:
            handler = _RTCP_HANDLERS.get(type(p))
            if handler is not None:
                handler(self, p, now)

    def _on_sr(self, p: SenderReport, now: float) -> None:
        mid = self._ssrc_mid.get(p.ssrc)
        rs = self._receivers.get(p.ssrc)
        clock_rate = rs.clock_rate if rs is not None else 90000
        self._remote_senders[p.ssrc] = RemoteSenderInfo(
            p.ssrc, p.ntp_timestamp, p.rtp_timestamp, now, clock_rate
        )
        self._events.append(
            ev.SenderReportReceived(
                mid, p.ssrc, p.ntp_timestamp, p.rtp_timestamp, p.packet_count, p.octet_count, now
            )
        )
        self._on_blocks(p.ssrc, p.reports, now)

    def _on_rr(self, p: ReceiverReport, now: float) -> None:
        self._on_blocks(p.ssrc, p.reports, now)

    def _on_blocks(self, reporter: int, blocks: tuple[ReportBlock, ...], now: float) -> None:
        arrival = ntp_from_seconds(now + self._ntp_offset)
        for b in blocks:
            if b.ssrc in self._local_ssrcs:
                self._events.append(ev.ReportBlockReceived(reporter, b, rtt_seconds(arrival, b)))

    def _on_bye(self, p: Bye, now: float) -> None:
        for ssrc in p.ssrcs:
            self._receivers.pop(ssrc, None)
            self._remote_senders.pop(ssrc, None)
            self._ssrc_mid.pop(ssrc, None)
        self._events.append(ev.ByeReceived(p.ssrcs, p.reason))

    def _on_nack(self, p: GenericNack, now: float) -> None:
        self._events.append(ev.NackReceived(p.sender_ssrc, p.media_ssrc, p.lost))

    def _on_pli(self, p: Pli, now: float) -> None:
        self._events.append(ev.PliReceived(p.sender_ssrc, p.media_ssrc))

    def _on_fir(self, p: Fir, now: float) -> None:
        for ssrc, seq in p.entries:
            if ssrc in self._local_ssrcs:
                self._events.append(ev.FirReceived(p.sender_ssrc, ssrc, seq))

    def _on_remb(self, p: Remb, now: float) -> None:
        self._events.append(ev.RembReceived(p.sender_ssrc, p.bitrate, p.ssrcs))

    def _on_twcc(self, p: TransportFeedback, now: float) -> None:
        self._events.append(ev.TransportFeedbackReceived(p))

    def _on_unknown(self, p: UnknownRtcp, now: float) -> None:
        self._events.append(ev.RtcpUnknownReceived(p))

    # -- send ----------------------------------------------------------------------------

    def send_rtp(
        self,
        mid: str,
        payload_type: int,
        payload: bytes,
        timestamp: int,
        marker: bool,
        now: float,
        extensions: dict[int, bytes] | None = None,
        ssrc: int | None = None,
    ) -> RtpPacket:
        """Build and queue one RTP packet on ``mid``'s stream (the first, or ``ssrc``'s).

        ``timestamp`` is in the media clock from any origin; the stream's random offset is
        added. Returns the packet as queued (for a NACK/RTX history).
        """
        stream = self._send_stream(mid, ssrc)
        clock_rate = self._clock_rates[mid].get(payload_type)
        if clock_rate is None:
            raise ValueError(f"payload type {payload_type} is not negotiated on {mid!r}")
        exts = self._stamp(dict(extensions) if extensions else {}, mid, now)
        ts = (timestamp + stream.ts_offset) & 0xFFFF_FFFF
        packet = RtpPacket(
            payload_type, stream.seq, ts, stream.config.ssrc, payload, marker, extensions=exts
        )
        stream.seq = (stream.seq + 1) & 0xFFFF
        stats = stream.stats
        stats.clock_rate = clock_rate
        stats.on_sent(len(payload), ts, now)
        self._out.append((packet.serialize(), False))
        self.stats["rtp_sent"] += 1
        return packet

    def _stamp(self, exts: dict[int, bytes], mid: str, now: float) -> dict[int, bytes]:
        """Add the session-owned extensions: mid, abs-send-time, transport-wide seq."""
        if self._mid_id is not None:
            exts[self._mid_id] = mid.encode()
        if self._abs_send_time_id is not None:
            # 6.18 fixed-point seconds, 24 bits of the NTP time.
            ntp = ntp_from_seconds(now + self._ntp_offset)
            exts[self._abs_send_time_id] = ((ntp >> 14) & 0xFFFFFF).to_bytes(3, "big")
        if self._twcc_id is not None:
            exts[self._twcc_id] = self._twcc_seq.to_bytes(2, "big")
            self._twcc_seq = (self._twcc_seq + 1) & 0xFFFF
        return exts

    def send_rtx(
        self, mid: str, rtx_payload_type: int, original: RtpPacket, now: float
    ) -> RtpPacket:
        """Queue an RFC 4588 §4 retransmission of ``original`` (as ``send_rtp`` returned
        it) on its stream's RTX SSRC, with the RTX stream's own sequence numbers (random
        start, drawn at the first retransmission). Returns the RTX packet as queued."""
        stream = self._send_stream(mid, original.ssrc)
        rtx_ssrc = stream.config.rtx_ssrc
        if rtx_ssrc is None:
            raise ValueError(f"stream {original.ssrc} on {mid!r} has no RTX SSRC")
        if rtx_payload_type not in self._clock_rates[mid]:
            raise ValueError(f"payload type {rtx_payload_type} is not negotiated on {mid!r}")
        if stream.rtx_seq is None:
            stream.rtx_seq = self._rng.getrandbits(16)
        packet = RtpPacket(
            rtx_payload_type,
            stream.rtx_seq,
            original.timestamp,
            rtx_ssrc,
            rtx_payload(original),
            original.marker,
            original.csrcs,
            self._stamp(dict(original.extensions), mid, now),
        )
        stream.rtx_seq = (stream.rtx_seq + 1) & 0xFFFF
        self._out.append((packet.serialize(), False))
        self.stats["rtp_sent"] += 1
        self.stats["rtx_sent"] += 1
        return packet

    def _send_stream(self, mid: str, ssrc: int | None) -> _SendStream:
        for stream in self._streams.get(mid, ()):
            if ssrc is None or stream.config.ssrc == ssrc:
                return stream
        raise ValueError(f"m-section {mid!r} has no send stream" + (f" {ssrc}" if ssrc else ""))

    def send_rtcp(self, packets: list[RtcpPacket], now: float) -> None:
        """Queue feedback: alone if reduced-size RTCP is negotiated, else in a compound
        packet after the reports (RFC 5506 §3, RFC 3550 §6.1)."""
        if self.config.rtcp_reduced_size:
            self._queue_rtcp(b"".join(p.serialize() for p in packets))
        else:
            self._queue_rtcp(self._compound(now, packets))

    # -- RTCP reports --------------------------------------------------------------------

    def _reports(self, now: float) -> list[RtcpPacket]:
        """SRs for streams that have sent, else one RR; report blocks in the first."""
        blocks: list[ReportBlock] = []
        # A source still in probation is not valid yet (RFC 3550 A.1): no block for it.
        valid = [(ssrc, rs) for ssrc, rs in self._receivers.items() if not rs.probation]
        for ssrc, rs in valid[:MAX_REPORT_BLOCKS]:
            sender = self._remote_senders.get(ssrc)
            lsr, dlsr = sender.lsr_dlsr(now) if sender is not None else (0, 0)
            blocks.append(rs.report_block(lsr, dlsr))
        ntp = ntp_from_seconds(now + self._ntp_offset)
        out: list[RtcpPacket] = []
        for streams in self._streams.values():
            for s in streams:
                st = s.stats
                if st.last_send_time is None:
                    continue
                out.append(
                    SenderReport(
                        st.ssrc,
                        ntp,
                        st.rtp_timestamp_at(now),
                        st.packet_count,
                        st.octet_count,
                        tuple(blocks) if not out else (),
                    )
                )
        if not out:
            out.append(ReceiverReport(self._reporting_ssrc(), tuple(blocks)))
        return out

    def _reporting_ssrc(self) -> int:
        for streams in self._streams.values():
            for s in streams:
                return s.config.ssrc
        return self._receiver_ssrc

    def _sdes(self) -> Sdes:
        chunks = [
            SdesChunk(s.config.ssrc, ((CNAME, s.config.cname.encode()),))
            for streams in self._streams.values()
            for s in streams
        ]
        if not chunks:
            chunks.append(SdesChunk(self._receiver_ssrc, ((CNAME, self._cname.encode()),)))
        return Sdes(tuple(chunks))

    def _compound(self, now: float, extra: list[RtcpPacket]) -> bytes:
        packets: list[RtcpPacket] = [*self._reports(now), self._sdes(), *extra]
        return b"".join(p.serialize() for p in packets)

    def _queue_rtcp(self, data: bytes) -> None:
        self._avg_rtcp_size = update_avg_size(self._avg_rtcp_size, len(data))
        self._out.append((data, True))
        self.stats["rtcp_sent"] += 1

    def _interval(self, initial: bool) -> float:
        senders = sum(1 for ss in self._streams.values() for s in ss if s.stats.last_send_time)
        remote = len(self._remote_senders)
        return rtcp_interval(
            members=1 + max(len(self._receivers), 1),
            senders=senders + remote,
            session_bandwidth=self.config.session_bandwidth,
            we_sent=senders > 0,
            avg_rtcp_size=self._avg_rtcp_size,
            initial=initial,
            rng=self._rng,
            tmin=self.config.rtcp_min_interval,
        )

    # -- sans-IO verbs -------------------------------------------------------------------

    def packets_to_send(self, now: float) -> list[tuple[bytes, bool]]:
        out, self._out = self._out, []
        return out

    def get_timer(self) -> float | None:
        return self._next_rtcp

    def handle_timer(self, now: float) -> None:
        if self._next_rtcp is None or now < self._next_rtcp:
            return
        self._queue_rtcp(self._compound(now, []))
        self._next_rtcp = now + self._interval(initial=False)

    def next_event(self) -> ev.Event | None:
        return self._events.popleft() if self._events else None

    def close(self, now: float) -> None:
        """Send BYE for every local SSRC (RFC 3550 §6.6) in a compound packet; stop RTCP."""
        if self._closed:
            return
        self._closed = True
        ssrcs = tuple(s.config.ssrc for ss in self._streams.values() for s in ss)
        self._queue_rtcp(self._compound(now, [Bye(ssrcs or (self._receiver_ssrc,))]))
        self._next_rtcp = None
        self.timer_reason = None


_Handler = Callable[[RtpSession, Any, float], None]
_RTCP_HANDLERS: dict[type, _Handler] = {
    SenderReport: RtpSession._on_sr,
    ReceiverReport: RtpSession._on_rr,
    Bye: RtpSession._on_bye,
    GenericNack: RtpSession._on_nack,
    Pli: RtpSession._on_pli,
    Fir: RtpSession._on_fir,
    Remb: RtpSession._on_remb,
    TransportFeedback: RtpSession._on_twcc,
    UnknownRtcp: RtpSession._on_unknown,
}
