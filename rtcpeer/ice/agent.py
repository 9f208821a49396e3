"""IceAgent: trickle ICE, multi-server gathering, consent freshness and ICE restart over aioice.

This is the one layer that is not sans-IO: aioice owns its sockets. Callbacks are plain
synchronous callables, called from the event loop.

Generations and ICE restart (RFC 8445 section 9)
    Every set of local credentials is a *generation*: one :class:`AgentConnection` (an aioice
    Connection) with its own sockets, candidates and check list. ``restart()`` creates a
    *pending* generation with fresh ufrag/pwd and gathers for it (``local_ufrag``/``local_pwd``
    now return the new values, to be put in the next offer/answer); the *current* generation
    keeps carrying data. ``set_remote_credentials()`` with a ufrag different from the current
    remote one gives the credentials to the pending generation (creating it first if the
    remote peer restarted on its own) and, once ``start()`` has been called, starts its checks.
    When the pending generation nominates a pair, sending switches to it at once, the state
    stays connected, and the old generation is closed ``retire_delay`` seconds later (its
    sockets keep delivering what the peer still sends on the old path meanwhile). While
    controlled with a working pair, a restarted generation sends no checks of its own until
    the peer's first check arrives (or ``restart_check_delay`` passes): see ``_connect``.

Remote candidates
    A candidate with ``ufrag`` goes to the generation with that remote ufrag (else to a
    pending generation still waiting for remote credentials, else dropped and counted).
    Without one, it goes to the newest generation that has remote credentials (or to the
    current one before any credentials are known).

State (W3C RTCIceTransportState), as derived here
    ``new`` -> ``checking`` when checks start (``start()`` with remote credentials) ->
    ``connected`` when a pair is nominated -> ``completed`` when, in addition, local gathering
    is complete and the remote side signalled end-of-candidates (aioice stops checking other
    pairs once one is nominated) -> ``disconnected`` when nothing (data or a consent response)
    came from the peer for ``disconnected_timeout`` seconds -> back to connected/completed
    when traffic resumes, or ``failed`` after ``consent_timeout`` seconds (RFC 7675 section
    5.1: 30 s) or when every check failed after end-of-candidates on both sides and
    ``failure_grace`` seconds (10 s) passed without a check from the peer creating a new
    (peer-reflexive) pair. ``failed``
    stops sending; ``restart()`` may recover. ``closed`` after ``close()``.

Sending before a pair is selected
    A peer that is ahead (its checks succeeded, ours not yet) can send DTLS before we have
    selected a pair; our answer to it (a DTLS server's first flight) used to be dropped, and
    the handshake waited a second for the peer's retransmission. ``send()`` without a selected
    pair therefore holds up to ``HOLD_MAX_DATAGRAMS`` / ``HOLD_MAX_BYTES`` and sends them, in
    order, when the first pair is selected; the excess, and what is still held at failure or
    close, is counted in ``stats["dropped_datagrams"]``. RFC 8445 §12.1.1: once selected, data
    goes on the selected pair only.

Consent freshness (RFC 7675) is done here, not by aioice (its task is disabled): a Binding
request on the selected pair every ``consent_interval`` seconds, randomized by 0.8-1.2, and
the silence deadlines above, all as one ``loop.call_at`` timer (:mod:`rtcpeer.ice._consent`).

One clock
    Every time the agent reads or arms is the event loop's (``loop.time()``, ``call_at``,
    ``call_later``), so ICE runs unchanged on an event loop with a virtual clock.

Off-path datagrams
    DTLS/SRTP/SCTP datagrams from a remote address that did not pass a connectivity check are
    dropped and counted (``unvalidated_datagrams``); see :mod:`rtcpeer.ice._connection`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
from collections.abc import Callable, Sequence
from typing import Any, Literal

import aioice
from aioice.ice import CandidatePair, get_host_addresses

from rtcpeer.errors import InvalidStateError
from rtcpeer.ice._connection import AgentConnection, ConsentCheck, FastStunProtocol
from rtcpeer.ice._consent import ConsentClock, ConsentVerdict
from rtcpeer.ice._gather import Gatherer, IceCandidateError
from rtcpeer.ice.candidate import IceCandidateInfo, from_aioice, to_aioice
from rtcpeer.ice.servers import IceServer, parse_servers
from rtcpeer.sctp.plpmtud import ProbeResult

logger = logging.getLogger(__name__)

# send() before the first selected pair: held for it (a DTLS flight is 1-4 datagrams).
HOLD_MAX_DATAGRAMS = 8
HOLD_MAX_BYTES = 16384

IceTransportState = Literal[
    "new", "checking", "connected", "completed", "disconnected", "failed", "closed"
]
IceGatheringState = Literal["new", "gathering", "complete"]


class _Generation:
    """One set of local credentials: an aioice connection plus its gathering/check tasks."""

    def __init__(self, number: int, conn: AgentConnection) -> None:
        self.number = number
        self.conn = conn
        self.remote_ufrag: str | None = None
        self.gather_task: asyncio.Task[None] | None = None
        self.gatherer: Gatherer | None = None
        self.gathering_done = False
        self.connect_task: asyncio.Task[None] | None = None
        self.nominated = False
        self.failed = False
        self.local: list[IceCandidateInfo] = []

    @property
    def ufrag(self) -> str:
        return self.conn.local_username


class IceAgent:
    """ICE agent for one BUNDLE transport (one component, rtcp-mux)."""

    def __init__(
        self,
        *,
        servers: Sequence[IceServer],
        transport_policy: Literal["all", "relay"] = "all",
        controlling: bool,
        on_candidate: Callable[[IceCandidateInfo | None], None],
        on_state_change: Callable[[str], None],
        on_datagram: Callable[[bytes], None],
        on_candidate_error: Callable[[IceCandidateError], None],
        on_gathering_state_change: Callable[[str], None] | None = None,
        turn_ssl_context: ssl.SSLContext | None = None,
        use_ipv6: bool = True,
        host_addresses: Sequence[str] | None = None,
        server_timeout: float = 5.0,
        consent_interval: float = 5.0,
        disconnected_timeout: float = 5.0,
        consent_timeout: float = 30.0,
        retire_delay: float = 2.0,
        failure_grace: float = 10.0,
        keep_redundant_srflx: bool = False,
        restart_check_delay: float = 2.0,
    ) -> None:
        urls = parse_servers(servers)  # raises SyntaxError_/InvalidAccessError at once
        if transport_policy not in ("all", "relay"):
            raise TypeError(f"invalid transport policy {transport_policy!r}")
        self._stun_urls = [u for u in urls if u.kind == "stun"]
        self._turn_urls = [u for u in urls if u.kind == "turn"]
        self._policy = transport_policy
        self._controlling = controlling
        self._on_candidate = on_candidate
        self._on_state_change = on_state_change
        self._on_datagram = on_datagram
        self._on_candidate_error = on_candidate_error
        self._on_gathering_state_change = on_gathering_state_change
        self._ssl = turn_ssl_context
        self._use_ipv6 = use_ipv6
        self._host_addresses = list(host_addresses) if host_addresses is not None else None
        self._server_timeout = server_timeout
        self._retire_delay = retire_delay
        self._failure_grace = failure_grace
        self._restart_check_delay = restart_check_delay
        self._keep_redundant = keep_redundant_srflx

        self.state: IceTransportState = "new"
        self.gathering_state: IceGatheringState = "new"
        self._started = False
        self._remote_lite = False
        self._generation_count = 0
        self._current = self._new_generation()
        self._pending: _Generation | None = None
        self._retired: list[_Generation] = []
        self._tasks: set[asyncio.Task[Any]] = set()

        self._target: tuple[Callable[[bytes, tuple[str, int]], None], tuple[str, int]] | None
        self._target = None
        self._selected: CandidatePair | None = None
        self._held: list[bytes] = []  # sent before any pair was selected (module docstring)
        self._held_bytes = 0
        self._consent = ConsentClock(
            interval=consent_interval,
            disconnected_after=disconnected_timeout,
            failed_after=consent_timeout,
            rng=random.Random(),
        )
        self._consent_timer: asyncio.TimerHandle | None = None
        self._consent_check: ConsentCheck | None = None
        self.consent_wakeups = 0  # consent timer callbacks so far (tests count them)

        self._tx_packets = 0
        self._tx_bytes = 0
        # Called (no arguments) when the selected pair changes to another one: the driver
        # restarts path MTU discovery (RFC 8899 §4.3).
        self.on_path_change: Callable[[], None] | None = None
        self._rx_retired = (0, 0)
        self._unvalidated_retired = 0
        self._dropped = 0
        self._dropped_candidates = 0
        self._consent_sent = 0
        self._consent_ok = 0
        self._errors: list[IceCandidateError] = []

    # -- public properties --------------------------------------------------------------------

    @property
    def local_ufrag(self) -> str:
        return self._newest.conn.local_username

    @property
    def local_pwd(self) -> str:
        return self._newest.conn.local_password

    @property
    def generation(self) -> int:
        """Number of the newest generation (0, then +1 per restart)."""
        return self._newest.number

    @property
    def selected_pair(self) -> tuple[IceCandidateInfo, IceCandidateInfo] | None:
        pair = self._selected
        if pair is None:
            return None
        return (
            from_aioice(pair.local_candidate),
            from_aioice(pair.remote_candidate),
        )

    @property
    def stats(self) -> dict[str, Any]:
        gens = [g for g in (self._current, self._pending) if g is not None]
        rx_packets = self._rx_retired[0] + sum(g.conn.rx_packets for g in gens)
        rx_bytes = self._rx_retired[1] + sum(g.conn.rx_bytes for g in gens)
        return {
            "state": self.state,
            "gathering_state": self.gathering_state,
            "generation": self.generation,
            "packets_sent": self._tx_packets,
            "bytes_sent": self._tx_bytes,
            "packets_received": rx_packets,
            "bytes_received": rx_bytes,
            "dropped_datagrams": self._dropped,
            "unvalidated_datagrams": self._unvalidated_retired
            + sum(g.conn.unvalidated_datagrams for g in gens + self._retired),
            "dropped_remote_candidates": self._dropped_candidates,
            "consent_requests_sent": self._consent_sent,
            "consent_responses_received": self._consent_ok,
            "local_candidates": [c.to_sdp() for c in self._newest.local],
            "remote_candidates": [c.to_sdp() for c in self._current.conn.remote_candidates],
            "selected_pair": (
                None
                if self._selected is None
                else (
                    self._selected.local_candidate.to_sdp(),
                    self._selected.remote_candidate.to_sdp(),
                )
            ),
            "candidate_errors": list(self._errors),
            "pending_server_queries": sorted(
                set().union(*(g.gatherer.pending for g in gens if g.gatherer is not None))
            ),
        }

    # -- public API ---------------------------------------------------------------------------

    def gather(self) -> None:
        """Start gathering for the newest generation (no-op if already started)."""
        self._check_open()
        gen = self._newest
        if gen.gather_task is None:
            self._start_gathering(gen)

    def set_remote_credentials(self, ufrag: str, pwd: str, *, lite: bool = False) -> None:
        self._check_open()
        self._remote_lite = lite
        target: _Generation
        if self._pending is not None and self._pending.remote_ufrag in (None, ufrag):
            target = self._pending
        elif self._current.remote_ufrag in (None, ufrag):
            target = self._current
        else:
            # The remote peer restarted ICE (RFC 8445 section 9): restart too.
            self.restart()
            assert self._pending is not None
            target = self._pending
        if target.remote_ufrag == ufrag:
            if target.conn.remote_password != pwd:
                raise InvalidStateError("ICE password changed without a ufrag change")
            return
        target.remote_ufrag = ufrag
        target.conn.remote_username = ufrag
        target.conn.remote_password = pwd
        target.conn.remote_is_lite = lite
        if self._started:
            self._start_checks(target)

    def add_remote_candidate(self, candidate: IceCandidateInfo | None) -> None:
        """Add a trickled remote candidate; ``None`` means end-of-candidates."""
        self._check_open()
        gen = self._route(candidate)
        if gen is None:
            self._dropped_candidates += 1
            return
        if candidate is None:
            if gen.conn.remote_end:
                return
            self._spawn(self._add_remote(gen, None))
            return
        if candidate.transport != "udp" or candidate.type not in ("host", "srflx", "relay"):
            self._dropped_candidates += 1
            return
        self._spawn(self._add_remote(gen, to_aioice(candidate)))

    def set_controlling(self, controlling: bool) -> None:
        """Change the ICE role before checks start (an offer rolled back, RFC 8445 §6.1.1);
        afterwards role conflicts are repaired by the checks themselves (§7.3.1.1)."""
        if self._started:
            return
        self._controlling = controlling
        for gen in (self._current, self._pending):
            if gen is not None:
                gen.conn.ice_controlling = controlling

    def start(self) -> None:
        """Begin connectivity checks (remote credentials must be known)."""
        self._check_open()
        if self._started:
            return
        if self._current.remote_ufrag is None:
            raise InvalidStateError("remote ICE credentials are not set")
        self._started = True
        self._start_checks(self._current)
        if self._pending is not None and self._pending.remote_ufrag is not None:
            self._start_checks(self._pending)

    def send(self, data: bytes) -> None:
        target = self._target
        if target is None:
            self._hold(data)
            return
        target[0](data, target[1])
        self._tx_packets += 1
        self._tx_bytes += len(data)

    def _hold(self, data: bytes) -> None:
        """No pair selected yet: keep a bounded few for the first one (module docstring)."""
        if (
            self.state in ("failed", "closed")
            or len(self._held) >= HOLD_MAX_DATAGRAMS
            or self._held_bytes + len(data) > HOLD_MAX_BYTES
        ):
            self._dropped += 1
            return
        self._held.append(data)
        self._held_bytes += len(data)

    def _drop_held(self) -> None:
        self._dropped += len(self._held)
        self._held = []
        self._held_bytes = 0

    def send_probe(self, data: bytes) -> ProbeResult:
        """Send a PLPMTUD probe datagram with Don't-Fragment (RFC 8899 §4.5).

        ``"unavailable"`` when the selected pair is not one of our host UDP sockets (a TURN
        relay, whose datagrams the server forwards with its own fragmentation rules) or the
        platform has no such socket option: PLPMTUD then stays at its BASE size.
        """
        pair = self._selected
        target = self._target
        if pair is None or target is None or not isinstance(pair.protocol, FastStunProtocol):
            return "unavailable"
        result = pair.protocol.send_df(data, target[1], df=True)
        if result == "sent":
            self._tx_packets += 1
            self._tx_bytes += len(data)
        return result

    def send_fragmentable(self, data: bytes) -> None:
        """Send a datagram larger than the confirmed path MTU with fragmentation allowed (a
        retransmission fragmented before PLPMTU dropped, RFC 9260 §7.3)."""
        pair = self._selected
        target = self._target
        if pair is None or target is None or not isinstance(pair.protocol, FastStunProtocol):
            self.send(data)
            return
        if pair.protocol.send_df(data, target[1], df=False) == "unavailable":
            self.send(data)
            return
        self._tx_packets += 1
        self._tx_bytes += len(data)

    def restart(self) -> None:
        """Prepare a new generation with fresh credentials and gather for it."""
        self._check_open()
        if self._pending is not None and self._pending.remote_ufrag is None:
            return  # a restart is already prepared and not yet answered
        if self._pending is not None:
            self._retire(self._pending, delay=0.0)
        self._pending = self._new_generation()
        if self._current.gather_task is not None:
            self._start_gathering(self._pending)

    async def close(self) -> None:
        if self.state == "closed":
            return
        self._set_state("closed")
        self._target = None
        self._selected = None
        self._drop_held()
        self._stop_consent()
        gens = [g for g in (self._current, self._pending) if g is not None]
        gens += self._retired
        for gen in gens:
            for task in (gen.gather_task, gen.connect_task):
                if task is not None:
                    task.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*(g.conn.close() for g in gens), return_exceptions=True)
        pending = [t for t in self._tasks if not t.done()]
        for gen in gens:
            pending += [t for t in (gen.gather_task, gen.connect_task) if t is not None]
        await asyncio.gather(*pending, return_exceptions=True)

    # -- generations --------------------------------------------------------------------------

    @property
    def _newest(self) -> _Generation:
        return self._pending if self._pending is not None else self._current

    def _new_generation(self) -> _Generation:
        policy = (
            aioice.TransportPolicy.RELAY if self._policy == "relay" else aioice.TransportPolicy.ALL
        )
        controlling = self._controlling
        if self._generation_count > 0:
            controlling = self._current.conn.ice_controlling
        conn = AgentConnection(
            ice_controlling=controlling,
            transport_policy=policy,
            on_data=self._on_datagram,
            clock=self._now,
            failure_grace=self._failure_grace,
        )
        gen = _Generation(self._generation_count, conn)
        conn.on_completed = lambda: self._nominated(gen)
        self._generation_count += 1
        return gen

    def _route(self, candidate: IceCandidateInfo | None) -> _Generation | None:
        gens = [g for g in (self._pending, self._current) if g is not None]
        if candidate is not None and candidate.ufrag is not None:
            for gen in gens:
                if gen.remote_ufrag == candidate.ufrag:
                    return gen
            # Candidates of a remote restart may overtake the new credentials: keep them for
            # the pending generation that still waits for its remote credentials.
            if self._pending is not None and self._pending.remote_ufrag is None:
                return self._pending
            return None
        for gen in gens:
            if gen.remote_ufrag is not None:
                return gen
        return self._current

    async def _add_remote(self, gen: _Generation, candidate: aioice.Candidate | None) -> None:
        try:
            await gen.conn.add_remote_candidate(candidate)
        except ValueError as exc:
            self._dropped_candidates += 1
            logger.info("remote candidate ignored: %s", exc)
            return
        if candidate is None:
            self._maybe_completed()

    def _retire(self, gen: _Generation, delay: float) -> None:
        self._retired.append(gen)

        async def close_now() -> None:
            for task in (gen.gather_task, gen.connect_task):
                if task is not None:
                    task.cancel()
            await gen.conn.close()
            rx = self._rx_retired
            self._rx_retired = (rx[0] + gen.conn.rx_packets, rx[1] + gen.conn.rx_bytes)
            self._unvalidated_retired += gen.conn.unvalidated_datagrams
            gen.conn.rx_packets = gen.conn.rx_bytes = gen.conn.unvalidated_datagrams = 0
            with contextlib.suppress(ValueError):
                self._retired.remove(gen)

        def close_later() -> None:
            if self.state != "closed":  # close() closes every retired generation itself
                self._spawn(close_now())

        if delay > 0:
            asyncio.get_running_loop().call_later(delay, close_later)
        else:
            self._spawn(close_now())

    # -- gathering ----------------------------------------------------------------------------

    def _start_gathering(self, gen: _Generation) -> None:
        if self._host_addresses is not None:
            hosts = list(self._host_addresses)
        else:
            hosts = get_host_addresses(use_ipv4=True, use_ipv6=self._use_ipv6)

        def emit(candidate: aioice.Candidate) -> None:
            info = from_aioice(candidate, ufrag=gen.ufrag)
            gen.local.append(info)
            if gen is self._newest and self.state != "closed":
                self._on_candidate(info)

        def error(err: IceCandidateError) -> None:
            self._errors.append(err)
            if self.state != "closed":
                self._on_candidate_error(err)

        gen.gatherer = Gatherer(
            gen.conn,
            host_addresses=hosts,
            stun_urls=self._stun_urls,
            turn_urls=self._turn_urls,
            relay_only=self._policy == "relay",
            timeout=self._server_timeout,
            turn_ssl_context=self._ssl,
            keep_redundant_srflx=self._keep_redundant,
            on_candidate=emit,
            on_error=error,
        )
        self._set_gathering_state("gathering")
        gen.gather_task = asyncio.get_running_loop().create_task(self._gather(gen))

    async def _gather(self, gen: _Generation) -> None:
        assert gen.gatherer is not None
        try:
            await gen.gatherer.run()
        except Exception:
            logger.exception("ICE gathering failed")
        gen.gathering_done = True
        gen.conn.end_local_gathering()
        if self.state == "closed" or gen is not self._newest:
            return
        self._set_gathering_state("complete")
        self._on_candidate(None)
        self._maybe_completed()

    # -- checks -------------------------------------------------------------------------------

    def _start_checks(self, gen: _Generation) -> None:
        if gen.connect_task is not None:
            return
        if gen.gather_task is None:
            self._start_gathering(gen)
        if self.state == "new":
            self._set_state("checking")
        gen.connect_task = asyncio.get_running_loop().create_task(self._connect(gen))

    async def _connect(self, gen: _Generation) -> None:
        if gen.number > 0 and not gen.conn.ice_controlling and self._selected is not None:
            # A restart while a pair works and we are controlled: answer the controlling
            # peer's checks at once, but hold our own ordinary checks until its first check
            # arrives or ``restart_check_delay`` passes. A check of ours that overtakes our
            # trickled candidates makes Chromium learn a peer-reflexive candidate (lower
            # priority than its working pair), prune that pair at once and never check it,
            # so the restart never completes; once it has our candidates it pings them.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(gen.conn.remote_checked.wait(), self._restart_check_delay)
        try:
            await gen.conn.connect()
        except ConnectionError as exc:
            gen.failed = True
            logger.info("ICE generation %d failed: %s", gen.number, exc)
            if self.state == "closed" or gen.conn.closing:
                return
            live = [g for g in (self._current, self._pending) if g is not None]
            if self._selected is None and all(g.failed for g in live if g.connect_task):
                self._fail()
            return
        self._nominated(gen)

    def _nominated(self, gen: _Generation) -> None:
        """The generation's check list completed with a nominated pair: use it."""
        pair = gen.conn.selected
        if pair is None or self.state == "closed" or gen.nominated:
            return
        gen.nominated = True
        if gen is self._pending:
            old = self._current
            self._current = gen
            self._pending = None
            self._retire(old, self._retire_delay)
        elif gen is not self._current:
            return
        self._select(pair)

    def _select(self, pair: CandidatePair) -> None:
        previous = self._selected
        self._selected = pair
        self._target = (pair.protocol.transport.sendto, pair.remote_addr)
        logger.info("ICE selected pair %s", pair)
        held, self._held = self._held, []
        self._held_bytes = 0
        for data in held:
            self.send(data)
        if pair is not previous and self.on_path_change is not None:
            self.on_path_change()
        if self.state in ("new", "checking", "disconnected", "failed"):
            self._set_state("connected")
        self._maybe_completed()
        self._consent.restart(self._now())
        self._arm_consent()

    def _maybe_completed(self) -> None:
        gen = self._current
        if (
            self.state == "connected"
            and gen.nominated
            and gen.gathering_done
            and gen.conn.remote_end
        ):
            self._set_state("completed")

    def _fail(self) -> None:
        self._target = None
        self._selected = None
        self._drop_held()
        self._set_state("failed")

    # -- consent freshness (RFC 7675): one loop.call_at timer, see _consent.py --------------

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    def _arm_consent(self) -> None:
        """(Re)arm the one consent timer at the consent clock's next deadline."""
        if self._selected is None or self.state == "closed":
            self._stop_consent()
            return
        when = self._consent.deadline(self._current.conn.last_rx)
        timer = self._consent_timer
        if timer is not None:
            if timer.when() == when:
                return
            timer.cancel()
        self._consent_timer = asyncio.get_running_loop().call_at(when, self._consent_due)

    def _stop_consent(self) -> None:
        if self._consent_timer is not None:
            self._consent_timer.cancel()
            self._consent_timer = None
        if self._consent_check is not None:
            self._consent_check.forget()
            self._consent_check = None
        self._current.conn.on_next_rx = None

    def _consent_due(self) -> None:
        timer = self._consent_timer
        self._consent_timer = None
        self.consent_wakeups += 1
        if self._selected is None or self.state == "closed":
            return
        # asyncio may run a timer up to its clock resolution early: it fired at its deadline.
        now = self._now() if timer is None else max(self._now(), timer.when())
        check, verdict = self._consent.expire(now, self._current.conn.last_rx)
        if check:
            self._send_consent()
        self._apply_consent(verdict)
        self._arm_consent()

    def _apply_consent(self, verdict: ConsentVerdict) -> None:
        """W3C RTCIceTransportState from the consent verdict (module docstring)."""
        if verdict == "failed":
            logger.info("ICE consent expired after %.1f s of silence", self._consent.failed_after)
            self._fail()
        elif verdict == "disconnected":
            if self.state in ("connected", "completed"):
                self._set_state("disconnected")
            # The first datagram heard recovers at once (no per-packet timer).
            self._current.conn.on_next_rx = self._heard
        elif self.state == "disconnected":
            self._current.conn.on_next_rx = None
            gen = self._current
            done = gen.nominated and gen.gathering_done and gen.conn.remote_end
            self._set_state("completed" if done else "connected")

    def _heard(self) -> None:
        """Proof of life (a consent response, or a datagram while not fresh): recover at once
        and move the deadline (once per check, never per packet)."""
        if self._selected is None or self.state == "closed":
            return
        now = self._now()
        self._consent.refresh(now)
        self._consent.verdict = self._consent.judge(now)
        self._apply_consent(self._consent.verdict)
        self._arm_consent()

    def _send_consent(self) -> None:
        pair = self._selected
        conn = self._current.conn
        if pair is None or conn.remote_password is None or pair.protocol.transport.is_closing():
            return
        if self._consent_check is not None:
            self._consent_check.forget()  # unanswered for an interval: a late answer is lost
        self._consent_sent += 1
        self._consent_check = ConsentCheck(
            pair.protocol,
            conn.build_request(pair, nominate=False),
            pair.remote_addr,
            conn.remote_password.encode("utf8"),
            self._consent_answered,
        )

    def _consent_answered(self) -> None:
        self._consent_check = None
        if self._selected is None or self.state == "closed":
            return
        self._consent_ok += 1
        self._heard()

    # -- helpers ------------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _check_open(self) -> None:
        if self.state == "closed":
            raise InvalidStateError("the ICE agent is closed")

    def _set_state(self, state: IceTransportState) -> None:
        if state != self.state:
            logger.info("ICE state %s -> %s", self.state, state)
            self.state = state
            self._on_state_change(state)

    def _set_gathering_state(self, state: IceGatheringState) -> None:
        if state != self.gathering_state:
            self.gathering_state = state
            if self._on_gathering_state_change is not None:
                self._on_gathering_state_change(state)
