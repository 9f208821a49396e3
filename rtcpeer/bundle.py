"""The sans-IO BUNDLE transport: everything that rides the selected ICE pair (RFC 8843).

One :class:`BundleTransport` per peer connection owns, after ICE has taken the STUN packets:

* the RFC 7983 first-byte demultiplexing (:mod:`rtcpeer._mux`), with its counters in
  :attr:`BundleTransport.stats` (the only copy of the demux: the driver hands every non-STUN
  datagram here);
* the DTLS endpoint (:mod:`rtcpeer.dtls.endpoint`), whose handshake keys both SCTP and SRTP;
* the SRTP session (:class:`rtcpeer.srtp.session.SrtpSession`), created from the DTLS-SRTP
  key export (RFC 5764 §4.2) when media is first needed: when an RTP session is attached, or
  the first :meth:`~BundleTransport.send_rtp`/:meth:`~BundleTransport.send_rtcp` after DTLS
  connected. A data-only connection never builds libsrtp contexts;
* an optional RTP session child (the :class:`RtpSessionCore` protocol below), attached with
  :meth:`~BundleTransport.attach_rtp_session`;
* the SCTP association and the data channels (RFC 8261, RFC 8831/8832).

SecureTransport (DTLS + SCTP + channels) is retired rather than composed: the DTLS endpoint
serves SCTP and SRTP alike, and the data-channel receive path (one DTLS application record
straight into :meth:`Association.receive_datagram`) is the hot path, which an extra layer
would cost a Python call per datagram. The SCTP/data-channel helpers stay private methods
here.

The transport follows the cores' verb set (``receive_datagram`` / ``datagrams_to_send`` /
``get_timer`` / ``handle_timer`` / ``next_event``); the driver is the only caller. Timers:
:meth:`~BundleTransport.get_timer` is the earliest deadline of the children (str0m's ``Rtc``
is the model) and :attr:`~BundleTransport.timer_reason` names whose it is
(``"dtls.retransmit"``, the association's ``"sctp.t3-rtx"``..., ``"rtp.<reason>"``).

Inbound (RFC 7983 §7): first byte 20..63 is DTLS; 128..191 is SRTP or SRTCP, told apart by the
second byte (RFC 5761 §4, :func:`rtcpeer._mux.is_rtcp`), unprotected and handed to the RTP
session (dropped and counted before keys, without an RTP session, or when SRTP refuses it);
anything else is counted as garbage and dropped.

Outbound media: :meth:`~BundleTransport.send_rtp` / :meth:`~BundleTransport.send_rtcp` take
plaintext, protect it and queue the datagram; the RTP session's ``packets_to_send`` are drained
the same way in :meth:`~BundleTransport.datagrams_to_send`. Before DTLS is connected with SRTP
keys nothing is sent (RFC 5764 §4.1) and the packet is counted in
``stats["media_send_dropped_no_keys"]``.

SCTP (RFC 8261 §6): the association starts when DTLS connects, and both DTLS roles send INIT
at once: some peers (werift as answerer) start SCTP only when ICE-controlling, so a waiting
DTLS server could wait forever. The INIT collision is resolved by RFC 9260 §5.2.1/§5.2.4 (D).

Early DTLS: a peer may send its ClientHello before we have applied its answer (seen with
node-datachannel); the transport holds the first few such datagrams (bounded by
``EARLY_DTLS_MAX_DATAGRAMS`` / ``EARLY_DTLS_MAX_BYTES``, the excess counted in
``stats["early_dtls_dropped"]``) and feeds them to DTLS once :meth:`configure` has created
the endpoint and ICE has a pair (:meth:`path_ready`), instead of waiting a second for the
peer's retransmission. (The ICE agent also holds what is sent before it has selected a pair.)

Path MTU (RFC 8261 §5, RFC 8899): SCTP starts with packets that fit a 1200-byte datagram and
discovers larger ones itself (:mod:`rtcpeer.sctp.plpmtud`); one SCTP packet stays one DTLS
record in one datagram (the DTLS MTU only shapes the handshake). Output comes in three kinds,
drained in this order by the driver after every change:

* :meth:`BundleTransport.datagrams_to_send`: ordinary datagrams (DTLS, SRTP), sent as the
  socket does;
* :meth:`BundleTransport.fragmentable_datagrams_to_send`: a batch holding an SCTP packet larger
  than the current PLPMTU (after a black hole or a path change), to send with fragmentation
  allowed;
* :meth:`BundleTransport.probe_datagrams_to_send`: PLPMTUD probes, to send with Don't-Fragment;
  the driver reports what happened with :meth:`BundleTransport.probe_result`.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from ._mux import KINDS
from .dcep.manager import DataChannelManager, ManagerEvent
from .dtls.certificate import RTCCertificate, RTCDtlsFingerprint
from .dtls.endpoint import DtlsEndpoint
from .dtls.events import DtlsApplicationData, DtlsClosed, DtlsConnected, DtlsFailed
from .dtls.srtp_keys import SrtpKeyMaterial
from .sctp.association import Association
from .sctp.events import (
    AssociationClosed,
    AssociationEstablished,
    BufferedAmountChanged,
    DataReceived,
    OutgoingStreamsReset,
    StreamsReset,
)
from .sctp.plpmtud import ProbeResult
from .srtp.session import SrtpSession

__all__ = [
    "BundleTransport",
    "DtlsStateChanged",
    "RtpSessionCore",
    "SctpStateChanged",
    "SrtpCore",
    "TransportEvent",
]

# Datagrams held while DTLS is not configured yet (a ClientHello flight is 1-2 datagrams).
EARLY_DTLS_MAX_DATAGRAMS = 4
EARLY_DTLS_MAX_BYTES = 8192

DtlsState = Literal["new", "connecting", "connected", "closed", "failed"]
SctpState = Literal["connecting", "connected", "closed"]

_STATS = (
    "dtls_datagrams",  # first byte 20..63
    "srtp_datagrams",  # first byte 128..191, RTP
    "srtcp_datagrams",  # first byte 128..191, RTCP (second byte 192..223)
    "garbage_datagrams",  # any other first byte
    "empty_datagrams",  # zero-length UDP datagrams (not in rtcpeerDroppedDatagrams)
    "media_dropped_before_keys",  # SRTP/SRTCP before DTLS connected with SRTP keys
    "media_dropped_no_rtp_session",  # SRTP/SRTCP with keys but no RTP session attached
    "srtp_rejected",  # SrtpSession.unprotect_rtp refused it (auth, replay; its stats say)
    "srtcp_rejected",  # SrtpSession.unprotect_rtcp refused it
    "rtp_sent",
    "rtcp_sent",
    "media_send_dropped_no_keys",  # RFC 5764 §4.1: no SRTP before keys
    "early_dtls_held",
    "early_dtls_dropped",
)


class SrtpCore(Protocol):
    """What the bundle needs of :class:`~rtcpeer.srtp.session.SrtpSession` (tests may fake it)."""

    stats: dict[str, int]

    def protect_rtp(self, packet: bytes) -> bytes: ...

    def protect_rtcp(self, packet: bytes) -> bytes: ...

    def unprotect_rtp(self, data: bytes) -> bytes | None: ...

    def unprotect_rtcp(self, data: bytes) -> bytes | None: ...


class RtpSessionCore(Protocol):
    """The RTP session child of a bundle (:class:`rtcpeer.rtp.session.RtpSession`).

    Plaintext in and out: the bundle does SRTP. ``packets_to_send`` returns
    ``(packet, is_rtcp)`` pairs; ``timer_reason`` names the deadline of ``get_timer``.
    """

    timer_reason: str | None

    def receive_rtp(self, packet: bytes, now: float) -> None: ...

    def receive_rtcp(self, packet: bytes, now: float) -> None: ...

    def packets_to_send(self, now: float) -> list[tuple[bytes, bool]]: ...

    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> None: ...

    def next_event(self) -> object | None: ...


SrtpFactory = Callable[[SrtpKeyMaterial], SrtpCore]
default_srtp_factory: SrtpFactory = SrtpSession


@dataclass(frozen=True)
class DtlsStateChanged:
    state: DtlsState
    reason: str | None = None


@dataclass(frozen=True)
class SctpStateChanged:
    state: SctpState


# next_event() also passes on the attached RTP session's own events, typed by that core.
TransportEvent = DtlsStateChanged | SctpStateChanged | ManagerEvent


class BundleTransport:
    """DTLS + SRTP + RTP session + SCTP + data channels for one BUNDLE group."""

    def __init__(
        self,
        certificate: RTCCertificate,
        *,
        rng: random.Random | None = None,
        plpmtud: bool = True,
        srtp_factory: SrtpFactory = default_srtp_factory,
    ) -> None:
        self.certificate = certificate
        self.plpmtud = plpmtud
        self.rng = rng or random.Random()
        self.channels = DataChannelManager()
        self.dtls: DtlsEndpoint | None = None
        self.association: Association | None = None
        self.role: Literal["client", "server"] | None = None
        self.dtls_state: DtlsState = "new"
        self.sctp_state: SctpState = "connecting"
        self.sctp_enabled = False
        self.local_sctp_port = 5000
        self.remote_sctp_port = 5000
        self.remote_max_message_size = 65536
        self.timer_reason: str | None = None
        self.stats: dict[str, int] = dict.fromkeys(_STATS, 0)
        self.srtp: SrtpCore | None = None
        self.rtp_session: RtpSessionCore | None = None
        self._srtp_factory = srtp_factory
        self._srtp_keys: SrtpKeyMaterial | None = None
        self._events: deque[object] = deque()
        self._started = False
        self._fragmentable: list[bytes] = []
        self._media_out: list[bytes] = []
        self._early: list[tuple[bytes, float]] = []
        self._early_bytes = 0
        self._path_up = False

    # ---- configuration (from the negotiated SDP) -----------------------------------------------

    def configure(
        self,
        role: Literal["client", "server"],
        remote_fingerprints: list[RTCDtlsFingerprint],
        *,
        sctp: bool,
        remote_sctp_port: int = 5000,
        remote_max_message_size: int = 65536,
    ) -> None:
        """Set the DTLS role and what to verify; only the first call creates the endpoint."""
        self.sctp_enabled = sctp
        self.remote_sctp_port = remote_sctp_port
        self.remote_max_message_size = remote_max_message_size
        if self.dtls is None:
            self.role = role
            self.dtls = DtlsEndpoint(self.certificate, role, remote_fingerprints)
            self.channels.set_role(role == "client")
            if self._path_up:
                self._replay_early()

    def path_ready(self) -> None:
        """ICE has a pair to send on: held early datagrams can be answered now (answering
        them before would put the reply on no path and cost the peer's 1 s retransmission)."""
        self._path_up = True
        if self.dtls is not None:
            self._replay_early()

    def _replay_early(self) -> None:
        early, self._early = self._early, []
        self._early_bytes = 0
        for data, at in early:
            self._receive_dtls(data, at)

    def start(self, now: float) -> None:
        """ICE has a pair: the DTLS client sends its ClientHello."""
        if self._started or self.dtls is None:
            return
        self._started = True
        self.dtls.start(now)
        self._set_dtls_state("connecting")

    def attach_rtp_session(self, core: RtpSessionCore) -> None:
        """Hand decrypted RTP/RTCP to ``core`` and send what it produces (replaces any other)."""
        self.rtp_session = core
        if self._srtp_keys is not None and self.srtp is None:
            self.srtp = self._srtp_factory(self._srtp_keys)

    # ---- inbound ---------------------------------------------------------------------------------

    def receive_datagram(self, data: bytes, now: float) -> None:
        """One non-STUN datagram from the selected pair (RFC 7983 demux). Never raises."""
        if not data:
            self.stats["empty_datagrams"] += 1
            return
        kind = KINDS[data[0]]
        if kind == "dtls":
            self.stats["dtls_datagrams"] += 1
            dtls, assoc = self.dtls, self.association
            if assoc is not None and dtls is not None:
                # Hot path: one application record straight into SCTP, no event object.
                record = dtls.receive_application_datagram(data)
                if record is not None:
                    if record:
                        assoc.receive_datagram(record, now)
                    if dtls._events:
                        self._drain_dtls(now)  # failed or closed
                    elif assoc._events:
                        self._drain_sctp(now)
                    return
            self._receive_dtls(data, now)
        elif kind == "rtp":
            self._receive_media(data, now)
        else:  # STUN (ICE consumed it already), ZRTP, TURN channel data, unknown: RFC 7983 drop
            self.stats["garbage_datagrams"] += 1

    def _receive_dtls(self, data: bytes, now: float) -> None:
        """A DTLS datagram off the fast path: handshake, alerts, or before SCTP exists."""
        dtls = self.dtls
        if dtls is None or (self._early and not self._path_up):
            self._hold_early(data, now)
            return
        if not self._started and self.role == "server":
            self._started = True
            self._set_dtls_state("connecting")
        dtls.receive_datagram(data, now)
        self._drain_dtls(now)

    def _receive_media(self, data: bytes, now: float) -> None:
        """SRTP or SRTCP (RFC 7983 128..191; RTCP by its second byte, RFC 5761 §4)."""
        stats = self.stats
        rtcp = len(data) > 1 and 192 <= data[1] <= 223  # _mux.is_rtcp, inlined
        stats["srtcp_datagrams" if rtcp else "srtp_datagrams"] += 1
        srtp, session = self.srtp, self.rtp_session
        if srtp is None or session is None:
            if self._srtp_keys is None:
                stats["media_dropped_before_keys"] += 1
            else:
                stats["media_dropped_no_rtp_session"] += 1
            return
        if rtcp:
            plain = srtp.unprotect_rtcp(data)
            if plain is None:
                stats["srtcp_rejected"] += 1
            else:
                session.receive_rtcp(plain, now)
        else:
            plain = srtp.unprotect_rtp(data)
            if plain is None:
                stats["srtp_rejected"] += 1
            else:
                session.receive_rtp(plain, now)

    def _hold_early(self, data: bytes, now: float) -> None:
        """DTLS before :meth:`configure`: keep a bounded few for it (see the docstring)."""
        stats = self.stats
        if (
            len(self._early) >= EARLY_DTLS_MAX_DATAGRAMS
            or self._early_bytes + len(data) > EARLY_DTLS_MAX_BYTES
        ):
            stats["early_dtls_dropped"] += 1
            return
        self._early.append((data, now))
        self._early_bytes += len(data)
        stats["early_dtls_held"] += 1

    def _drain_dtls(self, now: float) -> None:
        dtls = self.dtls
        assert dtls is not None
        assoc = self.association
        while True:
            event = dtls.next_event()
            if event is None:
                break
            if type(event) is DtlsApplicationData:
                if assoc is not None:
                    assoc.receive_datagram(event.data, now)
            elif isinstance(event, DtlsConnected):
                self._dtls_connected(event)
                assoc = self._start_sctp(now)
            elif isinstance(event, DtlsFailed):
                self._set_dtls_state("failed", event.reason)
                self._sctp_gone()
            elif isinstance(event, DtlsClosed):
                self._set_dtls_state("closed")
                self._sctp_gone()
        self._drain_sctp(now)

    def _dtls_connected(self, event: DtlsConnected) -> None:
        self._srtp_keys = event.keys
        if event.keys is not None and self.rtp_session is not None:
            self.srtp = self._srtp_factory(event.keys)
        self._set_dtls_state("connected")

    # ---- SCTP and data channels ------------------------------------------------------------------

    def _start_sctp(self, now: float) -> Association | None:
        if not self.sctp_enabled or self.association is not None:
            return self.association
        # One SCTP packet per DTLS record; BASE: each datagram within the 1200-byte path MTU.
        mtu = self.dtls.max_payload if self.dtls is not None else 1163
        self.association = Association(
            local_port=self.local_sctp_port,
            remote_port=self.remote_sctp_port,
            rng=self.rng,
            mtu=mtu,
            plpmtud=self.plpmtud,
        )
        self.association.remote_max_message_size = self.remote_max_message_size
        self.association.connect(now)  # both roles (see the module docstring)
        return self.association

    def _drain_sctp(self, now: float) -> None:
        assoc = self.association
        if assoc is None:
            return
        channels = self.channels
        while True:
            event = assoc.next_event()
            if event is None:
                break
            if type(event) is DataReceived:
                channels.data_received(event.stream_id, event.ppid, event.data, now)
            elif isinstance(event, BufferedAmountChanged):
                channels.buffered_amount_changed(event.stream_id, event.buffered)
            elif isinstance(event, AssociationEstablished):
                self.sctp_state = "connected"
                self._events.append(SctpStateChanged("connected"))
                channels.association_established(assoc, now)
            elif isinstance(event, StreamsReset):
                channels.incoming_streams_reset(event.stream_ids, now)
            elif isinstance(event, OutgoingStreamsReset):
                channels.outgoing_streams_reset(event.stream_ids)
            elif isinstance(event, AssociationClosed):
                self._sctp_gone()
        self._drain_channels()

    def _drain_channels(self) -> None:
        channels = self.channels
        while True:
            channel_event = channels.next_event()
            if channel_event is None:
                break
            self._events.append(channel_event)

    def _sctp_gone(self) -> None:
        if self.sctp_state != "closed":
            self.sctp_state = "closed"
            self.channels.association_closed()
            self._events.append(SctpStateChanged("closed"))
            self._drain_channels()

    # ---- outbound --------------------------------------------------------------------------------

    def send_rtp(self, packet: bytes) -> None:
        """Protect one plaintext RTP packet and queue it (dropped and counted before keys)."""
        srtp = self.srtp or self._media_srtp()
        if srtp is None:
            self.stats["media_send_dropped_no_keys"] += 1
            return
        self._media_out.append(srtp.protect_rtp(packet))
        self.stats["rtp_sent"] += 1

    def send_rtcp(self, packet: bytes) -> None:
        """Protect one plaintext compound RTCP packet and queue it (as :meth:`send_rtp`)."""
        srtp = self.srtp or self._media_srtp()
        if srtp is None:
            self.stats["media_send_dropped_no_keys"] += 1
            return
        self._media_out.append(srtp.protect_rtcp(packet))
        self.stats["rtcp_sent"] += 1

    def _media_srtp(self) -> SrtpCore | None:
        """The SRTP session, created on first use once DTLS has exported keys."""
        if self._srtp_keys is not None and self.dtls_state == "connected":
            self.srtp = self._srtp_factory(self._srtp_keys)
        return self.srtp

    def _collect_rtp(self, session: RtpSessionCore, now: float) -> None:
        packets = session.packets_to_send(now)
        if not packets:
            return
        srtp = self.srtp if self.dtls_state == "connected" else None
        if srtp is None:
            self.stats["media_send_dropped_no_keys"] += len(packets)
            return
        out = self._media_out
        rtcp_count = 0
        for packet, is_rtcp in packets:
            if is_rtcp:
                out.append(srtp.protect_rtcp(packet))
                rtcp_count += 1
            else:
                out.append(srtp.protect_rtp(packet))
        self.stats["rtcp_sent"] += rtcp_count
        self.stats["rtp_sent"] += len(packets) - rtcp_count

    def datagrams_to_send(self, now: float) -> list[bytes]:
        """DTLS datagrams (handshake, SCTP), then SRTP/SRTCP ones."""
        out = self._dtls_datagrams(now)
        session = self.rtp_session
        if session is not None:
            self._collect_rtp(session, now)
        if self._media_out:
            media, self._media_out = self._media_out, []
            if self.dtls_state != "connected":  # closed or failed since they were queued
                self.stats["media_send_dropped_no_keys"] += len(media)
            else:
                out = out + media if out else media
        return out

    def _dtls_datagrams(self, now: float) -> list[bytes]:
        dtls = self.dtls
        if dtls is None:
            return []
        assoc = self.association
        if assoc is not None and self.dtls_state == "connected":
            self._drain_sctp(now)
            packets = assoc.datagrams_to_send(now)
            if packets:
                dtls.send_many(packets)
            if assoc.oversize_pending:
                assoc.oversize_pending = False
                self._fragmentable += dtls.datagrams_to_send(now)
                return []
        return dtls.datagrams_to_send(now)

    def fragmentable_datagrams_to_send(self, now: float) -> list[bytes]:
        """The batch that holds a packet larger than the current PLPMTU (see the docstring)."""
        out, self._fragmentable = self._fragmentable, []
        return out

    def probe_datagrams_to_send(self, now: float) -> list[bytes]:
        """The PLPMTUD probe datagram due now, if any (one DTLS record each)."""
        dtls, assoc = self.dtls, self.association
        if dtls is None or assoc is None or self.dtls_state != "connected":
            return []
        probes = assoc.probe_datagrams_to_send(now)
        if not probes:
            return []
        self._fragmentable += dtls.datagrams_to_send(now)  # normally empty: drained before
        for packet in probes:
            dtls.send(packet)
        return dtls.datagrams_to_send(now)

    def probe_result(self, result: ProbeResult, now: float) -> None:
        """What the driver could do with the probe just drained."""
        assoc = self.association
        if assoc is None or result == "sent":
            return
        if result == "too-big":
            assoc.probe_too_big(now)
        else:
            assoc.plpmtud_unavailable()

    def reset_path(self, now: float) -> None:
        """The ICE selected pair changed: path MTU discovery starts again from BASE."""
        if self.association is not None:
            self.association.reset_path(now)

    # ---- timers and events -----------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """The earliest deadline of the children; :attr:`timer_reason` says whose."""
        deadline: float | None = None
        reason: str | None = None
        dtls = self.dtls
        if dtls is not None and self.dtls_state == "connecting":
            deadline = dtls.get_timer()
            if deadline is not None:
                reason = "dtls.retransmit"
        assoc = self.association
        if assoc is not None:
            t = assoc.get_timer()
            if t is not None and (deadline is None or t < deadline):
                deadline, reason = t, assoc.timer_reason
        session = self.rtp_session
        if session is not None:
            t = session.get_timer()
            if t is not None and (deadline is None or t < deadline):
                deadline, reason = t, _rtp_reason(session.timer_reason)
        self.timer_reason = reason
        return deadline

    def handle_timer(self, now: float) -> None:
        """Fire every child whose deadline has come."""
        dtls = self.dtls
        if dtls is not None and self.dtls_state == "connecting":
            t = dtls.get_timer()
            if t is not None and t <= now:
                dtls.handle_timer(now)
        assoc = self.association
        if assoc is not None:
            t = assoc.get_timer()
            if t is not None and t <= now:
                assoc.handle_timer(now)
        session = self.rtp_session
        if session is not None:
            t = session.get_timer()
            if t is not None and t <= now:
                session.handle_timer(now)
        if dtls is not None:
            self._drain_dtls(now)

    def next_event(self) -> TransportEvent | object | None:
        """The transport's own events first, then the RTP session's (passed on as they are)."""
        if self._events:
            return self._events.popleft()
        session = self.rtp_session
        return session.next_event() if session is not None else None

    # ---- user calls ------------------------------------------------------------------------------

    def close(self, now: float) -> None:
        """Abort SCTP (the peer connection is going away) and send DTLS close_notify."""
        if self.association is not None and self.dtls_state == "connected":
            self.association.abort(now)
            for packet in self.association.datagrams_to_send(now):
                self.dtls.send(packet) if self.dtls else None
        if self.dtls is not None and self.dtls_state in ("connected", "connecting"):
            self.dtls.close()
        self._media_out = []
        self._sctp_gone()
        if self.dtls_state != "failed":
            self._set_dtls_state("closed")

    def _set_dtls_state(self, state: DtlsState, reason: str | None = None) -> None:
        if state != self.dtls_state:
            self.dtls_state = state
            self._events.append(DtlsStateChanged(state, reason))


def _rtp_reason(reason: str | None) -> str:
    """``"rtp.<reason>"`` for the RTP session's timer (its own name if already prefixed)."""
    if reason is None:
        return "rtp"
    return reason if reason.startswith("rtp.") else "rtp." + reason
