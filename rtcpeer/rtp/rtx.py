"""Retransmissions (RFC 4588): send history, the NACK responder, and RTX unwrapping.

Sender side. :class:`SendHistory` keeps the packets of one SSRC as ``RtpSession.send_rtp``
returned them, bounded by count, bytes and age (default 1000 packets, 1.5 MB, 2 s).
:class:`NackResponder` turns a received Generic NACK (RFC 4585 §6.2.1) into
:class:`Retransmission` decisions, each packet at most once per RTT; the caller sends each
with ``RtpSession.send_rtx``, which wraps it as RFC 4588 §4 says: the RTX packet carries the
original's timestamp and marker, the stream's RTX SSRC, the RTX payload type and the RTX
stream's own sequence number; its payload is the 2-byte original sequence number (OSN) then
the original payload.

Without RTX nothing is resent, on purpose: a plain resend reuses the original SSRC and
sequence number, and SRTP (RFC 3711 §3.3.2, libsrtp's replay list on the sender too)
refuses to protect the same SSRC+index twice, and a receiver's replay check would drop it
anyway. Such NACKs are counted in ``nack_without_rtx``.

Receiver side. :class:`RtxReceiver` (one per m-section) maps an RTX packet back to the
original: payload type by the ``apt`` fmtp (RFC 4588 §8.1), SSRC by, in order, the
``a=ssrc-group:FID`` pairs (RFC 5576 §4.2), the ``repaired-rtp-stream-id`` header extension
matched against the ``rtp-stream-id`` of media packets (RFC 8852 §3.2), the only media SSRC
seen, or else the order in which media and RTX SSRCs were first seen. So RTX works
whatever the number of SSRCs signalled: an unsignalled RTX SSRC is learnt from its PT.
RTX packets without an OSN (padding-only bandwidth probes) are dropped and counted.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rtcpeer.rtp.packet import RtpPacket

__all__ = [
    "NackResponder",
    "Retransmission",
    "RtxReceiver",
    "SendHistory",
    "rtx_payload",
    "unwrap_rtx",
]

DEFAULT_RTT = 0.1


def rtx_payload(original: RtpPacket) -> bytes:
    """RFC 4588 §4: the original sequence number, then the original payload."""
    return original.sequence_number.to_bytes(2, "big") + original.payload


def unwrap_rtx(rtx: RtpPacket, media_ssrc: int, media_payload_type: int) -> RtpPacket | None:
    """The original packet carried by ``rtx`` (RFC 4588 §4), or None if it has no OSN."""
    payload = rtx.payload
    if len(payload) < 2:
        return None
    return RtpPacket(
        media_payload_type,
        (payload[0] << 8) | payload[1],
        rtx.timestamp,
        media_ssrc,
        payload[2:],
        rtx.marker,
        rtx.csrcs,
        rtx.extensions,
    )


class _Entry:
    __slots__ = ("last_resent", "packet", "sent_at")

    def __init__(self, packet: RtpPacket, sent_at: float) -> None:
        self.packet = packet
        self.sent_at = sent_at
        self.last_resent: float | None = None


class SendHistory:
    """The recently sent packets of one SSRC, by 16-bit sequence number."""

    def __init__(
        self, max_packets: int = 1000, max_bytes: int = 1_500_000, max_age: float = 2.0
    ) -> None:
        if not 0 < max_packets <= 32768:
            raise ValueError("max_packets must be in 1..32768 (half the sequence space)")
        self.max_packets = max_packets
        self.max_bytes = max_bytes
        self.max_age = max_age
        self._order: deque[int] = deque()
        self._entries: dict[int, _Entry] = {}
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, packet: RtpPacket, now: float) -> None:
        seq = packet.sequence_number
        old = self._entries.pop(seq, None)
        if old is not None:  # only after a restart of the sequence space
            self.bytes -= len(old.packet.payload)
        self._entries[seq] = _Entry(packet, now)
        self._order.append(seq)
        self.bytes += len(packet.payload)
        self._evict(now)

    def _evict(self, now: float) -> None:
        order, entries = self._order, self._entries
        while order:
            entry = entries.get(order[0])
            if entry is None:
                order.popleft()
                continue
            if (
                len(entries) <= self.max_packets
                and self.bytes <= self.max_bytes
                and now - entry.sent_at <= self.max_age
            ):
                return
            del entries[order.popleft()]
            self.bytes -= len(entry.packet.payload)

    def get(self, seq: int, now: float) -> RtpPacket | None:
        entry = self.lookup(seq, now)
        return None if entry is None else entry.packet

    def lookup(self, seq: int, now: float) -> _Entry | None:
        entry = self._entries.get(seq & 0xFFFF)
        if entry is None or now - entry.sent_at > self.max_age:
            return None
        return entry


@dataclass(frozen=True)
class Retransmission:
    """Resend ``packet`` as RTX with ``rtx_payload_type`` (``RtpSession.send_rtx``)."""

    packet: RtpPacket
    rtx_payload_type: int


class NackResponder:
    """Answers NACKs for one SSRC from its :class:`SendHistory` (RFC 4588)."""

    def __init__(self, history: SendHistory, rtx_payload_types: Mapping[int, int]) -> None:
        """``rtx_payload_types``: media PT -> its RTX PT (empty: RTX not negotiated)."""
        self.history = history
        self.rtx_payload_types = dict(rtx_payload_types)
        self._rtt = DEFAULT_RTT
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "nack_seqs_received",
                "nack_unknown_seq",
                "nack_rate_limited",
                "nack_without_rtx",
                "retransmitted_packets_sent",
                "retransmitted_bytes_sent",
            ),
            0,
        )

    def set_rtt(self, rtt: float) -> None:
        self._rtt = rtt

    def on_nack(self, lost: Iterable[int], now: float) -> list[Retransmission]:
        """What to resend for a NACK of ``lost`` (each at most once per RTT)."""
        stats = self.stats
        out: list[Retransmission] = []
        for seq in lost:
            stats["nack_seqs_received"] += 1
            entry = self.history.lookup(seq, now)
            if entry is None:
                stats["nack_unknown_seq"] += 1
                continue
            packet = entry.packet
            rtx_pt = self.rtx_payload_types.get(packet.payload_type)
            if rtx_pt is None:
                stats["nack_without_rtx"] += 1
                continue
            if entry.last_resent is not None and now - entry.last_resent < self._rtt:
                stats["nack_rate_limited"] += 1
                continue
            entry.last_resent = now
            stats["retransmitted_packets_sent"] += 1
            stats["retransmitted_bytes_sent"] += len(packet.payload)
            out.append(Retransmission(packet, rtx_pt))
        return out


class RtxReceiver:
    """RTX -> original packets for one m-section; see the module docstring."""

    def __init__(
        self,
        apt: Mapping[int, int],
        ssrc_groups: Mapping[int, int] | None = None,
        *,
        rid_id: int | None = None,
        repaired_rid_id: int | None = None,
    ) -> None:
        """``apt``: RTX PT -> media PT; ``ssrc_groups``: RTX SSRC -> media SSRC (FID)."""
        self.apt = dict(apt)
        self._rtx_ssrc: dict[int, int] = dict(ssrc_groups or {})
        self._rid_id = rid_id
        self._repaired_rid_id = repaired_rid_id
        self._media_order: list[int] = []
        self._media_seen: set[int] = set(self._rtx_ssrc.values())
        self._rid_ssrc: dict[bytes, int] = {}
        self._rtx_order: list[int] = []
        self.stats: dict[str, int] = dict.fromkeys(
            ("rtx_received", "rtx_unwrapped", "rtx_padding", "rtx_unmapped"), 0
        )

    def is_rtx(self, packet: RtpPacket) -> bool:
        return packet.payload_type in self.apt

    def media_packet_seen(self, packet: RtpPacket) -> None:
        """Learn media SSRCs (and their rtp-stream-id) from non-RTX packets."""
        ssrc = packet.ssrc
        if ssrc not in self._media_seen:
            self._media_seen.add(ssrc)
            self._media_order.append(ssrc)
        if self._rid_id is not None and (rid := packet.extensions.get(self._rid_id)):
            self._rid_ssrc[rid] = ssrc

    def unwrap(self, packet: RtpPacket) -> RtpPacket | None:
        """The original packet inside RTX ``packet``, or None (dropped and counted)."""
        self.stats["rtx_received"] += 1
        media_pt = self.apt.get(packet.payload_type)
        if media_pt is None:
            self.stats["rtx_unmapped"] += 1
            return None
        media_ssrc = self._rtx_ssrc.get(packet.ssrc)
        if media_ssrc is None:
            media_ssrc = self._learn(packet)
            if media_ssrc is None:
                self.stats["rtx_unmapped"] += 1
                return None
        original = unwrap_rtx(packet, media_ssrc, media_pt)
        if original is None:
            self.stats["rtx_padding"] += 1
            return None
        self.stats["rtx_unwrapped"] += 1
        return original

    def _learn(self, packet: RtpPacket) -> int | None:
        """Map a new RTX SSRC: repaired-rtp-stream-id, the only media SSRC, or order."""
        media: int | None = None
        if self._repaired_rid_id is not None:
            rrid = packet.extensions.get(self._repaired_rid_id)
            if rrid is not None:
                media = self._rid_ssrc.get(rrid)
                if media is None:
                    return None  # its media stream has not been seen yet
        if media is None:
            if packet.ssrc not in self._rtx_order:
                self._rtx_order.append(packet.ssrc)
            index = self._rtx_order.index(packet.ssrc)
            if len(self._media_order) == 1:
                media = self._media_order[0]
            elif index < len(self._media_order):
                media = self._media_order[index]
            else:
                return None
        self._rtx_ssrc[packet.ssrc] = media
        return media
