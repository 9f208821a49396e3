"""Datagram Packetization Layer PMTU Discovery for SCTP over DTLS (RFC 8899), sans-IO.

Why: every SCTP packet is one DTLS record in one UDP datagram, and a pure-Python stack is
bound by per-packet work. The 1200-byte datagram WebRTC starts with (an SCTP packet of 1163
bytes, rounded down to 1160 because chunks are 4-byte aligned) is safe everywhere; loopback,
many LANs and VPNs carry much larger datagrams. RFC 8261 §5 asks the SCTP stack to do path MTU
discovery itself, and RFC 8899 §6.2 says how for SCTP: a probe packet is a HEARTBEAT chunk
padded with a PAD chunk (RFC 4820, type 0x84: its upper bits tell a receiver that does not know
it to skip it silently), never bundled with DATA and never retransmitted as such; the
HEARTBEAT-ACK confirms the size.

State machine (RFC 8899 §5.2; sizes are SCTP packet sizes, multiples of 4):

    DISABLED --start()--> BASE                       PLPMTU = BASE (not probing)
    BASE: probe BASE_PLPMTU --acked--> SEARCHING      (confirms the peer answers probes)
    BASE --MAX_PROBES lost--> ERROR                   PLPMTU stays BASE; BASE re-probed after
                                                      ``error_retry`` seconds
    SEARCHING: probe the next candidate above PLPMTU
        --acked--> PLPMTU = size, probe the next one; none left --> SEARCH_COMPLETE
        --lost MAX_PROBES times (or too big locally)--> SEARCH_COMPLETE at the last confirmed
    SEARCH_COMPLETE --PMTU_RAISE_TIMER (600 s, §5.1.1) and PLPMTU < MAX--> SEARCHING
    SEARCHING/SEARCH_COMPLETE --black_hole() (§4.3: a suspected black hole)--> CONFIRMING:
        probe the current PLPMTU --acked--> SEARCH_COMPLETE (it was congestion; PLPMTU kept)
                                 --lost MAX_PROBES times--> BASE, PLPMTU = BASE, search again
    SEARCHING/SEARCH_COMPLETE/CONFIRMING --step_down() (sustained loss of big packets)-->
        SEARCH_COMPLETE at the next candidate below PLPMTU (raise timer: searches up later)
    any --reset_path() (§4.3, a change of path)--> DISABLED, PLPMTU = BASE; start() again
    any --disable() (the path cannot carry DF probes: TURN, TCP, no socket option)--> DISABLED

Choices, with reasons:

* **Only probe sizes the peer reads** (a deviation from the plain RFC 8899 design, found by the
  interop tests): a receiver reads each DTLS record into a fixed buffer, and a record larger
  than that buffer is not dropped but *split*: OpenSSL and BoringSSL hand the rest out on the
  next reads, so one big probe leaves the peer's DTLS reads lagging one record behind for the
  rest of the association (aiortc reads 1500 bytes, Chromium 2048, Janus 1500: all broke). A
  failed probe is therefore not harmless, and the search must not exceed the peer's buffer.
  No standard signals it, so rtcpeer announces the largest SCTP packet it reads in its
  INIT/INIT-ACK (parameter ``0xBF52``, "skip silently" type bits); :meth:`Plpmtud.limit_max`
  caps the search at the peer's value, and a peer that announced nothing is not probed beyond
  ``Association.unannounced_max_plpmtu`` (default BASE: no probing).

* **Candidate sizes, not a binary search** (§5.3.2 leaves the method open): the SCTP sizes of
  the common datagram sizes 1452 (Ethernet IPv6), 1472 (Ethernet IPv4), 4096, 8192 and
  MAX_PLPMTU. Every step that succeeds is a useful size; a failed size ends the search (a
  larger one would fail too), so a path costs at most MAX_PROBES probe timers once.
* **MAX_PLPMTU = 16320**: one SCTP packet must fit one DTLS record, whose plaintext is at most
  2^14 bytes (RFC 6347 §4.1); 64 bytes of margin keep clear of that limit (e.g. DTLS 1.3's
  inner content type and padding count against it).
* **PROBE_TIMER = max(RTO, 0.5 s)**: §5.1.1 wants a timer longer than an acknowledgment can
  take; SCTP has an RTO estimate for exactly that, and the 0.5 s floor keeps a delayed
  HEARTBEAT-ACK from counting as a loss on a fast path.
* **The probe timer starts when the probe is handed out** (:meth:`Plpmtud.next_probe`), not
  when one becomes due, so a driver that never drains probes sees no timer at all.
* **A probe too big for the local interface** (``EMSGSIZE`` with the Don't-Fragment socket
  option, the local analogue of a PTB, §4.6) fails the size at once instead of after
  MAX_PROBES timers.
* **Sustained loss of big packets steps down** (§4.3 lets any PL loss signal start a new
  search at a smaller size): a datagram of 16 KB crosses a 1500-byte link as 11 IP
  fragments and is lost if any one is, so random loss that costs a 1200-byte packet 10 %
  costs it 69 %. A probe still gets through now and then, so black-hole confirmation keeps
  the size; instead the association measures retransmitted bytes against bytes sent in
  packets above BASE and calls :meth:`Plpmtud.step_down` when more than 40 % of a
  window was resent (``Association`` docstring). Each step is one candidate down; the raise
  timer searches upward again later.
* **Acks**: the Heartbeat Info carries a magic, a 64-bit nonce and the probe size; an ack is
  accepted only for a nonce sent for the size being probed now (any of its MAX_PROBES
  attempts: a late ack still proves the size got through), so stale acks from an older
  search or another path and forged ones are ignored and counted.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Sequence
from typing import Literal

BASE_DATAGRAM = 1200
CANDIDATE_DATAGRAMS = (1452, 1472, 4096, 8192)
MAX_PLPMTU = 16384 - 64
MAX_PROBES = 3
PROBE_TIMER = 0.5
PMTU_RAISE_TIMER = 600.0
ERROR_RETRY = 30.0
PROBE_MAGIC = b"PLPM"
_INFO = struct.Struct("!4sQI")
# HEARTBEAT chunk (4) + Heartbeat Info TLV header (4) + info, then the PAD chunk header (4),
# behind the 12-byte common header: the smallest probe packet.
PROBE_OVERHEAD = 12 + 4 + 4 + _INFO.size + 4

State = Literal["disabled", "base", "searching", "search-complete", "confirming", "error"]
# What became of a probe handed to the network layer: sent (with Don't-Fragment), too big for
# the local interface (EMSGSIZE), or no Don't-Fragment control on this path.
ProbeResult = Literal["sent", "too-big", "unavailable"]


def candidate_sizes(overhead: int, datagrams: Sequence[int] = CANDIDATE_DATAGRAMS) -> list[int]:
    """SCTP packet sizes whose DTLS datagram (``overhead`` bytes more) has the given sizes."""
    return [d - overhead for d in datagrams]


class Plpmtud:
    """RFC 8899 §5.2 state machine for one path; see the module docstring."""

    def __init__(
        self,
        base: int,
        *,
        max_plpmtu: int = MAX_PLPMTU,
        candidates: Sequence[int] | None = None,
        probe_timer: float = PROBE_TIMER,
        max_probes: int = MAX_PROBES,
        raise_timer: float = PMTU_RAISE_TIMER,
        error_retry: float = ERROR_RETRY,
        rng: random.Random | None = None,
        stats: dict[str, int] | None = None,
    ) -> None:
        self.base = base & ~3
        self.max_plpmtu = max(self.base, max_plpmtu & ~3)
        if candidates is None:
            candidates = candidate_sizes(BASE_DATAGRAM - base)
        sizes = {c & ~3 for c in candidates if self.base < (c & ~3) < self.max_plpmtu}
        self.candidates = [*sorted(sizes), self.max_plpmtu]
        if self.max_plpmtu == self.base:
            self.candidates = []
        self.probe_timer = probe_timer
        self.max_probes = max_probes
        self.raise_timer = raise_timer
        self.error_retry = error_retry
        self._rng = rng or random.Random()
        self.state: State = "disabled"
        self.plpmtu = self.base
        self.probe_size: int | None = None  # the size being confirmed now
        self.deadline: float | None = None
        self.reason: str | None = None
        self._due = False  # a probe of probe_size is to be sent
        self._lost = 0  # probes of probe_size lost so far
        self._nonces: set[int] = set()  # nonces sent for probe_size
        self.stats = stats if stats is not None else {}
        for key in ("probes_sent", "probes_acked", "probes_lost", "probe_stale_acks"):
            self.stats.setdefault(key, 0)
        self.stats.setdefault("black_holes", 0)
        self.stats.setdefault("path_resets", 0)
        self.stats["plpmtu"] = self.plpmtu

    # -- inputs ---------------------------------------------------------------------------
    def limit_max(self, size: int) -> None:
        """Never probe above ``size`` (what the peer reads); at or below BASE: no probing."""
        size &= ~3
        if size >= self.max_plpmtu:
            return
        self.max_plpmtu = max(self.base, size)
        below = [c for c in self.candidates if c < self.max_plpmtu]
        self.candidates = [*below, self.max_plpmtu] if self.max_plpmtu > self.base else []

    def start(self) -> None:
        """DISABLED -> BASE: the association is up; confirm BASE first."""
        if self.state == "disabled" and self.candidates:
            self._enter_base()

    def disable(self) -> None:
        """The path cannot carry probes (no DF control, relay, TCP): stay at BASE."""
        self.state = "disabled"
        self._set_plpmtu(self.base)
        self._clear_probe()
        self.deadline = self.reason = None

    def reset_path(self, now: float) -> None:
        """A change of path (RFC 8899 §4.3): PLPMTU = BASE; ``start()`` searches again."""
        self.stats["path_resets"] += 1
        self._set_plpmtu(self.base)
        self.state = "disabled"
        self._clear_probe()
        self.deadline = self.reason = None

    def black_hole(self, now: float) -> bool:
        """Packets larger than BASE may have stopped arriving (§4.3): confirm it first.

        A retransmission timeout with big packets in flight is also what plain congestion
        loss looks like, so the current PLPMTU is probed (CONFIRMING) before anything drops;
        only MAX_PROBES lost confirmations make it a black hole (then BASE and a new search).
        Returns whether PLPMTU dropped (never at once: see :meth:`handle_timer`).
        """
        if self.plpmtu <= self.base or self.state in ("disabled", "confirming"):
            return False
        self.stats["black_hole_suspicions"] = self.stats.get("black_hole_suspicions", 0) + 1
        self._clear_probe()
        self.deadline = self.reason = None
        self.state = "confirming"
        self._probe(self.plpmtu)
        return False

    def step_down(self, now: float) -> bool:
        """Sustained loss of packets above BASE: PLPMTU = the next candidate below it (or
        BASE), search complete there (the raise timer probes upward again later).
        Returns whether PLPMTU dropped."""
        if self.plpmtu <= self.base or self.state == "disabled":
            return False
        lower = [c for c in self.candidates if c < self.plpmtu]
        self.stats["loss_step_downs"] = self.stats.get("loss_step_downs", 0) + 1
        self._clear_probe()
        self.deadline = self.reason = None
        self._set_plpmtu(lower[-1] if lower else self.base)
        self._complete(now)
        return True

    def next_probe(self, now: float, rto: float) -> tuple[int, bytes] | None:
        """The probe to send now, as (packet size, Heartbeat Info), starting its timer."""
        if not self._due or self.probe_size is None:
            return None
        self._due = False
        nonce = self._rng.getrandbits(64)
        self._nonces.add(nonce)
        self.stats["probes_sent"] += 1
        self.deadline = now + max(rto, self.probe_timer)
        self.reason = "sctp.plpmtud-probe"
        return self.probe_size, _INFO.pack(PROBE_MAGIC, nonce, self.probe_size)

    def on_ack(self, info: bytes, now: float) -> bool:
        """A HEARTBEAT-ACK carrying ``info``; returns whether PLPMTU changed."""
        if len(info) != _INFO.size:
            return False
        magic, nonce, size = _INFO.unpack(info)
        if magic != PROBE_MAGIC:
            return False
        if size != self.probe_size or nonce not in self._nonces:
            self.stats["probe_stale_acks"] += 1
            return False
        self.stats["probes_acked"] += 1
        self._clear_probe()
        self.deadline = self.reason = None
        before = self.plpmtu
        if self.state == "confirming":
            self._complete(now)  # the path still carries PLPMTU: the loss was congestion
            return False
        if self.state == "base" or self.state == "error":
            self.state = "searching"
        else:
            self._set_plpmtu(size)
        self._probe_next_or_complete(now)
        return self.plpmtu != before

    def on_too_big(self, now: float) -> None:
        """The probe just handed out could not be sent: larger than the local interface."""
        if self.probe_size is None or self.state != "searching":
            return
        self.stats["probes_lost"] += 1
        self.deadline = self.reason = None
        self._size_failed(now)

    def handle_timer(self, now: float) -> None:
        if self.deadline is None or now < self.deadline:
            return
        self.deadline = self.reason = None
        if self.state in ("search-complete", "error") and self.probe_size is None:
            # PMTU_RAISE_TIMER (search-complete) or the ERROR retry: probe again
            if self.state == "error":
                self._enter_base()
            else:
                self.state = "searching"
                self._probe_next_or_complete(now)
            return
        if self.probe_size is None:
            return
        self.stats["probes_lost"] += 1
        self._lost += 1
        if self._lost < self.max_probes:
            self._due = True  # the same size again, with a new nonce
            return
        self._size_failed(now)

    # -- internals ------------------------------------------------------------------------
    def _enter_base(self) -> None:
        self.state = "base"
        self._probe(self.base)

    def _probe(self, size: int) -> None:
        self.probe_size = size
        self._due = True
        self._lost = 0
        self._nonces = set()

    def _clear_probe(self) -> None:
        self.probe_size = None
        self._due = False
        self._lost = 0
        self._nonces = set()

    def _probe_next_or_complete(self, now: float) -> None:
        nxt = next((c for c in self.candidates if c > self.plpmtu), None)
        if nxt is None:
            self._complete(now)
        else:
            self._probe(nxt)

    def _size_failed(self, now: float) -> None:
        self._clear_probe()
        if self.state == "confirming":
            # A confirmed black hole (§4.3): back to BASE, then search again.
            self.stats["black_holes"] += 1
            self._set_plpmtu(self.base)
            self._enter_base()
            return
        if self.state == "base":
            self.state = "error"
            self.deadline = now + self.error_retry
            self.reason = "sctp.plpmtud-retry"
        else:
            self._complete(now)

    def _complete(self, now: float) -> None:
        self.state = "search-complete"
        if self.plpmtu < self.max_plpmtu:
            self.deadline = now + self.raise_timer
            self.reason = "sctp.plpmtud-raise"

    def _set_plpmtu(self, size: int) -> None:
        self.plpmtu = size
        self.stats["plpmtu"] = size
