"""Sans-IO SCTP association (RFC 9260) over DTLS (RFC 8261), WebRTC profile (RFC 8831).

State machine (RFC 9260 §4), one handler per chunk type in ``_HANDLERS``:

    closed --connect()/INIT--> cookie-wait --INIT-ACK/COOKIE-ECHO--> cookie-echoed
    cookie-echoed --COOKIE-ACK--> established                          (§5.1)
    closed --valid COOKIE-ECHO/COOKIE-ACK--> established               (§5.1 B, D)
    INIT in cookie-wait/cookie-echoed: INIT-ACK with our original tag  (§5.2.1)
    COOKIE-ECHO with both tags matching (collision): established       (§5.2.4 D)
    established --shutdown()--> shutdown-pending --all acked/SHUTDOWN--> shutdown-sent
    established --SHUTDOWN--> shutdown-received --all acked/SHUTDOWN-ACK--> shutdown-ack-sent
    shutdown-sent --SHUTDOWN-ACK/SHUTDOWN-COMPLETE--> closed          (§9.2)
    shutdown-sent --SHUTDOWN--> shutdown-ack-sent (simultaneous shutdown)
    any --ABORT sent/received, Max.Retrans exceeded--> closed          (§9.1, §8.1)

Data path in :mod:`sender` and :mod:`receiver`; RE-CONFIG in :mod:`stream_reset`; path MTU
discovery (RFC 8899) in :mod:`plpmtud`.

PLPMTUD integration: ``mtu`` is BASE_PLPMTU (the packet size that is safe on any path). Once
established, probes (HEARTBEAT + PAD, never bundled with DATA) are handed out by
:meth:`Association.probe_datagrams_to_send`, separately from :meth:`datagrams_to_send`, so that
the driver can send them with the Don't-Fragment behaviour. When PLPMTU rises, new messages are
fragmented and packets bundled to the new size; chunks already fragmented keep their size.
Black hole (RFC 8899 §4.3): a T3-rtx expiry while PLPMTU > BASE with data sent in packets
larger than BASE still unacknowledged drops PLPMTU to BASE and searches again. A chunk larger
than the current PLPMTU (fragmented before PLPMTU dropped) is still sent, alone in its packet
(RFC 9260 §7.3 lets such packets be IP-fragmented); :attr:`Association.oversize_pending` tells
the caller that the last batch holds such a packet, so it can send the batch fragmentable.
Each endpoint announces in INIT/INIT-ACK the largest SCTP packet it reads (rtcpeer's own
parameter ``0xBF52``; others skip it silently), and PLPMTUD never probes above the peer's value
(a peer that announced nothing: ``unannounced_max_plpmtu``, default BASE); see
:mod:`rtcpeer.sctp.plpmtud` for why. Sustained loss (RFC 8899 §4.3): bytes of packets above
BASE carrying DATA are counted; once ``LOSS_WINDOW`` PLPMTU-sized packets' worth were sent, if
the sender retransmitted more than ``LOSS_STEP_DOWN`` of that many bytes meanwhile, PLPMTU
steps down one candidate (fragmented datagrams are lost when any fragment is).
"""

from __future__ import annotations

import random
import struct
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from rtcpeer._strict import count_internal_error
from rtcpeer.errors import LocalProtocolError
from rtcpeer.sctp import chunks as ch
from rtcpeer.sctp import handshake as hs
from rtcpeer.sctp.crc32c import crc32c_extend
from rtcpeer.sctp.events import (
    AssociationClosed,
    AssociationEstablished,
    BufferedAmountChanged,
    DataReceived,
    Event,
)
from rtcpeer.sctp.packet import (
    COMMON_HEADER_SIZE,
    ChecksumError,
    HeaderCrc,
    finish_packet,
    pack_header,
    parse_packet,
    serialize_packet,
)
from rtcpeer.sctp.plpmtud import MAX_PLPMTU, PROBE_TIMER, Plpmtud
from rtcpeer.sctp.receiver import Receiver
from rtcpeer.sctp.sender import RTO_INITIAL, RTO_MAX, Sender
from rtcpeer.sctp.stream_reset import StreamReset

LOCAL_RWND = 1 << 20
MAX_INIT_RETRANS = 8
DELAYED_SACK = 0.2
# The largest SCTP packet we read (one DTLS record: plaintext <= 2^14), announced in INIT and
# INIT-ACK so that the peer's PLPMTUD may probe up to it.
LOCAL_MAX_PACKET = 16384
LOSS_WINDOW = 64  # packets of PLPMTU size per loss measurement
LOSS_STEP_DOWN = 0.4  # retransmitted / sent bytes above which PLPMTU steps down

Handler = Callable[[Any, Any, float], bool]


class Association:
    """One SCTP association; see the module docstring for the state machine."""

    def __init__(
        self,
        *,
        local_port: int = 5000,
        remote_port: int = 5000,
        rng: random.Random | None = None,
        max_inbound_streams: int = 65535,
        max_outbound_streams: int = 65535,
        local_max_message_size: int = 262144,
        local_rwnd: int = LOCAL_RWND,
        mtu: int = 1200,
        plpmtud: bool = True,
        max_plpmtu: int = MAX_PLPMTU,
        plpmtud_candidates: Sequence[int] | None = None,
        probe_timer: float = PROBE_TIMER,
        unannounced_max_plpmtu: int | None = None,
        local_max_packet: int = LOCAL_MAX_PACKET,
    ) -> None:
        self.local_port = local_port
        self.remote_port = remote_port
        self._rng = rng or random.Random()
        self.max_inbound_streams = max_inbound_streams
        self.max_outbound_streams = max_outbound_streams
        self.local_max_message_size = local_max_message_size
        self.remote_max_message_size = 65536  # set from SDP a=max-message-size by the facade
        self.local_rwnd = local_rwnd
        self.mtu = mtu
        self.state = "closed"
        self.timer_reason: str | None = None
        self.stats: dict[str, int] = dict.fromkeys(
            (
                "packets_sent",
                "packets_received",
                "bad_checksum",
                "bad_vtag",
                "dropped",
                "unknown_chunks",
                "data_chunks_received",
                "sacks_sent",
                "no_user_data",
                "unknown_not_reported",
            ),
            0,
        )
        self._secret = self._rng.getrandbits(256).to_bytes(32, "big")
        self.local_tag = 0
        self.peer_tag = 0
        self._local_itsn = 0
        self.inbound_streams = 0
        self.outbound_streams = 0
        self.peer_features = 0
        self._events: deque[Event] = deque()
        self._control: list[bytes] = []  # chunks bundled first in the next packet
        self._raw: list[bytes] = []  # whole packets (INIT, ABORT, ...) sent before the rest
        self._init_chunk: bytes | None = None
        self._cookie_chunk: bytes | None = None
        self._t1: float | None = None
        self._t1_count = 0
        self._t1_rto = RTO_INITIAL
        self._t2: float | None = None
        self._t2_count = 0
        self._sack_deadline: float | None = None
        self.sender: Sender | None = None
        self.receiver: Receiver | None = None
        self.reset: StreamReset | None = None
        self._terminated = False
        self.plpmtud: Plpmtud | None = None
        if plpmtud:
            self.plpmtud = Plpmtud(
                mtu,
                max_plpmtu=max_plpmtu,
                candidates=plpmtud_candidates,
                probe_timer=probe_timer,
                rng=self._rng,
                stats=self.stats,
            )
            self._limit = self.plpmtud.plpmtu
        else:
            self._limit = mtu
            self.stats["plpmtu"] = mtu
        # PLPMTUD never probes above what the peer announced it reads; a peer that did not
        # announce is probed up to this (default: BASE, i.e. no probing at all).
        self.unannounced_max_plpmtu = (
            mtu if unannounced_max_plpmtu is None else unannounced_max_plpmtu
        )
        self.local_max_packet = local_max_packet
        self._big_high = -1  # highest TSN assigned when a packet > BASE carried DATA
        self._big_bytes = 0  # bytes of such packets since the last loss measurement
        self._rtx_mark = 0  # sender.rtx_bytes at the last loss measurement
        self.oversize_pending = False
        self._rx_crc = HeaderCrc()
        self._tx_crc = HeaderCrc()
        self._reported_unknown = False  # an unknown chunk of this packet was reported

    # -- user calls ------------------------------------------------------------------
    def connect(self, now: float) -> None:
        """Send INIT (RFC 9260 §5.1 A) and start T1-init."""
        if self.state != "closed" or self._terminated:
            raise LocalProtocolError(f"cannot connect in state {self.state}")
        self.local_tag = self._nonzero32()
        self._local_itsn = self._rng.getrandbits(32)
        init = ch.InitChunk(
            self.local_tag,
            self.local_rwnd,
            self.max_outbound_streams,
            self.max_inbound_streams,
            self._local_itsn,
            hs.init_params(self.local_max_packet),
        )
        self._init_chunk = init.serialize()
        self._raw.append(self._packet(0, [self._init_chunk]))
        self.state = "cookie-wait"
        self._t1 = now + self._t1_rto

    def send(
        self,
        stream_id: int,
        ppid: int,
        data: bytes,
        now: float,
        *,
        ordered: bool = True,
        max_retransmits: int | None = None,
        max_lifetime_ms: int | None = None,
    ) -> None:
        """Queue one user message (fragmented to fit the MTU)."""
        if self.state != "established" or self.sender is None or self.reset is None:
            raise LocalProtocolError(f"cannot send in state {self.state}")
        if not 0 <= stream_id < self.outbound_streams:
            raise LocalProtocolError(f"stream {stream_id} not negotiated")
        if not data:
            raise LocalProtocolError("SCTP user messages cannot be empty")
        if len(data) > self.remote_max_message_size:
            raise LocalProtocolError("message larger than the remote max-message-size")
        if self.reset.is_resetting(stream_id):
            raise LocalProtocolError(f"stream {stream_id} is being reset")
        expiry = None if max_lifetime_ms is None else now + max_lifetime_ms / 1000
        self.sender.queue(stream_id, ppid, data, ordered, max_retransmits, expiry)

    @property
    def plpmtu(self) -> int:
        """The largest SCTP packet this association builds now (RFC 8899 PLPMTU)."""
        return self._limit

    def reset_path(self, now: float) -> None:
        """The path changed (RFC 8899 §4.3): back to BASE and search again."""
        if self.plpmtud is not None:
            self.plpmtud.reset_path(now)
            if self.state in _DATA_STATES:
                self.plpmtud.start()
            self._apply_plpmtu()

    def plpmtud_unavailable(self) -> None:
        """Probes cannot be sent with Don't-Fragment on this path: stay at BASE."""
        if self.plpmtud is not None:
            self.plpmtud.disable()
            self._apply_plpmtu()

    def probe_too_big(self, now: float) -> None:
        """The probe just handed out is larger than the local interface allows."""
        if self.plpmtud is not None:
            self.plpmtud.on_too_big(now)

    def buffered_amount(self, stream_id: int) -> int:
        return 0 if self.sender is None else self.sender.buffered.get(stream_id, 0)

    def reset_streams(self, stream_ids: list[int], now: float) -> None:
        """RFC 6525 Outgoing SSN Reset Request, sent once queued data on them is sent."""
        if self.state != "established" or self.reset is None:
            raise LocalProtocolError(f"cannot reset streams in state {self.state}")
        self.reset.request(stream_ids)

    def shutdown(self, now: float) -> None:
        """Graceful close (RFC 9260 §9.2)."""
        if self.state in ("closed", "cookie-wait", "cookie-echoed"):
            if self.state != "closed":
                self._close("shutdown before establishment")
            return
        if self.state == "established":
            self.state = "shutdown-pending"
            self._check_shutdown(now)

    def abort(self, now: float) -> None:
        """Send ABORT (RFC 9260 §9.1) and close at once."""
        if self._terminated or (self.state == "closed" and not self.peer_tag):
            self.state = "closed"
            return
        cause = (ch.CAUSE_USER_INITIATED_ABORT, b"")
        self._raw.append(self._packet(self.peer_tag, [ch.AbortChunk([cause]).serialize()]))
        self._close("abort sent")

    # -- sans-IO verbs ----------------------------------------------------------------
    def next_event(self) -> Event | None:
        if not self._events:
            return None
        event = self._events.popleft()
        if type(event) is DataReceived and self.receiver is not None:
            self.receiver.consumed(len(event.data))
        return event

    def get_timer(self) -> float | None:
        best: float | None = None
        reason: str | None = None
        for deadline, name in self._timers():
            if deadline is not None and (best is None or deadline < best):
                best, reason = deadline, name
        self.timer_reason = reason
        return best

    def _timers(self) -> list[tuple[float | None, str]]:
        timers: list[tuple[float | None, str]] = [
            (self._t1, "sctp.t1-init" if self.state == "cookie-wait" else "sctp.t1-cookie"),
            (self._t2, "sctp.t2-shutdown"),
        ]
        if self.sender is not None:
            timers.append((self.sender.t3_deadline, "sctp.t3-rtx"))
            timers.append((self.sender.tlp_deadline, "sctp.tail-loss-probe"))
            timers.append((self._sack_deadline, "sctp.delayed-sack"))
        if self.reset is not None:
            timers.append((self.reset.deadline, "sctp.reconfig"))
        pl = self.plpmtud
        if pl is not None and pl.deadline is not None:
            timers.append((pl.deadline, pl.reason or "sctp.plpmtud-probe"))
        return timers

    def handle_timer(self, now: float) -> None:
        try:
            self._handle_timers(now)
        except Exception:  # a bug: counted, re-raised in strict mode (rtcpeer._strict)
            count_internal_error(self.stats)

    def _handle_timers(self, now: float) -> None:
        if self._t1 is not None and now >= self._t1:
            self._on_t1(now)
        if self._t2 is not None and now >= self._t2:
            self._on_t2(now)
        s = self.sender
        if s is not None and s.t3_deadline is not None and now >= s.t3_deadline:
            s.t3_deadline = None
            self._check_black_hole(now)
            s.on_t3(now)
        if s is not None and s.tlp_deadline is not None and now >= s.tlp_deadline:
            s.on_tlp(now)
        if self._sack_deadline is not None and now >= self._sack_deadline:
            self._sack_deadline = None
            if self.receiver is not None:
                self.receiver.sack_now = True
        deadline = None if self.reset is None else self.reset.deadline
        if self.reset is not None and deadline is not None and now >= deadline:
            self.reset.on_timer(now)
        pl = self.plpmtud
        if pl is not None and pl.deadline is not None and now >= pl.deadline:
            pl.handle_timer(now)
            if pl.plpmtu != self._limit:
                self._apply_plpmtu()  # a confirmed black hole dropped PLPMTU to BASE

    def _check_black_hole(self, now: float) -> None:
        """RFC 8899 §4.3: T3 with DATA from packets larger than BASE still unacknowledged."""
        pl, s = self.plpmtud, self.sender
        if pl is None or s is None or self._limit <= pl.base or self._big_high <= s.cum_ack:
            return
        if pl.black_hole(now):
            self._apply_plpmtu()

    def _check_big_packet_loss(self, now: float) -> None:
        """Sustained loss of packets above BASE: one PLPMTUD step down (module docstring)."""
        pl, s = self.plpmtud, self.sender
        sent, self._big_bytes = self._big_bytes, 0
        if pl is None or s is None:
            return
        resent, self._rtx_mark = s.rtx_bytes - self._rtx_mark, s.rtx_bytes
        if resent > LOSS_STEP_DOWN * sent and pl.step_down(now):
            self._apply_plpmtu()

    def _apply_plpmtu(self) -> None:
        if self.plpmtud is not None:
            self._limit = self.plpmtud.plpmtu
        if self.sender is not None:
            self.sender.mtu = self._limit

    def _on_t1(self, now: float) -> None:
        """T1-init / T1-cookie expiry (RFC 9260 §5.1 C, §6.3.3 analogue)."""
        self._t1_count += 1
        if self._t1_count > MAX_INIT_RETRANS:
            self._t1 = None
            self._close("association setup timed out")
            return
        self._t1_rto = min(self._t1_rto * 2, RTO_MAX)
        self._t1 = now + self._t1_rto
        if self.state == "cookie-wait" and self._init_chunk is not None:
            self._raw.append(self._packet(0, [self._init_chunk]))
        elif self.state == "cookie-echoed" and self._cookie_chunk is not None:
            self._raw.append(self._packet(self.peer_tag, [self._cookie_chunk]))

    def _on_t2(self, now: float) -> None:
        """T2-shutdown expiry (RFC 9260 §9.2): resend SHUTDOWN or SHUTDOWN-ACK."""
        self._t2_count += 1
        if self._t2_count > MAX_INIT_RETRANS or self.sender is None:
            self._t2 = None
            self._abort_locally("shutdown timed out")
            return
        self.sender.rto = min(self.sender.rto * 2, RTO_MAX)
        self._t2 = now + self.sender.rto
        self._queue_shutdown_chunk()

    # -- receive ----------------------------------------------------------------------
    def receive_datagram(self, data: bytes, now: float) -> None:
        """Process one SCTP packet. Bad input is dropped and counted; never raises."""
        try:
            # Hot path: DATA only, established, our ports and tag (RFC 9260 §8.5); anything
            # else (including bad headers, which are counted there) takes the general path.
            if (
                len(data) > COMMON_HEADER_SIZE
                and data[COMMON_HEADER_SIZE] == 0
                and self.state in _DATA_STATES
                and not self._terminated
            ):
                src, dst, vtag = _COMMON_HEADER.unpack_from(data)
                receiver = self.receiver
                if (
                    dst == self.local_port
                    and src == self.remote_port
                    and vtag == self.local_tag
                    and vtag
                    and receiver is not None
                ):
                    fields = _data_only(data)
                    if fields is not None:
                        self._receive_data_only(data, fields, receiver, now)
                        return
            self._receive(data, now)
        except ValueError:
            self.stats["dropped"] += 1
        except Exception:  # a bug: counted, re-raised in strict mode (rtcpeer._strict)
            self.stats["dropped"] += 1
            count_internal_error(self.stats)

    def _receive(self, data: bytes, now: float) -> None:
        if self._terminated:
            self.stats["dropped"] += 1
            return
        try:
            packet = parse_packet(data)
        except ChecksumError:
            self.stats["bad_checksum"] += 1
            return
        except ValueError:
            self.stats["dropped"] += 1
            return
        self.stats["packets_received"] += 1
        if packet.destination_port != self.local_port or packet.source_port != self.remote_port:
            self.stats["dropped"] += 1
            return
        if not self._vtag_ok(packet.verification_tag, packet.chunks):
            self.stats["bad_vtag"] += 1
            return
        had_data = False
        handlers = _HANDLERS
        self._reported_unknown = False
        for chunk in packet.chunks:
            handler = handlers.get(type(chunk))
            if handler is None:
                if not self._on_unknown(chunk):
                    break
                continue
            if type(chunk) is ch.DataChunk:
                had_data = True
            if not handler(self, chunk, now):
                break
            if self._terminated:
                return
        if had_data and not self._terminated:
            self._after_data(now)

    def _receive_data_only(
        self, data: bytes, fields: list[_DataFields], receiver: Receiver, now: float
    ) -> None:
        """A well-formed packet of DATA chunks only, with our ports and tag, established.

        Same outcome as the general path (checksum, one ``_on_data`` per chunk, then
        ``_after_data``) without a Packet or DataChunk object per chunk.
        """
        stats = self.stats
        cache = self._rx_crc
        head = data[:8]
        crc = cache.crc if head == cache.head else cache.of(head)
        if crc32c_extend(crc, data[COMMON_HEADER_SIZE:]) != _CHECKSUM.unpack_from(data, 8)[0]:
            stats["bad_checksum"] += 1
            return
        stats["packets_received"] += 1
        stats["data_chunks_received"] += len(fields)
        on_data = receiver.on_data_fields
        for tsn, sid, ssn, ppid, user_data, flags in fields:
            on_data(tsn, sid, ssn, ppid, user_data, flags)
        self._after_data(now)

    def _vtag_ok(self, vtag: int, chunks: list[ch.Chunk]) -> bool:
        """Verification tag rules, RFC 9260 §8.5 and §8.5.1."""
        if not chunks:
            return False
        first = chunks[0]
        if type(first) is ch.InitChunk:
            return vtag == 0 and len(chunks) == 1
        if type(first) is ch.CookieEchoChunk and self.state != "established":
            return True  # checked against the cookie (§5.1 D)
        if type(first) in (ch.AbortChunk, ch.ShutdownCompleteChunk) and first.flags & 1:
            return vtag == self.peer_tag and self.peer_tag != 0
        if type(first) is ch.ShutdownAckChunk and self.state in ("cookie-wait", "cookie-echoed"):
            return False
        return vtag == self.local_tag and self.local_tag != 0

    def _on_unknown(self, chunk: ch.Chunk) -> bool:
        """Unknown chunk type, upper two bits (RFC 9260 §3.2). Return False to stop.

        The ERROR echoes the chunk (§3.3.10.6). To never answer with more than was received,
        only the first reportable chunk of a packet is reported, and only if the ERROR fits
        one packet at the PLPMTU; the others are counted in ``unknown_not_reported``.
        """
        self.stats["unknown_chunks"] += 1
        action = chunk.chunk_type >> 6 if isinstance(chunk, ch.UnknownChunk) else 0
        if action in (1, 3) and self.peer_tag:
            cause = (ch.CAUSE_UNRECOGNIZED_CHUNK, chunk.serialize())
            error = ch.ErrorChunk([cause]).serialize()
            if self._reported_unknown or COMMON_HEADER_SIZE + len(error) > self._limit:
                self.stats["unknown_not_reported"] += 1
            else:
                self._reported_unknown = True
                self._control.append(error)
        return action >= 2

    # -- handshake handlers (RFC 9260 §5) -----------------------------------------------
    def _on_init(self, chunk: ch.InitChunk, now: float) -> bool:
        if chunk.initiate_tag == 0 or chunk.outbound_streams == 0 or chunk.inbound_streams == 0:
            self.stats["dropped"] += 1  # §3.3.2: MUST NOT be 0; we silently discard
            return False
        if self.state in ("cookie-wait", "cookie-echoed"):
            tag, itsn = self.local_tag, self._local_itsn  # §5.2.1
        elif self.state == "closed":
            tag, itsn = self._nonzero32(), self._rng.getrandbits(32)
        else:
            self.stats["dropped"] += 1  # restart (§5.2.2) not supported
            return False
        bits = hs.features(chunk.params)
        cookie = hs.make_cookie(self._secret, tag, chunk, itsn, bits, now)
        params = [(ch.PARAM_STATE_COOKIE, cookie), *hs.init_params(self.local_max_packet)]
        params += hs.unrecognized_params(chunk.params)
        ack = ch.InitAckChunk(
            tag, self.local_rwnd, self.max_outbound_streams, self.max_inbound_streams, itsn, params
        )
        self._raw.append(self._packet(chunk.initiate_tag, [ack.serialize()]))
        return False

    def _on_init_ack(self, chunk: ch.InitAckChunk, now: float) -> bool:
        if self.state != "cookie-wait" or chunk.initiate_tag == 0:
            self.stats["dropped"] += 1
            return False
        cookie = next((v for t, v in chunk.params if t == ch.PARAM_STATE_COOKIE), None)
        if cookie is None:
            self.stats["dropped"] += 1
            return False
        self.peer_tag = chunk.initiate_tag
        self._setup(
            chunk.initial_tsn,
            chunk.a_rwnd,
            chunk.outbound_streams,
            chunk.inbound_streams,
            hs.features(chunk.params),
            hs.peer_max_packet(chunk.params),
        )
        self._cookie_chunk = ch.CookieEchoChunk(cookie).serialize()
        self._raw.append(self._packet(self.peer_tag, [self._cookie_chunk]))
        self.state = "cookie-echoed"
        self._t1_rto = RTO_INITIAL
        self._t1_count = 0
        self._t1 = now + self._t1_rto
        return False

    def _on_cookie_echo(self, chunk: ch.CookieEchoChunk, now: float) -> bool:
        state = hs.open_cookie(self._secret, chunk.cookie, now)
        if state is None:
            self.stats["dropped"] += 1  # malformed, forged or stale (§5.1.5; no error cause)
            return False
        tag, ptag, itsn, pitsn, prwnd, pos, pis, _, bits, peer_max = state
        if self.state == "established":
            if tag == self.local_tag and ptag == self.peer_tag:
                self._control.append(ch.CookieAckChunk().serialize())
                return True
            self.stats["dropped"] += 1
            return False
        if self.state != "closed" and tag != self.local_tag:
            self.stats["dropped"] += 1  # only case D of §5.2.4 is supported
            return False
        self.local_tag, self.peer_tag, self._local_itsn = tag, ptag, itsn
        if self.sender is None:
            self._setup(pitsn, prwnd, pos, pis, bits, peer_max)
        self._control.append(ch.CookieAckChunk().serialize())
        self._established()
        return True

    def _on_cookie_ack(self, chunk: ch.CookieAckChunk, now: float) -> bool:
        if self.state == "cookie-echoed":
            self._established()
        return True

    def _setup(
        self, peer_itsn: int, peer_rwnd: int, pos: int, pis: int, features: int, peer_max: int
    ) -> None:
        """Create the data path once the peer's INIT parameters are known."""
        if self.plpmtud is not None:
            # Probe no larger than the peer says it reads (see the module docstring).
            self.plpmtud.limit_max(peer_max or self.unannounced_max_plpmtu)
        self.outbound_streams = min(self.max_outbound_streams, pis)
        self.inbound_streams = min(self.max_inbound_streams, pos)
        self.peer_features = features
        self.sender = Sender(self._local_itsn, peer_rwnd, self._limit)
        self.sender.on_failure = self._abort_locally
        self.receiver = Receiver(peer_itsn, self.local_rwnd, self._deliver)
        self.reset = StreamReset(self, self._local_itsn, peer_itsn)

    def _established(self) -> None:
        self.state = "established"
        self._t1 = None
        self._init_chunk = self._cookie_chunk = None
        if self.plpmtud is not None:
            self.plpmtud.start()
        self._events.append(AssociationEstablished())

    def _deliver(self, stream_id: int, ppid: int, data: bytes) -> None:
        self._events.append(DataReceived(stream_id, ppid, data))

    # -- data path handlers ---------------------------------------------------------------
    def _on_data(self, chunk: ch.DataChunk, now: float) -> bool:
        if self.receiver is None or self.state not in _DATA_STATES:
            self.stats["dropped"] += 1
            return True
        if not chunk.user_data:  # RFC 9260 §6.2: MUST abort with "No User Data" (§3.3.10.9)
            self.stats["no_user_data"] += 1
            cause = (ch.CAUSE_NO_USER_DATA, struct.pack("!I", chunk.tsn))
            self._abort_locally("DATA chunk without user data", cause)
            return False
        self.stats["data_chunks_received"] += 1
        self.receiver.on_data(chunk)
        return True

    def _after_data(self, now: float) -> None:
        """Delayed SACK, RFC 9260 §6.2: every second DATA packet, 200 ms at most."""
        r = self.receiver
        if r is None:
            return
        r.data_packets += 1
        if r.data_packets >= 2:
            r.sack_now = True
        elif self._sack_deadline is None:
            self._sack_deadline = now + DELAYED_SACK
        if self.reset is not None:
            self.reset.check_deferred(now)

    def _on_sack(self, chunk: ch.SackChunk, now: float) -> bool:
        if self.sender is None:
            return True
        self.sender.on_sack(chunk, now)
        if self._big_bytes >= LOSS_WINDOW * self._limit:
            self._check_big_packet_loss(now)
        if self.state in ("shutdown-pending", "shutdown-received"):
            self._check_shutdown(now)
        return True

    def _on_forward_tsn(self, chunk: ch.ForwardTsnChunk, now: float) -> bool:
        if self.receiver is None:
            return True
        self.receiver.on_forward_tsn(chunk)
        if self.reset is not None:
            self.reset.check_deferred(now)
        return True

    def _on_reconfig(self, chunk: ch.ReconfigChunk, now: float) -> bool:
        if self.reset is not None and self.state not in ("closed", "cookie-wait"):
            self.reset.on_chunk(chunk, now)
        return True

    def _on_heartbeat(self, chunk: ch.HeartbeatChunk, now: float) -> bool:
        self._control.append(ch.HeartbeatAckChunk(chunk.params).serialize())
        return True

    def _on_heartbeat_ack(self, chunk: ch.HeartbeatAckChunk, now: float) -> bool:
        pl = self.plpmtud
        if pl is None or self.state not in _DATA_STATES:
            return True
        for typ, info in chunk.params:
            if typ == ch.PARAM_HEARTBEAT_INFO and pl.on_ack(info, now):
                self._apply_plpmtu()
        return True

    def _on_ignore(self, chunk: ch.Chunk, now: float) -> bool:
        return True

    # -- shutdown and abort (RFC 9260 §9) ------------------------------------------------
    def _on_abort(self, chunk: ch.AbortChunk, now: float) -> bool:
        if self.state == "closed" and not self.peer_tag:
            return False
        self._close("abort received")
        return False

    def _on_shutdown(self, chunk: ch.ShutdownChunk, now: float) -> bool:
        if self.sender is None or self.state in ("closed", "cookie-wait", "cookie-echoed"):
            return True
        self.sender.on_cum_ack(chunk.cumulative_tsn, now)
        if self.state == "shutdown-sent":
            self.state = "shutdown-ack-sent"  # simultaneous shutdown (§9.2)
            self._queue_shutdown_chunk()
            self._t2 = now + self.sender.rto
        elif self.state in ("established", "shutdown-pending", "shutdown-received"):
            self.state = "shutdown-received"
            self._check_shutdown(now)
        elif self.state == "shutdown-ack-sent":
            self._queue_shutdown_chunk()
        return True

    def _on_shutdown_ack(self, chunk: ch.ShutdownAckChunk, now: float) -> bool:
        if self.state in ("shutdown-sent", "shutdown-ack-sent"):
            complete = ch.ShutdownCompleteChunk().serialize()
            self._raw.append(self._packet(self.peer_tag, [complete]))
            self._close("shutdown complete")
        return False

    def _on_shutdown_complete(self, chunk: ch.ShutdownCompleteChunk, now: float) -> bool:
        if self.state == "shutdown-ack-sent":
            self._close("shutdown complete")
        return False

    def _check_shutdown(self, now: float) -> None:
        s = self.sender
        if s is None or not s.all_acked() or self._t2 is not None:
            return
        if self.state == "shutdown-pending":
            self.state = "shutdown-sent"
        elif self.state == "shutdown-received":
            self.state = "shutdown-ack-sent"
        else:
            return
        self._queue_shutdown_chunk()
        self._t2 = now + s.rto

    def _queue_shutdown_chunk(self) -> None:
        if self.state == "shutdown-sent" and self.receiver is not None:
            self._control.append(ch.ShutdownChunk(self.receiver.cum & 0xFFFFFFFF).serialize())
        elif self.state == "shutdown-ack-sent":
            self._control.append(ch.ShutdownAckChunk().serialize())

    def _abort_locally(self, reason: str, cause: tuple[int, bytes] | None = None) -> None:
        if self.peer_tag:
            cause = cause or (ch.CAUSE_PROTOCOL_VIOLATION, reason.encode())
            self._raw.append(self._packet(self.peer_tag, [ch.AbortChunk([cause]).serialize()]))
        self._close(reason)

    def _close(self, reason: str) -> None:
        if self._terminated:
            return
        self._terminated = True
        self.state = "closed"
        self._t1 = self._t2 = self._sack_deadline = None
        if self.sender is not None:
            self.sender.t3_deadline = self.sender.tlp_deadline = None
        if self.reset is not None:
            self.reset.deadline = None
        self._events.append(AssociationClosed(reason))

    # -- output -------------------------------------------------------------------------
    def datagrams_to_send(self, now: float) -> list[bytes]:
        """Build packets: control chunks and SACK first, then retransmissions, new DATA."""
        out, self._raw = self._raw, []
        if self._terminated:
            self._control.clear()
            self.stats["packets_sent"] += len(out)
            return out
        if self.state in _DATA_STATES and self.sender is not None:
            self._collect_control(now)
        if self._control:
            out += self._bundle(self._control, now)
            self._control = []
        elif self.sender is not None and self.state in _SEND_STATES:
            out += self._bundle([], now)
        self._emit_buffered()
        self.stats["packets_sent"] += len(out)
        return out

    def _collect_control(self, now: float) -> None:
        s, r = self.sender, self.receiver
        assert s is not None and r is not None
        if r.sack_now:
            self._control.insert(0, r.build_sack().serialize())
            self._sack_deadline = None
            self.stats["sacks_sent"] += 1
        if s.forward_tsn_needed and self.peer_features & hs.EXT_FWD:
            fwd = s.forward_tsn(now)
            if fwd is not None:
                self._control.append(fwd.serialize())
        if self.reset is not None:
            self.reset.flush(now)
        if self.state in ("shutdown-pending", "shutdown-received"):
            self._check_shutdown(now)

    def _bundle(self, control: list[bytes], now: float) -> list[bytes]:
        limit = self._limit
        budget_total = limit - COMMON_HEADER_SIZE
        base = limit if self.plpmtud is None else self.plpmtud.base
        packets: list[bytes] = []
        sender = self.sender if self.state in _SEND_STATES else None
        pending = list(control)
        head = pack_header(self.local_port, self.remote_port, self.peer_tag)
        head_crc = self._tx_crc.of(head)
        while True:
            parts: list[bytes] = []
            budget = budget_total
            while pending and (len(pending[0]) <= budget or not parts):
                c = pending.pop(0)
                parts.append(c)
                budget -= len(c)
            n_control = len(parts)
            if sender is not None and not pending and budget > 16:
                parts += sender.next_chunks(now, budget, alone=not parts)
            if not parts:
                return packets
            packet = finish_packet(head, head_crc, parts)
            if len(packet) > base and len(parts) > n_control and sender is not None:
                self._big_high = sender.next_tsn - 1
                self._big_bytes += len(packet)
                if len(packet) > limit:
                    self.oversize_pending = True
            packets.append(packet)

    def probe_datagrams_to_send(self, now: float) -> list[bytes]:
        """The PLPMTUD probe packet due now, if any (RFC 8899 §6.2: HEARTBEAT + PAD).

        Send it with the Don't-Fragment behaviour; its timer starts now. A probe is never
        bundled with DATA and is never retransmitted as such (a lost probe is a new probe).
        """
        pl = self.plpmtud
        if pl is None or self.sender is None or self.state not in _SEND_STATES:
            return []
        probe = pl.next_probe(now, self.sender.rto)
        if probe is None:
            return []
        size, info = probe
        hb = ch.HeartbeatChunk([(ch.PARAM_HEARTBEAT_INFO, info)]).serialize()
        pad = ch.PadChunk(size - COMMON_HEADER_SIZE - len(hb) - 4).serialize()
        self.stats["packets_sent"] += 1
        return [self._packet(self.peer_tag, [hb, pad])]

    def _emit_buffered(self) -> None:
        s = self.sender
        if s is None or not s.changed_streams:
            return
        for sid in sorted(s.changed_streams):
            self._events.append(BufferedAmountChanged(sid, s.buffered.get(sid, 0)))
        s.changed_streams.clear()

    def _packet(self, vtag: int, parts: list[bytes]) -> bytes:
        return serialize_packet(self.local_port, self.remote_port, vtag, parts, self._tx_crc)

    def _nonzero32(self) -> int:
        return self._rng.randrange(1, 1 << 32)


_DATA_STATES = frozenset(
    ("established", "shutdown-pending", "shutdown-sent", "shutdown-received", "shutdown-ack-sent")
)
_SEND_STATES = frozenset(("established", "shutdown-pending", "shutdown-received"))


_DataFields = tuple[int, int, int, int, bytes, int]  # tsn, sid, ssn, ppid, user data, flags
_COMMON_HEADER = struct.Struct("!HHI")
_CHECKSUM = struct.Struct("<I")  # RFC 9260 Appendix A: CRC32c stored little-endian
_DATA_CHUNK = struct.Struct("!BBHIHHI")  # type, flags, length, tsn, stream id, ssn, ppid


def _data_only(data: bytes) -> list[_DataFields] | None:
    """The DATA chunks of a packet made only of well-formed DATA chunks, else None (the
    general parser then handles it, errors included)."""
    fields: list[_DataFields] = []
    pos, end = COMMON_HEADER_SIZE, len(data)
    unpack = _DATA_CHUNK.unpack_from
    while pos < end:
        if end - pos < 16:
            return None
        typ, flags, length, tsn, sid, ssn, ppid = unpack(data, pos)
        if typ != 0 or length <= 16 or pos + length > end:  # empty DATA: general path
            return None
        fields.append((tsn, sid, ssn, ppid, data[pos + 16 : pos + length], flags))
        pos += (length + 3) & ~3
    return fields


_HANDLERS: dict[type[ch.Chunk], Handler] = {
    ch.DataChunk: Association._on_data,
    ch.InitChunk: Association._on_init,
    ch.InitAckChunk: Association._on_init_ack,
    ch.SackChunk: Association._on_sack,
    ch.HeartbeatChunk: Association._on_heartbeat,
    ch.HeartbeatAckChunk: Association._on_heartbeat_ack,
    ch.AbortChunk: Association._on_abort,
    ch.ShutdownChunk: Association._on_shutdown,
    ch.ShutdownAckChunk: Association._on_shutdown_ack,
    ch.ErrorChunk: Association._on_ignore,
    ch.CookieEchoChunk: Association._on_cookie_echo,
    ch.CookieAckChunk: Association._on_cookie_ack,
    ch.ShutdownCompleteChunk: Association._on_shutdown_complete,
    ch.ForwardTsnChunk: Association._on_forward_tsn,
    ch.ReconfigChunk: Association._on_reconfig,
    ch.PadChunk: Association._on_ignore,
}
