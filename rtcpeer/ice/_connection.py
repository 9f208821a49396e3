"""A subclass of :class:`aioice.Connection` that the agent drives itself.

aioice owns the sockets, the check list and the STUN transactions; this subclass changes how
local candidates arrive (one at a time, from :mod:`rtcpeer.ice._gather`, instead of
``gather_candidates()``), how data leaves it (a synchronous callback instead of a queue) and
removes its consent task (the agent runs RFC 7675 itself).

Private aioice 0.13 members relied on (re-check on upgrade):

* ``Connection._local_candidates``, ``_local_candidates_start``, ``_local_candidates_end``:
  set so that ``connect()`` may start before local gathering ends;
* ``Connection._protocols`` (local sockets), ``_check_list``, ``_find_pair``,
  ``_remote_candidates``, ``_check_list_done``, ``_early_checks_done``,
  ``_check_list_maybe_complete``, ``_check_list_maybe_fail``, ``_remote_candidates_expected``
  (overridden: no failure while local gathering runs), ``_remote_candidates_end``,
  ``_closing``, ``_nominated``;
* ``Connection.query_consent`` (overridden: no-op), ``data_received`` (overridden),
  ``check_state`` and ``check_incoming`` (extended: they validate remote addresses),
  ``_early_checks``;
* ``CandidatePair`` (``protocol``, ``remote_candidate``, ``remote_addr``, ``local_candidate``),
  ``StunProtocol`` (``local_candidate``, ``transport``, ``request``, ``receiver``,
  ``transactions``, ``datagram_received``: replaced by :class:`FastStunProtocol`).

What aioice does while a connection is idle (checked in 0.13): nothing. ``connect()`` paces
checks with a 20 ms ``asyncio.sleep`` loop, which ends once the check list completes or fails;
its consent task (a sleep loop, one per connection) is disabled here; a STUN transaction arms
one ``call_later`` per (re)transmission and is gone when answered. So an idle connected
agent's only periodic work is its own consent check (see :mod:`rtcpeer.ice._consent`).

Validated remote addresses (RFC 8445 §7.2.5.3, §7.3.1.4; RFC 7675 §5.1)
    Non-STUN datagrams (DTLS, SRTP/SRTCP, and whatever else) are delivered upward only from a
    remote address that passed a connectivity check on the local socket they arrived on:
    a check of ours that succeeded on that pair, or an authenticated check from the peer
    (either direction; peer-reflexive remotes included). On a TURN relay the address is the
    peer's, as the relay reports it. Anything else is dropped and counted
    (``AgentConnection.unvalidated_datagrams``): an off-path attacker who does not know the
    ICE password cannot inject a DTLS alert into the handshake. One set lookup per datagram.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import socket
import sys
from collections.abc import Callable
from typing import Any, cast

import aioice
from aioice import stun
from aioice.ice import CandidatePair, StunProtocol

from rtcpeer.ice._stun import encode_signed
from rtcpeer.sctp.plpmtud import ProbeResult

logger = logging.getLogger(__name__)

# Datagrams read per socket wake-up (the first by asyncio, the rest by FastStunProtocol).
RECV_BATCH = 64
_RECV_SIZE = 65536

# Linux <netinet/in.h>, <linux/in6.h> (Python 3.11's socket module lacks them):
# IP_MTU_DISCOVER / IPV6_MTU_DISCOVER, and their IP_PMTUDISC_DONT / IP_PMTUDISC_PROBE values.
_MTU_DISCOVER = {
    socket.AF_INET: (socket.IPPROTO_IP, 10),
    socket.AF_INET6: (socket.IPPROTO_IPV6, 23),
}
_PMTUDISC_DONT = 0
_PMTUDISC_PROBE = 3

_ANSWERS = (stun.Class.RESPONSE, stun.Class.ERROR)


class FastStunProtocol(StunProtocol):
    """aioice's StunProtocol with a cheaper receive path (the data path runs through here).

    * RFC 7983 first-byte demux: only 0..3 can start a STUN message, so anything else (DTLS,
      SRTP) goes straight to the connection without ``stun.parse_message`` failing on it.
    * ``drain=True`` (host sockets only, not TURN relays): asyncio reads one datagram per
      socket wake-up and loop iteration; this reads up to ``RECV_BATCH - 1`` more that are
      already queued, through a ``dup()`` of the socket, so a burst of datagrams costs one
      loop iteration and the driver's coalesced flush answers it with one SACK.
    """

    def __init__(self, receiver: AgentConnection, *, drain: bool = False) -> None:
        super().__init__(receiver)
        self._conn = receiver
        self._drain = drain
        self._rx: socket.socket | None = None
        # Remote addresses that passed a connectivity check on this socket (module docstring).
        self.validated: set[tuple[str, int]] = set()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        sock = transport.get_extra_info("socket") if self._drain else None
        if sock is not None:
            try:
                self._rx = socket.socket(fileno=os.dup(sock.fileno()))
                self._rx.setblocking(False)
            except OSError:  # pragma: no cover - fd exhaustion; one datagram per wake-up
                self._rx = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._rx is not None:
            self._rx.close()
            self._rx = None
        super().connection_lost(exc)

    def datagram_received(self, data: bytes | str, addr: tuple[Any, ...]) -> None:
        assert isinstance(data, bytes)
        self._one(data, addr)
        rx = self._rx
        if rx is None or not data or data[0] <= 3:
            return  # a STUN message comes alone (checks, consent): no read to try for more
        transport = self.transport
        for _ in range(RECV_BATCH - 1):
            if transport.is_closing():
                return
            try:
                data, addr = rx.recvfrom(_RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self.error_received(exc)
                return
            self._one(data, addr)

    def send_df(self, data: bytes, addr: tuple[Any, ...], *, df: bool) -> ProbeResult:
        """Send one datagram with Don't-Fragment set and the path MTU cache ignored
        (``df=True``: a PLPMTUD probe, RFC 8899 §4.5) or with fragmentation allowed
        (``df=False``: a packet larger than the current PLPMTU, RFC 9260 §7.3).

        The socket option is set for this one ``sendto`` and restored (single-threaded, so no
        other send sees it). ``"too-big"``: the datagram exceeds the local interface MTU
        (``EMSGSIZE``). ``"unavailable"``: not a host UDP socket of ours, or not Linux.
        """
        rx = self._rx
        opt = _MTU_DISCOVER.get(rx.family) if rx is not None else None
        if rx is None or opt is None or sys.platform != "linux" or self.transport.is_closing():
            return "unavailable"
        level, name = opt
        try:
            old = rx.getsockopt(level, name)
            rx.setsockopt(level, name, _PMTUDISC_PROBE if df else _PMTUDISC_DONT)
        except OSError:
            return "unavailable"
        try:
            rx.sendto(data, addr)
        except OSError as exc:
            if exc.errno == errno.EMSGSIZE:
                return "too-big"
            if not isinstance(exc, BlockingIOError | InterruptedError):
                self.error_received(exc)
            # a full socket buffer: the datagram is simply lost
        finally:
            with contextlib.suppress(OSError):
                rx.setsockopt(level, name, old)
        return "sent"

    def _one(self, data: bytes, addr: tuple[Any, ...]) -> None:
        if data and data[0] > 3:  # RFC 7983 §7: 0..3 is STUN, the rest goes upward
            self._deliver(data, addr)
            return
        try:
            message = stun.parse_message(data)
        except ValueError:
            self._deliver(data, addr)
            return
        remote = (addr[0], addr[1])  # an IPv6 four-tuple as a two-tuple
        if message.message_class in _ANSWERS:
            transaction = self.transactions.get(message.transaction_id)
            if transaction is not None:
                transaction.response_received(message, remote)
        elif message.message_class == stun.Class.REQUEST:
            self.receiver.request_received(message, remote, self)

    def _deliver(self, data: bytes, addr: tuple[Any, ...]) -> None:
        validated = self.validated
        if addr in validated or (len(addr) > 2 and (addr[0], addr[1]) in validated):
            self._conn.data_received(data, 1)
        elif data:  # an empty datagram is nothing (not counted, as the driver does)
            self._conn.unvalidated_datagrams += 1


class ConsentCheck:
    """One consent Binding request (RFC 7675 §5.1) without a task or timer of its own.

    It sits in the socket's STUN transaction table until a response arrives or
    :meth:`forget` is called (the agent does when it sends the next check); the agent's one
    consent timer decides when silence means ``disconnected``. Never retransmitted (§5.1:
    consent checks are not; the next one comes an interval later). A response counts when it
    comes from the address asked and is signed with the peer's password (RFC 8445 §7.2.5.2.1,
    RFC 8489 §9.1.4).
    """

    def __init__(
        self,
        protocol: StunProtocol,
        request: stun.Message,
        addr: tuple[str, int],
        key: bytes,
        on_answer: Callable[[], None],
    ) -> None:
        self._protocol = protocol
        self._id = request.transaction_id
        self._addr = addr
        self._key = key
        self._on_answer: Callable[[], None] | None = on_answer
        cast(dict[bytes, Any], protocol.transactions)[self._id] = self
        protocol.transport.sendto(encode_signed(request, key), addr)

    def response_received(self, message: stun.Message, addr: tuple[str, int]) -> None:
        if addr != self._addr or not message.check_message_integrity(self._key):
            return  # not an answer to this check: keep waiting
        on_answer = self._on_answer
        self.forget()
        if message.message_class == stun.Class.RESPONSE and on_answer is not None:
            on_answer()

    def forget(self) -> None:
        self._on_answer = None
        self._protocol.transactions.pop(self._id, None)


class AgentConnection(aioice.Connection):
    """aioice Connection with trickled local candidates and a synchronous data callback."""

    def __init__(
        self,
        *,
        ice_controlling: bool,
        transport_policy: aioice.TransportPolicy,
        on_data: Callable[[bytes], None],
        clock: Callable[[], float],
        failure_grace: float = 10.0,
        on_completed: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(
            ice_controlling=ice_controlling,
            components=1,
            transport_policy=transport_policy,
        )
        # Local candidates are added by the agent; connect() may start at once.
        self._local_candidates_start = True
        self._local_candidates_end = True
        self.local_gathering = True
        self.on_data: Callable[[bytes], None] = on_data
        self.rx_packets = 0
        self.rx_bytes = 0
        self.unvalidated_datagrams = 0
        self.clock = clock  # the event loop's clock (the agent's)
        self.last_rx = 0.0  # clock() when the newest datagram arrived (consent freshness)
        # Called once, by the next datagram, then cleared (the agent sets it while
        # ``disconnected`` so that traffic recovers at once, without a per-packet timer).
        self.on_next_rx: Callable[[], None] | None = None
        self.failure_grace = failure_grace
        self.on_completed = on_completed
        self._grace: asyncio.TimerHandle | None = None
        self._grace_over = False
        self.remote_checked = asyncio.Event()  # set by the first check from the peer

    # -- hot path -----------------------------------------------------------------------------

    def data_received(self, data: bytes, component: int) -> None:
        """A datagram from a validated remote address (see :class:`FastStunProtocol`)."""
        self.rx_packets += 1
        self.rx_bytes += len(data)
        self.last_rx = self.clock()
        if self.on_next_rx is not None:
            wake, self.on_next_rx = self.on_next_rx, None
            wake()
        self.on_data(data)

    # -- validated remote addresses (module docstring) ----------------------------------------

    def check_state(self, pair: CandidatePair, state: CandidatePair.State) -> None:
        """aioice's, plus: a pair whose check succeeded validates its remote address."""
        super().check_state(pair, state)
        if state == CandidatePair.State.SUCCEEDED:
            _validate(pair.protocol, pair.remote_addr)

    def check_incoming(
        self, message: stun.Message, addr: tuple[str, int], protocol: StunProtocol
    ) -> None:
        """aioice's, plus: an authenticated check from the peer validates its address."""
        _validate(protocol, addr)
        super().check_incoming(message, addr, protocol)

    # -- behaviour changes --------------------------------------------------------------------

    async def query_consent(self) -> None:
        """Disabled: the agent implements RFC 7675 itself (aioice would close on expiry)."""
        return None

    def _check_list_maybe_complete(self) -> bool:
        """aioice's completion, reported at once: ``connect()`` itself only returns at the
        next tick of its 20 ms pacing loop, which would delay "connected" by up to 20 ms."""
        was_done = self._check_list_done
        complete: bool = super()._check_list_maybe_complete()
        if complete and not was_done and self.on_completed is not None:
            self.on_completed()
        return complete

    def _add_remote_candidate(self, remote_candidate: aioice.Candidate, network_host: str) -> None:
        super()._add_remote_candidate(remote_candidate, network_host)
        self._kick()

    def _kick(self) -> None:
        """Check a newly formed pair now rather than at the next 20 ms pacing tick, when no
        check is in flight (the pacing of RFC 8445 §6.1.4.2 spaces checks out; it does not
        ask to wait before the first one)."""
        if self._closing or self._check_list_done or not self._early_checks_done:
            return
        in_flight = CandidatePair.State.IN_PROGRESS
        if not any(p.state == in_flight for p in self._check_list):
            self._check_periodic()

    def request_received(
        self, message: stun.Message, addr: tuple[str, int], protocol: StunProtocol
    ) -> None:
        """An incoming check (RFC 8445 §7.3). The common case, an authenticated Binding request
        without a role conflict (every consent check of the peer), is answered here with one
        encoding pass (:mod:`rtcpeer.ice._stun`), then goes to aioice's ``check_incoming``.
        Everything else (errors to answer, role conflicts to repair) is aioice's handling,
        except for an authenticated check from a peer that restarted ICE and pairs its new
        candidates with ours of this (older) generation: USERNAME ``<our ufrag>:<a remote
        ufrag that is not this generation's>``. aioice answers an unsigned 401; Chromium drops
        unsigned error responses to a signed request, so it keeps retrying that pair as if
        unanswered and never checks the new-generation pairs: its ICE restart never
        completes. The request is authenticated (our ufrag, our password), so a *signed* 400
        is answered, and Chromium destroys the stale pair at once (RFC 8445 §9: after a
        restart only the new credentials pair)."""
        if self._closing:
            return
        attributes = message.attributes
        username = attributes.get("USERNAME")
        if (
            message.message_method != stun.Method.BINDING
            or not isinstance(username, str)
            or "MESSAGE-INTEGRITY" not in attributes
        ):
            self._by_aioice(message, addr, protocol)  # aioice answers 400
            return
        local_ufrag, colon, remote_ufrag = username.partition(":")
        key = self.local_password.encode("utf8")
        if (
            colon != ":"
            or local_ufrag != self.local_username
            or not message.check_message_integrity(key)
        ):
            self._by_aioice(message, addr, protocol)  # aioice answers 401
            return
        if self.remote_username is not None and remote_ufrag != self.remote_username:
            self._answer(message, addr, protocol, key, (400, "Stale ICE generation"))
            return
        role = "ICE-CONTROLLING" if self.ice_controlling else "ICE-CONTROLLED"
        if role in attributes:
            self._by_aioice(message, addr, protocol)  # role conflict, §7.3.1.1
            return
        self.remote_checked.set()
        self._answer(message, addr, protocol, key, None)
        _validate(protocol, addr)
        if not self._early_checks_done:
            self._early_checks.append((message, addr, protocol))  # until connect(), §7.3
        else:
            self.check_incoming(message, addr, protocol)

    def _by_aioice(
        self, message: stun.Message, addr: tuple[str, int], protocol: StunProtocol
    ) -> None:
        super().request_received(message, addr, protocol)
        if self._early_checks and self._early_checks[-1][0] is message:
            _validate(protocol, addr)  # authenticated, kept for connect() (RFC 8445 §7.3)
        self.remote_checked.set()

    @staticmethod
    def _answer(
        request: stun.Message,
        addr: tuple[str, int],
        protocol: StunProtocol,
        key: bytes,
        error: tuple[int, str] | None,
    ) -> None:
        """A signed Binding success response (with XOR-MAPPED-ADDRESS) or error response."""
        response = stun.Message(
            message_method=request.message_method,
            message_class=stun.Class.RESPONSE if error is None else stun.Class.ERROR,
            transaction_id=request.transaction_id,
        )
        if error is None:
            response.attributes["XOR-MAPPED-ADDRESS"] = addr
        else:
            response.attributes["ERROR-CODE"] = error
        protocol.transport.sendto(encode_signed(response, key), addr)

    def _prune_components(self) -> None:
        """Never prune: there is one component (rtcp-mux), and a peer that signalled no
        candidate at all can still be learned as peer-reflexive from its checks."""

    async def close(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
        await super().close()

    def _remote_candidates_expected(self) -> bool:
        """Whether new pairs may still appear, so the check list must not fail yet.

        * While local candidates are still being gathered (RFC 8838 section 8, applied
          locally).
        * For ``failure_grace`` seconds after both sides ended their candidates: a peer that
          shares no usable candidate (a browser hiding its addresses behind mDNS names it
          cannot publish, or whose end-of-candidates overtakes its first check) still reaches
          us, and its checks create peer-reflexive pairs (RFC 8445 section 7.3.1.3).
          Browsers wait for those too. aioice consults this both in ``connect()``'s pacing
          loop and before failing the check list.
        """
        if self.local_gathering or super()._remote_candidates_expected():
            return True
        if self._grace_over:
            return False
        if self._grace is None:
            self._grace = asyncio.get_running_loop().call_later(
                self.failure_grace, self._grace_expired
            )
        return True

    def _grace_expired(self) -> None:
        self._grace_over = True
        if self._closing or self._check_list_done or not self._early_checks_done:
            return
        if not self._check_list_maybe_complete():
            self._check_list_maybe_fail()

    # -- local candidates ---------------------------------------------------------------------

    def add_local_protocol(self, protocol: StunProtocol) -> None:
        """Register a bound socket (host or relay) and pair it with known remote candidates."""
        self._protocols.append(protocol)
        self._local_candidates.append(protocol.local_candidate)
        if self._closing:
            return
        added = False
        for remote in self._remote_candidates:
            if protocol.local_candidate.can_pair_with(remote) and not self._find_pair(
                protocol, remote
            ):
                self._check_list.append(CandidatePair(protocol, remote))
                added = True
        if added:
            self.sort_check_list()
            self._kick()

    def add_local_candidate(self, candidate: aioice.Candidate) -> None:
        """Register a candidate without its own socket (server-reflexive)."""
        self._local_candidates.append(candidate)

    def end_local_gathering(self) -> None:
        self.local_gathering = False
        if self._closing or self._check_list_done or not self._early_checks_done:
            return
        if not self._check_list_maybe_complete():
            self._check_list_maybe_fail()

    # -- accessors ----------------------------------------------------------------------------

    @property
    def selected(self) -> CandidatePair | None:
        return self._nominated.get(1)

    @property
    def remote_end(self) -> bool:
        return bool(self._remote_candidates_end)

    @property
    def closing(self) -> bool:
        return bool(self._closing)


def _validate(protocol: StunProtocol, addr: tuple[str, int]) -> None:
    if isinstance(protocol, FastStunProtocol):
        protocol.validated.add((addr[0], addr[1]))
