"""The asyncio driver: the only place that reads the clock, sends, and arms timers.

Mutate, then drain (DESIGN.md rule 2): every input (a datagram from ICE, a timer, a user call)
mutates the :class:`~rtcpeer.bundle.BundleTransport` core, then :meth:`Driver.flush` sends
every datagram, dispatches every event and re-arms the one timer. Flushes triggered by
datagrams and user calls are coalesced with ``call_soon``, so a burst of datagrams read in one
loop iteration produces one batch of SACKs, and a loop of ``send()`` calls produces one batch
of packets. The driver knows no protocol: every non-STUN datagram goes to the bundle, which
demultiplexes (RFC 7983) and counts; media, data channels and timers all come back through the
same drain.

Path MTU discovery needs the socket's Don't-Fragment control, so the driver takes an optional
``path`` (the ICE agent): PLPMTUD probes go through ``path.send_probe`` (Don't-Fragment), a
batch with a packet larger than the confirmed PLPMTU through ``path.send_fragmentable``, and a
change of the selected pair (``path.on_path_change``) restarts the discovery. Without a
``path``, probes cannot be sent and the association stays at its BASE packet size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

from .bundle import BundleTransport
from .sctp.plpmtud import ProbeResult


class ProbePath(Protocol):
    """What the driver needs from the ICE agent for path MTU discovery."""

    on_path_change: Callable[[], None] | None

    def send_probe(self, data: bytes) -> ProbeResult: ...

    def send_fragmentable(self, data: bytes) -> None: ...


class Driver:
    """Connects an ICE agent's datagrams to a :class:`BundleTransport` and back."""

    def __init__(
        self,
        transport: BundleTransport,
        send: Callable[[bytes], None],
        on_event: Callable[[object], None],
        *,
        path: ProbePath | None = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.transport = transport
        self._send = send
        self._path = path
        if path is not None:
            path.on_path_change = self.path_changed
        self._on_event = on_event
        self._flush_pending = False
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._closed = False

    def now(self) -> float:
        return self.loop.time()

    def datagram_received(self, data: bytes) -> None:
        """From ICE (STUN was already consumed by aioice). Never raises."""
        if self._closed:
            return
        self.transport.receive_datagram(data, self.loop.time())
        if not self._flush_pending:
            self.schedule_flush()

    def schedule_flush(self) -> None:
        if not self._flush_pending and not self._closed:
            self._flush_pending = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        """Send everything, dispatch every event, re-arm the timer."""
        self._flush_pending = False
        transport = self.transport
        now = self.loop.time()
        send = self._send
        for datagram in transport.datagrams_to_send(now):
            send(datagram)
        self._send_path_datagrams(now)
        on_event = self._on_event
        while True:
            event = transport.next_event()
            if event is None:
                break
            on_event(event)
        if self._flush_pending:
            return  # a handler queued more work; that flush re-arms the timer
        self._arm_timer()

    def _send_path_datagrams(self, now: float) -> None:
        """Datagrams that need the socket's fragmentation control (rare: not per packet)."""
        transport = self.transport
        path = self._path
        for datagram in transport.fragmentable_datagrams_to_send(now):
            if path is None:
                self._send(datagram)
            else:
                path.send_fragmentable(datagram)
        for datagram in transport.probe_datagrams_to_send(now):
            result: ProbeResult = "unavailable" if path is None else path.send_probe(datagram)
            transport.probe_result(result, now)

    def path_changed(self) -> None:
        """The ICE selected pair changed (restart, another nomination)."""
        if self._closed:
            return
        self.transport.reset_path(self.loop.time())
        self.schedule_flush()

    def _arm_timer(self) -> None:
        if self._closed:
            return
        deadline = self.transport.get_timer()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = self.loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        if self._closed:
            return
        self.transport.handle_timer(self.loop.time())
        self.flush()

    def close(self) -> None:
        """Flush what is queued (close_notify, ABORT), then stop."""
        if self._closed:
            return
        self.flush()
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
