"""The sans-IO secure transport: DTLS endpoint + SCTP association + data channels.

Everything that rides the selected ICE pair after RFC 7983 demultiplexing. It composes the
cores and follows their verb set (``receive_datagram`` / ``datagrams_to_send`` /
``get_timer`` / ``handle_timer`` / ``next_event``); the driver is the only caller.

Data path (RFC 8261): DTLS application data -> SCTP packets -> DCEP / channel messages.
The SCTP association starts when DTLS connects, and both DTLS roles send INIT at once: some
peers (werift as answerer) start SCTP only when ICE-controlling, so a waiting DTLS server could
wait forever. The resulting INIT collision is resolved by RFC 9260 §5.2.1/§5.2.4 (case D).

Early DTLS: a peer may send its ClientHello before we have applied its answer (seen with
node-datachannel); the transport holds the first few such datagrams (bounded by
``EARLY_DTLS_MAX_DATAGRAMS`` / ``EARLY_DTLS_MAX_BYTES``, the excess counted in
``stats["early_dtls_dropped"]``) and feeds them to DTLS as soon as :meth:`configure` creates the
endpoint, instead of waiting a second for the peer's retransmission.

Path MTU (RFC 8261 §5, RFC 8899): SCTP starts with packets that fit a 1200-byte datagram and
discovers larger ones itself (:mod:`rtcpeer.sctp.plpmtud`); one SCTP packet stays one DTLS
record in one datagram (the DTLS MTU only shapes the handshake). Output comes in three kinds,
drained in this order by the driver after every change:

* :meth:`SecureTransport.datagrams_to_send`: ordinary datagrams, sent as the socket does;
* :meth:`SecureTransport.fragmentable_datagrams_to_send`: a batch holding an SCTP packet larger
  than the current PLPMTU (after a black hole or a path change), to send with fragmentation
  allowed;
* :meth:`SecureTransport.probe_datagrams_to_send`: PLPMTUD probes, to send with Don't-Fragment;
  the driver reports what happened with :meth:`SecureTransport.probe_result`.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass
from typing import Literal

from .dcep.manager import DataChannelManager, ManagerEvent
from .dtls.certificate import RTCCertificate, RTCDtlsFingerprint
from .dtls.endpoint import DtlsEndpoint
from .dtls.events import DtlsApplicationData, DtlsClosed, DtlsConnected, DtlsFailed
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

# Datagrams held while DTLS is not configured yet (a ClientHello flight is 1-2 datagrams).
EARLY_DTLS_MAX_DATAGRAMS = 4
EARLY_DTLS_MAX_BYTES = 8192

DtlsState = Literal["new", "connecting", "connected", "closed", "failed"]
SctpState = Literal["connecting", "connected", "closed"]


@dataclass(frozen=True)
class DtlsStateChanged:
    state: DtlsState
    reason: str | None = None


@dataclass(frozen=True)
class SctpStateChanged:
    state: SctpState


TransportEvent = DtlsStateChanged | SctpStateChanged | ManagerEvent


class SecureTransport:
    """DTLS + SCTP + data channels for one BUNDLE group."""

    def __init__(
        self,
        certificate: RTCCertificate,
        *,
        rng: random.Random | None = None,
        plpmtud: bool = True,
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
        self._events: deque[TransportEvent] = deque()
        self._started = False
        self._fragmentable: list[bytes] = []
        self._early: list[tuple[bytes, float]] = []
        self._path_up = False
        self._early_bytes = 0
        self.stats: dict[str, int] = {"early_dtls_held": 0, "early_dtls_dropped": 0}

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
            self.receive_datagram(data, at)

    def start(self, now: float) -> None:
        """ICE has a pair: the DTLS client sends its ClientHello."""
        if self._started or self.dtls is None:
            return
        self._started = True
        self.dtls.start(now)
        self._set_dtls_state("connecting")

    # ---- sans-IO verbs ---------------------------------------------------------------------------

    def receive_datagram(self, data: bytes, now: float) -> None:
        dtls = self.dtls
        if dtls is None or (self._early and not self._path_up):
            self._hold_early(data, now)
            return
        assoc = self.association
        if assoc is not None:
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
        if not self._started and self.role == "server":
            self._started = True
            self._set_dtls_state("connecting")
        dtls.receive_datagram(data, now)
        self._drain_dtls(now)

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
                self._set_dtls_state("connected")
                assoc = self._start_sctp(now)
            elif isinstance(event, DtlsFailed):
                self._set_dtls_state("failed", event.reason)
                self._sctp_gone()
            elif isinstance(event, DtlsClosed):
                self._set_dtls_state("closed")
                self._sctp_gone()
        self._drain_sctp(now)

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

    def datagrams_to_send(self, now: float) -> list[bytes]:
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

    def get_timer(self) -> float | None:
        deadline: float | None = None
        reason: str | None = None
        if self.dtls is not None and self.dtls_state == "connecting":
            deadline = self.dtls.get_timer()
            reason = "dtls.retransmit"
        assoc = self.association
        if assoc is not None:
            t = assoc.get_timer()
            if t is not None and (deadline is None or t < deadline):
                deadline, reason = t, assoc.timer_reason
        self.timer_reason = reason
        return deadline

    def handle_timer(self, now: float) -> None:
        if self.dtls is not None and self.dtls_state == "connecting":
            t = self.dtls.get_timer()
            if t is not None and t <= now:
                self.dtls.handle_timer(now)
        assoc = self.association
        if assoc is not None:
            t = assoc.get_timer()
            if t is not None and t <= now:
                assoc.handle_timer(now)
        if self.dtls is not None:
            self._drain_dtls(now)

    def next_event(self) -> TransportEvent | None:
        return self._events.popleft() if self._events else None

    # ---- user calls --------------------------------------------------------------------------

    def close(self, now: float) -> None:
        """Abort SCTP (the peer connection is going away) and send DTLS close_notify."""
        if self.association is not None and self.dtls_state == "connected":
            self.association.abort(now)
            for packet in self.association.datagrams_to_send(now):
                self.dtls.send(packet) if self.dtls else None
        if self.dtls is not None and self.dtls_state in ("connected", "connecting"):
            self.dtls.close()
        self._sctp_gone()
        if self.dtls_state != "failed":
            self._set_dtls_state("closed")

    def _set_dtls_state(self, state: DtlsState, reason: str | None = None) -> None:
        if state != self.dtls_state:
            self.dtls_state = state
            self._events.append(DtlsStateChanged(state, reason))
