"""RTCPeerConnection (W3C webrtc-pc §4): JSEP offer/answer, trickle ICE, data channels.

Events (``pc.on(name)``, aiortc style): ``icecandidate`` (an :class:`RTCIceCandidate`, or
``None`` at end-of-candidates), ``icecandidateerror``, ``icegatheringstatechange``,
``iceconnectionstatechange``, ``connectionstatechange``, ``signalingstatechange``,
``negotiationneeded``, ``datachannel`` (an :class:`RTCDataChannel`).

Trickle or not: with an ``icecandidate`` listener registered, ``setLocalDescription``
returns at once and candidates trickle (RFC 8838). With none, it returns once gathering is
complete, so ``localDescription`` carries every candidate, as aiortc does; code written for
aiortc's non-trickle signaling keeps working after changing the import.

Operations that the spec chains (createOffer, createAnswer, setLocalDescription,
setRemoteDescription, addIceCandidate) run one at a time in call order (W3C §4.4.1.2
"operations chain"), through an asyncio lock.

State aggregation (W3C §4.3.3 RTCPeerConnectionState, one BUNDLE transport)::

    closed        pc.close() was called
    failed        ICE failed, or DTLS failed (e.g. fingerprint mismatch)
    disconnected  ICE disconnected
    new           ICE and DTLS are both new (or closed)
    connecting    ICE new/checking, or DTLS new/connecting
    connected     ICE connected/completed and DTLS connected
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Literal, TypeVar

from . import _negotiation as neg
from ._dispatch import dispatch_transport_event
from ._driver import Driver
from ._events import EventEmitter
from ._mediaengine import MediaEngine, negotiated_rows
from ._mlines import MLineTable
from ._stats import build_stats
from ._transceivers import TransceiverSet
from .bundle import BundleTransport
from .candidate import IceCandidateInfo
from .config import RTCConfiguration, RTCIceServer
from .datachannel import RTCDataChannel
from .dcep import manager as dcm
from .dcep.messages import ChannelParameters
from .description import RTCIceCandidate, RTCSessionDescription
from .dtls.certificate import RTCCertificate
from .errors import (
    InvalidAccessError,
    InvalidModificationError,
    InvalidStateError,
    OperationError,
)
from .ice.agent import IceAgent
from .ice.servers import IceServer
from .mediastreams import MediaStreamTrack
from .sctptransport import LOCAL_MAX_MESSAGE_SIZE, RTCSctpTransport
from .sdp.parse import parse
from .sdp.signaling import next_signaling_state
from .transceiver import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver

logger = logging.getLogger("rtcpeer")

T = TypeVar("T")


class RTCPeerConnection(EventEmitter):
    """A WebRTC peer connection. See the module docstring for events and states."""

    def __init__(self, configuration: RTCConfiguration | None = None) -> None:
        super().__init__()
        self._config = configuration or RTCConfiguration()
        self._validate_configuration(self._config)
        certs = self._config.certificates
        self._certificate = certs[0] if certs else RTCCertificate.generate()
        self._transport = BundleTransport(
            self._certificate, plpmtud=self._config.options.sctpPathMtuDiscovery
        )
        self._sctp = RTCSctpTransport(self)
        self._channels: dict[dcm.ChannelRecord, RTCDataChannel] = {}
        self._agent: IceAgent | None = None
        self._driver: Driver | None = None
        self._media_engine: MediaEngine | None = None
        self._lock: asyncio.Lock | None = None
        self._closed = False
        self._session_id = random.SystemRandom().randrange(1 << 62)
        self._session_version = 0

        self._signaling_state = "stable"
        self._ice_gathering_state = "new"
        self._ice_connection_state = "new"
        self._connection_state = "new"

        self._local_current: neg.LocalDescription | None = None
        self._local_pending: neg.LocalDescription | None = None
        self._remote_current: neg.RemoteDescription | None = None
        self._remote_pending: neg.RemoteDescription | None = None
        # The JSEP m-line table (RFC 9429 §5.2, see _mlines.py): committed when a negotiation
        # completes; a pending proposal lives while an offer is outstanding.
        self._media = TransceiverSet(on_change=self._queue_negotiation_needed)
        self._mlines: MLineTable[Any] = MLineTable()
        self._mlines_pending: MLineTable[Any] | None = None
        self._mlines_offered: MLineTable[Any] | None = None  # of the last createOffer
        self._last_offer: neg.LocalDescription | None = None
        self._last_answer: neg.LocalDescription | None = None
        self._is_offerer: bool | None = None
        self._restart_requested = False
        self._negotiation_needed_queued = False
        self._local_candidates: list[IceCandidateInfo] = []
        self._gathering_complete = False
        self._gathering_waiters: list[asyncio.Future[None]] = []
        self._remote_end_of_candidates = False
        self._connected_at: float | None = None

    # ---- configuration -------------------------------------------------------------------------

    @staticmethod
    def _validate_configuration(config: RTCConfiguration) -> None:
        # Parse now so a bad URL raises at construction, as in browsers (SyntaxError).
        from .ice.servers import parse_servers

        parse_servers(_ice_servers(config.iceServers))
        for cert in config.certificates or []:
            if cert.expires < time.time() * 1000:
                raise InvalidAccessError("RTCConfiguration.certificates holds an expired one")

    def getConfiguration(self) -> RTCConfiguration:
        return self._config

    def setConfiguration(self, configuration: RTCConfiguration) -> None:
        self._check_not_closed()
        if configuration.certificates and configuration.certificates != self._config.certificates:
            raise InvalidModificationError("certificates cannot change")
        self._validate_configuration(configuration)
        self._config = configuration

    @staticmethod
    async def generateCertificate(keygenAlgorithm: Any = None) -> RTCCertificate:
        """W3C static generateCertificate(): ECDSA P-256 (the only algorithm offered)."""
        return RTCCertificate.generate()

    # ---- W3C attributes ------------------------------------------------------------------------

    @property
    def signalingState(self) -> str:
        return self._signaling_state

    @property
    def iceGatheringState(self) -> str:
        return self._ice_gathering_state

    @property
    def iceConnectionState(self) -> str:
        return self._ice_connection_state

    @property
    def connectionState(self) -> str:
        return self._connection_state

    @property
    def canTrickleIceCandidates(self) -> bool | None:
        remote = self._remote_pending or self._remote_current
        return None if remote is None else remote.trickle

    @property
    def sctp(self) -> RTCSctpTransport | None:
        return self._sctp if self._negotiated_sctp() else None

    @property
    def localDescription(self) -> RTCSessionDescription | None:
        desc = self._local_pending or self._local_current
        return self._describe_local(desc)

    @property
    def currentLocalDescription(self) -> RTCSessionDescription | None:
        return self._describe_local(self._local_current)

    @property
    def pendingLocalDescription(self) -> RTCSessionDescription | None:
        return self._describe_local(self._local_pending)

    @property
    def remoteDescription(self) -> RTCSessionDescription | None:
        desc = self._remote_pending or self._remote_current
        return desc.session_description() if desc else None

    @property
    def currentRemoteDescription(self) -> RTCSessionDescription | None:
        return self._remote_current.session_description() if self._remote_current else None

    @property
    def pendingRemoteDescription(self) -> RTCSessionDescription | None:
        return self._remote_pending.session_description() if self._remote_pending else None

    def _describe_local(self, desc: neg.LocalDescription | None) -> RTCSessionDescription | None:
        """A local description carries the candidates gathered so far (W3C §4.4.1.6)."""
        if desc is None:
            return None
        agent = self._agent
        candidates = self._local_candidates if agent and agent.local_ufrag == desc.ufrag else []
        complete = self._gathering_complete and bool(candidates)
        return RTCSessionDescription(sdp=desc.render(candidates, complete), type=desc.type)

    # ---- operations chain ----------------------------------------------------------------------

    async def _chain(self, operation: Callable[[], Awaitable[T]]) -> T:
        self._check_not_closed()
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            self._check_not_closed()
            return await operation()

    def _check_not_closed(self) -> None:
        if self._closed:
            raise InvalidStateError("RTCPeerConnection is closed")

    # ---- offer / answer ------------------------------------------------------------------------

    async def createOffer(self, iceRestart: bool = False, **_: Any) -> RTCSessionDescription:
        """An offer for the data channels created so far (and ICE restart if asked)."""

        async def op() -> RTCSessionDescription:
            offer = self._make_offer(iceRestart)
            return RTCSessionDescription(sdp=offer.render([], False), type="offer")

        return await self._chain(op)

    async def createAnswer(self, **_: Any) -> RTCSessionDescription:
        """An answer to the remote offer (we take the DTLS client role: ``a=setup:active``)."""

        async def op() -> RTCSessionDescription:
            answer = self._make_answer()
            return RTCSessionDescription(sdp=answer.render([], False), type="answer")

        return await self._chain(op)

    def _answer_setup(self, remote: neg.RemoteDescription) -> str:
        # Keep the role of an earlier negotiation (RFC 8842 §5.5); else be the DTLS client.
        if self._transport.role is not None:
            return "active" if self._transport.role == "client" else "passive"
        return "passive" if remote.setup == "active" else "active"

    def _table(self) -> MLineTable[Any]:
        return self._mlines_pending or self._mlines

    def _wants_data_section(self) -> bool:
        return bool(self._channels or self._transport.channels.channels())

    async def setLocalDescription(
        self, description: RTCSessionDescription | dict[str, Any] | None = None
    ) -> None:
        """Apply a local offer/answer/pranswer/rollback; with no argument, the implicit form."""
        description = _as_description(description)

        async def op() -> None:
            kind = description.type if description is not None else self._implicit_type()
            if kind == "rollback":
                self._rollback_local()
                return
            local = self._local_for(kind, description)
            self._transition("local", kind)
            if kind == "offer":
                self._local_pending = local
                self._mlines_pending = self._mlines_offered or self._mlines
                self._is_offerer = True
            else:
                self._local_current = local
                self._local_pending = None
                if kind == "answer":
                    self._remote_current = self._remote_pending or self._remote_current
                    self._remote_pending = None
                    self._commit_mlines(local.mids, we_offered=False)
                self._is_offerer = False
            self._emit_signaling()
            agent = self._ensure_agent(controlling=kind == "offer")
            self._reset_local_candidates_if_new(agent)
            agent.gather()
            if kind == "answer":
                self._apply_negotiation()
            if not self.listeners("icecandidate"):
                # Nobody trickles: behave like aiortc and put every candidate in the
                # description before returning (non-trickle signaling, RFC 8838 §4).
                await self._wait_gathering_complete()

        await self._chain(op)

    async def _wait_gathering_complete(self) -> None:
        while not self._gathering_complete and not self._closed:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._gathering_waiters.append(waiter)
            await waiter

    def _implicit_type(self) -> str:
        if self._signaling_state in ("stable", "have-local-offer"):
            return "offer"
        return "answer"

    def _local_for(
        self, kind: str, description: RTCSessionDescription | None
    ) -> neg.LocalDescription:
        if description is None or not description.sdp:
            if kind == "offer":
                return self._make_offer()
            return self._make_answer().with_type(kind)
        last = self._last_offer if kind == "offer" else self._last_answer
        if last is not None and neg.same_sdp(last, description.sdp):
            return last.with_type(kind)
        raise InvalidModificationError(
            "setLocalDescription: the SDP differs from the last createOffer/createAnswer result"
        )

    def _make_offer(self, ice_restart: bool = False) -> neg.LocalDescription:
        agent = self._ensure_agent(controlling=True)
        if (ice_restart or self._restart_requested) and self._local_current is not None:
            agent.restart()
        self._restart_requested = False
        self._session_version += 1
        table = self._mlines.propose_offer(
            self._media.unassociated(self._mlines), want_data=self._wants_data_section()
        )
        self._mlines_offered = table
        self._last_offer = neg.build_offer(
            session_id=self._session_id,
            session_version=self._session_version,
            ufrag=agent.local_ufrag,
            pwd=agent.local_pwd,
            fingerprints=self._certificate.getFingerprints(),
            media=neg.offer_specs(table.rows, LOCAL_MAX_MESSAGE_SIZE, self._media.spec_for),
        )
        return self._last_offer

    def _make_answer(self) -> neg.LocalDescription:
        if self._signaling_state not in ("have-remote-offer", "have-local-pranswer"):
            raise InvalidStateError(f"cannot answer in signaling state {self._signaling_state!r}")
        remote = self._remote_pending
        assert remote is not None
        agent = self._ensure_agent(controlling=remote.ice_lite)
        self._session_version += 1
        self._last_answer = neg.build_answer(
            remote,
            session_id=self._session_id,
            session_version=self._session_version,
            ufrag=agent.local_ufrag,
            pwd=agent.local_pwd,
            fingerprints=self._certificate.getFingerprints(),
            setup=self._answer_setup(remote),
            max_message_size=LOCAL_MAX_MESSAGE_SIZE,
            media=[
                self._media.spec_for(row) for row in self._table().rows if row.role == "transceiver"
            ],
        )
        return self._last_answer

    async def setRemoteDescription(
        self, description: RTCSessionDescription | dict[str, Any]
    ) -> None:
        """Apply the peer's offer/answer/pranswer/rollback (malformed SDP: SdpParseError)."""
        desc = _as_description(description)
        if desc is None:
            raise TypeError("setRemoteDescription needs a description")

        async def op() -> None:
            if desc.type == "rollback":
                self._transition("remote", "rollback")
                self._remote_pending = None
                self._mlines_pending = None
                self._media.rollback()
                self._emit_signaling()
                return
            if desc.type == "offer" and self._signaling_state == "have-local-offer":
                # Glare: a remote offer rolls our offer back first (W3C §4.4.1.5, the
                # "implicit rollback" that perfect negotiation's polite peer relies on).
                self._rollback_local()
            offer = self._local_pending if desc.type in ("answer", "pranswer") else None
            remote = neg.parse_remote(desc.sdp, desc.type, offer)
            self._transition("remote", desc.type)
            if desc.type == "offer":
                self._remote_pending = remote
                self._mlines_pending = self._mlines.apply_remote_offer(
                    remote.desc, self._media.associate
                )
                self._is_offerer = False
            else:
                self._remote_current = remote
                self._remote_pending = None
                if desc.type == "answer":
                    self._local_current = self._local_pending or self._local_current
                    self._local_pending = None
                    accepted = [m.mid for m in remote.desc.media if not m.rejected]
                    self._commit_mlines(accepted, we_offered=True)
            self._emit_signaling()
            agent = self._ensure_agent(controlling=desc.type != "offer" or remote.ice_lite)
            agent.set_remote_credentials(remote.ufrag, remote.pwd, lite=remote.ice_lite)
            for candidate in remote.candidates:
                agent.add_remote_candidate(candidate)
            if remote.end_of_candidates:
                self._remote_end_of_candidates = True
                agent.add_remote_candidate(None)
            for transceiver in self._media.remote_applied(self._table(), remote.desc):
                self.emit("track", transceiver.receiver.track)
            if desc.type == "answer":
                self._apply_negotiation()

        await self._chain(op)

    def _commit_mlines(self, accepted_mids: Iterable[str | None], *, we_offered: bool) -> None:
        """The answer is applied: the pending m-line table becomes the session's, and the
        transceivers learn their mids and negotiated directions."""
        table = self._mlines_pending or self._mlines
        self._mlines_pending = None
        local, remote = self._local_current, self._remote_current
        if local is not None and remote is not None:
            ours = parse(local.text)
            offer, answer = (ours, remote.desc) if we_offered else (remote.desc, ours)
            table = self._media.negotiated(table, offer, answer, we_offered)
        self._mlines = table.apply_answer(accepted_mids)

    def _rollback_local(self) -> None:
        self._transition("local", "rollback")
        self._local_pending = None
        self._mlines_pending = None
        if self._agent is not None and self._remote_current is None:
            self._agent.set_controlling(False)  # we will answer: the offerer controls ICE
        self._emit_signaling()

    def _transition(self, side: Literal["local", "remote"], kind: str) -> None:
        operation = "set-local" if side == "local" else "set-remote"
        self._signaling_state = str(next_signaling_state(self._signaling_state, operation, kind))

    def _emit_signaling(self) -> None:
        self.emit("signalingstatechange")
        if self._signaling_state == "stable" and self._negotiation_needed():
            # Back in stable with work left (a channel created mid-negotiation, an answer
            # without a data section, a rolled-back offer, restartIce): fire again
            # (W3C webrtc-pc, "update the negotiation-needed flag").
            self._queue_negotiation_needed()

    # ---- ICE ---------------------------------------------------------------------------------

    async def addIceCandidate(
        self, candidate: RTCIceCandidate | dict[str, Any] | None = None
    ) -> None:
        """Add a trickled remote candidate; ``None`` or an empty one is end-of-candidates."""
        if isinstance(candidate, dict):
            candidate = RTCIceCandidate.from_json(candidate)

        async def op() -> None:
            remote = self._remote_pending or self._remote_current
            if remote is None:
                raise InvalidStateError("addIceCandidate before setRemoteDescription")
            agent = self._agent
            assert agent is not None
            if candidate is None or not candidate.candidate.strip():
                self._remote_end_of_candidates = True
                agent.add_remote_candidate(None)
                return
            remote.check_candidate_target(candidate.sdpMid, candidate.sdpMLineIndex)
            if candidate.usernameFragment and candidate.usernameFragment not in remote.all_ufrags():
                raise OperationError(
                    f"candidate ufrag {candidate.usernameFragment!r} matches no remote description"
                )
            info = candidate.info
            assert info is not None
            agent.add_remote_candidate(info)

        await self._chain(op)

    def restartIce(self) -> None:
        """Ask for an ICE restart in the next offer (W3C §4.4.1.6 restartIce())."""
        self._check_not_closed()
        self._restart_requested = True
        self._queue_negotiation_needed()

    def _ensure_agent(self, controlling: bool) -> IceAgent:
        if self._agent is not None:
            return self._agent
        opts = self._config.options
        self._agent = IceAgent(
            servers=_ice_servers(self._config.iceServers),
            transport_policy=self._config.iceTransportPolicy,
            controlling=controlling,
            on_candidate=self._on_local_candidate,
            on_state_change=self._on_ice_state,
            on_datagram=self._on_datagram,
            on_candidate_error=self._on_candidate_error,
            on_gathering_state_change=self._on_gathering_state,
            turn_ssl_context=opts.turnSslContext,
            use_ipv6=opts.useIpv6,
            host_addresses=opts.hostAddresses,
            disconnected_timeout=opts.consentDisconnectedAfter,
            consent_timeout=opts.consentFailedAfter,
            consent_interval=_consent_interval(opts.consentDisconnectedAfter),
        )
        self._driver = Driver(
            self._transport, self._agent.send, self._on_transport_event, path=self._agent
        )
        self._media_engine = MediaEngine(
            self._transport, self._driver.now, self._driver.schedule_flush
        )
        return self._agent

    def _reset_local_candidates_if_new(self, agent: IceAgent) -> None:
        if self._local_candidates and self._local_candidates[0].ufrag not in (
            None,
            agent.local_ufrag,
        ):
            self._local_candidates = []
            self._gathering_complete = False

    def _on_local_candidate(self, info: IceCandidateInfo | None) -> None:
        if self._closed:
            return
        mid, index = self._first_mid()
        if info is None:
            self._gathering_complete = True
            self._wake_gathering_waiters()
            self.emit("icecandidate", None)
            return
        agent = self._agent
        ufrag = agent.local_ufrag if agent else None
        if info.ufrag is None and ufrag is not None:
            info = IceCandidateInfo(**{**info.__dict__, "ufrag": ufrag})
        if self._local_candidates and self._local_candidates[0].ufrag != info.ufrag:
            self._local_candidates = []
            self._gathering_complete = False
        self._local_candidates.append(info)
        self.emit("icecandidate", RTCIceCandidate.from_info(info, mid, index, info.ufrag))

    def _wake_gathering_waiters(self) -> None:
        waiters, self._gathering_waiters = self._gathering_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _first_mid(self) -> tuple[str | None, int | None]:
        """The BUNDLE tag section that trickled candidates name (RFC 8843 §7.2.1)."""
        row = self._table().first_accepted()
        return (row.mid, row.index) if row is not None else (None, 0)

    def _on_gathering_state(self, state: str) -> None:
        if self._closed or state == self._ice_gathering_state:
            return
        self._ice_gathering_state = state
        self.emit("icegatheringstatechange")

    def _on_candidate_error(self, error: Any) -> None:
        logger.warning("ICE candidate error: %s", error)
        self.emit("icecandidateerror", error)

    def _on_ice_state(self, state: str) -> None:
        if self._closed:
            return
        if state != self._ice_connection_state:
            self._ice_connection_state = state
            self.emit("iceconnectionstatechange")
        if state in ("connected", "completed"):
            self._transport.path_ready()
            if self._driver is not None:
                self._driver.schedule_flush()
        if state in ("connected", "completed") and self._transport.role == "client":
            driver = self._driver
            if driver is not None:
                self._transport.start(driver.now())
                driver.flush()
        self._update_connection_state()

    def _on_datagram(self, data: bytes) -> None:
        driver = self._driver
        if driver is not None:
            driver.datagram_received(data)

    # ---- negotiation result ------------------------------------------------------------------

    def _apply_negotiation(self) -> None:
        """Both descriptions are set: configure DTLS/SCTP and start ICE checks."""
        local, remote = self._local_current, self._remote_current
        assert local is not None and remote is not None and self._agent is not None
        if self._is_offerer:
            role: Literal["client", "server"] = "server" if remote.setup == "active" else "client"
        else:
            role = "client" if local.setup == "active" else "server"
        sctp = local.data_mid is not None and remote.sctp_port is not None
        self._transport.configure(
            role,
            remote.fingerprints,
            sctp=sctp,
            remote_sctp_port=remote.sctp_port or 5000,
            remote_max_message_size=remote.max_message_size,
        )
        if self._media_engine is not None:
            self._media_engine.apply(
                negotiated_rows(
                    self._mlines, parse(local.text), remote.desc, bool(self._is_offerer)
                )
            )
        self._agent.start()
        if self._ice_connection_state in ("connected", "completed") and role == "client":
            assert self._driver is not None
            self._transport.start(self._driver.now())
        self._schedule_flush()
        self._update_connection_state()

    def _negotiated_sctp(self) -> bool:
        return self._transport.sctp_enabled

    def _remote_max_message_size(self) -> int:
        return self._transport.remote_max_message_size

    # ---- media (W3C §5.1 RTP media API) --------------------------------------------------------

    def addTrack(self, track: MediaStreamTrack, *streams: Any) -> RTCRtpSender:
        self._check_not_closed()
        sender = self._media.add_track(track, streams)
        self._queue_negotiation_needed()
        return sender

    def removeTrack(self, sender: RTCRtpSender) -> None:
        self._check_not_closed()
        self._media.remove_track(sender)
        self._queue_negotiation_needed()

    def addTransceiver(
        self,
        trackOrKind: MediaStreamTrack | str,
        direction: str = "sendrecv",
        streams: Sequence[Any] = (),
        **_: Any,
    ) -> RTCRtpTransceiver:
        self._check_not_closed()
        transceiver = self._media.add_transceiver(trackOrKind, direction, streams)
        self._queue_negotiation_needed()
        return transceiver

    def getTransceivers(self) -> list[RTCRtpTransceiver]:
        return list(self._media.transceivers)

    def getSenders(self) -> list[RTCRtpSender]:
        return [t.sender for t in self._media.transceivers]

    def getReceivers(self) -> list[RTCRtpReceiver]:
        return [t.receiver for t in self._media.transceivers]

    # ---- data channels -------------------------------------------------------------------------

    def createDataChannel(
        self,
        label: str,
        maxPacketLifeTime: int | None = None,
        maxRetransmits: int | None = None,
        ordered: bool = True,
        protocol: str = "",
        negotiated: bool = False,
        id: int | None = None,
        priority: str = "low",
    ) -> RTCDataChannel:
        """W3C createDataChannel (§6.1). Errors: TypeError, SyntaxError, OperationError."""
        self._check_not_closed()
        if maxPacketLifeTime is not None and maxRetransmits is not None:
            raise TypeError("maxPacketLifeTime and maxRetransmits are mutually exclusive")
        if len(label.encode("utf-8")) > 65535 or len(protocol.encode("utf-8")) > 65535:
            raise TypeError("label and protocol must each be at most 65535 bytes")
        if negotiated and id is None:
            raise TypeError("a negotiated data channel needs an id")
        for value, name in (
            (maxPacketLifeTime, "maxPacketLifeTime"),
            (maxRetransmits, "maxRetransmits"),
        ):
            if value is not None and not 0 <= value <= 65535:
                raise TypeError(f"{name} must be in 0..65535")
        params = ChannelParameters(
            label=label,
            protocol=protocol,
            ordered=ordered,
            max_retransmits=maxRetransmits,
            max_packet_lifetime=maxPacketLifeTime,
            priority=_PRIORITIES.get(priority, 256),
        )
        record = self._transport.channels.create(
            params, negotiated=negotiated, stream_id=id if negotiated else None
        )
        channel = RTCDataChannel(self, record)
        self._channels[record] = channel
        if self._transport.sctp_state == "connected" and self._transport.association is not None:
            self._transport.channels.association_established(
                self._transport.association, self._now()
            )
            self._schedule_flush()
        elif not self._has_data_section():
            self._queue_negotiation_needed()
        return channel

    def _negotiation_needed(self) -> bool:
        """W3C §4.7.3 "check if negotiation is needed" against the committed m-line table."""
        if self._restart_requested or self._media.needs_negotiation(self._mlines):
            return True
        return bool(self._channels) and not self._has_data_section()

    def _has_data_section(self) -> bool:
        """A data section was negotiated (the committed m-line table has its row)."""
        return self._mlines.data_row() is not None

    def _queue_negotiation_needed(self) -> None:
        if self._negotiation_needed_queued:
            return
        self._negotiation_needed_queued = True
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return

        def fire() -> None:
            self._negotiation_needed_queued = False
            stable = not self._closed and self._signaling_state == "stable"
            if stable and self._negotiation_needed():
                self.emit("negotiationneeded")

        loop.call_soon(fire)

    def _on_transport_event(self, event: object) -> None:
        dispatch_transport_event(self, event)

    # ---- connection state --------------------------------------------------------------------

    def _update_connection_state(self) -> None:
        if self._closed:
            return
        ice = self._ice_connection_state
        dtls = self._transport.dtls_state
        if ice == "failed" or dtls == "failed":
            state = "failed"
        elif ice == "disconnected":
            state = "disconnected"
        elif ice in ("new", "closed") and dtls in ("new", "closed"):
            state = "new"
        elif ice in ("new", "checking") or dtls in ("new", "connecting"):
            state = "connecting"
        else:
            state = "connected"
        if state != self._connection_state:
            self._connection_state = state
            if state == "connected" and self._connected_at is None:
                self._connected_at = time.time()
            self.emit("connectionstatechange")

    # ---- driver glue ---------------------------------------------------------------------------

    def _now(self) -> float:
        if self._driver is not None:
            return self._driver.now()
        return asyncio.get_running_loop().time()

    def _schedule_flush(self) -> None:
        if self._driver is not None:
            self._driver.schedule_flush()

    # ---- stats and close -----------------------------------------------------------------------

    async def getStats(self) -> dict[str, Any]:
        """An RTCStatsReport: a dict of stats id -> stats object (W3C webrtc-stats)."""
        return build_stats(self)

    async def close(self) -> None:
        """Close everything: SCTP ABORT, DTLS close_notify, ICE sockets (W3C §4.4.1.6)."""
        if self._closed:
            return
        self._closed = True
        self._signaling_state = "closed"
        self._wake_gathering_waiters()
        driver = self._driver
        now = self._now() if driver else 0.0
        if self._media_engine is not None:
            self._media_engine.close()
            if driver is not None:
                driver.flush()  # the RTCP BYE
        for transceiver in self._media.transceivers:
            transceiver.receiver.track.stop()
        self._transport.close(now)
        if driver is not None:
            driver.close()
        else:
            while self._transport.next_event() is not None:
                pass
        for channel in list(self._channels.values()):
            channel._emit_closed()
        self._channels.clear()
        if self._agent is not None:
            await self._agent.close()
        self._ice_connection_state = "closed"
        self._connection_state = "closed"
        self.emit("iceconnectionstatechange")
        self.emit("connectionstatechange")
        self.emit("signalingstatechange")

    def __repr__(self) -> str:
        return f"RTCPeerConnection(connectionState={self._connection_state})"


_PRIORITIES = {"very-low": 128, "low": 256, "medium": 512, "high": 1024}


def _consent_interval(disconnected_after: float) -> float:
    """RFC 7675 checks every 5 s (x0.8..1.2), more often only for a shorter
    ``disconnected_after`` (silence turns into ``disconnected`` only once a check sent in it
    went unanswered: rtcpeer/ice/_consent.py)."""
    return min(5.0, disconnected_after)


def _ice_servers(servers: list[RTCIceServer] | None) -> list[IceServer]:
    return [
        IceServer(urls=s.url_list(), username=s.username, credential=s.credential)
        for s in servers or []
    ]


def _as_description(
    description: RTCSessionDescription | dict[str, Any] | None,
) -> RTCSessionDescription | None:
    if isinstance(description, dict):
        return RTCSessionDescription.from_json(description)
    if description is not None and not isinstance(description, RTCSessionDescription):
        # Duck-typed descriptions (e.g. aiortc's) are accepted by their fields.
        return RTCSessionDescription(sdp=description.sdp, type=description.type)
    return description
