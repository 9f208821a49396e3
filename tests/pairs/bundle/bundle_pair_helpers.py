"""Helpers wiring two sans-IO bundle transports in memory (tier 2: sans-IO pairs)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from rtcpeer.bundle import BundleTransport, SrtpFactory
from rtcpeer.dcep import messages as m
from rtcpeer.dcep.manager import ChannelRecord
from rtcpeer.dtls.certificate import RTCCertificate

Side = Any  # anything with the transport verbs (datagrams_to_send, receive_datagram, ...)
Drop = Callable[[str, bytes], bool]  # (direction "a>b"/"b>a", datagram) -> drop it


class TransportPair:
    """``a`` is the DTLS client, ``b`` the DTLS server (unless built otherwise)."""

    def __init__(self, a: Side, b: Side) -> None:
        self.a, self.b = a, b
        self.events: dict[str, list[object]] = {"a": [], "b": []}
        self.drop: Drop = lambda d, data: False
        self.log: list[tuple[str, bytes]] = []

    def _move(self, src: Side, dst: Side, d: str, now: float) -> int:
        out = src.datagrams_to_send(now)
        for data in out:
            self.log.append((d, data))
            if not self.drop(d, data):
                dst.receive_datagram(data, now)
        return len(out)

    def collect(self) -> None:
        for name, side in (("a", self.a), ("b", self.b)):
            while (ev := side.next_event()) is not None:
                self.events[name].append(ev)

    def transfer(self, now: float, max_rounds: int = 200) -> None:
        """Move datagrams both ways until quiet."""
        for _ in range(max_rounds):
            moved = self._move(self.a, self.b, "a>b", now) + self._move(self.b, self.a, "b>a", now)
            self.collect()
            if not moved:
                return
        raise AssertionError("transfer did not converge")

    def run_until(self, cond: Callable[[], bool], now: float, limit: float = 60.0) -> float:
        """Transfer, then fire the earliest timer of either side, until ``cond()``."""
        self.transfer(now)
        while not cond():
            timers = [t for t in (self.a.get_timer(), self.b.get_timer()) if t is not None]
            assert timers, "condition not reached and no timer armed"
            now = max(now, min(timers))
            assert now < limit, "condition not reached"
            for side in (self.a, self.b):
                t = side.get_timer()
                if t is not None and t <= now:
                    side.handle_timer(now)
            self.transfer(now)
        return now


def make_transports(
    sctp: bool = True,
    a_role: Literal["client", "server"] = "client",
    srtp_factory: SrtpFactory | None = None,
) -> tuple[BundleTransport, BundleTransport]:
    """Two configured transports that trust each other; ``a`` has ``a_role``."""
    ca, cb = RTCCertificate.generate(), RTCCertificate.generate()
    kw: dict[str, Any] = {} if srtp_factory is None else {"srtp_factory": srtp_factory}
    a, b = BundleTransport(ca, plpmtud=False, **kw), BundleTransport(cb, plpmtud=False, **kw)
    b_role: Literal["client", "server"] = "server" if a_role == "client" else "client"
    a.configure(a_role, cb.getFingerprints(), sctp=sctp)
    b.configure(b_role, ca.getFingerprints(), sctp=sctp)
    return a, b


def open_negotiated(
    a: BundleTransport, b: BundleTransport, stream_id: int, label: str = "chat"
) -> ChannelRecord:
    """A negotiated channel on both sides of a connected pair (as the facade opens one)."""
    params = m.ChannelParameters(label=label)
    record = a.channels.create(params, negotiated=True, stream_id=stream_id)
    b.channels.create(params, negotiated=True, stream_id=stream_id)
    for side in (a, b):
        assert side.association is not None
        side.channels.association_established(side.association, 0.0)
    return record
