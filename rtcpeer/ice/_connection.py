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
* ``Connection.query_consent`` (overridden: no-op), ``data_received`` (overridden);
* ``CandidatePair`` (``protocol``, ``remote_candidate``, ``remote_addr``, ``local_candidate``),
  ``StunProtocol`` (``local_candidate``, ``transport``, ``request``, ``receiver``,
  ``datagram_received``: extended by :class:`FastStunProtocol`).
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
from typing import Any

import aioice
from aioice import stun
from aioice.ice import CandidatePair, StunProtocol

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


class FastStunProtocol(StunProtocol):
    """aioice's StunProtocol with a cheaper receive path (the data path runs through here).

    * RFC 7983 first-byte demux: only 0..3 can start a STUN message, so anything else (DTLS,
      SRTP) goes straight to the connection without ``stun.parse_message`` failing on it.
    * ``drain=True`` (host sockets only, not TURN relays): asyncio reads one datagram per
      socket wake-up and loop iteration; this reads up to ``RECV_BATCH - 1`` more that are
      already queued, through a ``dup()`` of the socket, so a burst of datagrams costs one
      loop iteration and the driver's coalesced flush answers it with one SACK.
    """

    def __init__(self, receiver: aioice.Connection, *, drain: bool = False) -> None:
        super().__init__(receiver)
        self._drain = drain
        self._rx: socket.socket | None = None

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
        self._one(data, addr)
        rx = self._rx
        if rx is None:
            return
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

    def _one(self, data: bytes | str, addr: tuple[Any, ...]) -> None:
        if data and isinstance(data, bytes) and data[0] > 3:
            self.receiver.data_received(data, self.local_candidate.component)
        else:
            super().datagram_received(data, addr)


class AgentConnection(aioice.Connection):
    """aioice Connection with trickled local candidates and a synchronous data callback."""

    def __init__(
        self,
        *,
        ice_controlling: bool,
        transport_policy: aioice.TransportPolicy,
        on_data: Callable[[bytes], None],
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
        self.failure_grace = failure_grace
        self.on_completed = on_completed
        self._grace: asyncio.TimerHandle | None = None
        self._grace_over = False
        self.remote_checked = asyncio.Event()  # set by the first check from the peer

    # -- hot path -----------------------------------------------------------------------------

    def data_received(self, data: bytes, component: int) -> None:
        self.rx_packets += 1
        self.rx_bytes += len(data)
        self.on_data(data)

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
        """aioice's handling, except for an authenticated check from a peer that restarted
        ICE and pairs its new candidates with ours of this (older) generation: USERNAME
        ``<our ufrag>:<a remote ufrag that is not this generation's>``. aioice answers an
        unsigned 401; Chromium drops unsigned error responses to a signed request, so it
        keeps retrying that pair as if unanswered and never checks the new-generation pairs:
        its ICE restart never completes. The request is authenticated (our ufrag, our
        password), so a *signed* 400 is answered, and Chromium destroys the stale pair at
        once (RFC 8445 §9: after a restart only the new credentials pair)."""
        username = message.attributes.get("USERNAME")
        if (
            not self._closing
            and self.remote_username is not None
            and message.message_class == stun.Class.REQUEST
            and isinstance(username, str)
            and "MESSAGE-INTEGRITY" in message.attributes
        ):
            local_ufrag, colon, remote_ufrag = username.partition(":")
            if (
                colon == ":"
                and local_ufrag == self.local_username
                and remote_ufrag != self.remote_username
                and message.check_message_integrity(self.local_password.encode("utf8"))
            ):
                error = stun.Message(
                    message_method=message.message_method,
                    message_class=stun.Class.ERROR,
                    transaction_id=message.transaction_id,
                )
                error.attributes["ERROR-CODE"] = (400, "Stale ICE generation")
                error.add_message_integrity(self.local_password.encode("utf8"))
                protocol.send_stun(error, addr)
                return
        super().request_received(message, addr, protocol)
        self.remote_checked.set()

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
