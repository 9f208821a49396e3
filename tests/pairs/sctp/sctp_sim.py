"""A virtual-time link between two sans-IO Associations: one-way delay, a bottleneck rate and
seeded random loss (each datagram dropped with probability ``loss`` by a ``random.Random``).

No sockets, no sleeps: events (datagram arrivals, timers) are processed in time order, so a
run is reproducible from its seed. The sender's application keeps ``bufferedAmount`` between
a low and a high mark, like the data-channel benchmark; the receiver's application drains
every event at once.
"""

from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field

from rtcpeer.sctp.association import Association
from rtcpeer.sctp.events import AssociationClosed, DataReceived

DATA_STREAM = 1
PPID = 53


@dataclass
class SimResult:
    delivered: int = 0  # bytes delivered to the receiving application
    deliveries: list[float] = field(default_factory=list)  # virtual time of each message
    closed: bool = False
    end: float = 0.0

    def max_gap(self, start: float) -> float:
        """The longest time without a delivery, from ``start`` to the end of the run."""
        times = [start, *self.deliveries, self.end]
        return max(b - a for a, b in itertools.pairwise(times))


class Sim:
    def __init__(
        self,
        seed: int,
        loss: float,
        *,
        delay: float = 0.005,
        rate: float = 50e6,
        plpmtud: bool = False,
        batch: float = 0.0,
        fragment_loss: bool = False,
        **kwargs: int,
    ) -> None:
        self.rng = random.Random(seed)
        self.loss = loss
        self.delay = delay
        self.rate = rate
        # Like the asyncio driver: datagrams arriving within ``batch`` seconds of the first
        # are all received before one flush (so one SACK per batch, not per 2 packets).
        self.batch = batch
        # ``loss`` applies to each 1500-byte IP fragment (DTLS + UDP + IP ~65 bytes of
        # overhead): a datagram is lost if any fragment is, as with iptables statistic.
        self.fragment_loss = fragment_loss
        self.a = Association(rng=random.Random(seed + 1), plpmtud=plpmtud, **kwargs)  # type: ignore[arg-type]
        self.b = Association(rng=random.Random(seed + 2), plpmtud=plpmtud, **kwargs)  # type: ignore[arg-type]
        self.a.remote_max_message_size = self.b.remote_max_message_size = 262144
        self._queue: list[tuple[float, int, Association, bytes]] = []
        self._seq = 0
        self._free = {id(self.a): 0.0, id(self.b): 0.0}  # when each direction's link is idle
        self.lossless_until = 0.0
        self.result = SimResult()
        self.start = 0.0  # when the measured transfer began
        self.sent = {id(self.a): 0, id(self.b): 0}

    def _peer(self, src: Association) -> Association:
        return self.b if src is self.a else self.a

    def _flush(self, src: Association, now: float) -> None:
        packets = src.datagrams_to_send(now) + src.probe_datagrams_to_send(now)
        for p in packets:
            start = max(now, self._free[id(src)])
            self._free[id(src)] = start + len(p) / self.rate
            self.sent[id(src)] += 1
            keep = 1.0 - self.loss
            if self.fragment_loss:
                keep **= -(-(len(p) + 65) // 1480)
            if now >= self.lossless_until and self.rng.random() < 1.0 - keep:
                continue
            self._seq += 1
            heapq.heappush(
                self._queue, (self._free[id(src)] + self.delay, self._seq, self._peer(src), p)
            )

    def _drain(self, assoc: Association, now: float) -> None:
        while (ev := assoc.next_event()) is not None:
            if assoc is self.b and type(ev) is DataReceived:
                self.result.delivered += len(ev.data)
                self.result.deliveries.append(now)
            elif type(ev) is AssociationClosed:
                self.result.closed = True

    def connect(self) -> float:
        self.lossless_until = 10.0
        self.a.connect(0.0)
        now = self.run_until(lambda: self.a.state == "established" == self.b.state, 0.0, 10.0)
        # A small exchange first, like DCEP's OPEN/ACK: the sender has an RTT sample.
        self.a.send(0, 50, b"o" * 2000, now)  # two packets: SACKed at once
        s = self.a.sender
        assert s is not None
        now = self.run_until(lambda: s.all_acked() and s.srtt is not None, now, now + 10.0)
        self.result.delivered = 0
        self.lossless_until = 0.0
        return now

    def run_until(
        self, cond: object, now: float, limit: float, feed: int = 0, size: int = 16384
    ) -> float:
        """Process events until ``cond()`` or virtual time ``limit``; ``feed`` bytes are
        queued on the sender (a) in ``size`` messages, bufferedAmount kept <= 2 MiB."""
        assert callable(cond)
        msg = b"\xab" * size
        left = feed
        self._flush(self.a, now)
        self._flush(self.b, now)
        while not cond():
            while left > 0 and self.a.buffered_amount(DATA_STREAM) < 2 * 1024 * 1024:
                n = min(size, left)
                self.a.send(DATA_STREAM, PPID, msg[:n], now)
                left -= n
                self._flush(self.a, now)
            t_net = self._queue[0][0] if self._queue else None
            timers = [(t, x) for x in (self.a, self.b) if (t := x.get_timer()) is not None]
            cands = [t for t, _ in timers] + ([t_net] if t_net is not None else [])
            if not cands:
                break
            now = max(now, min(cands))
            if now > limit:
                now = limit
                break
            if t_net is not None and t_net <= now:
                _, _, dst, p = heapq.heappop(self._queue)
                dst.receive_datagram(p, now)
                while self._queue and self._queue[0][0] <= now + self.batch:
                    if self._queue[0][2] is not dst:
                        break
                    t, _, _, p = heapq.heappop(self._queue)
                    now = max(now, t)
                    dst.receive_datagram(p, now)
                self._drain(dst, now)
                self._flush(dst, now)
                self._flush(self._peer(dst), now)
            for t, x in timers:
                if t <= now:
                    x.handle_timer(now)
                    self._drain(x, now)
                    self._flush(x, now)
        self.result.end = now
        return now


def transfer(seed: int, loss: float, total: int, limit: float = 600.0, **kw: object) -> Sim:
    """Connect losslessly, then move ``total`` bytes a->b under ``loss`` both ways."""
    sim = Sim(seed, loss, **kw)  # type: ignore[arg-type]
    now = sim.connect()
    sim.result.deliveries.clear()
    start = now
    sim.run_until(
        lambda: sim.result.delivered >= total or sim.result.closed, now, start + limit, feed=total
    )
    sim.start = start
    return sim
