"""PLPMTUD (RFC 8899) between two associations, explicit time, a modelled path.

The path model mirrors what the driver does: probes go with Don't-Fragment, so a probe above
the path's limit is lost; ordinary packets up to the sender's PLPMTU go as the socket does (a
black hole drops them above the limit); a batch holding a packet larger than the PLPMTU
(``oversize_pending``) goes fragmentable, so IP fragmentation carries it whatever its size.
"""

from __future__ import annotations

import os
import random
from typing import Any

from sctp_pair_helpers import Pair

from rtcpeer.sctp.association import Association
from rtcpeer.sctp.events import DataReceived
from rtcpeer.sctp.plpmtud import MAX_PLPMTU

BASE = 1200  # Association(mtu=1200): no DTLS here, datagram sizes are SCTP sizes
CLIMB = [1200, 1452, 1472, 4096, 8192, MAX_PLPMTU]


class PathPair(Pair):
    def __init__(self, limit: int | None = None, **kwargs: int) -> None:
        super().__init__(**kwargs)
        self.limit = limit  # largest datagram the path carries with DF set
        self.drop_probes = False
        self.interface_mtu: int | None = None  # larger DF sends fail locally (EMSGSIZE)
        self.probes: dict[str, list[tuple[int, float]]] = {"a>b": [], "b>a": []}
        self.sizes: dict[str, list[int]] = {"a>b": [], "b>a": []}
        self.black_holed = 0

    def _fits(self, n: int) -> bool:
        return self.limit is None or n <= self.limit

    def _move(self, src: Association, dst: Association, d: str, now: float) -> int:
        packets = src.datagrams_to_send(now)
        fragmentable = src.oversize_pending
        src.oversize_pending = False
        for p in packets:
            self.sizes[d].append(len(p))
            if fragmentable or self._fits(len(p)):
                dst.receive_datagram(p, now)
            else:
                self.black_holed += 1
        probes = src.probe_datagrams_to_send(now)
        for p in probes:
            self.probes[d].append((len(p), now))
            if self.interface_mtu is not None and len(p) > self.interface_mtu:
                src.probe_too_big(now)
                continue
            if self._fits(len(p)) and not self.drop_probes:
                dst.receive_datagram(p, now)
        return len(packets) + len(probes)


def established(limit: int | None = None, **kw: int) -> PathPair:
    p = PathPair(limit, **kw)
    p.connect()
    p.a.remote_max_message_size = p.b.remote_max_message_size = 262144
    return p


def deliver(p: PathPair, now: float, n: int = 3, size: int = 200_000) -> tuple[float, list[bytes]]:
    p.a.remote_max_message_size = p.b.remote_max_message_size = 262144
    payloads = [os.urandom(size) for _ in range(n)]
    start = len(p.messages("b"))
    for data in payloads:
        p.a.send(1, 53, data, now)
    now = p.run_until(lambda: len(p.messages("b")) == start + n, now)
    assert p.messages("b")[start:] == [DataReceived(1, 53, d) for d in payloads]
    return now, payloads


def test_search_climbs_to_max_when_everything_passes() -> None:
    p = PathPair()
    p.a.connect(0.0)
    # The handshake and the whole search happen at t=0: each ack triggers the next probe.
    p.transfer(0.0)
    assert p.probes["a>b"] == [(s, 0.0) for s in CLIMB]
    assert p.probes["b>a"] == [(s, 0.0) for s in CLIMB]
    for assoc in (p.a, p.b):
        assert assoc.plpmtu == MAX_PLPMTU
        assert assoc.plpmtud is not None and assoc.plpmtud.state == "search-complete"
        assert assoc.stats["probes_sent"] == assoc.stats["probes_acked"] == len(CLIMB)
        assert assoc.stats["probes_lost"] == 0
        assert assoc.stats["plpmtu"] == MAX_PLPMTU
        # Nothing left to raise to: no PMTU_RAISE_TIMER.
        assert assoc.get_timer() is None
    _, _ = deliver(p, 0.0, 2, 262144)
    data_sizes = [n for n in p.sizes["a>b"][-40:] if n > 100]
    assert max(data_sizes) <= MAX_PLPMTU and max(data_sizes) > 8192


def test_probe_timer_deadline_is_max_of_rto_and_half_a_second() -> None:
    p = PathPair()
    p.a.connect(0.0)
    p.drop_probes = True
    p.transfer(0.0)
    assert p.a.get_timer() == 1.0  # RTO.Initial (no RTT measured yet) > 0.5 s
    assert p.a.timer_reason == "sctp.plpmtud-probe"
    assert p.probes["a>b"] == [(BASE, 0.0)]
    # BASE probes lost MAX_PROBES times: ERROR, PLPMTU stays BASE, retried 30 s later.
    now = p.advance(0.0)
    now = p.advance(now)
    now = p.advance(now)
    assert now == 3.0
    assert p.probes["a>b"] == [(BASE, 0.0), (BASE, 1.0), (BASE, 2.0)]
    assert p.a.plpmtud is not None and p.a.plpmtud.state == "error"
    assert p.a.stats["probes_lost"] == 3 and p.a.plpmtu == BASE
    assert (p.a.get_timer(), p.a.timer_reason) == (33.0, "sctp.plpmtud-retry")
    p.drop_probes = False
    now = p.advance(now)
    assert now == 33.0 and p.a.plpmtu == MAX_PLPMTU


def test_path_limit_settles_at_largest_candidate_after_max_probes_losses() -> None:
    p = PathPair(limit=5000)
    p.a.connect(0.0)
    p.transfer(0.0)
    expected = [(s, 0.0) for s in CLIMB[:5]]
    assert p.probes["a>b"] == expected
    assert p.a.get_timer() == 1.0
    now = p.run_until(lambda: p.a.plpmtud is not None and p.a.plpmtud.state != "searching", 0.0)
    assert now == 3.0
    assert p.probes["a>b"] == [*expected, (8192, 1.0), (8192, 2.0)]
    assert p.a.plpmtu == 4096
    assert p.a.stats["probes_lost"] == 3
    assert p.a.stats["probes_acked"] == 4
    # SEARCH_COMPLETE below MAX: PMTU_RAISE_TIMER (600 s) probes the failed size again.
    assert (p.a.get_timer(), p.a.timer_reason) == (603.0, "sctp.plpmtud-raise")
    now, _ = deliver(p, now)
    assert p.black_holed == 0
    assert max(p.sizes["a>b"]) == 4096
    now = p.run_until(lambda: len(p.probes["a>b"]) == 8, now, limit=700.0)
    assert p.probes["a>b"][-1] == (8192, 603.0)


def test_probe_too_big_locally_fails_the_size_at_once() -> None:
    p = PathPair()
    p.interface_mtu = 5000
    p.a.connect(0.0)
    p.transfer(0.0)
    assert p.probes["a>b"] == [(s, 0.0) for s in CLIMB[:5]]
    assert p.a.plpmtu == 4096 and p.a.stats["probes_lost"] == 1
    assert (p.a.get_timer(), p.a.timer_reason) == (600.0, "sctp.plpmtud-raise")


def test_black_hole_drops_to_base_and_data_still_arrives() -> None:
    p = established()
    assert p.a.plpmtu == MAX_PLPMTU
    p.limit = 1300  # from now on, DF datagrams above 1300 bytes vanish (no ICMP)
    payloads = [os.urandom(100_000), os.urandom(100_000)]
    for data in payloads:
        p.a.send(1, 53, data, 0.0)
    p.transfer(0.0)
    assert p.black_holed > 0 and not p.messages("b")
    assert p.a.get_timer() == 1.0 and p.a.timer_reason == "sctp.t3-rtx"
    now = p.run_until(lambda: len(p.messages("b")) == 2, 0.0)
    assert [m.data for m in p.messages("b")] == payloads
    assert p.a.stats["black_holes"] == 1
    # The T3 made it a suspicion; MAX_PROBES lost confirmations of the current PLPMTU made it
    # a black hole; then BASE confirmed, 1452 lost MAX_PROBES times: the search settles at BASE.
    now = p.run_until(lambda: p.a.plpmtud is not None and p.a.plpmtud.state != "searching", now)
    assert p.a.plpmtu == BASE
    assert [s for s, _ in p.probes["a>b"][len(CLIMB) :]] == [MAX_PLPMTU] * 3 + [
        BASE,
        1452,
        1452,
        1452,
    ]
    assert p.a.stats["black_hole_suspicions"] == 1
    # Chunks fragmented at 16 KB before the drop went alone, fragmentable; new ones are small.
    mark = len(p.sizes["a>b"])
    now, _ = deliver(p, now, 2, 50_000)
    assert max(p.sizes["a>b"][mark:]) <= BASE


class LossyOnce(PathPair):
    """Drops the first ``drop`` DATA-bearing datagrams a->b, then carries everything."""

    def __init__(self, drop: int) -> None:
        super().__init__()
        self.drop = 0
        self.to_drop = drop

    def _move(self, src: Association, dst: Association, d: str, now: float) -> int:
        if d != "a>b" or self.drop >= self.to_drop:
            return super()._move(src, dst, d, now)
        packets = src.datagrams_to_send(now)
        src.oversize_pending = False
        for pkt in packets:
            self.sizes[d].append(len(pkt))
            if self.drop < self.to_drop and len(pkt) > 1000:
                self.drop += 1  # congestion loss, not a path change
            else:
                dst.receive_datagram(pkt, now)
        probes = src.probe_datagrams_to_send(now)
        for pkt in probes:
            self.probes[d].append((len(pkt), now))
            dst.receive_datagram(pkt, now)
        return len(packets) + len(probes)


def test_congestion_loss_is_not_a_black_hole() -> None:
    """A T3 with big packets in flight is only a suspicion (RFC 8899 §4.3): the confirmation
    probe of the current PLPMTU gets through, so PLPMTU stays where the search put it."""
    p = LossyOnce(drop=0)
    p.connect()
    assert p.a.plpmtu == MAX_PLPMTU
    p.to_drop = 1
    data = os.urandom(MAX_PLPMTU // 2)  # one DATA packet, lost: no fast retransmit, T3
    p.a.remote_max_message_size = 262144
    p.a.send(1, 53, data, 0.0)
    p.transfer(0.0)
    assert p.drop == 1 and not p.messages("b")
    assert p.a.get_timer() is not None and p.a.timer_reason == "sctp.t3-rtx"
    now = p.run_until(lambda: len(p.messages("b")) == 1, 0.0)
    assert p.messages("b") == [DataReceived(1, 53, data)]
    now = p.run_until(lambda: p.a.plpmtud is not None and p.a.plpmtud.state != "confirming", now)
    assert p.a.plpmtu == MAX_PLPMTU
    assert p.a.stats["black_hole_suspicions"] == 1 and p.a.stats["black_holes"] == 0
    assert [s for s, _ in p.probes["a>b"][len(CLIMB) :]] == [MAX_PLPMTU]


def test_reset_path_goes_back_to_base_and_searches_again() -> None:
    p = established()
    assert p.a.plpmtu == MAX_PLPMTU
    p.a.reset_path(5.0)
    assert p.a.plpmtu == BASE and p.a.stats["path_resets"] == 1
    (probe,) = p.a.probe_datagrams_to_send(5.0)
    assert len(probe) == BASE
    p.b.receive_datagram(probe, 5.0)
    p.transfer(5.0)
    assert p.probes["a>b"][len(CLIMB) :] == [(s, 5.0) for s in CLIMB[1:]]
    assert p.a.plpmtu == MAX_PLPMTU


def test_ack_from_before_a_path_reset_is_ignored() -> None:
    p = established()
    p.a.reset_path(0.0)
    (old,) = p.a.probe_datagrams_to_send(0.0)  # BASE probe on the old path
    p.a.reset_path(0.0)
    p.b.receive_datagram(old, 0.0)
    for packet in p.b.datagrams_to_send(0.0):
        p.a.receive_datagram(packet, 0.0)
    assert p.a.stats["probe_stale_acks"] == 1
    assert p.a.plpmtud is not None and p.a.plpmtud.state == "base"


def test_plpmtud_disabled_never_probes() -> None:
    p = PathPair(plpmtud=False)
    p.a.connect(0.0)
    p.transfer(0.0)
    deliver(p, 0.0)
    assert p.probes == {"a>b": [], "b>a": []}
    assert p.a.plpmtu == BASE and p.a.stats["plpmtu"] == BASE
    assert max(p.sizes["a>b"]) <= BASE


def test_unavailable_path_stays_at_base() -> None:
    p = PathPair()
    p.a.connect(0.0)
    p.transfer(0.0)
    p.a.reset_path(0.0)
    p.a.plpmtud_unavailable()  # e.g. the new selected pair is a TURN relay
    assert p.a.plpmtu == BASE and p.a.probe_datagrams_to_send(0.0) == []
    assert p.a.get_timer() is None


def _asymmetric(b_kwargs: dict[str, Any], a_kwargs: dict[str, Any] | None = None) -> PathPair:
    p = PathPair()
    p.a = Association(rng=random.Random(1), **(a_kwargs or {}))
    p.b = Association(rng=random.Random(2), **b_kwargs)
    return p


def test_search_stops_at_what_the_peer_announced_it_reads() -> None:
    p = _asymmetric({"local_max_packet": 8192})
    p.a.connect(0.0)
    p.transfer(0.0)
    assert p.probes["a>b"] == [(s, 0.0) for s in CLIMB[:5]]
    assert p.a.plpmtu == 8192 and p.b.plpmtu == MAX_PLPMTU
    assert p.a.get_timer() is None  # nothing above the peer's maximum to raise to


def test_peer_that_announces_nothing_is_not_probed() -> None:
    """A big probe would leave such a peer's DTLS reads one record behind (see plpmtud.py)."""
    for initiator in ("a", "b"):
        p = _asymmetric({"local_max_packet": 0})
        (p.a if initiator == "a" else p.b).connect(0.0)
        p.transfer(0.0)
        assert p.a.state == p.b.state == "established"
        assert p.probes["a>b"] == [] and p.a.plpmtu == BASE
        assert p.probes["b>a"] == [(s, 0.0) for s in CLIMB]  # b still reads a's announcement
    q = _asymmetric({"local_max_packet": 0}, {"unannounced_max_plpmtu": 1472})
    q.a.connect(0.0)
    q.transfer(0.0)
    assert q.probes["a>b"] == [(1200, 0.0), (1452, 0.0), (1472, 0.0)]
    assert q.a.plpmtu == 1472
