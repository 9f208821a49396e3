"""Helpers wiring two sans-IO Associations together (no sockets, explicit time)."""

from __future__ import annotations

import random
from collections.abc import Callable

from rtcpeer.sctp.association import Association
from rtcpeer.sctp.events import DataReceived, Event

Filter = Callable[[str, int, bytes], bool]  # (direction "a>b"/"b>a", index, packet) -> keep


class Pair:
    def __init__(self, seed: int = 1, **kwargs: int) -> None:
        self.a = Association(rng=random.Random(seed), **kwargs)  # type: ignore[arg-type]
        self.b = Association(rng=random.Random(seed + 1000), **kwargs)  # type: ignore[arg-type]
        self.events: dict[str, list[Event]] = {"a": [], "b": []}
        self.sent = {"a>b": 0, "b>a": 0}
        self.drop: Filter = lambda d, i, p: True
        self.hold: set[str] = set()  # names whose events are not drained (app is slow)
        self.reorder = False

    def transfer(self, now: float, max_rounds: int = 100000) -> None:
        """Move datagrams both ways until quiet."""
        for _ in range(max_rounds):
            moved = self._move(self.a, self.b, "a>b", now) + self._move(self.b, self.a, "b>a", now)
            self.collect()
            if not moved:
                return
        raise AssertionError("transfer did not converge")

    def _move(self, src: Association, dst: Association, d: str, now: float) -> int:
        packets = src.datagrams_to_send(now)
        for p in reversed(packets) if self.reorder else packets:
            i = self.sent[d]
            self.sent[d] += 1
            if self.drop(d, i, p):
                dst.receive_datagram(p, now)
        return len(packets)

    def collect(self) -> None:
        for name, assoc in (("a", self.a), ("b", self.b)):
            if name in self.hold:
                continue
            while (ev := assoc.next_event()) is not None:
                self.events[name].append(ev)

    def next_timer(self) -> float | None:
        timers = [t for t in (self.a.get_timer(), self.b.get_timer()) if t is not None]
        return min(timers) if timers else None

    def advance(self, now: float) -> float:
        """Fire the earliest timer (returns its time) and transfer."""
        t = self.next_timer()
        assert t is not None
        now = max(now, t)
        for assoc in (self.a, self.b):
            at = assoc.get_timer()
            if at is not None and at <= now:
                assoc.handle_timer(now)
        self.transfer(now)
        return now

    def run_until(self, cond: Callable[[], bool], now: float, limit: float = 120.0) -> float:
        self.transfer(now)
        while not cond():
            now = self.advance(now)
            assert now < limit, "condition not reached"
        return now

    def connect(self, now: float = 0.0, both: bool = False) -> float:
        self.a.connect(now)
        if both:
            self.b.connect(now)
        self.transfer(now)
        return now

    def messages(self, name: str) -> list[DataReceived]:
        return [e for e in self.events[name] if isinstance(e, DataReceived)]

    def of(self, name: str, cls: type) -> list[Event]:
        return [e for e in self.events[name] if isinstance(e, cls)]
